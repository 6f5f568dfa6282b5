//! The TF.js importer: `model.json` (topology and weights manifest) and the concatenated
//! shards, through `shard_paths` and `import` as `featsim convert --from tfjs` calls them.
//!
//! An input is `u32 LE length of model.json, model.json, shards` (the fixtures' layout too).
//! The seeds are Keras ResNet50 layers models with every kernel shrunk to one value: small,
//! yet they get through the depth, epsilon and stride checks to the tensor-set check.

use super::{
    INTERESTING, Verdict, apply, cases, edit_json, fuzz, json_edit, mutation, mutations,
    random_bytes, refused,
};
use featsim::model::import_tfjs::{import, shard_paths};
use featsim::model::weights::element_count;
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Value, json};
use std::sync::{Arc, OnceLock};

/// An input from its two parts.
fn frame(model_json: &[u8], shards: &[u8]) -> Vec<u8> {
    let mut out = (model_json.len() as u32).to_le_bytes().to_vec();
    out.extend(model_json);
    out.extend(shards);
    out
}

/// The two parts of an input (model.json as the CLI reads it: text, here lossily).
fn unframe(input: &[u8]) -> (String, &[u8]) {
    let Some((len, rest)) = input.split_first_chunk::<4>() else {
        return (String::new(), &[]);
    };
    let n = (u32::from_le_bytes(*len) as usize).min(rest.len());
    (String::from_utf8_lossy(&rest[..n]).into_owned(), &rest[n..])
}

/// Both entry points on one input; `Err` when a rule is broken.
pub(crate) fn check(input: &[u8]) -> Result<Verdict, String> {
    let (model_json, shards) = unframe(input);
    match shard_paths(&model_json) {
        Ok(paths) => {
            for p in paths {
                let inside = !p.is_empty()
                    && !p.contains('\\')
                    && std::path::Path::new(&p)
                        .components()
                        .all(|c| matches!(c, std::path::Component::Normal(_)));
                if !inside {
                    return Err(format!("shard path {p:?} leaves model.json's folder"));
                }
            }
        }
        Err(e) => {
            refused(e)?;
        }
    }
    match import(&model_json, shards, vec![]) {
        Ok(w) => {
            w.validate().map_err(|e| format!("accepted, yet: {e}"))?;
            for (name, t) in &w.tensors {
                if element_count(&t.shape) != Some(t.data.len()) {
                    return Err(format!(
                        "{name}: shape {:?}, {} values",
                        t.shape,
                        t.data.len()
                    ));
                }
            }
            Ok(Verdict::Accepted)
        }
        Err(e) => refused(e),
    }
}

