//! `featsim bake`: a bundle of precomputed features (`bundle`), which a page shows without
//! downloading the model.

use super::files::{load_weights, write_atomically};
use super::{BackendArg, check_size};
use crate::bundle::{Baker, BundleManifest, BundleModel, Encoding, HostMap, MANIFEST_FILE};
use crate::compute::read_vec;
use crate::image_io;
use crate::model::{Block, ResNet};
use crate::oneshot::ImageFeatures;
use crate::similarity::UnitMap;
use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use std::path::{Path, PathBuf};

/// A display copy larger than this, or with a longer side, is made smaller.
const DISPLAY_MAX_BYTES: usize = 2_000_000;
/// The long side of a display copy that had to be made smaller.
const DISPLAY_LONG_SIDE: u32 = 1024;

/// How a bundle stores feature values.
#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum EncodingArg {
    /// One byte per value (every cosine within about 3e-3 of the exact one).
    U8,
    /// Half floats, twice the bytes (within about 1e-3).
    F16,
}

/// Arguments of `featsim bake`.
#[derive(clap::Args)]
pub struct BakeArgs {
    /// The model: a .bpk file or a streamed layout's `X.blocks.json`.
    #[arg(long)]
    weights: PathBuf,
    /// Square input size in pixels (multiple of 32).
    #[arg(long, default_value_t = 512)]
    size: u32,
    /// The blocks to bake, comma-separated. layer3,layer4 gives heatmaps at both and the `best`
    /// one-shot recipe at layer4.
    #[arg(long, value_delimiter = ',', default_value = "layer3,layer4")]
    blocks: Vec<Block>,
    /// How feature values are stored.
    #[arg(long, value_enum, default_value_t = EncodingArg::U8)]
    encoding: EncodingArg,
    /// Where to compute.
    #[arg(long, value_enum, default_value_t = BackendArg::Cpu)]
    backend: BackendArg,
    /// The folder to write: created if need be; the files of a bundle already there are replaced.
    #[arg(long)]
    out: PathBuf,
    /// Object masks for the images, comma-separated in the images' order (VOC palette or
    /// black-and-white PNGs of each image's size; `-` for an image without one). A page uses
    /// them as the object on the left and the ground truth on the right: segmentation and its IoU
    /// curve work in the bundle's views and embeds.
    #[arg(long, value_delimiter = ',')]
    masks: Vec<PathBuf>,
    /// The images, named in the page by their file names.
    #[arg(required = true)]
    images: Vec<PathBuf>,
}

/// Computes, encodes and writes the bundle; prints its files' sizes and how far the stored
/// maps' cosines are from the exact ones.
pub fn run(args: BakeArgs) -> Result<()> {
    check_size(args.size)?;
    let compute = args.backend.compute()?;
    let weights = load_weights(&args.weights)?;
    let model = BundleModel {
        name: weights.spec.name.clone(),
        network: weights.network_id(),
    };
    let net = ResNet::new(&weights, &compute.device)?;
    drop(weights);
    let encoding = match args.encoding {
        EncodingArg::U8 => Encoding::U8,
        EncodingArg::F16 => Encoding::F16,
    };
    if !args.masks.is_empty() && args.masks.len() != args.images.len() {
        bail!(
            "--masks lists {} masks for {} images (`-` for an image without one)",
            args.masks.len(),
            args.images.len()
        );
    }
    let mut baker = Baker::new(model, args.size, &args.blocks, encoding);
    let blocks = baker.blocks().to_vec();
    let deepest = *blocks.last().context("--blocks names no block")?;
    // Per block, each image's exact and stored maps, for the error report.
    let mut pairs: Vec<Vec<(UnitMap, UnitMap)>> = vec![Vec::new(); blocks.len()];
    for (i, path) in args.images.iter().enumerate() {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let rgb = image_io::decode(&bytes).with_context(|| format!("{}", path.display()))?;
        let f = ImageFeatures::compute(&net, &rgb, args.size, deepest);
        let mut maps = Vec::with_capacity(blocks.len());
        for b in &blocks {
            let map = f.need(*b)?;
            maps.push(pollster::block_on(HostMap::read(map)).map_err(anyhow::Error::msg)?);
        }
        let name = file_name(path)?;
        let mask = match args.masks.get(i).filter(|m| m.as_os_str() != "-") {
            Some(m) => Some(mask_of(m, rgb.dimensions())?),
            None => None,
        };
        baker
            .add(
                &name,
                display_copy(path, &bytes, &rgb)?,
                rgb.dimensions(),
                &maps,
                mask,
            )
            .with_context(|| format!("{}", path.display()))?;
        for ((i, b), map) in blocks.iter().enumerate().zip(&maps) {
            let stored = stored_map(map, encoding)?.upload(&compute.device);
            pairs[i].push((f.need(*b)?.clone(), stored));
        }
        eprintln!("baked {name}");
    }
    let (manifest, files) = baker.finish()?;
    write_bundle(&args.out, &files)?;
    report(&manifest, &files, &blocks, &pairs)
}

