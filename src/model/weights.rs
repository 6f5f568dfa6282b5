//! The one place that reads and writes FeatSim weight files (`.bpk`, Burn's burnpack container).
//!
//! A file holds the network's tensors under torchvision's names (plus `.bias` on convs for the Keras
//! layout), a JSON [`ModelSpec`] and a SHA-256, so a truncated or corrupted file is refused before
//! anything is built from it. Format 3 (`featsim-resnet/3`, what [`Weights::to_bpk`] writes) hashes
//! the format string, the spec JSON exactly as stored, the [`Parts`] the file holds (a head file
//! also the checksum of its trunk) and the tensors; format 2 was the same for whole networks,
//! without the parts; format 1 hashed the tensors alone, so its files still load but report
//! [`Integrity::TensorsOnly`].

use super::parts::{Part, Parts};
use super::spec::{Arch, Block, ModelSpec, stage_stride};
use crate::digest::hex;
use burn_pack::{Bytes, DType, Reader, Writer};
use half::f16;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Metadata key of the JSON model spec.
const SPEC_KEY: &str = "featsim.spec";
/// Metadata key of the checksum (see [`hash_description`] and [`hash_tensor`]).
const SHA_KEY: &str = "featsim.sha256";
/// Metadata key naming the FeatSim file version.
const FORMAT_KEY: &str = "featsim.format";
/// Metadata key of the parts a file holds (format 3).
const PARTS_KEY: &str = "featsim.parts";
/// Metadata key, in a head file, of the checksum of the trunk it belongs to (format 3).
const TRUNK_KEY: &str = "featsim.trunk";
/// The version written: its checksum covers this string, the spec JSON, the parts, a head's
/// trunk checksum and the tensors.
const FORMAT: &str = "featsim-resnet/3";
/// Whole networks, checksum over the format string, the spec JSON and the tensors; still read.
const FORMAT_V2: &str = "featsim-resnet/2";
/// The first version, still read: its checksum covers the tensors only.
const FORMAT_V1: &str = "featsim-resnet/1";

/// How much of a loaded file its checksum vouched for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Integrity {
    /// Everything: the tensors, the model description and the format (format 2). Weights built in
    /// memory (imported, random) are `Full` too: nothing of theirs came unchecked from a file.
    Full,
    /// Only the tensors (format 1): the model description (architecture, BatchNorm epsilon,
    /// normalisation, channel order, labels) could have been changed without notice.
    TensorsOnly,
}

/// Why a weights file was refused.
#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    /// Not a burnpack container at all, or its structure is broken.
    #[error("not a FeatSim weights file (.bpk): {0}")]
    NotBurnpack(String),
    /// A burnpack file, but not one written by FeatSim.
    #[error("this .bpk file was not written by `featsim convert` (no featsim-resnet metadata)")]
    NotFeatsim,
    /// A FeatSim file of a version this build does not read (the version, cut to 64 characters).
    #[error(
        "the weights file has format '{0}', which this FeatSim does not read ({FORMAT_V1} to \
         {FORMAT} only): update FeatSim or re-convert the file with `featsim convert`"
    )]
    UnknownFormat(String),
    /// The spec metadata does not parse.
    #[error("the weights file has an unreadable model description: {0}")]
    BadSpec(String),
    /// Stored bytes do not match the checksum.
    #[error("the weights file is corrupted (checksum mismatch): re-download or re-convert it")]
    Checksum,
    /// Tensors the architecture needs are absent.
    #[error("{} tensor(s) missing for {arch}: {}", .names.len(), preview(.names))]
    Missing {
        /// The architecture the file claims.
        arch: Arch,
        /// Missing names.
        names: Vec<String>,
    },
    /// Tensors that the architecture does not have.
    #[error("{} unexpected tensor(s) for {arch}: {}", .names.len(), preview(.names))]
    Unexpected {
        /// The architecture the file claims.
        arch: Arch,
        /// Extra names.
        names: Vec<String>,
    },
    /// A tensor of the wrong shape.
    #[error(
        "tensor '{name}' has shape {found:?}, but {arch} needs {expected:?}: is this the right architecture?"
    )]
    Shape {
        /// The architecture the file claims.
        arch: Arch,
        /// Tensor name.
        name: String,
        /// Shape the architecture needs.
        expected: Vec<usize>,
        /// Shape in the file.
        found: Vec<usize>,
    },
    /// A dtype FeatSim does not store.
    #[error("tensor '{name}' has unsupported dtype {dtype}")]
    Dtype {
        /// Tensor name.
        name: String,
        /// Its dtype.
        dtype: String,
    },
    /// Labels and classifier disagree.
    #[error("{0}")]
    Head(String),
    /// A kernel with a NaN or infinite weight cannot be quantised.
    #[error("tensor '{0}' has a NaN or infinite weight")]
    NonFinite(String),
    /// The file lacks parts the use needs (the model needs the trunk, `classify` the head).
    #[error("the weights file holds only the {found}, not the {needed}{hint}")]
    MissingParts {
        /// What the file holds.
        found: Parts,
        /// What was asked for.
        needed: Parts,
        /// How to get the rest, when known.
        hint: &'static str,
    },
    /// A head or block part that was split from another file, or of another model.
    #[error("this part belongs to another model file (it names trunk {0}…)")]
    WrongTrunk(String),
}

fn preview(names: &[String]) -> String {
    let mut s = names.iter().take(6).cloned().collect::<Vec<_>>().join(", ");
    if names.len() > 6 {
        s.push_str(", …");
    }
    s
}

/// How tensors are stored on disk; the model always computes in f32.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// Half the size: kernels in f16, vectors in f32; every feature vector stays within cosine
    /// 0.999 of f32 (tested).
    F16,
    /// A quarter of the size: kernels in int8 with one f32 scale per output channel (symmetric,
    /// `max |w| / 127`), vectors in f32; dequantised to f32 on load.
    Int8,
    /// Exact.
    F32,
}

