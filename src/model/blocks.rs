//! The streamed layout: a network's trunk stored as parts in the order it runs (stem + layer1,
//! layer2, layer3, layer4), each its own `.bpk` under a content-hashed name, listed with its size
//! and SHA-256 in one small JSON manifest. (The classifier head, which no page reader needs,
//! stays in the split file `X.head.bpk`, so that copying the folder never ships it.) A reader fetches the parts in order and can
//! compute features at every block whose part has arrived (`ResNet::partial`, `ResNet::grow`).
//!
//! Every part after the first names the first part's checksum (`featsim.trunk`), so parts of two
//! conversions never mix, and the manifest's SHA-256 of each whole file refuses a damaged or
//! stale download before a byte of it is parsed.

use super::parts::{Part, Parts};
use super::weights::{Precision, Weights, WeightsError};
use crate::digest::{is_sha256, sha256_hex};
use serde::{Deserialize, Serialize};

/// The manifest's `format` field.
pub const MANIFEST_FORMAT: &str = "featsim-blocks/1";

/// The extension of a manifest file: `resnet50-imagenet.blocks.json`.
pub const MANIFEST_SUFFIX: &str = ".blocks.json";

/// What the streamed layout's manifest says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockManifest {
    /// [`MANIFEST_FORMAT`].
    pub format: String,
    /// The model's name, for messages before any part has arrived.
    pub model: String,
    /// The first part's checksum, which every later part names.
    pub checksum: String,
    /// The network's identity whatever its layout ([`Weights::network_id`]): feature bundles
    /// name it, and the page compares it before it downloads a part.
    pub network: String,
    /// How the kernels are stored: `f32`, `f16` or `int8`.
    pub precision: String,
    /// The parts in the order they are fetched and run.
    pub parts: Vec<PartEntry>,
}

/// One file of the streamed layout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartEntry {
    /// The parts of the network it holds, as stored (`stem,layer1`).
    pub parts: String,
    /// Its file name, beside the manifest.
    pub file: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// The SHA-256 of the whole file, lowercase hex.
    pub sha256: String,
}

/// Why a manifest or one of its parts was refused.
#[derive(Debug, thiserror::Error)]
pub enum BlocksError {
    /// The manifest does not parse or does not describe a streamed ResNet.
    #[error("not a FeatSim block manifest: {0}")]
    Manifest(String),
    /// A part arrived with another length than the manifest's.
    #[error(
        "{file} is {found} bytes, but the manifest says {expected}: it was cut short or replaced"
    )]
    Size {
        /// The part's file name.
        file: String,
        /// The manifest's size.
        expected: u64,
        /// What arrived.
        found: u64,
    },
    /// A part's bytes do not hash to the manifest's SHA-256.
    #[error("{0} does not match its SHA-256 in the manifest: it is damaged or from another build")]
    Sha256(String),
    /// The part hashed right but is not the weights the manifest says.
    #[error("{file}: {reason}")]
    Part {
        /// The part's file name.
        file: String,
        /// Why.
        reason: WeightsError,
    },
}

impl BlockManifest {
    /// Parses and checks a manifest: parts in run order, `stem,layer1` then one stage each, plain
    /// file names, SHA-256s in hex.
    pub fn parse(bytes: &[u8]) -> Result<Self, BlocksError> {
        let m: BlockManifest =
            serde_json::from_slice(bytes).map_err(|e| BlocksError::Manifest(e.to_string()))?;
        let bad = |why: String| Err(BlocksError::Manifest(why));
        if m.format != MANIFEST_FORMAT {
            return bad(format!(
                "format '{}', expected '{MANIFEST_FORMAT}'",
                m.format.chars().take(64).collect::<String>()
            ));
        }
        if !is_sha256(&m.checksum) || !is_sha256(&m.network) {
            return bad("the checksum or the network id is not 64 hex digits".into());
        }
        if !["f16", "int8", "f32"].contains(&m.precision.as_str()) {
            return bad(format!(
                "precision '{}', expected f16, int8 or f32",
                m.precision.chars().take(16).collect::<String>()
            ));
        }
        if m.model.is_empty() || m.model.chars().count() > 200 {
            return bad("the model's name is empty or too long".into());
        }
        let mut groups = Vec::with_capacity(m.parts.len());
        for entry in &m.parts {
            let Some(parts) = Parts::parse(&entry.parts) else {
                return bad(format!(
                    "'{}' is not a list of network parts",
                    entry.parts.chars().take(64).collect::<String>()
                ));
            };
            groups.push(parts);
            if !is_file_name(&entry.file) {
                return bad(format!(
                    "'{}' is not a plain .bpk file name",
                    entry.file.chars().take(64).collect::<String>()
                ));
            }
            if !is_sha256(&entry.sha256) {
                return bad(format!(
                    "the SHA-256 of {} is not 64 hex digits",
                    entry.file
                ));
            }
        }
        if !splits_the_trunk(&groups) {
            return bad(
                "its parts do not split the trunk in run order (the stem and layer1 first, then \
                 the next stages, each block once, no head)"
                    .into(),
            );
        }
        Ok(m)
    }

