//! `featsim classify`: the top-5 ImageNet classes of an image.

use super::files::{load_image, load_weights};
use super::{BackendArg, check_size};
use crate::model::ResNet;
use anyhow::{Context, Result};
use std::path::PathBuf;

/// Arguments of `featsim classify`.
#[derive(clap::Args)]
pub struct ClassifyArgs {
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
}

/// Prints five lines: class index, label and probability, most likely first.
pub fn run(args: ClassifyArgs) -> Result<()> {
    check_size(args.size)?;
    let compute = args.backend.compute()?;
    let model = ResNet::new(&load_weights(&args.weights)?, &compute.device)?;
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