/// Keras ResNet50's layers (name, class, config) and weights (name, shape), every weight of
/// one value unless `stem` keeps the stem's real shapes. `minimal` lists only what the
/// importer's checks before the tensor set read: the 16 `branch2a` kernels.
fn keras_resnet50(minimal: bool, stem: bool) -> (Vec<Value>, Vec<(String, Vec<usize>)>) {
    let mut layers = Vec::new();
    let mut weights = Vec::new();
    let conv = |layers: &mut Vec<Value>,
                weights: &mut Vec<(String, Vec<usize>)>,
                name: &str,
                stride: u32| {
        layers.push(json!({"name": name, "class_name": "Conv2D",
            "config": {"name": name, "strides": [stride, stride], "padding": "valid"}}));
        if !minimal || name.ends_with("branch2a") {
            weights.push((format!("{name}/kernel"), vec![1, 1, 1, 1]));
        }
        if !minimal {
            weights.push((format!("{name}/bias"), vec![1]));
        }
    };
    let bn = |layers: &mut Vec<Value>, weights: &mut Vec<(String, Vec<usize>)>, name: &str| {
        layers.push(json!({"name": name, "class_name": "BatchNormalization",
            "config": {"name": name, "epsilon": 1.001e-5, "axis": 3}}));
        if !minimal {
            for p in ["gamma", "beta", "moving_mean", "moving_variance"] {
                weights.push((format!("{name}/{p}"), vec![1]));
            }
        }
    };
    conv(&mut layers, &mut weights, "conv1", 2);
    bn(&mut layers, &mut weights, "bn_conv1");
    if stem && !minimal {
        for (name, shape) in weights.iter_mut() {
            *shape = if name == "conv1/kernel" {
                vec![7, 7, 3, 64]
            } else {
                vec![64]
            };
        }
    }
    for (stage, blocks) in [(2u32, 3u8), (3, 4), (4, 6), (5, 3)] {
        for b in 0..blocks {
            let letter = (b'a' + b) as char;
            let mut branches = vec!["2a", "2b", "2c"];
            if b == 0 {
                branches.push("1");
            }
            for br in branches {
                let down = stage > 2 && b == 0 && (br == "2a" || br == "1");
                let name = format!("res{stage}{letter}_branch{br}");
                conv(&mut layers, &mut weights, &name, if down { 2 } else { 1 });
                bn(
                    &mut layers,
                    &mut weights,
                    &format!("bn{stage}{letter}_branch{br}"),
                );
            }
        }
    }
    layers.push(json!({"name": "fc1000", "class_name": "Dense", "config": {"units": 1}}));
    if !minimal {
        weights.push(("fc1000/kernel".into(), vec![1, 1]));
        weights.push(("fc1000/bias".into(), vec![1]));
    }
    (layers, weights)
}

/// model.json for these layers and weights, the manifest in `groups` groups, and the shards.
fn model(layers: Vec<Value>, weights: &[(String, Vec<usize>)], groups: usize) -> Model {
    let per = weights.len().div_ceil(groups.max(1)).max(1);
    let manifest: Vec<Value> = weights
        .chunks(per)
        .enumerate()
        .map(|(g, chunk)| {
            json!({
                "paths": [format!("group{}-shard1of1.bin", g + 1)],
                "weights": chunk
                    .iter()
                    .map(|(n, s)| json!({"name": n, "shape": s, "dtype": "float32"}))
                    .collect::<Vec<_>>(),
            })
        })
        .collect();
    let values: usize = weights
        .iter()
        .map(|(_, s)| s.iter().product::<usize>())
        .sum();
    let shards: Vec<u8> = (0..values)
        .flat_map(|i| (i as f32 * 0.001 - 0.5).to_le_bytes())
        .collect();
    let doc = json!({
        "format": "layers-model",
        "generatedBy": "keras v2.2.4",
        "modelTopology": {"model_config": {
            "class_name": "Model",
            "config": {"name": "resnet50", "layers": layers},
        }},
        "weightsManifest": manifest,
    });
    (doc, shards)
}

/// A model: model.json and its shards.
type Model = (Value, Vec<u8>);

/// The seeds.
fn seeds() -> Arc<Vec<Model>> {
    static SEEDS: OnceLock<Arc<Vec<Model>>> = OnceLock::new();
    SEEDS
        .get_or_init(|| {
            let (layers, weights) = keras_resnet50(false, false);
            let all = model(layers.clone(), &weights, 1);
            let split = model(layers, &weights, 3);
            let (layers, weights) = keras_resnet50(true, false);
            let minimal = model(layers, &weights, 1);
            let (layers, weights) = keras_resnet50(false, true);
            let stem = model(layers, &weights, 2);
            let one = (
                json!({"modelTopology": {"model_config": {"config": {"layers": [
                    {"name": "conv1", "class_name": "Conv2D", "config": {}}]}}},
                  "weightsManifest": [{"paths": ["s.bin"], "weights": [
                    {"name": "conv1/kernel", "shape": [1, 1, 1, 1], "dtype": "float32"}]}]}),
                vec![0; 4],
            );
            Arc::new(vec![all, split, minimal, stem, one])
        })
        .clone()
}

