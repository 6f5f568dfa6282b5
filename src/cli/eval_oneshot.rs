//! `featsim eval-oneshot`: the one-shot protocol of ../shared/voc/README.md over the library's
//! recipes — every ordered (support, query) pair of a class, scored by IoU.

use super::ModelArgs;
use super::files::write_npy;
use crate::compute::Compute;
use crate::image_io;
use crate::masks::{VOC_CLASSES, class_mask, read_labels};
use crate::model::{Block, ResNet};
use crate::oneshot::{ImageFeatures, Method, predict};
use crate::segment::{Confusion, Threshold};
use anyhow::{Context, Result, bail};
use image::GrayImage;
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Arguments of `featsim eval-oneshot`.
#[derive(clap::Args)]
pub struct EvalOneshotArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Folder with JPEGImages/, SegmentationClass/ and classes.json.
    #[arg(long)]
    data: PathBuf,
    /// Recipe: plain or best; several (`plain,best`) share one pass of features and are scored
    /// one after the other.
    #[arg(long, default_value = "plain", value_delimiter = ',')]
    method: Vec<Method>,
    /// mid, otsu or a value in [-1, 1]; default: each recipe's own (plain: mid, best: 0).
    #[arg(long)]
    threshold: Option<Threshold>,
    /// Also write each image's --layer features, as `featsim features` would, to
    /// DIR/<layer>/<image>.npy (for the independent reference, tests/reference/oneshot_ref.py).
    #[arg(long, value_name = "DIR")]
    dump_features: Option<PathBuf>,
    /// The blocks --dump-features writes (up to --layer, e.g. `layer2,layer3,layer4`, for trying
    /// recipes in numpy); default: --layer's alone.
    #[arg(long, value_delimiter = ',', requires = "dump_features")]
    dump_blocks: Vec<Block>,
    /// Run only the episode with this support and query (image names without extension).
    #[arg(long, value_parser = parse_pair)]
    pair: Option<(String, String)>,
}

/// Loads the model, then runs and scores the episodes.
pub fn run(args: EvalOneshotArgs) -> Result<()> {
    let (compute, model) = args.model.load()?;
    let episodes = Episodes {
        data: &args.data,
        only: args.pair.as_ref(),
    };
    let (block, size) = (args.model.layer, args.model.size);
    let dump = match args.dump_features.as_deref() {
        None => None,
        Some(dir) => {
            let blocks = if args.dump_blocks.is_empty() {
                vec![block]
            } else {
                args.dump_blocks.clone()
            };
            if let Some(deeper) = blocks.iter().find(|b| b.index() > block.index()) {
                bail!("--dump-blocks {deeper} is deeper than --layer {block}");
            }
            Some(Dump { dir, blocks })
        }
    };
    let set = load(&model, &episodes, block, size, dump.as_ref())?;
    for (i, &method) in args.method.iter().enumerate() {
        if args.method.len() > 1 {
            if i > 0 {
                println!();
            }
            println!("recipe {}", method.name());
        }
        let threshold = args.threshold.unwrap_or(method.default_threshold());
        score(&set, &compute, &episodes, block, method, threshold)?;
    }
    Ok(())
}

/// `--pair SUPPORT,QUERY`.
fn parse_pair(s: &str) -> Result<(String, String), String> {
    match s.split_once(',') {
        Some((a, b)) if !a.is_empty() && !b.is_empty() => Ok((a.to_owned(), b.to_owned())),
        _ => Err(format!("'{s}': expected SUPPORT,QUERY (image names)")),
    }
}

/// A progress bar over `len` items.
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
struct Episodes<'a> {
    /// The data folder (layout of ../shared/voc).
    data: &'a Path,
    /// (support, query) image names when only that episode should run.
    only: Option<&'a (String, String)>,
}

impl Episodes<'_> {
    fn includes(&self, s: &str, q: &str) -> bool {
        self.only.is_none_or(|(a, b)| a == s && b == q)
    }
}

/// The episodes' classes, each image's features and label mask, computed once for every recipe.
struct EvalSet {
    /// Image names per class (classes.json, narrowed to `--pair`).
    classes: BTreeMap<String, Vec<String>>,
    /// Features per image name.
    feats: BTreeMap<String, ImageFeatures>,
    /// VOC label mask per image name.
    labels: BTreeMap<String, GrayImage>,
    /// Seconds spent on the features.
    feature_secs: f64,
}

/// Where and which blocks' raw maps to write.
struct Dump<'a> {
    /// DIR of `--dump-features`.
    dir: &'a Path,
    /// Blocks to write, none deeper than the evaluated one.
    blocks: Vec<Block>,
}

/// Reads classes.json, computes every listed image's features up to `block` (writing the raw
/// maps `dump` asks for) and reads the label masks.
fn load(
    model: &ResNet,
    episodes: &Episodes,
    block: Block,
    size: u32,
    dump: Option<&Dump>,
) -> Result<EvalSet> {
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
    let mut names: Vec<String> = classes.values().flatten().cloned().collect();
    names.sort();
    names.dedup();
    let dump: Vec<(Block, PathBuf)> = dump.map_or_else(Vec::new, |d| {
        d.blocks
            .iter()
            .map(|&b| (b, d.dir.join(b.name())))
            .collect()
    });
    for (_, d) in &dump {
        std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
    }

    // Features once per image; the recipes only compare them.
    let t0 = Instant::now();
    let pb = bar(names.len(), "features");
    let mut feats = BTreeMap::new();
    let mut labels = BTreeMap::new();
    for name in &names {
        let bytes = std::fs::read(data.join("JPEGImages").join(format!("{name}.jpg")))
            .with_context(|| format!("image {name}"))?;
        let img = image_io::decode(&bytes).with_context(|| format!("image {name}"))?;
        let blocks = crate::features::compute(model, &img, size, block);
        for (b, d) in &dump {
            let map = pollster::block_on(crate::features::read(blocks[b.index()].clone()))?;
            let shape = [map.h as u64, map.w as u64, map.c as u64];
            write_npy(&d.join(format!("{name}.npy")), &shape, &map.data)?;
        }
        feats.insert(name.clone(), ImageFeatures::from_blocks(size, blocks));
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
        labels.insert(name.clone(), l);
        pb.inc(1);
    }
    pb.finish_and_clear();
    Ok(EvalSet {
        classes,
        feats,
        labels,
        feature_secs: t0.elapsed().as_secs_f64(),
    })
}

/// Runs every ordered (support, query) pair of every class with one recipe; prints per-class IoU
/// and the totals.
fn score(
    set: &EvalSet,
    compute: &Compute,
    episodes: &Episodes,
    block: Block,
    method: Method,
    threshold: Threshold,
) -> Result<()> {
    let EvalSet {
        classes,
        feats,
        labels,
        feature_secs,
    } = set;
    let feature_secs = *feature_secs;
    let images_count = feats.len();

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
        images_count,
        1e3 * t1.elapsed().as_secs_f64() / total as f64
    );
    let miou = ious.iter().sum::<f64>() / ious.len().max(1) as f64;
    println!(
        "mIoU={miou:.3} FB-IoU={:.3} episodes={total}",
        total_fg.fb_iou()
    );
    Ok(())
}