impl Precision {
    /// How files and messages name it: `f16`, `int8`, `f32`.
    pub fn name(self) -> &'static str {
        match self {
            Precision::F16 => "f16",
            Precision::Int8 => "int8",
            Precision::F32 => "f32",
        }
    }
}

/// A serialised part of a network: what it holds, and its .bpk bytes.
pub type StoredPart = (Parts, Vec<u8>);

/// Suffix of the tensor holding an int8 kernel's per-output-channel scales.
const SCALE_SUFFIX: &str = ":scale";

/// Symmetric per-row int8: each of `rows` equal rows of `data` gets the scale `max |w| / 127`, so
/// its largest weight is exactly ±127 and every weight is within half a step of its value.
fn quantise_rows(data: &[f32], rows: usize) -> (Vec<i8>, Vec<f32>) {
    let per_row = data.len() / rows.max(1);
    let mut q = Vec::with_capacity(data.len());
    let mut scales = Vec::with_capacity(rows);
    for row in data.chunks(per_row.max(1)) {
        let max = row.iter().fold(0f32, |m, v| m.max(v.abs()));
        let scale = max / 127.0;
        scales.push(scale);
        q.extend(row.iter().map(|v| {
            if scale > 0.0 {
                (v / scale).round().clamp(-127.0, 127.0) as i8
            } else {
                0
            }
        }));
    }
    (q, scales)
}

/// The inverse of [`quantise_rows`]: `q · scale` of each row, in f32.
fn dequantise_rows(q: &[u8], scales: &[f32]) -> Vec<f32> {
    let per_row = q.len() / scales.len().max(1);
    q.chunks(per_row.max(1))
        .zip(scales)
        .flat_map(|(row, &scale)| row.iter().map(move |&b| f32::from(b as i8) * scale))
        .collect()
}

/// A host tensor in f32, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct HostTensor {
    /// Dimensions.
    pub shape: Vec<usize>,
    /// Values, row-major.
    pub data: Vec<f32>,
}

/// The number of elements of a tensor of `shape`; `None` when that overflows `usize` (a
/// crafted file's shape must not wrap around to a small, plausible count).
pub fn element_count(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d))
}

impl HostTensor {
    /// A tensor from its shape and values; the caller guarantees they agree.
    pub fn new(shape: Vec<usize>, data: Vec<f32>) -> Self {
        debug_assert_eq!(shape.iter().product::<usize>(), data.len());
        HostTensor { shape, data }
    }
}

/// A network's spec and tensors, as read from or written to a `.bpk` file.
#[derive(Debug, Clone)]
pub struct Weights {
    /// What network this is and how to feed it.
    pub spec: ModelSpec,
    /// Tensors under their canonical (torchvision-style) names.
    pub tensors: BTreeMap<String, HostTensor>,
    /// What the file's checksum covered; a format-1 file's `spec` is unverified.
    pub integrity: Integrity,
    /// The pieces of the network present.
    pub parts: Parts,
    /// The file's checksum as stored (hex SHA-256); a head file names its trunk's. `None` for
    /// weights built in memory.
    pub checksum: Option<String>,
    /// In a head file, the checksum of the trunk it was split from.
    pub trunk: Option<String>,
    /// How the file stored its kernels (the model computes in f32 whatever it says); `F32` for
    /// weights built in memory.
    pub stored: Precision,
}

impl Weights {
    /// Weights built in memory (an import, a test): [`Integrity::Full`], as nothing of theirs came
    /// unchecked from a file.
    pub fn new(spec: ModelSpec, tensors: BTreeMap<String, HostTensor>) -> Self {
        let parts = whole_network_parts(tensors.contains_key("fc.weight"));
        Weights {
            spec,
            tensors,
            integrity: Integrity::Full,
            stored: Precision::F32,
            parts,
            checksum: None,
            trunk: None,
        }
    }

    /// Checks that the tensors are exactly what `spec.arch`/`spec.layout` need for `parts`.
    pub fn validate(&self) -> Result<(), WeightsError> {
        let shapes: BTreeMap<&str, &[usize]> = self
            .tensors
            .iter()
            .map(|(name, t)| (name.as_str(), t.shape.as_slice()))
            .collect();
        check_parts(&self.spec, &shapes, self.parts)?;
        let classes = self.classes();
        if classes.is_some_and(|c| !self.spec.labels.is_empty() && self.spec.labels.len() != c) {
            return Err(WeightsError::Head(format!(
                "the classifier has {} classes but the file lists {} labels",
                classes.unwrap_or(0),
                self.spec.labels.len()
            )));
        }
        Ok(())
    }

    /// Number of classes of the classifier head, if the file has one.
    pub fn classes(&self) -> Option<usize> {
        self.tensors
            .get("fc.weight")
            .and_then(|t| t.shape.first().copied())
    }

    /// Serialises to burnpack bytes, every part in one file.
    pub fn to_bpk(&self, precision: Precision) -> Result<Vec<u8>, WeightsError> {
        self.validate()?;
        Ok(self.write(precision, self.parts, None)?.0)
    }

    /// Serialises the trunk and, when there is one, the classifier head as two files; the head
    /// names the trunk's checksum so that [`Weights::join_head`] only joins it to that trunk.
    pub fn to_bpk_split(
        &self,
        precision: Precision,
    ) -> Result<(Vec<u8>, Option<Vec<u8>>), WeightsError> {
        self.validate()?;
        self.require_trunk()?;
        let (trunk, sha) = self.write(precision, Parts::TRUNK, None)?;
        let head = if self.parts.contains(Part::Head) {
            Some(self.write(precision, Parts::HEAD, Some(&sha))?.0)
        } else {
            None
        };
        Ok((trunk, head))
    }

