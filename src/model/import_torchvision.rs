//! Importing torchvision ResNet state dicts (`.safetensors` anywhere, `.pth` natively).

use super::spec::{Arch, ModelSpec};
use super::weights::{HostTensor, Weights, WeightsError, check_layout};
use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};
use std::collections::BTreeMap;

/// Why a torchvision file could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum TorchvisionError {
    /// The container does not parse.
    #[error("not a readable {kind} file: {msg}")]
    Container {
        /// `.safetensors` or `.pth`.
        kind: &'static str,
        /// Details.
        msg: String,
    },
    /// A tensor with a dtype we cannot use.
    #[error("tensor '{0}' has dtype {1}, expected float32/float16/bfloat16")]
    Dtype(String, String),
    /// No supported depth matches the tensor names, and none was given.
    #[error(
        "not a torchvision ResNet state dict (no layer1..layer4 blocks of ResNet-18, 34, 50, 101 or \
         152 found)"
    )]
    UnknownDepth,
    /// Tensors do not fit the architecture.
    #[error(transparent)]
    Weights(#[from] WeightsError),
}

/// Imports a torchvision ResNet `.safetensors` state dict that came as `file_name` (which titles
/// it); `arch: None` reads the depth from the tensor names. The page and `featsim convert` both
/// come through here.
///
/// The header decides first: the depth, every name and shape and every dtype are checked before
/// any tensor is converted, so a large file that is not a ResNet costs no more than its bytes.
pub fn from_safetensors(
    bytes: &[u8],
    file_name: &str,
    arch: Option<Arch>,
) -> Result<Weights, TorchvisionError> {
    let st = parse_safetensors(bytes)?;
    let views = st.tensors();
    let mut shapes = BTreeMap::new();
    for (name, view) in &views {
        if name.ends_with("num_batches_tracked") {
            continue;
        }
        if !matches!(view.dtype(), Dtype::F32 | Dtype::F16 | Dtype::BF16) {
            return Err(TorchvisionError::Dtype(
                name.clone(),
                format!("{:?}", view.dtype()),
            ));
        }
        shapes.insert(canonical(name), view.shape());
    }
    let arch = match arch {
        Some(a) => a,
        None => infer_arch(shapes.keys().copied()).ok_or(TorchvisionError::UnknownDepth)?,
    };
    check_layout(&ModelSpec::torchvision(arch, "", ""), &shapes)?;
    import(convert_views(views)?, file_name, Some(arch))
}

/// A state-dict key without the `module.` prefix DataParallel adds.
fn canonical(key: &str) -> &str {
    key.strip_prefix("module.").unwrap_or(key)
}

/// Builds weights from a state dict read from `file_name` (`.safetensors` or `.pth`): the depth is
/// `arch`, or else read from the tensor names; the name shown is "ResNet-50 · file_name".
pub fn import(
    state: BTreeMap<String, HostTensor>,
    file_name: &str,
    arch: Option<Arch>,
) -> Result<Weights, TorchvisionError> {
    // A state dict does not record its depth, but its block names give it away.
    let arch = match arch {
        Some(a) => a,
        None => {
            infer_arch(state.keys().map(String::as_str)).ok_or(TorchvisionError::UnknownDepth)?
        }
    };
    from_state_dict(
        arch,
        state,
        &format!("{} · {file_name}", title(arch)),
        &format!("torchvision state dict {file_name}"),
    )
}

/// "ResNet-50" for resnet50: how the paper and torchvision's docs write it.
fn title(arch: Arch) -> String {
    format!("ResNet-{}", &arch.name()["resnet".len()..])
}

/// Builds weights from a torchvision state dict given as name → f32 tensor.
///
/// Drops `num_batches_tracked` (training bookkeeping) and a `module.` prefix (DataParallel).
pub fn from_state_dict(
    arch: Arch,
    state: BTreeMap<String, HostTensor>,
    name: &str,
    source: &str,
) -> Result<Weights, TorchvisionError> {
    let tensors = state
        .into_iter()
        .filter(|(k, _)| !k.ends_with("num_batches_tracked"))
        .map(|(k, v)| (canonical(&k).to_owned(), v))
        .collect();
    let weights = Weights::new(ModelSpec::torchvision(arch, name, source), tensors);
    weights.validate()?;
    Ok(weights)
}

