//! The `featsim` command-line tool: conversion, features, classification, similarity and one-shot
//! evaluation — over the same core as the page.

mod bench;
mod oneshot;

use crate::colormap::{Colormap, Range};
use crate::compute::Compute;
use crate::features;
use crate::image_io;
use crate::model::import_torchvision::{from_state_dict, infer_arch, read_pth, read_safetensors};
use crate::model::{Arch, Block, Precision, ResNet, Weights, import_tfjs};
use crate::oneshot::Method;
use crate::segment::Threshold;
use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// What a convolutional network finds alike — conversion, features and checks from the shell.
#[derive(Parser)]
#[command(name = "featsim", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Source format for `convert`.
#[derive(Clone, Copy, ValueEnum)]
enum From {
    /// A TF.js layers model of Keras' ResNet50 (model.json + shards).
    Tfjs,
    /// A torchvision ResNet state dict (.pth or .safetensors).
    Torchvision,
}

/// Where to compute.
#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum BackendArg {
    /// burn's CPU backend.
    Cpu,
    /// The default wgpu adapter (Vulkan, Metal, DX12; lavapipe works).
    Wgpu,
}

/// On-disk precision of a converted file.
#[derive(Clone, Copy, ValueEnum)]
enum PrecisionArg {
    /// Half the size (default).
    F16,
    /// Exact.
    F32,
}

/// Weights, block, input size and device: what every feature-reading command needs.
#[derive(clap::Args)]
struct ModelArgs {
    /// The .bpk file.
    #[arg(long)]
    weights: PathBuf,
    /// layer1..layer4.
    #[arg(long, default_value = "layer4")]
    layer: Block,
    /// Square input size in pixels (multiple of 32).
    #[arg(long, default_value_t = 512)]
    size: u32,
    /// Where to compute.
    #[arg(long, value_enum, default_value_t = BackendArg::Cpu)]
    backend: BackendArg,
}

impl ModelArgs {
    /// Checks the size, brings up the device and builds the model on it.
    fn load(&self) -> Result<(Compute, ResNet)> {
        check_size(self.size)?;
        let compute = compute(self.backend)?;
        let model = ResNet::new(&load_weights(&self.weights)?, &compute.device)?;
        Ok((compute, model))
    }
}

