//! The tool's files: weights and images in, `.npy` arrays out, each error naming its path.

use crate::image_io;
use crate::model::Weights;
use crate::model::blocks::{BlockManifest, JoinError, MANIFEST_SUFFIX};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// Reads and verifies a .bpk file, or a streamed layout's `X.blocks.json` with its parts
/// (joined into one network).
pub fn load_weights(path: &Path) -> Result<Weights> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if path.to_string_lossy().ends_with(MANIFEST_SUFFIX) {
        let dir = path.parent().unwrap_or(Path::new("."));
        let manifest =
            BlockManifest::parse(&bytes).with_context(|| format!("{}", path.display()))?;
        return manifest
            .join(|file| {
                let p = dir.join(file);
                std::fs::read(&p).with_context(|| format!("cannot read {}", p.display()))
            })
            .map_err(|e| match e {
                JoinError::Read(e) => e,
                JoinError::Blocks(e) => anyhow::Error::new(e),
            })
            .with_context(|| format!("{}", path.display()));
    }
    Weights::from_bpk(bytes).with_context(|| format!("{}", path.display()))
}

/// Where the classifier head split from the trunk file `trunk` lives: `X.bpk` → `X.head.bpk`.
pub fn head_path(trunk: &Path) -> PathBuf {
    trunk.with_extension("head.bpk")
}

/// Reads and decodes an image file.
pub fn load_image(path: &Path) -> Result<image::RgbImage> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    image_io::decode(&bytes).with_context(|| format!("{}", path.display()))
}

/// Writes `data` as a `.npy` array of `shape` (row-major).
pub fn write_npy<T: npyz::AutoSerialize + Copy>(
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

/// Writes then renames, so an interrupted run never leaves a half file under the final name.
/// The process id keeps two concurrent runs writing the same file from sharing a temp file.
pub fn write_atomically(out: &Path, bytes: &[u8]) -> Result<()> {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = out.with_file_name(format!(".{name}.{}.partial", std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, out)
        .with_context(|| format!("cannot rename {} to {}", tmp.display(), out.display()))
}
