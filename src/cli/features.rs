//! `featsim features`: one block's feature map as a .npy file.

use super::ModelArgs;
use super::files::{load_image, write_npy};
use crate::resample;
use anyhow::{Context, Result};
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `featsim features`.
#[derive(clap::Args)]
pub struct FeaturesArgs {
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
}

/// Writes the feature map [H, W, C] (and the resized input when asked); prints its shape and time.
pub fn run(args: FeaturesArgs) -> Result<()> {
    let (compute, model) = args.model.load()?;
    let (layer, size) = (args.model.layer, args.model.size);
    let img = load_image(&args.image)?;
    if let Some(path) = args.save_input {
        let resized = resample::resize_square(&img, size);
        write_npy(&path, &[size as u64, size as u64, 3], resized.as_raw())?;
    }
    let t0 = Instant::now();
    let map = pollster::block_on(crate::features::read(
        crate::features::compute(&model, &img, size, layer)
            .pop()
            .context("the model computed no block")?,
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
    write_npy(
        &args.out,
        &[map.h as u64, map.w as u64, map.c as u64],
        &map.data,
    )
}
