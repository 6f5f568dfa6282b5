//! `featsim bench`: how long each step of the page's work takes on a device — the forward pass to
//! each block, one heatmap, one-shot episodes — as medians after a warm-up.

use super::files::{load_image, load_weights};
use super::{BackendArg, check_size};
use crate::colormap::{Colormap, Range};
use crate::compute::Compute;
use crate::heatmap::{self, Style};
use crate::kernels::conv::ConvKernel;
use crate::model::{Arch, Block, ModelSpec, ResNet, Weights};
use crate::oneshot::{ImageFeatures, Method, predict};
use crate::stats::median;
use anyhow::{Result, anyhow, bail};
use image::{GrayImage, RgbImage};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `featsim bench`.
#[derive(clap::Args)]
pub struct BenchArgs {
    /// The .bpk file to time.
    #[arg(long, required_unless_present = "random")]
    weights: Option<PathBuf>,
    /// Time seeded random weights of this architecture instead (same work, no file).
    #[arg(long, conflicts_with = "weights")]
    random: Option<Arch>,
    /// Square input size in pixels (multiple of 32).
    #[arg(long, default_value_t = 512)]
    size: u32,
    /// Where to compute.
    #[arg(long, value_enum, default_value_t = BackendArg::Cpu)]
    backend: BackendArg,
    /// Timed runs per step, after one warm-up run.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Image to use (default: a synthetic 640×480 one).
    #[arg(long)]
    image: Option<PathBuf>,
    /// The convolution kernel: `tiled` (ours: the default on the CPU, and on a GPU without
    /// autotune, as in the page) or `burn` (burn's: on a GPU its direct kernel, or autotune's
    /// pick, the default with autotune).
    #[arg(long)]
    conv: Option<ConvKernel>,
}

/// Builds the model from the file or seeded random weights, then times every step.
pub fn run(args: BenchArgs) -> Result<()> {
    check_size(args.size)?;
    if args.runs == 0 {
        bail!("--runs must be at least 1");
    }
    let compute = args.backend.compute()?;
    let (w, label) = match (args.weights, args.random) {
        (Some(p), _) => (load_weights(&p)?, p.display().to_string()),
        (None, Some(arch)) => (
            Weights::random(ModelSpec::torchvision(arch, "random", "featsim bench"), 7),
            format!("random {}", arch.name()),
        ),
        (None, None) => bail!("give --weights or --random ARCH"),
    };
    let conv = args
        .conv
        .unwrap_or_else(|| ConvKernel::for_device(&compute.device));
    let model = ResNet::new(&w, &compute.device)?.with_conv_kernel(conv);
    let image = args.image.map(|p| load_image(&p)).transpose()?;
    time_steps(
        &model,
        &compute,
        Plan {
            size: args.size,
            runs: args.runs,
            image,
            weights: label,
            conv,
        },
    )
}

/// What to time and how often.
struct Plan {
    /// Square input size.
    size: u32,
    /// Timed runs per step (after one warm-up run).
    runs: usize,
    /// The test image (a synthetic one when `None`).
    image: Option<RgbImage>,
    /// What the weights are, for the report.
    weights: String,
    /// The convolution kernel, for the report.
    conv: ConvKernel,
}

/// One timed step.
struct Row {
    key: &'static str,
    what: String,
    ms: Vec<f64>,
}

impl Row {
    /// Never NaN here: `run` refuses `--runs 0`.
    fn median(&self) -> f64 {
        median(&self.ms)
    }
}

/// A deterministic 640×480 photo stand-in: smooth gradients and a disc, so every step has
/// non-trivial work (timings do not depend on content).
fn synthetic_image() -> RgbImage {
    RgbImage::from_fn(640, 480, |x, y| {
        let d = ((x as f32 - 400.0).powi(2) + (y as f32 - 220.0).powi(2)).sqrt();
        let disc = if d < 120.0 { 90 } else { 0 };
        image::Rgb([
            (x * 255 / 640) as u8,
            (y * 255 / 480) as u8,
            ((x + y) % 256) as u8 / 2 + disc,
        ])
    })
}

