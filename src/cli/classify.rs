//! `featsim classify`: the top-5 ImageNet classes of an image.

use super::files::{head_path, load_image, load_weights};
use super::{BackendArg, check_size};
use crate::model::{Part, ResNet};
use anyhow::{Context, Result, bail};
use std::path::PathBuf;

/// Arguments of `featsim classify`.
#[derive(clap::Args)]
pub struct ClassifyArgs {
    /// The .bpk file; a trunk without its classifier is joined to `X.head.bpk` beside it.
    #[arg(long)]
    weights: PathBuf,
    /// The classifier head split from `--weights` (default: `X.head.bpk` beside it).
    #[arg(long)]
    head: Option<PathBuf>,
    /// Square input size in pixels.
    #[arg(long, default_value_t = 224)]
    size: u32,
    /// Where to compute.
    #[arg(long, value_enum, default_value_t = BackendArg::Cpu)]
    backend: BackendArg,
    /// Input image.
    image: PathBuf,
}

/// Prints five lines: class index, label and probability, most likely first.
pub fn run(args: ClassifyArgs) -> Result<()> {
    check_size(args.size)?;
    let compute = args.backend.compute()?;
    let mut weights = load_weights(&args.weights)?;
    if !weights.parts.contains(Part::Head) {
        let path = args.head.unwrap_or_else(|| head_path(&args.weights));
        if !path.exists() {
            bail!(
                "{} has no classifier head, and {} is not there: pass --head",
                args.weights.display(),
                path.display()
            );
        }
        weights
            .join_head(load_weights(&path)?)
            .with_context(|| format!("{}", path.display()))?;
    }
    let model = ResNet::new(&weights, &compute.device)?;
    let img = load_image(&args.image)?;
    let probs = model
        .classify(crate::features::input(&model, &img, args.size))
        .context("these weights have no classifier head")?;
    let probs: Vec<f32> = pollster::block_on(crate::compute::read_vec(probs))?;
    let mut order: Vec<usize> = (0..probs.len()).collect();
    order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]));
    let labels = &model.spec().labels;
    for &i in order.iter().take(5) {
        let label = labels.get(i).map_or("?", String::as_str);
        println!("{:>4} {:<30} {:.4}", i, label, probs[i]);
    }
    Ok(())
}
