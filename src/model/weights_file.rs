//! A weights file a person handed us, by name and bytes: FeatSim's `.bpk`, or a torchvision ResNet
//! `.safetensors` state dict (its depth read from the tensor names, since such a file does not
//! record it).

use super::Weights;
use super::import_torchvision::{TorchvisionError, from_safetensors};
use super::weights::WeightsError;

/// Why a weights file was refused; each message starts with the file's name.
///
/// The inner error is part of the message rather than a `source`, so that reporters printing the
/// whole chain (anyhow's `{:#}`) do not say it twice.
#[derive(Debug, thiserror::Error)]
pub enum OpenWeightsError {
    /// Taken for a `.safetensors` state dict (by name or first bytes), but not an importable one.
    #[error("{file_name}: {reason}")]
    Safetensors {
        /// The name the file came under.
        file_name: String,
        /// Why the import failed.
        reason: TorchvisionError,
    },
    /// Named `.bpk`, but not a usable FeatSim weights file.
    #[error("{file_name}: {reason}")]
    Bpk {
        /// The name the file came under.
        file_name: String,
        /// Why the file was refused.
        reason: WeightsError,
    },
    /// Neither its name nor its first bytes say what it is, and it does not read as a `.bpk`.
    #[error("{file_name}: not a FeatSim .bpk or torchvision .safetensors weights file ({reason})")]
    Unrecognised {
        /// The name the file came under.
        file_name: String,
        /// Why it did not read as a `.bpk`.
        reason: WeightsError,
    },
}

/// Opens a weights file by its name's extension (`.bpk`, `.safetensors`, any case) or, failing
/// that, by its first bytes.
pub fn open_weights(bytes: Vec<u8>, file_name: &str) -> Result<Weights, OpenWeightsError> {
    let lower = file_name.to_ascii_lowercase();
    let named_bpk = lower.ends_with(".bpk");
    if lower.ends_with(".safetensors") || (!named_bpk && looks_like_safetensors(&bytes)) {
        return from_safetensors(&bytes, file_name, None).map_err(|reason| {
            OpenWeightsError::Safetensors {
                file_name: file_name.to_owned(),
                reason,
            }
        });
    }
    let file_name = file_name.to_owned();
    Weights::from_bpk(bytes).map_err(|reason| {
        if named_bpk {
            OpenWeightsError::Bpk { file_name, reason }
        } else {
            OpenWeightsError::Unrecognised { file_name, reason }
        }
    })
}

/// A safetensors file starts with the little-endian length of a JSON header that opens with `{`.
fn looks_like_safetensors(bytes: &[u8]) -> bool {
    bytes.len() > 9
        && bytes[8] == b'{'
        && u64::from_le_bytes(bytes[..8].try_into().unwrap_or([0xff; 8])) < bytes.len() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Arch, Integrity, ModelSpec, Precision};

    /// The smallest header safetensors accepts, with no tensors: 8 length bytes, then `{}`.
    fn empty_safetensors() -> Vec<u8> {
        let mut bytes = 2u64.to_le_bytes().to_vec();
        bytes.extend(b"{}");
        bytes
    }

    #[test]
    fn junk_named_bpk_is_refused_as_a_bpk() {
        let err = open_weights(b"PK\x03\x04 not weights".to_vec(), "junk.bpk").unwrap_err();
        assert!(matches!(err, OpenWeightsError::Bpk { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(
            msg.starts_with("junk.bpk: not a FeatSim weights file (.bpk): "),
            "{msg}"
        );
    }

    #[test]
    fn junk_under_another_name_says_which_files_are_wanted() {
        let err = open_weights(b"PK\x03\x04 not weights".to_vec(), "model.bin").unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with(
                "model.bin: not a FeatSim .bpk or torchvision .safetensors weights file (not a \
                 FeatSim weights file (.bpk): "
            ) && msg.ends_with(')'),
            "{msg}"
        );
    }

    #[test]
    fn safetensors_bytes_are_recognised_under_any_name_but_bpk() {
        let not_a_resnet = "not a torchvision ResNet state dict (no layer1..layer4 blocks of \
                            ResNet-18, 34, 50, 101 or 152 found)";
        for name in ["weights.SAFETENSORS", "download", "model.bin"] {
            let err = open_weights(empty_safetensors(), name).unwrap_err();
            assert_eq!(err.to_string(), format!("{name}: {not_a_resnet}"));
        }
        // The name wins over the first bytes.
        let err = open_weights(empty_safetensors(), "x.bpk").unwrap_err();
        assert!(matches!(err, OpenWeightsError::Bpk { .. }), "{err:?}");
        // Named .safetensors but unreadable as one.
        let msg = open_weights(b"junk".to_vec(), "x.safetensors")
            .unwrap_err()
            .to_string();
        assert!(
            msg.starts_with("x.safetensors: not a readable .safetensors file: "),
            "{msg}"
        );
    }

    #[test]
    fn a_bpk_opens_under_any_name() {
        let spec = ModelSpec::torchvision(Arch::Resnet18, "r18", "test");
        let bytes = Weights::random(spec, 1).to_bpk(Precision::F32).unwrap();
        for name in ["r18.bpk", "download"] {
            let w = open_weights(bytes.clone(), name).unwrap();
            assert_eq!((w.spec.arch, w.spec.name.as_str()), (Arch::Resnet18, "r18"));
            assert_eq!(w.integrity, Integrity::Full);
        }
    }

    #[test]
    fn the_first_bytes_test_needs_a_header_inside_the_file() {
        assert!(looks_like_safetensors(&empty_safetensors()));
        let mut too_long = 1000u64.to_le_bytes().to_vec();
        too_long.extend(b"{}");
        assert!(!looks_like_safetensors(&too_long));
        assert!(!looks_like_safetensors(b"{}"));
    }
}