/// Runs every step `runs + 1` times (the first is a warm-up: shader compilation, autotune) and
/// prints a table and a JSON line.
fn time_steps(model: &ResNet, compute: &Compute, plan: Plan) -> Result<()> {
    let img = plan.image.clone().unwrap_or_else(synthetic_image);
    let other = image::imageops::flip_horizontal(&img);
    let size = plan.size;
    let device = compute.device.clone();
    let sync = || device.sync().map_err(|e| anyhow!("device: {e:?}"));
    // The support mask: the centre quarter of the image.
    let (w, h) = img.dimensions();
    let mask = GrayImage::from_fn(w, h, |x, y| {
        let inside = x > w / 4 && x < 3 * w / 4 && y > h / 4 && y < 3 * h / 4;
        image::Luma([u8::from(inside) * 255])
    });
    let grid = Block::Layer4.grid(size as usize);
    let style = Style {
        cmap: Colormap::Viridis,
        range: Range::Stretch,
        width: size,
        height: size,
    };

    let steps = 4 + 1 + 4 + 1 + 1 + 3;
    let pb = ProgressBar::new(((plan.runs + 1) * steps) as u64);
    pb.set_style(
        ProgressStyle::with_template("bench {bar:30} {pos}/{len} {msg}").expect("template"),
    );
    let mut rows = Vec::new();
    let mut time =
        |key: &'static str, what: String, f: &mut dyn FnMut() -> Result<()>| -> Result<()> {
            pb.set_message(key);
            let mut ms = Vec::new();
            for i in 0..=plan.runs {
                let t = Instant::now();
                f()?;
                if i > 0 {
                    ms.push(t.elapsed().as_secs_f64() * 1e3);
                }
                pb.inc(1);
            }
            rows.push(Row { key, what, ms });
            Ok(())
        };

    // The model-input resize alone, against the `image` crate's triangle filter it replaced, on
    // the bench image and on a phone photo's size (12 MP, shrunk 24-fold per side at 512²).
    let phone = image::imageops::resize(&img, 4000, 3000, image::imageops::FilterType::Nearest);
    for (key, old_key, what, src) in [
        ("resize", "resize_image_crate", "bench image", &img),
        (
            "resize_12mp",
            "resize_12mp_image_crate",
            "4000×3000 image",
            &phone,
        ),
    ] {
        let (w, h) = src.dimensions();
        time(
            key,
            format!("{what} {w}×{h} → {size}², Pillow's bilinear (our port)"),
            &mut || {
                drop(crate::resample::resize_square(src, size));
                Ok(())
            },
        )?;
        time(
            old_key,
            "the same with `image`'s triangle filter (before #17)".to_string(),
            &mut || {
                drop(image::imageops::resize(
                    src,
                    size,
                    size,
                    image::imageops::FilterType::Triangle,
                ));
                Ok(())
            },
        )?;
    }
    time(
        "input",
        format!("image → resize to {size}² → normalised input on the device"),
        &mut || {
            drop(crate::features::input(model, &img, size));
            sync()
        },
    )?;
    let input = crate::features::input(model, &img, size);
    for block in Block::ALL {
        let key = [
            "forward_layer1",
            "forward_layer2",
            "forward_layer3",
            "forward_layer4",
        ][block.index()];
        time(
            key,
            format!("forward to {block} (input on the device)"),
            &mut || {
                let _ = model.forward_to(input.clone(), block);
                sync()
            },
        )?;
    }
    time(
        "features",
        "image → resize → forward to layer4 → unit maps of all blocks".into(),
        &mut || {
            let f = ImageFeatures::compute(model, &img, size, Block::Layer4);
            drop(f);
            sync()
        },
    )?;
    let a = ImageFeatures::compute(model, &img, size, Block::Layer4);
    let b = ImageFeatures::compute(model, &other, size, Block::Layer4);
    time(
        "heatmap",
        format!("one cell vs {grid}×{grid} cells, coloured at {size}², read back"),
        &mut || {
            pollster::block_on(heatmap::for_cell(
                a.need(Block::Layer4)?,
                (grid / 2, grid / 2),
                b.need(Block::Layer4)?,
                style,
            ))
            .map(drop)
            .map_err(anyhow::Error::msg)
        },
    )?;
    for (key, method) in [
        ("episode_plain", Method::Plain),
        ("episode_best", Method::Best),
    ] {
        time(
            key,
            format!(
                "{} one-shot on cached features, mask at {w}×{h}",
                method.name()
            ),
            &mut || {
                pollster::block_on(predict(
                    method,
                    Block::Layer4,
                    method.default_threshold(),
                    &a,
                    &mask,
                    &b,
                    (w as usize, h as usize),
                ))
                .map(drop)
                .map_err(|e| anyhow!("{e}"))
            },
        )?;
    }
    time(
        "episode_best_full",
        "best one-shot including both images' features".into(),
        &mut || {
            let s = ImageFeatures::compute(model, &img, size, Block::Layer4);
            let q = ImageFeatures::compute(model, &other, size, Block::Layer4);
            pollster::block_on(predict(
                Method::Best,
                Block::Layer4,
                Method::Best.default_threshold(),
                &s,
                &mask,
                &q,
                (w as usize, h as usize),
            ))
            .map(drop)
            .map_err(|e| anyhow!("{e}"))
        },
    )?;
    pb.finish_and_clear();

    println!(
        "featsim bench · {} · {} · {size}² · median of {} after 1 warm-up",
        compute.describe(),
        plan.weights,
        plan.runs
    );
    println!(
        "{:<20} {:>10} {:>10} {:>10}  what",
        "step", "median ms", "min ms", "max ms"
    );
    for r in &rows {
        let min = r.ms.iter().copied().fold(f64::INFINITY, f64::min);
        let max = r.ms.iter().copied().fold(0.0, f64::max);
        println!(
            "{:<20} {:>10.1} {:>10.1} {:>10.1}  {}",
            r.key,
            r.median(),
            min,
            max,
            r.what
        );
    }
    let json = serde_json::json!({
        "backend": compute.kind.to_string(),
        "adapter": compute.adapter,
        "weights": plan.weights,
        "conv": plan.conv.name(),
        "size": size,
        "runs": plan.runs,
        "median_ms": rows
            .iter()
            .map(|r| (r.key.to_owned(), serde_json::json!(r.median())))
            .collect::<serde_json::Map<_, _>>()
    });
    println!("{json}");
    Ok(())
}