/// The ResNet depth whose block counts and block type match a state dict's tensor names
/// (`layer{s}.{i}.…`, bottlenecks have `conv3`), ignoring a DataParallel `module.` prefix.
pub fn infer_arch<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<Arch> {
    let mut blocks = [0usize; 4];
    let mut bottleneck = false;
    for key in names {
        let key = canonical(key);
        for (stage, count) in blocks.iter_mut().enumerate() {
            let Some(rest) = key.strip_prefix(&format!("layer{}.", stage + 1)) else {
                continue;
            };
            if let Some(i) = rest.split('.').next().and_then(|i| i.parse::<usize>().ok()) {
                // Saturating: a name may carry any number, usize::MAX too.
                *count = (*count).max(i.saturating_add(1));
            }
            bottleneck |= rest.contains(".conv3.");
        }
    }
    Arch::ALL
        .into_iter()
        .find(|a| a.stage_blocks() == blocks && a.bottleneck() == bottleneck)
}

/// Reads a `.safetensors` state dict (works in the browser too).
pub fn read_safetensors(bytes: &[u8]) -> Result<BTreeMap<String, HostTensor>, TorchvisionError> {
    let st = parse_safetensors(bytes)?;
    convert_views(st.tensors())
}

/// The `.safetensors` container, parsed (header and views; no tensor is converted).
fn parse_safetensors(bytes: &[u8]) -> Result<SafeTensors<'_>, TorchvisionError> {
    SafeTensors::deserialize(bytes).map_err(|e| TorchvisionError::Container {
        kind: ".safetensors",
        msg: e.to_string(),
    })
}

