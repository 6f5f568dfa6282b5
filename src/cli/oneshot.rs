//! `featsim eval-oneshot` and `featsim similarity`: the one-shot protocol of ../shared/voc/README.md
//! and heatmap images, over the library's recipes.

use crate::colormap::{Colormap, Range};
use crate::compute::Compute;
use crate::heatmap::{self, Style};
use crate::image_io;
use crate::masks::{VOC_CLASSES, class_mask, read_labels};
use crate::model::{Block, ResNet};
use crate::oneshot::{ImageFeatures, Method, predict};
use crate::segment::{Confusion, Threshold};
use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

fn bar(len: usize, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len as u64);
    pb.set_style(
        ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} {elapsed}/{duration}")
            .expect("valid template"),
    );
    pb.set_message(what.to_owned());
    pb
}

/// Which episodes to run: every ordered pair of each class in `data`, or only one.
pub struct Episodes<'a> {
    /// The data folder (layout of ../shared/voc).
    pub data: &'a Path,
    /// (support, query) image names when only that episode should run.
    pub only: Option<&'a (String, String)>,
}

impl Episodes<'_> {
    fn includes(&self, s: &str, q: &str) -> bool {
        self.only.is_none_or(|(a, b)| a == s && b == q)
    }
}

/// Runs every ordered (support, query) pair of every class; prints per-class IoU and the totals.
pub fn eval_oneshot(
    model: &ResNet,
    compute: &Compute,
    episodes: Episodes,
    block: Block,
    size: u32,
    method: Method,
    threshold: Threshold,
) -> Result<()> {
    let data = episodes.data;
    let mut classes: BTreeMap<String, Vec<String>> = serde_json::from_str(
        &std::fs::read_to_string(data.join("classes.json")).context("reading classes.json")?,
    )
    .context("classes.json")?;
    if let Some((s, q)) = episodes.only {
        // Keep the classes that list both images, and only those two images in them.
        classes.retain(|_, v| v.contains(s) && v.contains(q) && s != q);
        classes
            .values_mut()
            .for_each(|v| v.retain(|n| n == s || n == q));
        if classes.is_empty() {
            bail!("no class of classes.json lists both {s} and {q}");
        }
    }
    let mut names: Vec<&String> = classes.values().flatten().collect();
    names.sort();
    names.dedup();

    // Features once per image; the recipes only compare them.
    let t0 = Instant::now();
    let pb = bar(names.len(), "features");
    let mut feats = BTreeMap::new();
    let mut labels = BTreeMap::new();
    for name in &names {
        let bytes = std::fs::read(data.join("JPEGImages").join(format!("{name}.jpg")))
            .with_context(|| format!("image {name}"))?;
        let img = image_io::decode(&bytes).with_context(|| format!("image {name}"))?;
        let f = ImageFeatures::compute(model, &img, size, block);
        feats.insert(name.as_str(), f);
        let mask_bytes = std::fs::read(data.join("SegmentationClass").join(format!("{name}.png")))
            .with_context(|| format!("mask {name}"))?;
        let l = read_labels(&mask_bytes).with_context(|| format!("mask {name}"))?;
        if l.dimensions() != img.dimensions() {
            bail!(
                "mask {name} is {:?}, its image {:?}",
                l.dimensions(),
                img.dimensions()
            );
        }
        labels.insert(name.as_str(), l);
        pb.inc(1);
    }
    pb.finish_and_clear();
    let feature_secs = t0.elapsed().as_secs_f64();

    let total: usize = classes
        .values()
        .map(|v| {
            v.iter()
                .flat_map(|s| v.iter().map(move |q| (s, q)))
                .filter(|(s, q)| s != q && episodes.includes(s, q))
                .count()
        })
        .sum();
    let pb = bar(total, "episodes");
    let t1 = Instant::now();
    let (mut total_fg, mut ious) = (Confusion::default(), Vec::new());
    for (index, class) in VOC_CLASSES.iter().enumerate().skip(1) {
        let Some(images) = classes.get(*class) else {
            continue;
        };
        let c = index as u8;
        let mut conf = Confusion::default();
        for s in images {
            let support_mask = class_mask(&labels[s.as_str()], c);
            for q in images.iter().filter(|q| *q != s && episodes.includes(s, q)) {
                let truth = &labels[q.as_str()];
                let dims = (truth.width() as usize, truth.height() as usize);
                let p = pollster::block_on(predict(
                    method,
                    block,
                    threshold,
                    &feats[s.as_str()],
                    &support_mask,
                    &feats[q.as_str()],
                    dims,
                ))
                .with_context(|| format!("{class}: support {s}, query {q}"))?;
                conf.add(Confusion::count(&p.mask, truth.as_raw(), c));
                pb.inc(1);
            }
        }
        total_fg.add(conf);
        pb.suspend(|| println!("{class:<12} IoU={:.3}", conf.iou()));
        ious.push(conf.iou());
    }
    pb.finish_and_clear();
    let episode_ms = 1e3 * (feature_secs + t1.elapsed().as_secs_f64()) / total as f64;
    println!(
        "time per episode: {episode_ms:.1} ms on {} ({:.1} s features for {} images, {:.1} ms comparison per episode)",
        compute.describe(),
        feature_secs,
        names.len(),
        1e3 * t1.elapsed().as_secs_f64() / total as f64
    );
    let miou = ious.iter().sum::<f64>() / ious.len().max(1) as f64;
    println!(
        "mIoU={miou:.3} FB-IoU={:.3} episodes={total}",
        total_fg.fb_iou()
    );
    Ok(())
}

/// Writes the heatmap of cell `cell` of `left` over `right` (PNG at `right`'s size); `right` is
/// `None` for self-similarity.
#[allow(clippy::too_many_arguments)]
pub fn similarity(
    model: &ResNet,
    left: &image::RgbImage,
    right: Option<&image::RgbImage>,
    block: Block,
    size: u32,
    (row, col): (usize, usize),
    cmap: Colormap,
    range: Range,
    out: &Path,
    values_out: Option<&Path>,
) -> Result<()> {
    let l = ImageFeatures::compute(model, left, size, block);
    // Self-similarity reuses the left features instead of running the network again.
    let r = right.map(|img| ImageFeatures::compute(model, img, size, block));
    let right = right.unwrap_or(left);
    let (lm, rm) = (l.block(block), r.as_ref().unwrap_or(&l).block(block));
    if row >= lm.h || col >= lm.w {
        bail!(
            "--cell {row},{col} is outside the {}×{} grid of {block} at {size}²",
            lm.h,
            lm.w
        );
    }
    let (width, height) = right.dimensions();
    let style = Style {
        cmap,
        range,
        width,
        height,
    };
    let heat = pollster::block_on(heatmap::for_cell(lm, (row, col), rm, style))
        .map_err(anyhow::Error::msg)?;
    if let Some(p) = values_out {
        super::write_npy(p, &[heat.rows as u64, heat.cols as u64], &heat.values)?;
    }
    let colours = &heat.rgba;
    let mut blended = right.clone();
    for (px, c) in blended.pixels_mut().zip(colours.chunks_exact(4)) {
        for (p, &h) in px.0.iter_mut().zip(c) {
            *p = ((u16::from(*p) * 2 + u16::from(h) * 3) / 5) as u8;
        }
    }
    blended
        .save(out)
        .with_context(|| format!("cannot write {}", out.display()))?;
    if let Some(&(by, bx, v)) = heat.top_k(1).first() {
        eprintln!(
            "best match of cell ({row},{col}): ({by},{bx}) cosine {v:.3}; wrote {}",
            out.display()
        );
    }
    Ok(())
}