    /// Total bytes of the parts.
    pub fn total_bytes(&self) -> u64 {
        self.parts.iter().map(|p| p.bytes).sum()
    }

    /// Checks part `index`'s bytes against the manifest and reads them: the weights of exactly
    /// the parts it lists, linked to this manifest's first part. Nothing unverified is returned.
    pub fn open_part(&self, index: usize, bytes: Vec<u8>) -> Result<Weights, BlocksError> {
        let entry = self
            .parts
            .get(index)
            .ok_or_else(|| BlocksError::Manifest(format!("it has no part {index}")))?;
        if bytes.len() as u64 != entry.bytes {
            return Err(BlocksError::Size {
                file: entry.file.clone(),
                expected: entry.bytes,
                found: bytes.len() as u64,
            });
        }
        if sha256_hex(&bytes) != entry.sha256 {
            return Err(BlocksError::Sha256(entry.file.clone()));
        }
        let part_error = |reason| BlocksError::Part {
            file: entry.file.clone(),
            reason,
        };
        let w = Weights::from_bpk(bytes).map_err(part_error)?;
        let linked = if index == 0 {
            w.checksum.as_deref() == Some(self.checksum.as_str()) && w.trunk.is_none()
        } else {
            w.trunk.as_deref() == Some(self.checksum.as_str())
        };
        if !linked {
            let named = w.trunk.as_ref().or(w.checksum.as_ref());
            return Err(part_error(WeightsError::WrongTrunk(
                named
                    .map(|s| s.chars().take(12).collect())
                    .unwrap_or_default(),
            )));
        }
        if Some(w.parts) != Parts::parse(&entry.parts) {
            return Err(part_error(WeightsError::MissingParts {
                found: w.parts,
                needed: Parts::parse(&entry.parts).unwrap_or(w.parts),
                hint: " that the manifest lists",
            }));
        }
        Ok(w)
    }

    /// Reads every part with `read` (given each file name) and joins them into one network.
    pub fn join<E>(
        &self,
        mut read: impl FnMut(&str) -> Result<Vec<u8>, E>,
    ) -> Result<Weights, JoinError<E>> {
        let mut whole: Option<Weights> = None;
        for (i, entry) in self.parts.iter().enumerate() {
            let bytes = read(&entry.file).map_err(JoinError::Read)?;
            let part = self.open_part(i, bytes).map_err(JoinError::Blocks)?;
            match &mut whole {
                None => whole = Some(part),
                Some(w) => w.join(part).map_err(|reason| {
                    JoinError::Blocks(BlocksError::Part {
                        file: entry.file.clone(),
                        reason,
                    })
                })?,
            }
        }
        whole.ok_or_else(|| JoinError::Blocks(BlocksError::Manifest("it lists no parts".into())))
    }
}

/// Why [`BlockManifest::join`] failed: reading a part, or the part itself.
#[derive(Debug, thiserror::Error)]
pub enum JoinError<E> {
    /// The reader failed.
    #[error(transparent)]
    Read(E),
    /// A part was refused.
    #[error(transparent)]
    Blocks(BlocksError),
}

/// One file of a layout: its name and bytes.
pub type PartFile = (String, Vec<u8>);