/// The map as a reader of the bundle decodes it.
fn stored_map(map: &HostMap, encoding: Encoding) -> Result<HostMap> {
    let bytes = crate::bundle::codec::encode(&map.cells, map.c, encoding)?;
    Ok(HostMap {
        cells: crate::bundle::codec::decode(&bytes, map.h * map.w, map.c, encoding)?,
        ..map.clone()
    })
}

/// A mask's PNG bytes, checked as the page will read them: a label image of the image's size.
fn mask_of(path: &Path, (width, height): (u32, u32)) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let labels =
        crate::masks::read_labels(&bytes).with_context(|| format!("{}", path.display()))?;
    if labels.dimensions() != (width, height) {
        bail!(
            "{} is {}×{}, its image {width}×{height}: a mask must match its image",
            path.display(),
            labels.width(),
            labels.height()
        );
    }
    if image::guess_format(&bytes).ok() != Some(image::ImageFormat::Png) {
        bail!("{}: a bundle's mask is a PNG", path.display());
    }
    Ok(bytes)
}

/// The name the page will show: the file's name.
fn file_name(path: &Path) -> Result<String> {
    Ok(path
        .file_name()
        .and_then(|n| n.to_str())
        .with_context(|| format!("{}: no file name", path.display()))?
        .to_owned())
}

/// The image as the page will show it: the file itself when it is a JPEG or PNG of reasonable
/// size, else a JPEG at most 1024 pixels on its long side.
fn display_copy(
    path: &Path,
    bytes: &[u8],
    rgb: &image::RgbImage,
) -> Result<(&'static str, Vec<u8>)> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let kind = match ext.as_deref() {
        Some("jpg" | "jpeg") => Some("jpg"),
        Some("png") => Some("png"),
        _ => None,
    };
    let (w, h) = rgb.dimensions();
    if let Some(kind) = kind
        && bytes.len() <= DISPLAY_MAX_BYTES
        && w.max(h) <= 2 * DISPLAY_LONG_SIDE
    {
        return Ok((kind, bytes.to_vec()));
    }
    let (dw, dh) = crate::session::geometry::display_dims(w, h, DISPLAY_LONG_SIDE.min(w.max(h)));
    let small = image::imageops::resize(rgb, dw, dh, image::imageops::FilterType::Lanczos3);
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 88)
        .encode_image(&small)
        .context("encoding the display copy")?;
    Ok(("jpg", out))
}

/// Writes the files into `dir` (the manifest last), removing the files of a bundle written
/// there before that this one does not have.
fn write_bundle(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let old = std::fs::read(dir.join(MANIFEST_FILE))
        .ok()
        .and_then(|b| BundleManifest::parse(&b).ok());
    for (name, bytes) in files {
        write_atomically(&dir.join(name), bytes)?;
    }
    if let Some(old) = old {
        let stale = old
            .images
            .iter()
            .flat_map(|i| i.files())
            .filter(|f| !files.iter().any(|(n, _)| *n == f.file));
        for f in stale {
            let _ = std::fs::remove_file(dir.join(&f.file));
        }
    }
    Ok(())
}

/// Prints the bundle's sizes and, per block, the largest difference between a cosine of the
/// stored maps and the exact one over every pair of cells of every pair of images.
fn report(
    manifest: &BundleManifest,
    files: &[(String, Vec<u8>)],
    blocks: &[Block],
    pairs: &[Vec<(UnitMap, UnitMap)>],
) -> Result<()> {
    let total: usize = files.iter().map(|(_, b)| b.len()).sum();
    let features = manifest.feature_bytes();
    println!(
        "bundle: {} images, {} at {}², {} encoding: {:.2} MB in all, features {:.2} MB",
        manifest.images.len(),
        manifest.blocks.join(" + "),
        manifest.size,
        manifest.encoding,
        total as f64 / 1e6,
        features as f64 / 1e6
    );
    for (block, maps) in blocks.iter().zip(pairs) {
        let mut worst = 0.0f32;
        for (ea, sa) in maps {
            for (eb, sb) in maps {
                let exact = ea.cells.clone().matmul(eb.cells.clone().transpose());
                let stored = sa.cells.clone().matmul(sb.cells.clone().transpose());
                let d: Vec<f32> = pollster::block_on(read_vec((exact - stored).abs().max()))
                    .map_err(anyhow::Error::msg)?;
                worst = worst.max(d.first().copied().unwrap_or(f32::NAN));
            }
        }
        println!("{block}: worst cosine error over every pair of cells {worst:.2e}");
        if worst.is_nan() || worst > 1e-2 {
            bail!("{block}: a stored cosine is {worst} away from the exact one (bar 1e-2)");
        }
    }
    Ok(())
}