    /// Serialises the streamed layout's parts in run order: stem + layer1, layer2, layer3,
    /// layer4 (the head is the split file's, [`Weights::to_bpk_split`]: no page reader needs it).
    /// Each later part names the first one's checksum (returned too), so that [`Weights::join`]
    /// and `ResNet::grow` only join parts of one conversion.
    pub fn to_bpk_blocks(
        &self,
        precision: Precision,
    ) -> Result<(Vec<StoredPart>, String), WeightsError> {
        self.validate()?;
        self.require_trunk()?;
        let first = Parts::of(&[Part::Stem, Part::Layer1]);
        let (bytes, base) = self.write(precision, first, None)?;
        let mut out = vec![(first, bytes)];
        for part in [Part::Layer2, Part::Layer3, Part::Layer4] {
            let parts = Parts::of(&[part]);
            out.push((parts, self.write(precision, parts, Some(&base))?.0));
        }
        Ok((out, base))
    }

    /// The network's identity whatever file layout carries it: hex SHA-256 over the spec JSON
    /// and the trunk's tensors (name, shape and values as loaded, in name order). A single file
    /// and its streamed parts give the same id; feature bundles name the network they were
    /// baked with by it.
    pub fn network_id(&self) -> String {
        let mut h = Sha256::new();
        let spec = serde_json::to_vec(&self.spec).unwrap_or_default();
        h.update((spec.len() as u64).to_le_bytes());
        h.update(&spec);
        for (name, t) in &self.tensors {
            if Part::of_tensor(name) == Some(Part::Head) {
                continue;
            }
            h.update((name.len() as u64).to_le_bytes());
            h.update(name.as_bytes());
            h.update((t.shape.len() as u64).to_le_bytes());
            for d in &t.shape {
                h.update((*d as u64).to_le_bytes());
            }
            let mut buf = Vec::with_capacity(4 * 4096);
            for chunk in t.data.chunks(4096) {
                buf.clear();
                buf.extend(chunk.iter().flat_map(|v| v.to_le_bytes()));
                h.update(&buf);
            }
        }
        hex(&h.finalize())
    }

    /// Refuses weights without the whole trunk (a head file, say), which features need.
    pub fn require_trunk(&self) -> Result<(), WeightsError> {
        if self.parts.includes(Parts::TRUNK) {
            return Ok(());
        }
        Err(WeightsError::MissingParts {
            found: self.parts,
            needed: Parts::TRUNK,
            hint: if self.parts == Parts::HEAD {
                ": this is a classifier head file; open the model file it was split from"
            } else {
                ""
            },
        })
    }

    /// Joins a head file's weights to this trunk: the head must name this file's checksum.
    pub fn join_head(&mut self, head: Weights) -> Result<(), WeightsError> {
        if head.parts != Parts::HEAD {
            return Err(WeightsError::MissingParts {
                found: head.parts,
                needed: Parts::HEAD,
                hint: "",
            });
        }
        self.join(head)
    }

    /// Joins another part split from the same file (a head, a streamed block): it must name
    /// this file's checksum, describe the same model and add only parts this one lacks.
    pub fn join(&mut self, part: Weights) -> Result<(), WeightsError> {
        let named = part.trunk.clone().unwrap_or_default();
        if self.checksum.as_deref() != Some(named.as_str()) || part.spec != self.spec {
            return Err(WeightsError::WrongTrunk(named.chars().take(12).collect()));
        }
        if part.parts.iter().any(|p| self.parts.contains(p)) {
            return Err(WeightsError::Head(format!(
                "the {} part is already there",
                part.parts
            )));
        }
        self.tensors.extend(part.tensors);
        self.parts = self.parts.union(part.parts);
        self.validate()
    }

    /// The tensors of `parts` as burnpack bytes, and the checksum stored in them.
    fn write(
        &self,
        precision: Precision,
        parts: Parts,
        trunk: Option<&str>,
    ) -> Result<(Vec<u8>, String), WeightsError> {
        let spec =
            serde_json::to_string(&self.spec).map_err(|e| WeightsError::BadSpec(e.to_string()))?;
        let stored_parts = parts.to_stored();
        let mut hasher = Sha256::new();
        hash_description(
            &mut hasher,
            &[FORMAT, &spec, &stored_parts, trunk.unwrap_or("")],
        );
        let mut tensors = Vec::with_capacity(self.tensors.len());
        let chosen = self
            .tensors
            .iter()
            .filter(|(name, _)| Part::of_tensor(name).is_some_and(|p| parts.contains(p)));
        for (name, t) in chosen {
            // Vectors (biases, BatchNorm statistics) stay f32 even in an f16 or int8 file: they
            // are 0.2% of the bytes, and a conv bias minus a BN mean of similar size cancels, so
            // rounding each would wreck their small difference.
            let kernel = t.shape.len() > 1;
            let mut push = |name: String, dtype: DType, shape: Vec<usize>, bytes: Vec<u8>| {
                hash_tensor(&mut hasher, &name, &shape, &bytes);
                tensors.push(burn_pack::Tensor::new(
                    name,
                    dtype,
                    shape,
                    None,
                    Bytes::from_bytes_vec(bytes),
                ));
            };
            match precision {
                Precision::F16 if kernel => push(
                    name.clone(),
                    DType::F16,
                    t.shape.clone(),
                    t.data
                        .iter()
                        .flat_map(|v| f16::from_f32(*v).to_le_bytes())
                        .collect(),
                ),
                Precision::Int8 if kernel => {
                    if t.data.iter().any(|v| !v.is_finite()) {
                        return Err(WeightsError::NonFinite(name.clone()));
                    }
                    let (q, scales) = quantise_rows(&t.data, t.shape[0]);
                    push(
                        name.clone(),
                        DType::I8,
                        t.shape.clone(),
                        q.iter().map(|v| *v as u8).collect(),
                    );
                    push(
                        format!("{name}{SCALE_SUFFIX}"),
                        DType::F32,
                        vec![t.shape[0]],
                        scales.iter().flat_map(|v| v.to_le_bytes()).collect(),
                    );
                }
                _ => push(
                    name.clone(),
                    DType::F32,
                    t.shape.clone(),
                    t.data.iter().flat_map(|v| v.to_le_bytes()).collect(),
                ),
            }
        }
        let sha = hex(&hasher.finalize());
        let mut writer = Writer::new(tensors)
            .with_metadata(FORMAT_KEY, FORMAT)
            .with_metadata(SPEC_KEY, &spec)
            .with_metadata(PARTS_KEY, &stored_parts)
            .with_metadata(SHA_KEY, &sha);
        if let Some(trunk) = trunk {
            writer = writer.with_metadata(TRUNK_KEY, trunk);
        }
        let bytes = writer
            .into_bytes()
            .map_err(|e| WeightsError::NotBurnpack(e.to_string()))?;
        Ok((bytes.to_vec(), sha))
    }

