//! `featsim similarity`: the heatmap of one cell of LEFT against every cell of RIGHT, blended
//! over RIGHT as a PNG.

use super::ModelArgs;
use super::files::{load_image, write_npy};
use crate::colormap::{Colormap, Range};
use crate::heatmap::{self, Style};
use crate::model::ResNet;
use crate::oneshot::ImageFeatures;
use anyhow::{Context, Result, bail};
use image::RgbImage;
use std::path::PathBuf;

/// Arguments of `featsim similarity`.
#[derive(clap::Args)]
pub struct SimilarityArgs {
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
}

/// Checks the images given, loads the model, then writes the heatmap.
pub fn run(args: SimilarityArgs) -> Result<()> {
    let right = match (args.same, &args.right) {
        (true, None) => None,
        (false, Some(r)) => Some(load_image(r)?),
        (true, Some(_)) => bail!("--self compares LEFT with itself: give one image"),
        (false, None) => bail!("give LEFT and RIGHT images, or --self"),
    };
    let (_, model) = args.model.load()?;
    overlay(&model, &load_image(&args.left)?, right.as_ref(), &args)
}

/// `--cell ROW,COL`.
fn parse_cell(s: &str) -> Result<(usize, usize), String> {
    let (r, c) = s.split_once(',').ok_or("expected ROW,COL")?;
    Ok((
        r.trim().parse().map_err(|_| "bad row")?,
        c.trim().parse().map_err(|_| "bad column")?,
    ))
}

/// Writes the heatmap of `args.cell` of `left` over `right` (PNG at `right`'s size); `right` is
/// `None` for self-similarity.
fn overlay(
    model: &ResNet,
    left: &RgbImage,
    right: Option<&RgbImage>,
    args: &SimilarityArgs,
) -> Result<()> {
    let (block, size, (row, col)) = (args.model.layer, args.model.size, args.cell);
    let l = ImageFeatures::compute(model, left, size, block);
    // Self-similarity reuses the left features instead of running the network again.
    let r = right.map(|img| ImageFeatures::compute(model, img, size, block));
    let right = right.unwrap_or(left);
    let (lm, rm) = (l.need(block)?, r.as_ref().unwrap_or(&l).need(block)?);
    if row >= lm.h || col >= lm.w {
        bail!(
            "--cell {row},{col} is outside the {}×{} grid of {block} at {size}²",
            lm.h,
            lm.w
        );
    }
    let (width, height) = right.dimensions();
    let style = Style {
        cmap: args.colormap,
        range: if args.stretch {
            Range::Stretch
        } else {
            Range::Fixed
        },
        width,
        height,
    };
    let heat = pollster::block_on(heatmap::for_cell(lm, (row, col), rm, style))
        .map_err(anyhow::Error::msg)?;
    if let Some(p) = &args.values {
        write_npy(p, &[heat.rows as u64, heat.cols as u64], &heat.values)?;
    }
    let colours = &heat.rgba;
    let mut blended = right.clone();
    for (px, c) in blended.pixels_mut().zip(colours.chunks_exact(4)) {
        for (p, &h) in px.0.iter_mut().zip(c) {
            *p = ((u16::from(*p) * 2 + u16::from(h) * 3) / 5) as u8;
        }
    }
    let out = &args.out;
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