#[test]
fn tfjs_seeds_reach_the_tensor_set_check() {
    let s = seeds();
    for (i, (doc, shards)) in s.iter().enumerate() {
        let err = import(&doc.to_string(), shards, vec![])
            .unwrap_err()
            .to_string();
        let want = [
            "has shape",
            "has shape",
            "has shape",
            "has shape",
            "no BatchNorm",
        ][i];
        assert!(err.contains(want), "seed {i}: {err}");
        assert!(shard_paths(&doc.to_string()).is_ok());
    }
}

/// A new shape for one manifest entry: rank 0–5, each dimension small or extreme.
type ShapeEdit = (Index, Vec<(bool, Index)>);

fn set_shape(doc: &mut Value, (entry, dims): &ShapeEdit) {
    let mut entries: Vec<&mut Value> = Vec::new();
    if let Some(groups) = doc["weightsManifest"].as_array_mut() {
        for g in groups {
            if let Some(w) = g.get_mut("weights").and_then(Value::as_array_mut) {
                entries.extend(w.iter_mut());
            }
        }
    }
    if entries.is_empty() {
        return;
    }
    let n = entries.len();
    let shape: Vec<u64> = dims
        .iter()
        .map(|(extreme, i)| {
            if *extreme {
                INTERESTING[i.index(INTERESTING.len())]
            } else {
                i.index(4) as u64
            }
        })
        .collect();
    entries[entry.index(n)]["shape"] = json!(shape);
}

#[test]
fn fuzz_tfjs() {
    let s = seeds();
    let (a, b, c, d) = (s.clone(), s.clone(), s.clone(), s.clone());
    let strategy = prop_oneof![
        // Manifest shapes set to small or extreme dimensions (zero-sized, overflowing, ranks
        // the layer does not have).
        2 => (
            any::<Index>(),
            prop::collection::vec(
                (any::<Index>(), prop::collection::vec((any::<bool>(), any::<Index>()), 0..6)),
                1..3,
            ),
        )
            .prop_map(move |(i, shapes)| {
                let (doc, shards) = &d[i.index(d.len())];
                let mut doc = doc.clone();
                for e in &shapes {
                    set_shape(&mut doc, e);
                }
                frame(doc.to_string().as_bytes(), shards)
            }),
        // model.json edited as JSON (odd shapes, dtypes, names, strides, epsilons; entries
        // removed or repeated), the shards maybe damaged too.
        5 => (
            any::<Index>(),
            prop::collection::vec(json_edit(), 1..4),
            prop::collection::vec(mutation(), 0..2),
        )
            .prop_map(move |(i, edits, muts)| {
                let (doc, shards) = &a[i.index(a.len())];
                let mut doc = doc.clone();
                edit_json(&mut doc, &edits);
                let mut shards = shards.clone();
                apply(&mut shards, &muts, &[]);
                frame(doc.to_string().as_bytes(), &shards)
            }),
        // The text damaged byte by byte.
        2 => (any::<Index>(), mutations(4)).prop_map(move |(i, muts)| {
            let (doc, shards) = &b[i.index(b.len())];
            let mut text = doc.to_string().into_bytes();
            apply(&mut text, &muts, &[]);
            frame(&text, shards)
        }),
        // The shards alone damaged (cut, grown, flipped).
        1 => (any::<Index>(), mutations(3)).prop_map(move |(i, muts)| {
            let (doc, shards) = &c[i.index(c.len())];
            let mut shards = shards.clone();
            apply(&mut shards, &muts, &[]);
            frame(doc.to_string().as_bytes(), &shards)
        }),
        1 => random_bytes(&[
            b"\x40\x00\x00\x00{\"modelTopology\":",
            b"\x10\x00\x00\x00{\"weightsManifest\":[{",
        ]),
    ];
    fuzz("tfjs", "tfjs", "tfjs", cases(), strategy, check);
}