    /// Parses burnpack bytes (format 3 or 2, or format 1 with [`Integrity::TensorsOnly`]),
    /// verifying the checksum and the tensor set.
    pub fn from_bpk(bytes: Vec<u8>) -> Result<Self, WeightsError> {
        let reader = Reader::from_bytes(Bytes::from_bytes_vec(bytes))
            .map_err(|e| WeightsError::NotBurnpack(e.to_string()))?;
        let meta = reader.metadata();
        let format = meta
            .get(FORMAT_KEY)
            .ok_or(WeightsError::NotFeatsim)?
            .clone();
        let format = format.as_str();
        let integrity = match format {
            FORMAT | FORMAT_V2 => Integrity::Full,
            FORMAT_V1 => Integrity::TensorsOnly,
            other => {
                return Err(WeightsError::UnknownFormat(
                    other.chars().take(64).collect(),
                ));
            }
        };
        let spec_json = meta
            .get(SPEC_KEY)
            .cloned()
            .ok_or(WeightsError::NotFeatsim)?;
        let sha = meta.get(SHA_KEY).cloned().ok_or(WeightsError::NotFeatsim)?;
        let stored_parts = meta.get(PARTS_KEY).cloned();
        let trunk = meta.get(TRUNK_KEY).cloned();
        let mut hasher = Sha256::new();
        if format == FORMAT {
            let parts = stored_parts.as_deref().ok_or(WeightsError::NotFeatsim)?;
            hash_description(
                &mut hasher,
                &[format, &spec_json, parts, trunk.as_deref().unwrap_or("")],
            );
        } else if integrity == Integrity::Full {
            hash_description(&mut hasher, &[format, &spec_json]);
        }
        let mut tensors = BTreeMap::new();
        let mut int8 = BTreeMap::new();
        let mut stored = Precision::F32;
        for t in reader
            .into_tensors()
            .map_err(|e| WeightsError::NotBurnpack(e.to_string()))?
        {
            let (name, dtype, shape, _, bytes) = t
                .into_parts()
                .map_err(|e| WeightsError::NotBurnpack(e.to_string()))?;
            let shape: Vec<usize> = shape.to_vec();
            let raw: &[u8] = &bytes;
            hash_tensor(&mut hasher, &name, &shape, raw);
            let count = element_count(&shape);
            if shape.len() > 1 {
                stored = match dtype {
                    DType::F16 => Precision::F16,
                    DType::I8 => Precision::Int8,
                    _ => stored,
                };
            }
            let data: Vec<f32> = match dtype {
                DType::F32 => raw
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
                DType::F16 => raw
                    .chunks_exact(2)
                    .map(|c| f16::from_le_bytes([c[0], c[1]]).to_f32())
                    .collect(),
                // Dequantised once every scale has been read (they may come in any order).
                DType::I8 if shape.len() > 1 => {
                    if count != Some(raw.len()) {
                        return Err(WeightsError::NotBurnpack(format!(
                            "tensor '{name}' is truncated"
                        )));
                    }
                    int8.insert(name, (shape, raw.to_vec()));
                    continue;
                }
                other => {
                    return Err(WeightsError::Dtype {
                        name,
                        dtype: format!("{other:?}"),
                    });
                }
            };
            if count != Some(data.len()) {
                return Err(WeightsError::NotBurnpack(format!(
                    "tensor '{name}' is truncated"
                )));
            }
            tensors.insert(name, HostTensor { shape, data });
        }
        if hex(&hasher.finalize()) != sha {
            return Err(WeightsError::Checksum);
        }
        // Dequantised only now, so that a damaged file reads as the corruption it is.
        for (name, (shape, q)) in int8 {
            let scales = tensors
                .remove(&format!("{name}{SCALE_SUFFIX}"))
                .filter(|s| s.shape == [shape[0]])
                .ok_or_else(|| {
                    WeightsError::NotBurnpack(format!(
                        "int8 tensor '{name}' has no scale of shape [{}]",
                        shape[0]
                    ))
                })?;
            let data = dequantise_rows(&q, &scales.data);
            tensors.insert(name, HostTensor { shape, data });
        }
        // Parsed only now, so that a damaged format-2 description reads as the corruption it is.
        let spec: ModelSpec =
            serde_json::from_str(&spec_json).map_err(|e| WeightsError::BadSpec(e.to_string()))?;
        let parts = match &stored_parts {
            Some(s) if format == FORMAT => Parts::parse(s).ok_or_else(|| {
                WeightsError::NotBurnpack(format!(
                    "unknown parts '{}'",
                    s.chars().take(64).collect::<String>()
                ))
            })?,
            _ => whole_network_parts(tensors.contains_key("fc.weight")),
        };
        let weights = Weights {
            spec,
            tensors,
            integrity,
            stored,
            parts,
            checksum: Some(sha),
            trunk,
        };
        weights.validate()?;
        Ok(weights)
    }
}

/// The parts of a whole network (formats 1 and 2, weights built in memory): the trunk, and the
/// head when it has an `fc.weight`.
fn whole_network_parts(has_head: bool) -> Parts {
    if has_head { Parts::ALL } else { Parts::TRUNK }
}