/// The f32 tensors of a parsed `.safetensors` file (integer `num_batches_tracked` dropped).
fn convert_views(
    views: Vec<(String, TensorView<'_>)>,
) -> Result<BTreeMap<String, HostTensor>, TorchvisionError> {
    let mut out = BTreeMap::new();
    for (name, view) in views {
        let data = match view.dtype() {
            Dtype::F32 => view
                .data()
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            Dtype::F16 => view
                .data()
                .chunks_exact(2)
                .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
            Dtype::BF16 => view
                .data()
                .chunks_exact(2)
                .map(|c| half::bf16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
            // Integer bookkeeping (num_batches_tracked) is dropped later; other ints are an error.
            _ if name.ends_with("num_batches_tracked") => continue,
            other => return Err(TorchvisionError::Dtype(name, format!("{other:?}"))),
        };
        out.insert(name, HostTensor::new(view.shape().to_vec(), data));
    }
    Ok(out)
}

/// Reads a `.pth` (PyTorch zip pickle) state dict from disk.
///
/// Nothing is read before the tensors are known to fit in the file: a view's shape is not
/// bounded by its storage (a stride-0 `expand` of one value may claim gigabytes), while a state
/// dict stores every value it holds.
#[cfg(not(target_arch = "wasm32"))]
pub fn read_pth(path: &std::path::Path) -> Result<BTreeMap<String, HostTensor>, TorchvisionError> {
    use pytorch_reader::{DType, PytorchReader};
    let err = |msg: String| TorchvisionError::Container { kind: ".pth", msg };
    let reader = PytorchReader::new(path).map_err(|e| err(e.to_string()))?;
    let file_len = std::fs::metadata(path)
        .map_err(|e| err(e.to_string()))?
        .len();
    let tensors = reader.into_tensors();
    let claimed = tensors
        .iter()
        .filter(|(name, _)| !name.ends_with("num_batches_tracked"))
        .fold(0u64, |n, (_, t)| n.saturating_add(t.byte_len() as u64));
    if claimed > file_len {
        return Err(err(format!(
            "its tensors claim {claimed} bytes, more than the file's {file_len}: not a plain \
             state dict"
        )));
    }
    let mut out = BTreeMap::new();
    for (name, t) in tensors {
        if name.ends_with("num_batches_tracked") {
            continue;
        }
        let bytes = t.read().map_err(|e| err(format!("{name}: {e}")))?;
        let data: Vec<f32> = match t.dtype() {
            DType::F32 => bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            DType::F16 => bytes
                .chunks_exact(2)
                .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
            DType::BF16 => bytes
                .chunks_exact(2)
                .map(|c| half::bf16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
            other => return Err(TorchvisionError::Dtype(name, format!("{other:?}"))),
        };
        out.insert(name, HostTensor::new(t.shape().to_vec(), data));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::weights::expected_tensors;

    /// A `.safetensors` file of these f32 tensors.
    fn safetensors_of(tensors: &BTreeMap<String, HostTensor>) -> Vec<u8> {
        let bytes: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
            .iter()
            .map(|(n, t)| {
                let data = t.data.iter().flat_map(|v| v.to_le_bytes()).collect();
                (n.clone(), t.shape.clone(), data)
            })
            .collect();
        let views = bytes.iter().map(|(n, shape, data)| {
            let view = safetensors::tensor::TensorView::new(Dtype::F32, shape.clone(), data);
            (n.as_str(), view.unwrap())
        });
        safetensors::serialize(views, None).unwrap()
    }

    #[test]
    fn a_safetensors_file_that_is_no_resnet_is_refused_clearly() {
        let state = BTreeMap::from([(
            "encoder.weight".to_owned(),
            HostTensor::new(vec![2, 3], vec![0.5; 6]),
        )]);
        let err = from_safetensors(&safetensors_of(&state), "bert.safetensors", None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "not a torchvision ResNet state dict (no layer1..layer4 blocks of ResNet-18, 34, 50, \
             101 or 152 found)"
        );
        // With the depth given, what is missing for it is named instead.
        let err = from_safetensors(
            &safetensors_of(&state),
            "bert.safetensors",
            Some(Arch::Resnet18),
        )
        .unwrap_err();
        assert!(
            matches!(err, TorchvisionError::Weights(WeightsError::Missing { .. })),
            "{err}"
        );
        let err = from_safetensors(b"not safetensors", "x.safetensors", None).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("not a readable .safetensors file: "),
            "{err}"
        );
    }

    #[test]
    fn the_header_is_checked_before_any_tensor_is_converted() {
        // A ResNet-18's names with one kernel of the wrong shape: refused from the header, with
        // the tensor named (the data, all zeros, is never looked at).
        let spec = ModelSpec::torchvision(Arch::Resnet18, "t", "t");
        let mut state = Weights::random(spec, 5).tensors;
        state.insert(
            "conv1.weight".into(),
            HostTensor::new(vec![64, 3, 3, 3], vec![0.0; 1728]),
        );
        let err = from_safetensors(&safetensors_of(&state), "r18.safetensors", None).unwrap_err();
        assert!(
            matches!(&err, TorchvisionError::Weights(WeightsError::Shape { name, .. }) if name == "conv1.weight"),
            "{err}"
        );
        // A tensor of integers other than num_batches_tracked: named, before any conversion.
        let ints = [("encoder.ids", Dtype::I64, vec![2usize], vec![0u8; 16])];
        let views = ints.iter().map(|(n, d, shape, data)| {
            (
                *n,
                safetensors::tensor::TensorView::new(*d, shape.clone(), data).unwrap(),
            )
        });
        let bytes = safetensors::serialize(views, None).unwrap();
        let err = from_safetensors(&bytes, "x.safetensors", None).unwrap_err();
        assert!(
            matches!(err, TorchvisionError::Dtype(ref n, _) if n == "encoder.ids"),
            "{err}"
        );
    }

    #[test]
    fn a_resnet_safetensors_file_is_imported_under_its_file_name() {
        let spec = ModelSpec::torchvision(Arch::Resnet18, "t", "t");
        let random = Weights::random(spec, 3);
        let bytes = safetensors_of(&random.tensors);
        let w = from_safetensors(&bytes, "r18.safetensors", None).unwrap();
        assert_eq!(w.spec.arch, Arch::Resnet18);
        assert_eq!(w.spec.name, "ResNet-18 · r18.safetensors");
        assert_eq!(w.spec.source, "torchvision state dict r18.safetensors");
        assert_eq!(w.tensors, random.tensors);
    }

    #[test]
    fn the_depth_is_read_from_the_tensor_names() {
        for arch in Arch::ALL {
            let spec = ModelSpec::torchvision(arch, "t", "t");
            let state: BTreeMap<String, HostTensor> = expected_tensors(&spec, Some(10))
                .into_iter()
                .map(|(n, _)| (format!("module.{n}"), HostTensor::new(vec![1], vec![0.0])))
                .collect();
            assert_eq!(infer_arch(state.keys().map(String::as_str)), Some(arch));
        }
        assert_eq!(infer_arch([]), None);
    }
}
