//! The one place that reads and writes FeatSim weight files (`.bpk`, Burn's burnpack container).
//!
//! A file holds the network's tensors under torchvision's names (plus `.bias` on convs for the Keras
//! layout), a JSON [`ModelSpec`] and a SHA-256, so a truncated or corrupted file is refused before
//! anything is built from it. Format 2 (`featsim-resnet/2`, what [`Weights::to_bpk`] writes) hashes
//! the format string, the spec JSON exactly as stored and the tensors; format 1 hashed the tensors
//! alone, so its files still load but report [`Integrity::TensorsOnly`].

use super::spec::{Arch, Block, ModelSpec, stage_stride};
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
/// The version written: its checksum covers this string, the spec JSON and the tensors.
const FORMAT: &str = "featsim-resnet/2";
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
        "the weights file has format '{0}', which this FeatSim does not read ({FORMAT_V1} and \
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
    /// Exact.
    F32,
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
}

impl Weights {
    /// Weights built in memory (an import, a test): [`Integrity::Full`], as nothing of theirs came
    /// unchecked from a file.
    pub fn new(spec: ModelSpec, tensors: BTreeMap<String, HostTensor>) -> Self {
        Weights {
            spec,
            tensors,
            integrity: Integrity::Full,
        }
    }

    /// Checks that the tensors are exactly what `spec.arch`/`spec.layout` need.
    pub fn validate(&self) -> Result<(), WeightsError> {
        let shapes: BTreeMap<&str, &[usize]> = self
            .tensors
            .iter()
            .map(|(name, t)| (name.as_str(), t.shape.as_slice()))
            .collect();
        check_layout(&self.spec, &shapes)?;
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

    /// Serialises to burnpack bytes.
    pub fn to_bpk(&self, precision: Precision) -> Result<Vec<u8>, WeightsError> {
        self.validate()?;
        let spec =
            serde_json::to_string(&self.spec).map_err(|e| WeightsError::BadSpec(e.to_string()))?;
        let mut hasher = Sha256::new();
        hash_description(&mut hasher, FORMAT, &spec);
        let mut tensors = Vec::with_capacity(self.tensors.len());
        for (name, t) in &self.tensors {
            // Vectors (biases, BatchNorm statistics) stay f32 even in an f16 file: they are 0.2% of
            // the bytes, and a conv bias minus a BN mean of similar size cancels, so rounding each
            // to f16 would wreck their small difference.
            let half = precision == Precision::F16 && t.shape.len() > 1;
            let (dtype, bytes): (DType, Vec<u8>) = if half {
                (
                    DType::F16,
                    t.data
                        .iter()
                        .flat_map(|v| f16::from_f32(*v).to_le_bytes())
                        .collect(),
                )
            } else {
                (
                    DType::F32,
                    t.data.iter().flat_map(|v| v.to_le_bytes()).collect(),
                )
            };
            hash_tensor(&mut hasher, name, &t.shape, &bytes);
            tensors.push(burn_pack::Tensor::new(
                name.clone(),
                dtype,
                t.shape.clone(),
                None,
                Bytes::from_bytes_vec(bytes),
            ));
        }
        let sha = hex(&hasher.finalize());
        let bytes = Writer::new(tensors)
            .with_metadata(FORMAT_KEY, FORMAT)
            .with_metadata(SPEC_KEY, &spec)
            .with_metadata(SHA_KEY, &sha)
            .into_bytes()
            .map_err(|e| WeightsError::NotBurnpack(e.to_string()))?;
        Ok(bytes.to_vec())
    }

    /// Parses burnpack bytes (format 2, or format 1 with [`Integrity::TensorsOnly`]), verifying
    /// the checksum and the tensor set.
    pub fn from_bpk(bytes: Vec<u8>) -> Result<Self, WeightsError> {
        let reader = Reader::from_bytes(Bytes::from_bytes_vec(bytes))
            .map_err(|e| WeightsError::NotBurnpack(e.to_string()))?;
        let meta = reader.metadata();
        let format = meta.get(FORMAT_KEY).ok_or(WeightsError::NotFeatsim)?;
        let integrity = match format.as_str() {
            FORMAT => Integrity::Full,
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
        let mut hasher = Sha256::new();
        if integrity == Integrity::Full {
            hash_description(&mut hasher, format, &spec_json);
        }
        let mut tensors = BTreeMap::new();
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
            let data: Vec<f32> = match dtype {
                DType::F32 => raw
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
                DType::F16 => raw
                    .chunks_exact(2)
                    .map(|c| f16::from_le_bytes([c[0], c[1]]).to_f32())
                    .collect(),
                other => {
                    return Err(WeightsError::Dtype {
                        name,
                        dtype: format!("{other:?}"),
                    });
                }
            };
            if element_count(&shape) != Some(data.len()) {
                return Err(WeightsError::NotBurnpack(format!(
                    "tensor '{name}' is truncated"
                )));
            }
            tensors.insert(name, HostTensor { shape, data });
        }
        if hex(&hasher.finalize()) != sha {
            return Err(WeightsError::Checksum);
        }
        // Parsed only now, so that a damaged format-2 description reads as the corruption it is.
        let spec: ModelSpec =
            serde_json::from_str(&spec_json).map_err(|e| WeightsError::BadSpec(e.to_string()))?;
        let weights = Weights {
            spec,
            tensors,
            integrity,
        };
        weights.validate()?;
        Ok(weights)
    }
}

/// Format 2's checksum starts with the format string and the spec JSON as stored (not as
/// re-serialised, so that any changed byte counts), each length-prefixed like the tensors so that
/// no two different splits of the same bytes hash alike.
fn hash_description(hasher: &mut Sha256, format: &str, spec_json: &str) {
    for field in [format, spec_json] {
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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Weights {
    /// Seeded random weights for `spec` (He-uniform kernels, identity BatchNorm): for timing a
    /// network where its weights file cannot travel. Features from it mean nothing.
    pub fn random(spec: ModelSpec, seed: u64) -> Self {
        let mut state = seed | 1;
        let mut uniform = move || {
            // xorshift64*: fast and good enough to fill kernels.
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 40) as f32 / (1u64 << 24) as f32
        };
        let tensors = expected_tensors(&spec, None)
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
/// against what `spec` needs: every tensor present with its shape, none besides. An `fc.weight`
/// adds the classifier head, with as many classes as its first dimension says.
pub fn check_layout(
    spec: &ModelSpec,
    shapes: &BTreeMap<&str, &[usize]>,
) -> Result<(), WeightsError> {
    let arch = spec.arch;
    let classes = shapes.get("fc.weight").and_then(|s| s.first().copied());
    let expected = expected_tensors(spec, classes);
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
    fn truncated_and_flipped_files_are_refused_without_panic() {
        let bytes = random_weights(Arch::Resnet18, None)
            .to_bpk(Precision::F16)
            .unwrap();
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
        assert_eq!(meta[FORMAT_KEY], "featsim-resnet/2");
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
        let err = Weights::from_bpk(tensors_only_bpk(&w, "featsim-resnet/3")).unwrap_err();
        assert!(matches!(err, WeightsError::UnknownFormat(_)), "{err}");
        let msg = err.to_string();
        assert!(
            msg.contains("'featsim-resnet/3'") && msg.contains("featsim convert"),
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