/// The checksum starts with the description fields as stored (format, spec JSON not as
/// re-serialised so that any changed byte counts, and in format 3 the parts and a head's trunk
/// checksum), each length-prefixed like the tensors so that no two different splits of the same
/// bytes hash alike.
fn hash_description(hasher: &mut Sha256, fields: &[&str]) {
    for field in fields {
        hasher.update((field.len() as u64).to_le_bytes());
        hasher.update(field.as_bytes());
    }
}

/// One tensor's part of the checksum (both formats): its name, shape and stored bytes.
fn hash_tensor(hasher: &mut Sha256, name: &str, shape: &[usize], bytes: &[u8]) {
    hasher.update((name.len() as u64).to_le_bytes());
    hasher.update(name.as_bytes());
    for d in shape {
        hasher.update((*d as u64).to_le_bytes());
    }
    hasher.update((bytes.len() as u64).to_le_bytes());
    hasher.update(bytes);
}

impl Weights {
    /// Seeded random weights for `spec` (He-uniform kernels, identity BatchNorm): for timing a
    /// network where its weights file cannot travel. Features from it mean nothing.
    pub fn random(spec: ModelSpec, seed: u64) -> Self {
        Self::random_with(spec, seed, None)
    }

    /// [`Weights::random`] with a classifier head of `classes` classes (zero biases).
    pub fn random_with_head(spec: ModelSpec, seed: u64, classes: usize) -> Self {
        Self::random_with(spec, seed, Some(classes))
    }

    fn random_with(spec: ModelSpec, seed: u64, classes: Option<usize>) -> Self {
        let mut state = seed | 1;
        let mut uniform = move || {
            // xorshift64*: fast and good enough to fill kernels.
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 40) as f32 / (1u64 << 24) as f32
        };
        let tensors = expected_tensors(&spec, classes)
            .into_iter()
            .map(|(name, shape)| {
                let n: usize = shape.iter().product();
                let data = if shape.len() > 1 {
                    let fan_in: usize = shape[1..].iter().product();
                    let a = (6.0 / fan_in as f32).sqrt();
                    (0..n).map(|_| (uniform() * 2.0 - 1.0) * a).collect()
                } else {
                    // Rank 1: BatchNorm scale and variance 1, shifts and means 0.
                    let one = name.ends_with(".weight") || name.ends_with("running_var");
                    vec![if one { 1.0 } else { 0.0 }; n]
                };
                (name, HostTensor::new(shape, data))
            })
            .collect();
        Weights::new(spec, tensors)
    }
}

/// Checks tensor names and shapes alone (e.g. a file's header, before any data is converted)
/// against what a whole network of `spec` needs: every tensor present with its shape, none
/// besides. An `fc.weight` adds the classifier head, with as many classes as its first dimension
/// says.
pub fn check_layout(
    spec: &ModelSpec,
    shapes: &BTreeMap<&str, &[usize]>,
) -> Result<(), WeightsError> {
    check_parts(
        spec,
        shapes,
        whole_network_parts(shapes.contains_key("fc.weight")),
    )
}

/// [`check_layout`] for the tensors of `parts` only (a head part must have its `fc.weight`).
pub fn check_parts(
    spec: &ModelSpec,
    shapes: &BTreeMap<&str, &[usize]>,
    parts: Parts,
) -> Result<(), WeightsError> {
    let arch = spec.arch;
    // A head part without its weight still expects one, so that it is reported missing.
    let classes = match shapes.get("fc.weight").and_then(|s| s.first().copied()) {
        None if parts.contains(Part::Head) => Some(0),
        c => c,
    };
    let expected: Vec<_> = expected_tensors(spec, classes)
        .into_iter()
        .filter(|(name, _)| Part::of_tensor(name).is_some_and(|p| parts.contains(p)))
        .collect();
    let mut missing = Vec::new();
    for (name, shape) in &expected {
        match shapes.get(name.as_str()) {
            None => missing.push(name.clone()),
            Some(found) if *found != shape.as_slice() => {
                return Err(WeightsError::Shape {
                    arch,
                    name: name.clone(),
                    expected: shape.clone(),
                    found: found.to_vec(),
                });
            }
            Some(_) => {}
        }
    }
    if !missing.is_empty() {
        return Err(WeightsError::Missing {
            arch,
            names: missing,
        });
    }
    let known: std::collections::BTreeSet<&str> =
        expected.iter().map(|(n, _)| n.as_str()).collect();
    let extra: Vec<String> = shapes
        .keys()
        .filter(|k| !known.contains(*k))
        .map(|k| k.to_string())
        .collect();
    if !extra.is_empty() {
        return Err(WeightsError::Unexpected { arch, names: extra });
    }
    Ok(())
}