#[derive(Subcommand)]
enum Command {
    /// Convert weights to FeatSim's .bpk file.
    Convert {
        /// Source format.
        #[arg(long)]
        from: From,
        /// model.json (tfjs) or the .pth/.safetensors file (torchvision).
        input: PathBuf,
        /// Architecture of a torchvision file (default: read from the tensor names).
        #[arg(long)]
        arch: Option<Arch>,
        /// Class labels for a tfjs model (JSON: list, or object index → name); default
        /// `../assets/labels.json` beside model.json when present.
        #[arg(long)]
        labels: Option<PathBuf>,
        /// Name shown in the page.
        #[arg(long)]
        name: Option<String>,
        /// Storage precision.
        #[arg(long, value_enum, default_value_t = PrecisionArg::F16)]
        precision: PrecisionArg,
        /// Output .bpk file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Print what a .bpk file holds.
    Info {
        /// The .bpk file.
        #[arg(long)]
        weights: PathBuf,
    },
    /// Write a block's feature map as float32 .npy [H, W, C].
    Features {
        #[command(flatten)]
        model: ModelArgs,
        /// Also write the resized RGB input as uint8 .npy [size, size, 3] (for reference checks).
        #[arg(long)]
        save_input: Option<PathBuf>,
        /// Input image.
        image: PathBuf,
        /// Output .npy file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Score one-shot segmentation on a VOC-layout folder (every ordered support/query pair per class).
    EvalOneshot {
        #[command(flatten)]
        model: ModelArgs,
        /// Folder with JPEGImages/, SegmentationClass/ and classes.json.
        #[arg(long)]
        data: PathBuf,
        /// Recipe: plain or best.
        #[arg(long, default_value = "plain")]
        method: Method,
        /// mid, otsu or a value in [-1, 1]; default: the recipe's own (plain: mid, best: 0).
        #[arg(long)]
        threshold: Option<Threshold>,
        /// Run only the episode with this support and query (image names without extension).
        #[arg(long, value_parser = parse_pair)]
        pair: Option<(String, String)>,
    },
    /// Time the forward pass to each block, a heatmap and one-shot episodes (median of --runs).
    Bench {
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
    },
    /// Heatmap of one cell of LEFT against every cell of RIGHT, overlaid on RIGHT.
    Similarity {
        #[command(flatten)]
        model: ModelArgs,
        /// Grid cell of LEFT as ROW,COL.
        #[arg(long, value_parser = parse_cell)]
        cell: (usize, usize),
        /// Compare LEFT with itself (RIGHT is not given).
        #[arg(long = "self")]
        same: bool,
        /// viridis, magma, inferno, turbo or gray.
        #[arg(long, default_value = "viridis")]
        colormap: Colormap,
        /// Colour range: the map's own min–max instead of [-1, 1].
        #[arg(long)]
        stretch: bool,
        /// Also write the raw similarity grid as float32 .npy [h, w].
        #[arg(long)]
        values: Option<PathBuf>,
        /// Source image (the cell's).
        left: PathBuf,
        /// Target image.
        right: Option<PathBuf>,
        /// Output PNG.
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the top-5 ImageNet classes of an image.
    Classify {
        /// The .bpk file (with its classifier).
        #[arg(long)]
        weights: PathBuf,
        /// Square input size in pixels.
        #[arg(long, default_value_t = 224)]
        size: u32,
        /// Where to compute.
        #[arg(long, value_enum, default_value_t = BackendArg::Cpu)]
        backend: BackendArg,
        /// Input image.
        image: PathBuf,
    },
}

/// Runs the tool; errors are printed as one clear message, never a panic trace.
pub fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Convert {
            from,
            input,
            arch,
            labels,
            name,
            precision,
            out,
        } => convert(from, &input, arch, labels.as_deref(), name, precision, &out),
        Command::Info { weights } => {
            let w = load_weights(&weights)?;
            let params: usize = w.tensors.values().map(|t| t.data.len()).sum();
            println!("name:       {}", w.spec.name);
            println!("arch:       {}", w.spec.arch);
            println!("layout:     {:?}", w.spec.layout);
            println!("bn eps:     {}", w.spec.bn_eps);
            println!("preprocess: {:?}", w.spec.preprocess);
            println!(
                "classes:    {}",
                w.classes().map_or("none".into(), |c| c.to_string())
            );
            println!("parameters: {params}");
            println!("source:     {}", w.spec.source);
            Ok(())
        }
        Command::Features {
            model: args,
            save_input,
            image,
            out,
        } => {
            let (compute, model) = args.load()?;
            let (layer, size) = (args.layer, args.size);
            let img = load_image(&image)?;
            if let Some(path) = save_input {
                let resized = image_io::resize_square(&img, size);
                write_npy(&path, &[size as u64, size as u64, 3], resized.as_raw())?;
            }
            let t0 = Instant::now();
            let map = pollster::block_on(features::read(
                features::compute(&model, &img, size, layer).pop().unwrap(),
            ))
            .map_err(anyhow::Error::msg)?;
            eprintln!(
                "{layer}: {}×{}×{} in {:.2}s on {}",
                map.h,
                map.w,
                map.c,
                t0.elapsed().as_secs_f64(),
                compute.describe()
            );
            write_npy(&out, &[map.h as u64, map.w as u64, map.c as u64], &map.data)
        }
        Command::EvalOneshot {
            model: args,
            data,
            method,
            threshold,
            pair,
        } => {
            let (compute, model) = args.load()?;
            let threshold = threshold.unwrap_or(method.default_threshold());
            let episodes = oneshot::Episodes {
                data: &data,
                only: pair.as_ref(),
            };
            oneshot::eval_oneshot(
                &model, &compute, episodes, args.layer, args.size, method, threshold,
            )
        }
        Command::Bench {
            weights,
            random,
            size,
            backend,
            runs,
            image,
        } => {
            check_size(size)?;
            if runs == 0 {
                bail!("--runs must be at least 1");
            }
            let compute = compute(backend)?;
            let (w, label) = match (weights, random) {
                (Some(p), _) => (load_weights(&p)?, p.display().to_string()),
                (None, Some(arch)) => (
                    Weights::random(
                        crate::model::ModelSpec::torchvision(arch, "random", "featsim bench"),
                        7,
                    ),
                    format!("random {}", arch.name()),
                ),
                (None, None) => bail!("give --weights or --random ARCH"),
            };
            let model = ResNet::new(&w, &compute.device)?;
            let image = image.map(|p| load_image(&p)).transpose()?;
            bench::run(
                &model,
                &compute,
                bench::Plan {
                    size,
                    runs,
                    image,
                    weights: label,
                },
            )
        }
        Command::Similarity {
            model: args,
            cell,
            same,
            colormap,
            stretch,
            values,
            left,
            right,
            out,
        } => {
            let right = match (same, right) {
                (true, None) => None,
                (false, Some(r)) => Some(load_image(&r)?),
                (true, Some(_)) => bail!("--self compares LEFT with itself: give one image"),
                (false, None) => bail!("give LEFT and RIGHT images, or --self"),
            };
            let (_, model) = args.load()?;
            let range = if stretch {
                Range::Stretch
            } else {
                Range::Fixed
            };
            oneshot::similarity(
                &model,
                &load_image(&left)?,
                right.as_ref(),
                args.layer,
                args.size,
                cell,
                colormap,
                range,
                &out,
                values.as_deref(),
            )
        }
        Command::Classify {
            weights,
            size,
            backend,
            image,
        } => {
            check_size(size)?;
            let compute = compute(backend)?;
            let model = ResNet::new(&load_weights(&weights)?, &compute.device)?;
            let img = load_image(&image)?;
            let probs = model
                .classify(features::input(&model, &img, size))
                .context("these weights have no classifier head")?;
            let probs = probs
                .into_data()
                .try_to_vec::<f32>()
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            let mut order: Vec<usize> = (0..probs.len()).collect();
            order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]));
            let labels = &model.spec().labels;
            for &i in order.iter().take(5) {
                let label = labels.get(i).map_or("?", String::as_str);
                println!("{:>4} {:<30} {:.4}", i, label, probs[i]);
            }
            Ok(())
        }
    }
}

