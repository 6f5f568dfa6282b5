//! `bundle.json`: what a baked bundle holds, each file with its size and SHA-256.

use super::codec::Encoding;
use crate::digest::{is_sha256, sha256_hex};
use crate::model::Block;
use serde::{Deserialize, Serialize};

/// The manifest's `format` field.
pub const FORMAT: &str = "featsim-bundle/1";

/// The manifest's file name inside a bundle folder.
pub const MANIFEST_FILE: &str = "bundle.json";

/// At most this many images in one bundle.
pub const MAX_IMAGES: usize = 32;

/// The largest display copy a manifest may list (a 40-megapixel BMP is 120 MB; bundles made by
/// `featsim bake` hold JPEGs of a few hundred kB).
pub const MAX_DISPLAY_BYTES: u64 = 150_000_000;

/// The largest mask file a manifest may list.
pub const MAX_MASK_BYTES: u64 = 50_000_000;

/// A bundle's `bundle.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundleManifest {
    /// [`FORMAT`].
    pub format: String,
    /// The network the features were computed with.
    pub model: BundleModel,
    /// The square model input side the features were computed at.
    pub size: u32,
    /// The baked blocks, shallow to deep (`layer3`).
    pub blocks: Vec<String>,
    /// Channels of each baked block, in the same order.
    pub channels: Vec<usize>,
    /// How the feature files store values: `u8` or `f16` ([`Encoding`]).
    pub encoding: String,
    /// The images, in the order a page offers them.
    pub images: Vec<BundleImage>,
}

/// Which network a bundle's features come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundleModel {
    /// Its name, for messages.
    pub name: String,
    /// Its identity whatever file carried it (`Weights::network_id`).
    pub network: String,
}

/// One image of a bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundleImage {
    /// The name the page shows and links use (`left=NAME`).
    pub name: String,
    /// Its display copy (a JPEG or PNG).
    pub image: FileEntry,
    /// Width of the image the features were computed from, in pixels.
    pub width: u32,
    /// Its height.
    pub height: u32,
    /// One feature file per baked block, in the manifest's block order.
    pub features: Vec<FileEntry>,
    /// Its object mask (a VOC palette or black-and-white PNG of the image's size), when baked
    /// with one: the page uses it as the object on the left and as the ground truth on the right.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mask: Option<FileEntry>,
}

impl BundleImage {
    /// Its files: display copy, features in block order, mask.
    pub fn files(&self) -> impl Iterator<Item = &FileEntry> {
        std::iter::once(&self.image)
            .chain(&self.features)
            .chain(&self.mask)
    }
}

/// One file of the bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileEntry {
    /// A plain file name in the bundle's folder.
    pub file: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// Its SHA-256, lowercase hex.
    pub sha256: String,
}

/// Why a bundle, or one of its files, was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BundleError {
    /// The manifest does not parse or describes no valid bundle.
    #[error("not a FeatSim bundle: {0}")]
    Manifest(String),
    /// A file arrived with another length than the manifest's.
    #[error(
        "{file} is {found} bytes, but the bundle's manifest says {expected}: it was cut short or replaced"
    )]
    Size {
        /// The file's name.
        file: String,
        /// The manifest's size.
        expected: u64,
        /// What arrived.
        found: u64,
    },
    /// A file's bytes do not hash to the manifest's SHA-256.
    #[error(
        "{0} does not match its SHA-256 in the bundle's manifest: it is damaged or from another bundle"
    )]
    Sha256(String),
    /// A feature file verified but does not decode to its map.
    #[error("{file}: {reason}")]
    Features {
        /// The file's name.
        file: String,
        /// Why.
        reason: super::codec::CodecError,
    },
}

impl FileEntry {
    /// Checks `bytes` against the entry's size and SHA-256.
    pub fn verify(&self, bytes: &[u8]) -> Result<(), BundleError> {
        if bytes.len() as u64 != self.bytes {
            return Err(BundleError::Size {
                file: self.file.clone(),
                expected: self.bytes,
                found: bytes.len() as u64,
            });
        }
        if sha256_hex(bytes) != self.sha256 {
            return Err(BundleError::Sha256(self.file.clone()));
        }
        Ok(())
    }

    /// The entry for `bytes` stored as `file`.
    pub fn of(file: String, bytes: &[u8]) -> Self {
        FileEntry {
            file,
            bytes: bytes.len() as u64,
            sha256: sha256_hex(bytes),
        }
    }
}

impl BundleManifest {
    /// Parses and checks a manifest (see [`BundleManifest::check`]).
    pub fn parse(bytes: &[u8]) -> Result<Self, BundleError> {
        let m: BundleManifest =
            serde_json::from_slice(bytes).map_err(|e| BundleError::Manifest(e.to_string()))?;
        m.check()?;
        Ok(m)
    }