/// Names and shapes of the tensors a network with this spec has; `classes` adds the fc head.
pub fn expected_tensors(spec: &ModelSpec, classes: Option<usize>) -> Vec<(String, Vec<usize>)> {
    let arch = spec.arch;
    let bias = spec.layout.conv_bias();
    let mut out = Vec::new();
    let conv = |out: &mut Vec<(String, Vec<usize>)>, name: &str, o: usize, i: usize, k: usize| {
        out.push((format!("{name}.weight"), vec![o, i, k, k]));
        if bias {
            out.push((format!("{name}.bias"), vec![o]));
        }
    };
    let bn = |out: &mut Vec<(String, Vec<usize>)>, name: &str, c: usize| {
        for p in ["weight", "bias", "running_mean", "running_var"] {
            out.push((format!("{name}.{p}"), vec![c]));
        }
    };
    conv(&mut out, "conv1", 64, 3, 7);
    bn(&mut out, "bn1", 64);
    let mut in_ch = 64;
    for (stage, &n) in arch.stage_blocks().iter().enumerate() {
        let width = 64 << stage;
        let out_ch = width * arch.expansion();
        for i in 0..n {
            let p = format!("layer{}.{i}", stage + 1);
            if arch.bottleneck() {
                conv(&mut out, &format!("{p}.conv1"), width, in_ch, 1);
                bn(&mut out, &format!("{p}.bn1"), width);
                conv(&mut out, &format!("{p}.conv2"), width, width, 3);
                bn(&mut out, &format!("{p}.bn2"), width);
                conv(&mut out, &format!("{p}.conv3"), out_ch, width, 1);
                bn(&mut out, &format!("{p}.bn3"), out_ch);
            } else {
                conv(&mut out, &format!("{p}.conv1"), width, in_ch, 3);
                bn(&mut out, &format!("{p}.bn1"), width);
                conv(&mut out, &format!("{p}.conv2"), width, width, 3);
                bn(&mut out, &format!("{p}.bn2"), width);
            }
            if i == 0 && (stage_stride(stage) != 1 || in_ch != out_ch) {
                conv(&mut out, &format!("{p}.downsample.0"), out_ch, in_ch, 1);
                bn(&mut out, &format!("{p}.downsample.1"), out_ch);
            }
            in_ch = out_ch;
        }
    }
    if let Some(c) = classes {
        out.push((
            "fc.weight".into(),
            vec![c, arch.stage_channels(Block::Layer4)],
        ));
        out.push(("fc.bias".into(), vec![c]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::spec::{Layout, ModelSpec};

    fn random_weights(arch: Arch, classes: Option<usize>) -> Weights {
        let spec = ModelSpec::torchvision(arch, "test", "unit test");
        let mut seed = 1u32;
        let tensors = expected_tensors(&spec, classes)
            .into_iter()
            .map(|(name, shape)| {
                let n = shape.iter().product();
                let data = (0..n)
                    .map(|_| {
                        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                        (seed >> 8) as f32 / (1 << 24) as f32 - 0.5
                    })
                    .collect();
                (name, HostTensor::new(shape, data))
            })
            .collect();
        Weights::new(spec, tensors)
    }

    #[test]
    fn resnet50_has_the_torchvision_tensor_count() {
        let spec = ModelSpec::torchvision(Arch::Resnet50, "x", "y");
        // torchvision's resnet50 state dict: 267 float tensors besides num_batches_tracked.
        assert_eq!(expected_tensors(&spec, Some(1000)).len(), 267);
        // The Keras file adds a bias to each of the 53 convs.
        let keras = ModelSpec {
            layout: Layout::Keras,
            ..spec.clone()
        };
        assert_eq!(expected_tensors(&keras, Some(1000)).len(), 320);
        let spec18 = ModelSpec::torchvision(Arch::Resnet18, "x", "y");
        assert_eq!(expected_tensors(&spec18, Some(1000)).len(), 102);
    }

    #[test]
    fn round_trip_f32_is_exact_and_f16_is_close() {
        let w = random_weights(Arch::Resnet18, Some(10));
        let back = Weights::from_bpk(w.to_bpk(Precision::F32).unwrap()).unwrap();
        assert_eq!(back.spec, w.spec);
        assert_eq!(back.tensors, w.tensors);
        assert_eq!(back.integrity, Integrity::Full);
        let half = Weights::from_bpk(w.to_bpk(Precision::F16).unwrap()).unwrap();
        for (name, t) in &w.tensors {
            let h = &half.tensors[name];
            for (a, b) in t.data.iter().zip(&h.data) {
                assert!(
                    (a - b).abs() <= 1e-3 * a.abs().max(1e-2),
                    "{name}: {a} vs {b}"
                );
            }
        }
    }

    #[test]
    fn int8_round_trip_is_within_half_a_step_per_output_channel() {
        let w = random_weights(Arch::Resnet18, Some(10));
        let f32_size = w.to_bpk(Precision::F32).unwrap().len();
        let bytes = w.to_bpk(Precision::Int8).unwrap();
        assert!(bytes.len() * 3 < f32_size, "{} vs {f32_size}", bytes.len());
        let back = Weights::from_bpk(bytes).unwrap();
        assert_eq!(back.spec, w.spec);
        assert_eq!(
            back.tensors.keys().collect::<Vec<_>>(),
            w.tensors.keys().collect::<Vec<_>>(),
            "scales are folded back into their kernels"
        );
        for (name, t) in &w.tensors {
            let q = &back.tensors[name];
            assert_eq!(q.shape, t.shape);
            if t.shape.len() == 1 {
                assert_eq!(q.data, t.data, "{name}: vectors stay exact");
                continue;
            }
            let per_row = t.data.len() / t.shape[0];
            for (a, b) in t.data.chunks(per_row).zip(q.data.chunks(per_row)) {
                let max = a.iter().fold(0f32, |m, v| m.max(v.abs()));
                let step = max / 127.0;
                // The row's largest weight is exactly representable; the rest within half a step.
                assert!(
                    b.iter().any(|v| (v.abs() - max).abs() <= 1e-6 * max),
                    "{name}"
                );
                for (x, y) in a.iter().zip(b) {
                    // Half a step, give or take the f32 rounding of the division.
                    assert!((x - y).abs() <= 0.5 * step * 1.001, "{name}: {x} vs {y}");
                }
            }
        }
    }

    #[test]
    fn int8_kernels_need_their_scales_and_finite_weights() {
        // Rows [0 0 1], [-0.5 0.25 0] and an all-zero row (scale 0, no division by it).
        let q = quantise_rows(&[0.0, 0.0, 1.0, -0.5, 0.25, 0.0, 0.0, 0.0, 0.0], 3);
        assert_eq!(
            q,
            (
                vec![0, 0, 127, -127, 64, 0, 0, 0, 0],
                vec![1.0 / 127.0, 0.5 / 127.0, 0.0]
            )
        );
        let back = dequantise_rows(&q.0.iter().map(|v| *v as u8).collect::<Vec<_>>(), &q.1);
        assert_eq!(back[3..], [-0.5, 64.0 * 0.5 / 127.0, 0.0, 0.0, 0.0, 0.0]);
        let mut w = random_weights(Arch::Resnet18, None);
        w.tensors.get_mut("layer1.0.conv1.weight").unwrap().data[7] = f32::NAN;
        let err = w.to_bpk(Precision::Int8).unwrap_err();
        assert!(err.to_string().contains("layer1.0.conv1.weight"), "{err}");
        // A file whose int8 kernel lost its scale is refused by name, not read as zeros.
        let w = random_weights(Arch::Resnet18, None);
        let mut hasher = Sha256::new();
        let tensors = w
            .tensors
            .iter()
            .map(|(name, t)| {
                let (dtype, bytes) = if name == "conv1.weight" {
                    (DType::I8, vec![1u8; t.data.len()])
                } else {
                    (
                        DType::F32,
                        t.data.iter().flat_map(|v| v.to_le_bytes()).collect(),
                    )
                };
                hash_tensor(&mut hasher, name, &t.shape, &bytes);
                burn_pack::Tensor::new(
                    name.clone(),
                    dtype,
                    t.shape.clone(),
                    None,
                    Bytes::from_bytes_vec(bytes),
                )
            })
            .collect();
        let bytes = Writer::new(tensors)
            .with_metadata(FORMAT_KEY, FORMAT_V1)
            .with_metadata(SPEC_KEY, &serde_json::to_string(&w.spec).unwrap())
            .with_metadata(SHA_KEY, &hex(&hasher.finalize()))
            .into_bytes()
            .unwrap()
            .to_vec();
        let err = Weights::from_bpk(bytes).unwrap_err();
        assert!(
            err.to_string().contains("'conv1.weight' has no scale"),
            "{err}"
        );
    }

    #[test]
    fn a_split_head_joins_back_to_its_own_trunk_only() {
        let w = random_weights(Arch::Resnet18, Some(10));
        assert_eq!(w.parts, Parts::ALL);
        let (trunk, head) = w.to_bpk_split(Precision::F32).unwrap();
        let head = head.expect("the weights have a head");
        let mut t = Weights::from_bpk(trunk.clone()).unwrap();
        let h = Weights::from_bpk(head.clone()).unwrap();
        assert_eq!((t.parts, h.parts), (Parts::TRUNK, Parts::HEAD));
        assert_eq!(t.classes(), None);
        assert_eq!(h.trunk, t.checksum);
        assert!(h.tensors.keys().all(|k| k.starts_with("fc.")));
        t.join_head(h.clone()).unwrap();
        assert_eq!((t.parts, &t.tensors), (Parts::ALL, &w.tensors));
        // Another trunk of the same spec does not take this head; a trunk is not a head.
        let mut other = random_weights(Arch::Resnet18, None);
        other.tensors.get_mut("layer1.0.conv1.weight").unwrap().data[0] += 0.25;
        assert_eq!(other.spec, w.spec);
        let mut o = Weights::from_bpk(other.to_bpk_split(Precision::F32).unwrap().0).unwrap();
        let err = o.join_head(h).unwrap_err();
        assert!(matches!(err, WeightsError::WrongTrunk(_)), "{err}");
        let mut t2 = Weights::from_bpk(trunk.clone()).unwrap();
        let not_head = Weights::from_bpk(trunk.clone()).unwrap();
        assert!(matches!(
            t2.join_head(not_head),
            Err(WeightsError::MissingParts { .. })
        ));
        // The parts and the trunk link are covered by the checksum.
        let mut relabelled = trunk;
        let at = relabelled.windows(6).rposition(|w| w == b"layer4").unwrap();
        relabelled[at + 5] = b'3';
        assert!(matches!(
            Weights::from_bpk(relabelled),
            Err(WeightsError::Checksum)
        ));
        let mut relinked = head;
        let link = t.checksum.clone().unwrap();
        let at = relinked
            .windows(link.len())
            .position(|w| w == link.as_bytes())
            .unwrap();
        relinked[at] = if relinked[at] == b'0' { b'1' } else { b'0' };
        assert!(matches!(
            Weights::from_bpk(relinked),
            Err(WeightsError::Checksum)
        ));
        // A trunk-only network has no head to split off.
        let (_, none) = other.to_bpk_split(Precision::F16).unwrap();
        assert!(none.is_none());
    }

    #[test]
    fn truncated_and_flipped_files_are_refused_without_panic() {
        let w = random_weights(Arch::Resnet18, None);
        for tenth in 0..10 {
            let int8 = w.to_bpk(Precision::Int8).unwrap();
            let cut = int8.len() * tenth / 10;
            assert!(Weights::from_bpk(int8[..cut].to_vec()).is_err());
        }
        let bytes = w.to_bpk(Precision::F16).unwrap();
        for tenth in 0..10 {
            let cut = bytes.len() * tenth / 10;
            let err = Weights::from_bpk(bytes[..cut].to_vec()).unwrap_err();
            assert!(!err.to_string().is_empty());
        }
        // A flipped byte inside the tensor data must trip the checksum.
        let mut flipped = bytes.clone();
        let at = bytes.len() - 1000;
        flipped[at] ^= 0x40;
        assert!(matches!(
            Weights::from_bpk(flipped),
            Err(WeightsError::Checksum)
        ));
        assert!(matches!(
            Weights::from_bpk(b"definitely not weights".to_vec()),
            Err(WeightsError::NotBurnpack(_))
        ));
    }

    /// `w` written the way format 1 was: the same burnpack keys, `format` as its version and the
    /// checksum over the tensors alone.
    fn tensors_only_bpk(w: &Weights, format: &str) -> Vec<u8> {
        let mut hasher = Sha256::new();
        let tensors = w
            .tensors
            .iter()
            .map(|(name, t)| {
                let bytes: Vec<u8> = t.data.iter().flat_map(|v| v.to_le_bytes()).collect();
                hash_tensor(&mut hasher, name, &t.shape, &bytes);
                burn_pack::Tensor::new(
                    name.clone(),
                    DType::F32,
                    t.shape.clone(),
                    None,
                    Bytes::from_bytes_vec(bytes),
                )
            })
            .collect();
        Writer::new(tensors)
            .with_metadata(FORMAT_KEY, format)
            .with_metadata(SPEC_KEY, &serde_json::to_string(&w.spec).unwrap())
            .with_metadata(SHA_KEY, &hex(&hasher.finalize()))
            .into_bytes()
            .unwrap()
            .to_vec()
    }

    /// Changes one digit of the stored BatchNorm epsilon in place, as a careless edit or a bad
    /// disk would; the spec JSON is stored verbatim in the burnpack metadata.
    fn change_bn_eps_digit(bytes: &mut [u8]) {
        let key = b"\"bn_eps\":";
        let at = bytes
            .windows(key.len())
            .position(|w| w == key)
            .expect("the spec JSON is in the file")
            + key.len();
        assert!(bytes[at].is_ascii_digit(), "{}", bytes[at] as char);
        bytes[at] = b'0' + (bytes[at] - b'0' + 1) % 10;
    }

    /// Overwrites the stored format string in place (same length).
    fn set_format(bytes: &mut [u8], from: &str, to: &str) {
        assert_eq!(from.len(), to.len());
        let at = bytes
            .windows(from.len())
            .position(|w| w == from.as_bytes())
            .expect("the format is in the file");
        bytes[at..at + to.len()].copy_from_slice(to.as_bytes());
    }

    #[test]
    fn a_changed_digit_of_the_description_trips_the_checksum() {
        let w = random_weights(Arch::Resnet18, Some(10));
        let good = w.to_bpk(Precision::F16).unwrap();
        let meta = Reader::from_bytes(Bytes::from_bytes_vec(good.clone()))
            .unwrap()
            .metadata()
            .clone();
        assert_eq!(meta[FORMAT_KEY], "featsim-resnet/3");
        assert_eq!(
            Weights::from_bpk(good.clone()).unwrap().integrity,
            Integrity::Full
        );
        let mut edited = good.clone();
        change_bn_eps_digit(&mut edited);
        let err = Weights::from_bpk(edited).unwrap_err();
        assert!(matches!(err, WeightsError::Checksum), "{err}");
        assert!(err.to_string().contains("checksum mismatch"), "{err}");
        // The format string is covered too: relabelling the file as format 1, whose checksum skips
        // the description, is caught.
        let mut relabelled = good;
        set_format(&mut relabelled, FORMAT, FORMAT_V1);
        assert!(matches!(
            Weights::from_bpk(relabelled),
            Err(WeightsError::Checksum)
        ));
    }

    #[test]
    fn format_1_files_still_load_but_their_description_is_unverified() {
        let w = random_weights(Arch::Resnet18, Some(10));
        let old = tensors_only_bpk(&w, "featsim-resnet/1");
        let back = Weights::from_bpk(old.clone()).unwrap();
        assert_eq!(back.integrity, Integrity::TensorsOnly);
        assert_eq!((&back.spec, &back.tensors), (&w.spec, &w.tensors));
        // Why format 2 exists: an edited epsilon loads without a word.
        let mut edited = old;
        change_bn_eps_digit(&mut edited);
        let back = Weights::from_bpk(edited).unwrap();
        assert_eq!(back.integrity, Integrity::TensorsOnly);
        assert_ne!(back.spec.bn_eps, w.spec.bn_eps);
        // Its tensors are still checked.
        let mut flipped = tensors_only_bpk(&w, FORMAT_V1);
        let at = flipped.len() - 1000;
        flipped[at] ^= 0x40;
        assert!(matches!(
            Weights::from_bpk(flipped),
            Err(WeightsError::Checksum)
        ));
    }

    #[test]
    fn an_unknown_format_is_refused_by_its_version() {
        let w = random_weights(Arch::Resnet18, None);
        let err = Weights::from_bpk(tensors_only_bpk(&w, "featsim-resnet/4")).unwrap_err();
        assert!(matches!(err, WeightsError::UnknownFormat(_)), "{err}");
        let msg = err.to_string();
        assert!(
            msg.contains("'featsim-resnet/4'") && msg.contains("featsim convert"),
            "{msg}"
        );
        // A crafted, huge version string is cut, not echoed whole.
        let long = "x".repeat(10_000);
        let msg = Weights::from_bpk(tensors_only_bpk(&w, &long))
            .unwrap_err()
            .to_string();
        assert!(msg.len() < 400, "{msg}");
    }

    #[test]
    fn a_rank_0_head_is_refused_not_indexed() {
        // The 772-byte safetensors of issue #15: `fc.weight` of rank 0 made `classes()` panic.
        let mut w = random_weights(Arch::Resnet18, Some(10));
        w.tensors
            .insert("fc.weight".into(), HostTensor::new(vec![], vec![0.5]));
        assert_eq!(w.classes(), None);
        let err = w.validate().unwrap_err();
        assert!(err.to_string().contains("fc.weight"), "{err}");
    }

    #[test]
    fn element_counts_never_wrap() {
        assert_eq!(element_count(&[]), Some(1));
        assert_eq!(element_count(&[3, 0, 5]), Some(0));
        assert_eq!(element_count(&[64, 3, 7, 7]), Some(9408));
        assert_eq!(element_count(&[1 << 32, 1 << 32]), None);
        assert_eq!(element_count(&[usize::MAX, 2]), None);
    }

    #[test]
    fn wrong_architecture_is_named() {
        let mut w = random_weights(Arch::Resnet18, None);
        w.spec.arch = Arch::Resnet34;
        let err = w.validate().unwrap_err();
        assert!(matches!(err, WeightsError::Missing { .. }), "{err}");
        let mut w = random_weights(Arch::Resnet18, None);
        w.spec.layout = Layout::Keras;
        assert!(matches!(w.validate(), Err(WeightsError::Missing { .. })));
        let mut w = random_weights(Arch::Resnet18, None);
        w.tensors.get_mut("layer2.0.conv1.weight").unwrap().shape = vec![1, 2, 3, 3];
        assert!(matches!(w.validate(), Err(WeightsError::Shape { .. })));
    }
}