/// The streamed layout of `weights`: the manifest and each part's `(file name, bytes)`, the
/// names being `{stem}.{parts}.{first 8 hex digits of the SHA-256}.bpk` so that a static host
/// can cache them for ever.
pub fn write_blocks(
    weights: &Weights,
    precision: Precision,
    stem: &str,
) -> Result<(BlockManifest, Vec<PartFile>), WeightsError> {
    let (parts, checksum) = weights.to_bpk_blocks(precision)?;
    let mut entries = Vec::with_capacity(parts.len());
    let mut files = Vec::with_capacity(parts.len());
    for (set, bytes) in parts {
        let sha256 = sha256_hex(&bytes);
        let label = set.iter().map(Part::name).collect::<Vec<_>>().join("-");
        let file = format!("{stem}.{label}.{}.bpk", &sha256[..8]);
        entries.push(PartEntry {
            parts: set.to_stored(),
            file: file.clone(),
            bytes: bytes.len() as u64,
            sha256,
        });
        files.push((file, bytes));
    }
    let manifest = BlockManifest {
        format: MANIFEST_FORMAT.into(),
        model: weights.spec.name.clone(),
        checksum,
        network: stored_network_id(weights, precision)?,
        precision: precision.name().into(),
        parts: entries,
    };
    Ok((manifest, files))
}

/// The id of `weights` as a reader of its `precision` file sees them (kernels rounded as
/// stored): what the page computes with.
fn stored_network_id(weights: &Weights, precision: Precision) -> Result<String, WeightsError> {
    let (trunk, _) = weights.to_bpk_split(precision)?;
    Ok(Weights::from_bpk(trunk)?.network_id())
}

/// Whether `groups`, in order, hold the trunk's parts in the order the network runs them, each
/// once, the first one the stem and at least layer1 (so that it alone yields a block).
fn splits_the_trunk(groups: &[Parts]) -> bool {
    let order: Vec<Part> = groups.iter().flat_map(|g| g.iter()).collect();
    order == Parts::TRUNK.iter().collect::<Vec<_>>()
        && groups.first().is_some_and(|g| g.contains(Part::Layer1))
}