fn parse_pair(s: &str) -> Result<(String, String), String> {
    match s.split_once(',') {
        Some((a, b)) if !a.is_empty() && !b.is_empty() => Ok((a.to_owned(), b.to_owned())),
        _ => Err(format!("'{s}': expected SUPPORT,QUERY (image names)")),
    }
}

fn parse_cell(s: &str) -> Result<(usize, usize), String> {
    let (r, c) = s.split_once(',').ok_or("expected ROW,COL")?;
    Ok((
        r.trim().parse().map_err(|_| "bad row")?,
        c.trim().parse().map_err(|_| "bad column")?,
    ))
}

fn check_size(size: u32) -> Result<()> {
    if !(32..=2048).contains(&size) || !size.is_multiple_of(32) {
        bail!("--size must be a multiple of 32 between 32 and 2048, got {size}");
    }
    Ok(())
}

fn compute(backend: BackendArg) -> Result<Compute> {
    match backend {
        BackendArg::Cpu => Ok(Compute::cpu()),
        BackendArg::Wgpu => pollster::block_on(Compute::wgpu())
            .map_err(|e| anyhow::anyhow!("no wgpu adapter ({e}); try --backend cpu")),
    }
}

fn spinner(msg: &str) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} {elapsed}").expect("valid template"),
    );
    pb.set_message(msg.to_owned());
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb
}

/// Reads and verifies a .bpk file.
pub fn load_weights(path: &Path) -> Result<Weights> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Weights::from_bpk(bytes).with_context(|| format!("{}", path.display()))
}

fn load_image(path: &Path) -> Result<image::RgbImage> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    image_io::decode(&bytes).with_context(|| format!("{}", path.display()))
}

pub(crate) fn write_npy<T: npyz::AutoSerialize + Copy>(
    path: &Path,
    shape: &[u64],
    data: &[T],
) -> Result<()> {
    use npyz::WriterBuilder;
    let file = std::io::BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
    );
    let mut w = npyz::WriteOptions::new()
        .default_dtype()
        .shape(shape)
        .writer(file)
        .begin_nd()?;
    w.extend(data.iter().copied())?;
    w.finish()?;
    Ok(())
}

