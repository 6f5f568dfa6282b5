//! Weights files the page accepts: FeatSim's `.bpk`, and torchvision ResNet `.safetensors` state
//! dicts (their depth read from the tensor names, since such a file does not record it).

use crate::model::Weights;
use crate::model::import_torchvision::{from_state_dict, infer_arch, read_safetensors};

/// Parses a weights file by its name's extension (or, failing that, by its first bytes).
pub fn parse(bytes: Vec<u8>, file_name: &str) -> Result<Weights, String> {
    let lower = file_name.to_ascii_lowercase();
    let safetensors = lower.ends_with(".safetensors")
        || (!lower.ends_with(".bpk") && looks_like_safetensors(&bytes));
    if safetensors {
        let state = read_safetensors(&bytes).map_err(|e| format!("{file_name}: {e}"))?;
        drop(bytes);
        let arch = infer_arch(&state).ok_or_else(|| {
            format!(
                "{file_name}: not a torchvision ResNet state dict (no layer1..layer4 blocks of \
                 ResNet-18, 34, 50, 101 or 152 found)"
            )
        })?;
        let title = format!("ResNet-{} · {file_name}", &arch.name()[6..]);
        from_state_dict(
            arch,
            state,
            &title,
            &format!("torchvision state dict {file_name}"),
        )
        .map_err(|e| format!("{file_name}: {e}"))
    } else {
        let bpk = lower.ends_with(".bpk");
        Weights::from_bpk(bytes).map_err(|e| {
            if bpk {
                format!("{file_name}: {e}")
            } else {
                format!(
                    "{file_name}: not a FeatSim .bpk or torchvision .safetensors weights file ({e})"
                )
            }
        })
    }
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

    #[test]
    fn files_that_are_no_weights_are_refused_with_their_name() {
        let e = parse(b"not weights at all".to_vec(), "cat.jpg").unwrap_err();
        assert!(
            e.starts_with("cat.jpg: not a FeatSim .bpk or torchvision"),
            "{e}"
        );
        assert!(
            parse(Vec::new(), "w.bpk")
                .unwrap_err()
                .starts_with("w.bpk: ")
        );
        assert!(!looks_like_safetensors(b"{}"));
        let header = |len: u64| [&len.to_le_bytes()[..], b"{}  "].concat();
        assert!(looks_like_safetensors(&header(2)));
        assert!(
            !looks_like_safetensors(&header(100)),
            "header longer than the file"
        );
    }
}