    /// Checks what the page relies on: the format, a model id, a size the model takes, blocks
    /// shallow to deep with their channels, an encoding, 1–32 images with distinct names, and
    /// every file a distinct plain name with a SHA-256 and a size its content can have.
    pub fn check(&self) -> Result<(), BundleError> {
        let bad = |why: String| Err(BundleError::Manifest(why));
        let cut = |s: &str| s.chars().take(64).collect::<String>();
        if self.format != FORMAT {
            return bad(format!(
                "format '{}', expected '{FORMAT}'",
                cut(&self.format)
            ));
        }
        if !is_name(&self.model.name) || !is_sha256(&self.model.network) {
            return bad("the model needs a name and a 64-digit hex network id".into());
        }
        if !self.size.is_multiple_of(32) || !(64..=2048).contains(&self.size) {
            return bad(format!(
                "input size {} (a multiple of 32 from 64 to 2048)",
                self.size
            ));
        }
        let blocks = self.parsed_blocks()?;
        if self.channels.len() != blocks.len()
            || self.channels.iter().any(|c| !(1..=8192).contains(c))
        {
            return bad("it needs 1 to 8192 channels for each block".into());
        }
        let encoding = self.parsed_encoding()?;
        if self.images.is_empty() || self.images.len() > MAX_IMAGES {
            return bad(format!("it needs 1 to {MAX_IMAGES} images"));
        }
        let mut names = std::collections::HashSet::new();
        let mut files = std::collections::HashSet::new();
        for img in &self.images {
            if !is_name(&img.name) || !names.insert(img.name.as_str()) {
                return bad(format!(
                    "image name '{}' is empty, too long, odd or repeated",
                    cut(&img.name)
                ));
            }
            if img.width == 0 || img.height == 0 || img.width > 65_535 || img.height > 65_535 {
                return bad(format!(
                    "{}: size {}×{}",
                    cut(&img.name),
                    img.width,
                    img.height
                ));
            }
            if img.features.len() != blocks.len() {
                return bad(format!("{}: one feature file per block", cut(&img.name)));
            }
            let limits = std::iter::once(MAX_DISPLAY_BYTES).chain(
                blocks
                    .iter()
                    .zip(&self.channels)
                    .map(|(b, c)| feature_file_limit(*b, self.size, *c, encoding)),
            );
            let limits = limits.chain(img.mask.iter().map(|_| MAX_MASK_BYTES));
            for (entry, limit) in img.files().zip(limits) {
                if !is_file_name(&entry.file) || !files.insert(entry.file.as_str()) {
                    return bad(format!(
                        "file name '{}' is not a plain name in the folder, or is repeated",
                        cut(&entry.file)
                    ));
                }
                if !is_sha256(&entry.sha256) {
                    return bad(format!(
                        "the SHA-256 of {} is not 64 hex digits",
                        entry.file
                    ));
                }
                if entry.bytes == 0 || entry.bytes > limit {
                    return bad(format!(
                        "{} claims {} bytes (at most {limit})",
                        entry.file, entry.bytes
                    ));
                }
            }
        }
        Ok(())
    }

    /// The baked blocks, shallow to deep.
    pub fn parsed_blocks(&self) -> Result<Vec<Block>, BundleError> {
        let blocks: Vec<Block> = self
            .blocks
            .iter()
            .map(|b| b.parse::<Block>().ok())
            .collect::<Option<_>>()
            .ok_or_else(|| BundleError::Manifest("a block is not layer1–layer4".into()))?;
        if blocks.is_empty() || blocks.windows(2).any(|w| w[0] >= w[1]) {
            return Err(BundleError::Manifest(
                "the blocks must be listed once each, shallow to deep".into(),
            ));
        }
        Ok(blocks)
    }

    /// The feature files' encoding.
    pub fn parsed_encoding(&self) -> Result<Encoding, BundleError> {
        Encoding::parse(&self.encoding).ok_or_else(|| {
            BundleError::Manifest(format!(
                "encoding '{}', expected u8 or f16",
                self.encoding.chars().take(16).collect::<String>()
            ))
        })
    }

    /// The image named `name`.
    pub fn image(&self, name: &str) -> Option<&BundleImage> {
        self.images.iter().find(|i| i.name == name)
    }

    /// The feature files' bytes together.
    pub fn feature_bytes(&self) -> u64 {
        self.images
            .iter()
            .flat_map(|i| &i.features)
            .map(|f| f.bytes)
            .sum()
    }

    /// All files' bytes together.
    pub fn total_bytes(&self) -> u64 {
        self.images
            .iter()
            .flat_map(BundleImage::files)
            .map(|f| f.bytes)
            .sum()
    }
}

/// The largest a feature file of this shape can be: zlib never grows data by more than a few
/// bytes per 16 KiB block.
fn feature_file_limit(block: Block, size: u32, channels: usize, encoding: Encoding) -> u64 {
    let g = block.grid(size as usize) as u64;
    let raw = g * g * channels as u64 * if encoding == Encoding::U8 { 1 } else { 2 };
    raw + raw / 1000 + 1024
}

/// A name a person gave: not empty, at most 200 characters, no control characters.
fn is_name(s: &str) -> bool {
    !s.is_empty() && s.chars().count() <= 200 && !s.chars().any(char::is_control)
}

/// A file name that stays in the bundle's folder: letters, digits, `.`, `-`, `_`, no leading dot.
pub fn is_file_name(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('.')
        && s.len() <= 200
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}