fn read_labels(path: &Path) -> Result<Vec<String>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{}", path.display()))?;
    match value {
        serde_json::Value::Array(items) => items
            .into_iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .context("labels must be strings")
            })
            .collect(),
        serde_json::Value::Object(map) => {
            let mut pairs: Vec<(usize, String)> = map
                .into_iter()
                .map(|(k, v)| {
                    Ok((
                        k.parse()?,
                        v.as_str().context("labels must be strings")?.to_owned(),
                    ))
                })
                .collect::<Result<_>>()?;
            pairs.sort();
            if pairs.iter().enumerate().any(|(i, (k, _))| *k != i) {
                bail!("{}: label indices must be 0..N", path.display());
            }
            Ok(pairs.into_iter().map(|(_, v)| v).collect())
        }
        _ => bail!(
            "{}: expected a JSON list or object of labels",
            path.display()
        ),
    }
}

fn convert(
    from: From,
    input: &Path,
    arch: Option<Arch>,
    labels: Option<&Path>,
    name: Option<String>,
    precision: PrecisionArg,
    out: &Path,
) -> Result<()> {
    let pb = spinner(&format!("converting {}", input.display()));
    let mut weights = match from {
        From::Tfjs => {
            let json = std::fs::read_to_string(input)
                .with_context(|| format!("cannot read {}", input.display()))?;
            let dir = input.parent().unwrap_or(Path::new("."));
            let mut shards = Vec::new();
            for p in import_tfjs::shard_paths(&json)? {
                let path = dir.join(&p);
                shards.extend(
                    std::fs::read(&path)
                        .with_context(|| format!("cannot read shard {}", path.display()))?,
                );
            }
            let default_labels = dir.join("../assets/labels.json");
            let labels = match labels {
                Some(p) => read_labels(p)?,
                None if default_labels.exists() => read_labels(&default_labels)?,
                None => Vec::new(),
            };
            import_tfjs::import(&json, &shards, labels)?
        }
        From::Torchvision => {
            let ext = input.extension().and_then(|e| e.to_str()).unwrap_or("");
            let state = match ext {
                "safetensors" => read_safetensors(
                    &std::fs::read(input)
                        .with_context(|| format!("cannot read {}", input.display()))?,
                )?,
                "pth" | "pt" => read_pth(input)?,
                _ => bail!("{}: expected a .pth or .safetensors file", input.display()),
            };
            // Without --arch the depth is read from the tensor names.
            let arch = match arch {
                Some(a) => a,
                None => infer_arch(&state).context(
                    "cannot tell the ResNet depth from the tensor names; give --arch resnet18|34|50|101|152",
                )?,
            };
            let file = input
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            let display = format!("{} · {file}", arch_title(arch));
            let mut w = from_state_dict(
                arch,
                state,
                &display,
                &format!("torchvision state dict {file}"),
            )?;
            if let Some(l) = labels {
                w.spec.labels = read_labels(l)?;
            }
            w
        }
    };
    if let Some(n) = name {
        weights.spec.name = n;
    }
    let precision = match precision {
        PrecisionArg::F16 => Precision::F16,
        PrecisionArg::F32 => Precision::F32,
    };
    let bytes = weights.to_bpk(precision)?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    // Write then rename, so an interrupted run never leaves a half file under the final name.
    // The process id keeps two concurrent conversions to the same file from sharing a temp file.
    let tmp = out.with_extension(format!("bpk.{}.partial", std::process::id()));
    std::fs::write(&tmp, &bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, out)
        .with_context(|| format!("cannot rename {} to {}", tmp.display(), out.display()))?;
    pb.finish_and_clear();
    eprintln!(
        "wrote {} ({}, {} {:?}, {:.1} MB)",
        out.display(),
        weights.spec.name,
        weights.spec.arch,
        precision,
        bytes.len() as f64 / 1e6
    );
    Ok(())
}

fn arch_title(arch: Arch) -> String {
    format!("ResNet-{}", &arch.name()[6..])
}