/// A name that stays beside the manifest: no path, no leading dot, `.bpk`.
fn is_file_name(s: &str) -> bool {
    !s.starts_with('.')
        && s.ends_with(".bpk")
        && s.len() <= 200
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Arch, ModelSpec};
    use std::collections::BTreeMap;

    fn layout() -> (Weights, BlockManifest, BTreeMap<String, Vec<u8>>) {
        let spec = ModelSpec::torchvision(Arch::Resnet18, "r18", "test");
        let w = Weights::random_with_head(spec, 7, 10);
        let (m, files) = write_blocks(&w, Precision::F16, "r18").unwrap();
        (w, m, files.into_iter().collect())
    }

    #[test]
    fn the_parts_join_back_to_the_whole_network() {
        let (w, m, files) = layout();
        let parsed = BlockManifest::parse(&serde_json::to_vec(&m).unwrap()).unwrap();
        assert_eq!(parsed, m);
        let names: Vec<&str> = m.parts.iter().map(|p| p.parts.as_str()).collect();
        assert_eq!(names, ["stem,layer1", "layer2", "layer3", "layer4"]);
        assert!(
            m.parts[2].file.starts_with("r18.layer3.") && m.parts[0].file.contains("stem-layer1")
        );
        let joined = m.join(|f| files.get(f).cloned().ok_or("missing")).unwrap();
        assert_eq!(joined.parts, Parts::TRUNK);
        // One network, whichever layout carried it.
        assert_eq!(joined.network_id(), m.network);
        let trunk = Weights::from_bpk(w.to_bpk_split(Precision::F16).unwrap().0).unwrap();
        assert_eq!(trunk.network_id(), m.network);
        assert_ne!(
            w.network_id(),
            m.network,
            "f16 rounding is part of what was stored"
        );
        let whole = Weights::from_bpk(w.to_bpk_split(Precision::F16).unwrap().0).unwrap();
        assert_eq!(joined.tensors.len(), whole.tensors.len());
        for (name, t) in &whole.tensors {
            assert_eq!(joined.tensors[name].data, t.data, "{name}");
        }
    }

    #[test]
    fn a_damaged_short_or_foreign_part_is_refused() {
        let (_, m, files) = layout();
        let l3 = &m.parts[2];
        let mut flipped = files[&l3.file].clone();
        let mid = flipped.len() / 2;
        flipped[mid] ^= 1;
        let err = m.open_part(2, flipped).unwrap_err();
        assert!(matches!(err, BlocksError::Sha256(_)), "{err}");
        let mut short = files[&l3.file].clone();
        short.pop();
        let err = m.open_part(2, short).unwrap_err();
        assert!(err.to_string().contains("cut short"), "{err}");
        // The right bytes in the wrong place: hashed right for no entry.
        assert!(m.open_part(1, files[&l3.file].clone()).is_err());
        // Another conversion's layer3, listed with its own hash: its link names another first part.
        let other = Weights::random(ModelSpec::torchvision(Arch::Resnet18, "r18", "test"), 8);
        let (om, ofiles) = write_blocks(&other, Precision::F16, "r18").unwrap();
        let mut mixed = m.clone();
        mixed.parts[2] = om.parts[2].clone();
        let bytes = ofiles
            .into_iter()
            .find(|(f, _)| *f == om.parts[2].file)
            .unwrap()
            .1;
        let err = mixed.open_part(2, bytes).unwrap_err();
        assert!(
            err.to_string().contains("belongs to another model file"),
            "{err}"
        );
    }

    #[test]
    fn manifests_out_of_order_or_with_paths_are_refused() {
        let (_, m, _) = layout();
        let refused = |edit: &dyn Fn(&mut BlockManifest)| {
            let mut bad = m.clone();
            edit(&mut bad);
            BlockManifest::parse(&serde_json::to_vec(&bad).unwrap())
                .unwrap_err()
                .to_string()
        };
        assert!(refused(&|b| b.parts.swap(1, 2)).contains("run order"));
        assert!(refused(&|b| b.parts[1].file = "../secret.bpk".into()).contains("plain .bpk"));
        assert!(refused(&|b| b.parts[1].file = "https://x/y.bpk".into()).contains("plain .bpk"));
        assert!(refused(&|b| b.parts.truncate(3)).contains("run order"));
        assert!(refused(&|b| b.parts.push(b.parts[3].clone())).contains("run order"));
        assert!(refused(&|b| b.parts[3].parts = "layer4,head".into()).contains("run order"));
        assert!(refused(&|b| b.parts[0].parts = "stem".into()).contains("run order"));
        assert!(refused(&|b| b.parts[1].parts = "layer9".into()).contains("not a list"));
        assert!(refused(&|b| b.format = "featsim-blocks/9".into()).contains("format"));
        assert!(refused(&|b| b.parts[0].sha256 = "xyz".into()).contains("SHA-256"));
        for junk in [&b""[..], b"[]", b"{\"format\":1}", b"\xff\xfe"] {
            assert!(matches!(
                BlockManifest::parse(junk),
                Err(BlocksError::Manifest(_))
            ));
        }
    }

    #[test]
    fn a_whole_trunk_file_or_other_groupings_are_layouts_too() {
        let (w, m, files) = layout();
        // The single trunk file as a one-part layout: how an older single file is served.
        let (trunk, _) = w.to_bpk_split(Precision::F16).unwrap();
        let one = BlockManifest {
            parts: vec![PartEntry {
                parts: Parts::TRUNK.to_stored(),
                file: "r18.bpk".into(),
                bytes: trunk.len() as u64,
                sha256: sha256_hex(&trunk),
            }],
            checksum: Weights::from_bpk(trunk.clone()).unwrap().checksum.unwrap(),
            ..m.clone()
        };
        let parsed = BlockManifest::parse(&serde_json::to_vec(&one).unwrap()).unwrap();
        let joined = parsed.join(|_| Ok::<_, ()>(trunk.clone())).unwrap();
        assert_eq!(joined.parts, Parts::TRUNK);
        // The four parts under another grouping's manifest are refused: each file holds what
        // it holds, whatever the manifest says.
        let mut regrouped = m.clone();
        regrouped.parts[1].parts = "layer2,layer3".into();
        regrouped.parts.remove(2);
        BlockManifest::parse(&serde_json::to_vec(&regrouped).unwrap()).unwrap();
        let err = regrouped
            .join(|f| files.get(f).cloned().ok_or("missing"))
            .unwrap_err();
        assert!(err.to_string().contains("the manifest lists"), "{err}");
    }
}
