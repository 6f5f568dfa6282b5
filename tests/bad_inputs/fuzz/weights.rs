//! Weights files: FeatSim's `.bpk` and torchvision's `.safetensors` (both through
//! [`open_weights`], as the page and the CLI open them) and `.pth` (through `read_pth` and
//! `import`, as `featsim convert` does).
//!
//! A real ResNet-18 file is 23 MB, far too large to damage 10,000 times, so the main suites
//! build small files that stop at the tensor-set check: a few tensors with the names and shapes
//! the architecture has, under valid metadata (for `.bpk`, a checksum computed the way
//! weights.rs does: [`bpk_seeds_get_past_the_checksum`] fails the day that changes). The
//! `*_full` suites damage a real ResNet-18 a few hundred times, so acceptance is fuzzed too.

use super::{
    JsonEdit, Mutation, Verdict, apply, cases, edit_json, full_size_cases, fuzz, json_edit,
    mutated_seed, random_bytes, refused, scratch_file,
};
use burn_pack::{Bytes, DType, Writer};
use featsim::model::import_torchvision::{import, read_pth};
use featsim::model::weights::{element_count, expected_tensors};
use featsim::model::{
    Arch, Layout, ModelSpec, OpenWeightsError, Weights, WeightsError, open_weights,
};
use proptest::prelude::*;
use proptest::sample::Index;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

// ------------------------------------------------------------------------------------------
// Checks.
// ------------------------------------------------------------------------------------------

/// A `.bpk` by name and, under a neutral name, by its first bytes.
pub(crate) fn check_bpk(bytes: &[u8]) -> Result<Verdict, String> {
    open_under(bytes, &["fuzz.bpk", "download"])
}

/// A `.safetensors` by name and by its first bytes.
pub(crate) fn check_safetensors(bytes: &[u8]) -> Result<Verdict, String> {
    open_under(bytes, &["fuzz.safetensors", "download"])
}

fn open_under(bytes: &[u8], names: &[&str]) -> Result<Verdict, String> {
    let mut accepted = false;
    for name in names {
        match open_weights(bytes.to_vec(), name) {
            Ok(w) => {
                sound(&w, bytes.len())?;
                accepted = true;
            }
            Err(e) => {
                refused(&e)?;
                if !e.to_string().starts_with(name) {
                    return Err(format!("the message does not name the file: {e}"));
                }
            }
        }
    }
    Ok(if accepted {
        Verdict::Accepted
    } else {
        Verdict::Refused
    })
}

/// What accepted weights must be: valid for their spec, each tensor's data as long as its
/// shape says, and no more f32 data than four times the file's bytes (int8 → f32).
fn sound(w: &Weights, file_len: usize) -> Result<(), String> {
    w.validate()
        .map_err(|e| format!("accepted weights fail validate(): {e}"))?;
    let mut held = 0usize;
    for (name, t) in &w.tensors {
        if element_count(&t.shape) != Some(t.data.len()) {
            return Err(format!(
                "{name}: shape {:?} but {} values",
                t.shape,
                t.data.len()
            ));
        }
        held += t.data.len() * 4;
    }
    if held > 4 * file_len + 4096 {
        return Err(format!(
            "{held} bytes of tensors from a {file_len}-byte file"
        ));
    }
    Ok(())
}

/// A `.pth` the way `featsim convert` reads one: the state dict, then the import.
pub(crate) fn check_pth(bytes: &[u8]) -> Result<Verdict, String> {
    let path = scratch_file("pth");
    std::fs::write(&path, bytes).unwrap();
    let state = match read_pth(&path) {
        Ok(state) => state,
        Err(e) => return refused(e),
    };
    let mut held = 0usize;
    for (name, t) in &state {
        if element_count(&t.shape) != Some(t.data.len()) {
            return Err(format!(
                "{name}: shape {:?} but {} values",
                t.shape,
                t.data.len()
            ));
        }
        held += t.data.len() * 4;
    }
    // A state dict's tensors are stored in the file; a view that claims more (a stride-0
    // expand) must be refused before it is read, not materialised.
    if held > 2 * bytes.len() + 4096 {
        return Err(format!(
            "read {held} bytes of tensors from a {}-byte file",
            bytes.len()
        ));
    }
    match import(state, "fuzz.pth", None) {
        Ok(w) => sound(&w, bytes.len()).map(|()| Verdict::Accepted),
        Err(e) => refused(e),
    }
}

// ------------------------------------------------------------------------------------------
// Shared pieces: names, element types, fills.
// ------------------------------------------------------------------------------------------

/// Names a file may hold: ResNet-18's own (with a 10-class head), then odd ones.
fn names() -> &'static [(String, Vec<usize>)] {
    static NAMES: OnceLock<Vec<(String, Vec<usize>)>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let spec = ModelSpec::torchvision(Arch::Resnet18, "", "");
        let mut v = expected_tensors(&spec, Some(10));
        for odd in [
            "",
            "x",
            "fc.weight.",
            "module.conv1.weight",
            "module.module.bn1.weight",
            "layer9.0.conv1.weight",
            "layer1.99999999999999999999.conv1.weight",
            "layer1.18446744073709551615.conv1.weight",
            "layer4.4294967295.bn1.weight",
            "layer4.1.conv3.weight",
            "layer1.0.bn1.num_batches_tracked",
            "conv1.weight\u{0}",
            "ü.weight",
        ] {
            v.push((odd.to_owned(), vec![2]));
        }
        v
    })
}

/// The shape a generated tensor gets: its own (when small), random small dims, rank 0, or its
/// own with the first dimension off by one.
fn shape_for(expected: &[usize], how: u8, dims: &[u8]) -> Vec<usize> {
    let small = |s: &[usize]| element_count(s).is_some_and(|n| n <= 8192);
    match how % 5 {
        0 | 1 if small(expected) => expected.to_vec(),
        2 => dims.iter().map(|&d| usize::from(d % 5)).collect(),
        3 => vec![],
        4 if small(expected) && !expected.is_empty() => {
            let mut s = expected.to_vec();
            s[0] += 1;
            s
        }
        _ => vec![usize::from(dims.first().copied().unwrap_or(3) % 7)],
    }
}

/// `n` bytes in one of a few patterns (zeros, all ones: NaN, a ramp).
fn fill(n: usize, pattern: u8) -> Vec<u8> {
    match pattern % 4 {
        0 => vec![0; n],
        1 => vec![0xff; n],
        _ => (0..n)
            .map(|i| (i as u8).wrapping_mul(pattern | 1) ^ (i >> 8) as u8)
            .collect(),
    }
}

/// One of a few specs, each serialised the way the writer does.
fn spec_json(which: u8) -> serde_json::Value {
    let arch = Arch::ALL[usize::from(which) % Arch::ALL.len()];
    let mut spec = ModelSpec::torchvision(arch, "tiny", "fuzz seed");
    if which % 3 == 1 {
        spec.layout = Layout::Keras;
    }
    if which % 4 == 2 {
        spec.labels = (0..10).map(|i| format!("class {i}")).collect();
    }
    serde_json::to_value(&spec).unwrap()
}

// ------------------------------------------------------------------------------------------
// .bpk: burnpack containers with FeatSim's metadata.
// ------------------------------------------------------------------------------------------

/// weights.rs's metadata keys and the format it writes.
const FORMAT_KEY: &str = "featsim.format";
const SPEC_KEY: &str = "featsim.spec";
const SHA_KEY: &str = "featsim.sha256";
const FORMAT_V2: &str = "featsim-resnet/2";
const FORMAT_V1: &str = "featsim-resnet/1";

/// Element types burnpack stores, with their sizes.
const BPK_DTYPES: [(DType, usize); 10] = [
    (DType::F32, 4),
    (DType::F16, 2),
    (DType::F32, 4),
    (DType::F16, 2),
    (DType::BF16, 2),
    (DType::F64, 8),
    (DType::I64, 8),
    (DType::I32, 4),
    (DType::U8, 1),
    (DType::F32, 4),
];

/// A tensor as stored: element type, shape, raw little-endian bytes.
#[derive(Debug, Clone)]
struct Stored {
    dtype: DType,
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

/// The checksum weights.rs stores: for format 2 the format string and the spec JSON, then
/// each tensor (in name order) by name, shape and bytes, each length-prefixed; format 1 hashed
/// the tensors alone.
fn checksum(format: &str, spec: &str, tensors: &BTreeMap<String, Stored>) -> String {
    let mut h = Sha256::new();
    if format != FORMAT_V1 {
        for field in [format, spec] {
            h.update((field.len() as u64).to_le_bytes());
            h.update(field.as_bytes());
        }
    }
    for (name, t) in tensors {
        h.update((name.len() as u64).to_le_bytes());
        h.update(name.as_bytes());
        for d in &t.shape {
            h.update((*d as u64).to_le_bytes());
        }
        h.update((t.bytes.len() as u64).to_le_bytes());
        h.update(&t.bytes);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A burnpack container written by burn-pack's own writer.
fn container(tensors: &BTreeMap<String, Stored>, meta: &[(&str, String)]) -> Vec<u8> {
    let list = tensors
        .iter()
        .map(|(name, t)| {
            burn_pack::Tensor::new(
                name.clone(),
                t.dtype,
                t.shape.clone(),
                None,
                Bytes::from_bytes_vec(t.bytes.clone()),
            )
        })
        .collect();
    let mut w = Writer::new(list);
    for (k, v) in meta {
        w = w.with_metadata(k, v);
    }
    w.into_bytes().unwrap().to_vec()
}

/// A FeatSim container of `tensors` with `spec` and a correct checksum for `format`.
fn featsim_bpk(tensors: &BTreeMap<String, Stored>, format: &str, spec: &str) -> Vec<u8> {
    let sha = checksum(format, spec, tensors);
    container(
        tensors,
        &[
            (FORMAT_KEY, format.to_owned()),
            (SPEC_KEY, spec.to_owned()),
            (SHA_KEY, sha),
        ],
    )
}

/// Small valid containers: a few BatchNorm vectors (f32), a head in f16, none at all.
fn bpk_seeds() -> Arc<Vec<Vec<u8>>> {
    static SEEDS: OnceLock<Arc<Vec<Vec<u8>>>> = OnceLock::new();
    SEEDS
        .get_or_init(|| {
            let spec = spec_json(0).to_string();
            let vector = |n: usize, p: u8| Stored {
                dtype: DType::F32,
                shape: vec![n],
                bytes: fill(n * 4, p),
            };
            let bn: BTreeMap<String, Stored> = ["weight", "bias", "running_mean", "running_var"]
                .iter()
                .enumerate()
                .map(|(i, p)| (format!("bn1.{p}"), vector(64, i as u8 + 2)))
                .collect();
            let head = BTreeMap::from([
                (
                    "fc.weight".to_owned(),
                    Stored {
                        dtype: DType::F16,
                        shape: vec![10, 512],
                        bytes: fill(10 * 512 * 2, 7),
                    },
                ),
                ("fc.bias".to_owned(), vector(10, 3)),
            ]);
            let none = BTreeMap::new();
            Arc::new(vec![
                featsim_bpk(&bn, FORMAT_V2, &spec),
                featsim_bpk(&bn, FORMAT_V1, &spec),
                featsim_bpk(&head, FORMAT_V2, &spec_json(10).to_string()),
                featsim_bpk(&none, FORMAT_V2, &spec),
                container(&bn, &[]),
            ])
        })
        .clone()
}

#[derive(Debug, Clone)]
struct BpkTensor {
    name: Index,
    dtype: u8,
    shape: u8,
    dims: Vec<u8>,
    fill: u8,
}

/// A small container described field by field: which tensors, which format string, which
/// spec (valid, edited, garbage or missing), which checksum (right, wrong, missing).
#[derive(Debug, Clone)]
struct BpkPlan {
    tensors: Vec<BpkTensor>,
    format: u8,
    spec: u8,
    spec_edits: Vec<JsonEdit>,
    sha: u8,
    extra: Option<(Index, Index)>,
}

fn bpk_plan() -> impl Strategy<Value = BpkPlan> {
    let tensor = (
        any::<Index>(),
        0u8..10,
        any::<u8>(),
        prop::collection::vec(any::<u8>(), 0..4),
        any::<u8>(),
    )
        .prop_map(|(name, dtype, shape, dims, fill)| BpkTensor {
            name,
            dtype,
            shape,
            dims,
            fill,
        });
    (
        prop::collection::vec(tensor, 0..8),
        0u8..10,
        0u8..16,
        prop::collection::vec(json_edit(), 0..3),
        0u8..8,
        prop::option::of((any::<Index>(), any::<Index>())),
    )
        .prop_map(|(tensors, format, spec, spec_edits, sha, extra)| BpkPlan {
            tensors,
            format,
            spec,
            spec_edits,
            sha,
            extra,
        })
}

fn build_bpk(plan: &BpkPlan) -> Vec<u8> {
    let all = names();
    let mut tensors = BTreeMap::new();
    for t in &plan.tensors {
        let (name, expected) = &all[t.name.index(all.len())];
        let (dtype, size) = BPK_DTYPES[usize::from(t.dtype) % BPK_DTYPES.len()];
        let mut shape = shape_for(expected, t.shape, &t.dims);
        if element_count(&shape).is_none_or(|n| n * size > 64 * 1024) {
            shape = vec![3];
        }
        let n = element_count(&shape).unwrap() * size;
        tensors.insert(
            name.clone(),
            Stored {
                dtype,
                shape,
                bytes: fill(n, t.fill),
            },
        );
    }
    let spec = match plan.spec % 8 {
        0..=4 => {
            let mut v = spec_json(plan.spec);
            edit_json(&mut v, &plan.spec_edits);
            Some(v.to_string())
        }
        5 => Some("{\"arch\": \"resnet18\"".to_owned()),
        6 => Some(super::ODD_STRINGS[usize::from(plan.spec) % super::ODD_STRINGS.len()].into()),
        _ => None,
    };
    let long = "featsim-resnet/".repeat(40);
    let format = match plan.format {
        0..=3 => Some(FORMAT_V2),
        4 | 5 => Some(FORMAT_V1),
        6 => Some("featsim-resnet/3"),
        7 => Some(""),
        8 => Some(long.as_str()),
        _ => None,
    };
    let sha = checksum(
        format.unwrap_or(FORMAT_V2),
        spec.as_deref().unwrap_or(""),
        &tensors,
    );
    let sha = match plan.sha {
        0..=3 => Some(sha),
        4 => Some(format!("0{}", &sha[1..])),
        5 => Some(String::new()),
        6 => Some(sha.to_uppercase()),
        _ => None,
    };
    let mut meta = Vec::new();
    if let Some(f) = format {
        meta.push((FORMAT_KEY, f.to_owned()));
    }
    if let Some(s) = spec {
        meta.push((SPEC_KEY, s));
    }
    if let Some(s) = sha {
        meta.push((SHA_KEY, s));
    }
    if let Some((k, v)) = &plan.extra {
        let keys = [FORMAT_KEY, SPEC_KEY, SHA_KEY, "featsim.other", ""];
        meta.push((
            keys[k.index(keys.len())],
            super::ODD_STRINGS[v.index(super::ODD_STRINGS.len())].to_owned(),
        ));
    }
    container(&tensors, &meta)
}

/// A CBOR item, for metadata burn-pack's writer would never produce.
#[derive(Debug, Clone)]
enum Cbor {
    U(u64),
    Neg(u64),
    T(String),
    A(Vec<Cbor>),
    M(Vec<(Cbor, Cbor)>),
    Bool(bool),
    Null,
    F(f64),
    /// A string or container head that claims `n` items or bytes and has none.
    Lie(u8, u64),
}

fn cbor_head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    if n < 24 {
        out.push(m | n as u8);
    } else if n <= 0xff {
        out.extend([m | 24, n as u8]);
    } else if n <= 0xffff {
        out.push(m | 25);
        out.extend((n as u16).to_be_bytes());
    } else if n <= 0xffff_ffff {
        out.push(m | 26);
        out.extend((n as u32).to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend(n.to_be_bytes());
    }
}

fn cbor(c: &Cbor, out: &mut Vec<u8>) {
    match c {
        Cbor::U(n) => cbor_head(out, 0, *n),
        Cbor::Neg(n) => cbor_head(out, 1, *n),
        Cbor::T(s) => {
            cbor_head(out, 3, s.len() as u64);
            out.extend(s.as_bytes());
        }
        Cbor::A(items) => {
            cbor_head(out, 4, items.len() as u64);
            for i in items {
                cbor(i, out);
            }
        }
        Cbor::M(pairs) => {
            cbor_head(out, 5, pairs.len() as u64);
            for (k, v) in pairs {
                cbor(k, out);
                cbor(v, out);
            }
        }
        Cbor::Bool(b) => out.push(if *b { 0xf5 } else { 0xf4 }),
        Cbor::Null => out.push(0xf6),
        Cbor::F(f) => {
            out.push(0xfb);
            out.extend(f.to_be_bytes());
        }
        Cbor::Lie(major, n) => cbor_head(out, *major, *n),
    }
}

fn t(s: &str) -> Cbor {
    Cbor::T(s.to_owned())
}

/// burn-pack's element types as serde writes them, and some it never writes.
fn cbor_dtype(which: u8) -> Cbor {
    match which % 13 {
        0 => t("F32"),
        1 => t("F16"),
        2 => t("BF16"),
        3 => t("I64"),
        4 => t("U8"),
        5 => t("Flex32"),
        6 => t("F64"),
        7 => Cbor::M(vec![(t("Bool"), t("Native"))]),
        8 => Cbor::M(vec![(t("QFloat"), Cbor::M(vec![]))]),
        9 => Cbor::M(vec![(t("QFloat"), t("x"))]),
        10 => Cbor::U(3),
        11 => t("Nope"),
        _ => t("QFloat"),
    }
}

#[derive(Debug, Clone)]
struct RawTensor {
    name: Index,
    dtype: u8,
    dims: Vec<Index>,
    wild_dims: bool,
    offsets: (Index, Index),
    wild_offsets: bool,
    consistent: bool,
}

/// A container assembled byte by byte: header fields, CBOR metadata and data of our choosing.
#[derive(Debug, Clone)]
struct RawPlan {
    tensors: Vec<RawTensor>,
    meta: u8,
    lie: Option<(u8, Index)>,
    magic: u8,
    version: u8,
    size: u8,
    data: Vec<u8>,
    pad: bool,
}

fn raw_plan() -> impl Strategy<Value = RawPlan> {
    let tensor = (
        any::<Index>(),
        any::<u8>(),
        prop::collection::vec(any::<Index>(), 0..4),
        any::<bool>(),
        (any::<Index>(), any::<Index>()),
        prop::bool::weighted(0.2),
        any::<bool>(),
    )
        .prop_map(
            |(name, dtype, dims, wild_dims, offsets, wild_offsets, consistent)| RawTensor {
                name,
                dtype,
                dims,
                wild_dims,
                offsets,
                wild_offsets,
                consistent,
            },
        );
    (
        prop::collection::vec(tensor, 0..5),
        0u8..8,
        prop::option::of((3u8..6, any::<Index>())),
        0u8..8,
        0u8..8,
        0u8..10,
        prop::collection::vec(any::<u8>(), 0..600),
        any::<bool>(),
    )
        .prop_map(
            |(tensors, meta, lie, magic, version, size, data, pad)| RawPlan {
                tensors,
                meta,
                lie,
                magic,
                version,
                size,
                data,
                pad,
            },
        )
}

fn build_raw(p: &RawPlan) -> Vec<u8> {
    let all = names();
    let interesting = |i: &Index| super::INTERESTING[i.index(super::INTERESTING.len())];
    let mut tensors = Vec::new();
    for r in &p.tensors {
        let dims: Vec<u64> = r
            .dims
            .iter()
            .map(|i| {
                if r.wild_dims {
                    interesting(i)
                } else {
                    i.index(5) as u64
                }
            })
            .collect();
        let (start, end) = if r.wild_offsets {
            (interesting(&r.offsets.0), interesting(&r.offsets.1))
        } else {
            let start = r.offsets.0.index(p.data.len() + 1) as u64;
            let size = [4u64, 2, 2, 8, 1, 4, 8][usize::from(r.dtype % 13).min(6)];
            let n = dims.iter().try_fold(size, |n, &d| n.checked_mul(d));
            match n {
                Some(n) if r.consistent => (start, start.saturating_add(n)),
                _ => (start, r.offsets.1.index(p.data.len() + 1) as u64),
            }
        };
        let mut desc = vec![
            (t("dtype"), cbor_dtype(r.dtype)),
            (t("shape"), Cbor::A(dims.into_iter().map(Cbor::U).collect())),
            (
                t("data_offsets"),
                Cbor::A(vec![Cbor::U(start), Cbor::U(end)]),
            ),
        ];
        if r.dtype > 200 {
            desc.push((t("param_id"), Cbor::U(7)));
        }
        tensors.push((t(&all[r.name.index(all.len())].0), Cbor::M(desc)));
    }
    let spec = spec_json(0).to_string();
    let featsim = |f: Cbor, s: Cbor, h: Cbor| {
        Cbor::M(vec![(t(FORMAT_KEY), f), (t(SPEC_KEY), s), (t(SHA_KEY), h)])
    };
    let meta = match p.meta {
        0..=2 => featsim(t(FORMAT_V2), t(&spec), t(&"0".repeat(64))),
        3 => featsim(Cbor::U(2), Cbor::Null, Cbor::Bool(true)),
        4 => Cbor::A(vec![t(FORMAT_KEY), t(FORMAT_V2)]),
        5 => featsim(t(FORMAT_V1), Cbor::F(f64::NAN), Cbor::Neg(0)),
        6 => Cbor::M(vec![]),
        _ => featsim(t(FORMAT_V2), t(&spec), t(&"0".repeat(64))),
    };
    let mut top = vec![(t("tensors"), Cbor::M(tensors)), (t("metadata"), meta)];
    if p.meta == 7 {
        top.push((
            t("scalars"),
            Cbor::M(vec![(t("x"), Cbor::M(vec![(t("Int"), Cbor::Neg(5))]))]),
        ));
    }
    if let Some((major, n)) = &p.lie {
        // A string, array or map head claiming up to u64::MAX items, and nothing behind it.
        top.push((t("z"), Cbor::Lie(*major, interesting(n))));
    }
    let mut meta_bytes = Vec::new();
    cbor(&Cbor::M(top), &mut meta_bytes);
    let mut out = Vec::new();
    out.extend(match p.magic {
        0..=5 => *b"NRUB",
        6 => *b"BURN",
        _ => *b"NRUc",
    });
    out.extend([1u16, 1, 1, 1, 0, 2, 0xffff, 1][usize::from(p.version % 8)].to_le_bytes());
    let exact = meta_bytes.len() as u32;
    let size = match p.size {
        0..=4 => exact,
        5 => 0,
        6 => exact + 1,
        7 => exact.saturating_sub(1),
        8 => u32::MAX,
        _ => 100 * 1024 * 1024 + 1,
    };
    out.extend(size.to_le_bytes());
    out.extend(&meta_bytes);
    if p.pad {
        out.resize(out.len().div_ceil(256) * 256, 0);
    }
    out.extend(&p.data);
    out
}

#[test]
fn bpk_seeds_get_past_the_checksum() {
    // The seeds' checksums follow weights.rs: a seed that reaches the tensor-set check (missing
    // tensors) got past it. If this fails, `checksum` above no longer matches weights.rs.
    for (i, seed) in bpk_seeds().iter().enumerate().take(4) {
        match open_weights(seed.clone(), "seed.bpk") {
            Err(OpenWeightsError::Bpk {
                reason: WeightsError::Missing { .. },
                ..
            }) => {}
            other => panic!("seed {i}: {:?}", other.map(|w| w.spec.arch)),
        }
    }
    // The last seed has no FeatSim metadata.
    let last = bpk_seeds().last().unwrap().clone();
    assert!(matches!(
        open_weights(last, "seed.bpk"),
        Err(OpenWeightsError::Bpk {
            reason: WeightsError::NotFeatsim,
            ..
        })
    ));
    // A hand-assembled container parses like the writer's when its fields are right.
    let plan = RawPlan {
        tensors: vec![],
        meta: 0,
        lie: None,
        magic: 0,
        version: 0,
        size: 0,
        data: vec![],
        pad: true,
    };
    let err = open_weights(build_raw(&plan), "raw.bpk").unwrap_err();
    assert!(
        matches!(
            err,
            OpenWeightsError::Bpk {
                reason: WeightsError::Checksum,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn fuzz_bpk() {
    let seeds = bpk_seeds();
    let strategy = prop_oneof![
        4 => (bpk_plan(), prop::collection::vec(super::mutation(), 0..3)).prop_map(
            |(plan, muts)| {
                let mut b = build_bpk(&plan);
                apply(&mut b, &muts, &[]);
                b
            }
        ),
        2 => (raw_plan(), prop::collection::vec(super::mutation(), 0..2)).prop_map(
            |(plan, muts)| {
                let mut b = build_raw(&plan);
                apply(&mut b, &muts, &[]);
                b
            }
        ),
        3 => mutated_seed(seeds, 6),
        1 => random_bytes(&[b"NRUB\x01\x00", b"NRUB\x01\x00\xff\xff\xff\xff"]),
    ];
    fuzz("bpk", "bpk", "bpk", cases(), strategy, check_bpk);
}

// ------------------------------------------------------------------------------------------
// Full-size files: a real ResNet-18 (random weights), stored as the writer stores it.
// ------------------------------------------------------------------------------------------

/// ResNet-18's tensors as `to_bpk(F16)` stores them: kernels in f16, vectors in f32.
fn r18() -> &'static BTreeMap<String, Stored> {
    static R18: OnceLock<BTreeMap<String, Stored>> = OnceLock::new();
    R18.get_or_init(|| {
        let spec = ModelSpec::torchvision(Arch::Resnet18, "ResNet-18 · fuzz", "fuzz");
        Weights::random(spec, 7)
            .tensors
            .into_iter()
            .map(|(name, t)| {
                let stored = if t.shape.len() > 1 {
                    Stored {
                        dtype: DType::F16,
                        shape: t.shape,
                        bytes: t
                            .data
                            .iter()
                            .flat_map(|v| half::f16::from_f32(*v).to_le_bytes())
                            .collect(),
                    }
                } else {
                    Stored {
                        dtype: DType::F32,
                        shape: t.shape,
                        bytes: t.data.iter().flat_map(|v| v.to_le_bytes()).collect(),
                    }
                };
                (name, stored)
            })
            .collect()
    })
}

/// The real writer's files (so these suites follow any format change): whole at f16 and int8,
/// split into trunk and head; and the same tensors in a format-1 file.
fn r18_bpk_seeds() -> Arc<Vec<Vec<u8>>> {
    use featsim::model::Precision;
    static SEEDS: OnceLock<Arc<Vec<Vec<u8>>>> = OnceLock::new();
    SEEDS
        .get_or_init(|| {
            let spec = ModelSpec::torchvision(Arch::Resnet18, "ResNet-18 · fuzz", "fuzz");
            let w = Weights::random(spec.clone(), 7);
            let real = w.to_bpk(Precision::F16).unwrap();
            let int8 = w.to_bpk(Precision::Int8).unwrap();
            let v1 = featsim_bpk(r18(), FORMAT_V1, &serde_json::to_string(&spec).unwrap());
            // A small head, so that the split writes one.
            let (trunk, head) = Weights::random_with_head(spec, 7, 3)
                .to_bpk_split(Precision::Int8)
                .unwrap();
            Arc::new(vec![real, v1, int8, trunk, head.unwrap()])
        })
        .clone()
}

#[test]
fn full_size_seeds_are_accepted() {
    for seed in r18_bpk_seeds().iter() {
        assert!(matches!(check_bpk(seed), Ok(Verdict::Accepted)));
    }
    assert!(matches!(
        check_safetensors(&r18_safetensors()),
        Ok(Verdict::Accepted)
    ));
    assert!(matches!(
        check_pth(&pth_file_with(
            &r18_pth_tensors(),
            r18_pth_storages(),
            0,
            0,
            false
        )),
        Ok(Verdict::Accepted)
    ));
}

#[test]
fn fuzz_bpk_full() {
    let seeds = r18_bpk_seeds();
    let strategy = prop_oneof![
        // The description edited, under a checksum that covers it (format 2) or not (1).
        2 => (0u8..16, prop::collection::vec(json_edit(), 0..3), any::<bool>()).prop_map(
            |(which, edits, v1)| {
                let mut spec = spec_json(which);
                spec["name"] = "ResNet-18 · fuzz".into();
                edit_json(&mut spec, &edits);
                featsim_bpk(r18(), if v1 { FORMAT_V1 } else { FORMAT_V2 }, &spec.to_string())
            }
        ),
        1 => mutated_seed(seeds, 3),
    ];
    fuzz(
        "bpk",
        "bpk_full",
        "bpk",
        full_size_cases(),
        strategy,
        check_bpk,
    );
}

// ------------------------------------------------------------------------------------------
// .safetensors
// ------------------------------------------------------------------------------------------

fn safetensors_file(tensors: &[(&str, safetensors::Dtype, Vec<usize>, Vec<u8>)]) -> Vec<u8> {
    let views = tensors.iter().map(|(n, d, shape, data)| {
        (
            *n,
            safetensors::tensor::TensorView::new(*d, shape.clone(), data).unwrap(),
        )
    });
    safetensors::serialize(views, None).unwrap()
}

/// Small state dicts: one vector per block (the depth reads as ResNet-18), in f32, f16 and
/// bf16; a rank-0 head (issue #15); bottleneck names; integer tensors; none at all.
fn safetensors_seeds() -> Arc<Vec<Vec<u8>>> {
    static SEEDS: OnceLock<Arc<Vec<Vec<u8>>>> = OnceLock::new();
    SEEDS
        .get_or_init(|| {
            use safetensors::Dtype;
            let blocks: Vec<String> = (1..=4)
                .flat_map(|s| (0..2).map(move |i| format!("layer{s}.{i}.bn1.weight")))
                .collect();
            let width = |name: &str| 64usize << (name.as_bytes()[5] - b'1');
            let dict = |dtype: Dtype, size: usize| -> Vec<u8> {
                let t: Vec<(&str, Dtype, Vec<usize>, Vec<u8>)> = blocks
                    .iter()
                    .map(|n| (n.as_str(), dtype, vec![width(n)], fill(width(n) * size, 5)))
                    .collect();
                safetensors_file(&t)
            };
            let mut with_head: Vec<(&str, Dtype, Vec<usize>, Vec<u8>)> = blocks
                .iter()
                .map(|n| {
                    (
                        n.as_str(),
                        Dtype::F32,
                        vec![width(n)],
                        fill(width(n) * 4, 9),
                    )
                })
                .collect();
            with_head.push(("fc.weight", Dtype::F32, vec![], fill(4, 2)));
            with_head.push(("fc.bias", Dtype::F32, vec![10], fill(40, 2)));
            with_head.push((
                "layer1.0.bn1.num_batches_tracked",
                Dtype::I64,
                vec![],
                fill(8, 0),
            ));
            let bottleneck: Vec<String> = [3usize, 4, 6, 3]
                .iter()
                .enumerate()
                .flat_map(|(s, &n)| {
                    (0..n).map(move |i| format!("module.layer{}.{i}.conv3.weight", s + 1))
                })
                .collect();
            let bottleneck: Vec<(&str, Dtype, Vec<usize>, Vec<u8>)> = bottleneck
                .iter()
                .map(|n| (n.as_str(), Dtype::BF16, vec![1, 1, 1, 1], fill(2, 3)))
                .collect();
            let mut meta = 2u64.to_le_bytes().to_vec();
            meta.extend(b"{}");
            Arc::new(vec![
                dict(Dtype::F32, 4),
                dict(Dtype::F16, 2),
                dict(Dtype::BF16, 2),
                safetensors_file(&with_head),
                safetensors_file(&bottleneck),
                safetensors_file(&[("encoder.ids", Dtype::I64, vec![2], fill(16, 1))]),
                safetensors_file(&[("x", Dtype::BOOL, vec![3], vec![1, 0, 1])]),
                meta,
            ])
        })
        .clone()
}

/// A safetensors file split into its header (as JSON) and data.
fn split_safetensors(file: &[u8]) -> (serde_json::Value, &[u8]) {
    let n = u64::from_le_bytes(file[..8].try_into().unwrap()) as usize;
    let header = serde_json::from_slice(&file[8..8 + n]).unwrap();
    (header, &file[8 + n..])
}

/// `header` (serialised) framed with a length prefix chosen by `len`, then `data`.
fn frame_safetensors(header: &serde_json::Value, len: u8, data: &[u8]) -> Vec<u8> {
    let json = header.to_string();
    let exact = json.len() as u64;
    let n = match len {
        0..=5 => exact,
        6 => exact + 1,
        7 => exact.saturating_sub(1),
        8 => u64::MAX,
        9 => 0,
        _ => 100_000_001,
    };
    let mut out = n.to_le_bytes().to_vec();
    out.extend(json.as_bytes());
    out.extend(data);
    out
}

#[test]
fn fuzz_safetensors() {
    let seeds = safetensors_seeds();
    let s = seeds.clone();
    let strategy = prop_oneof![
        // The header edited as JSON: odd dtypes, shapes, offsets, names, members removed.
        5 => (
            any::<Index>(),
            prop::collection::vec(json_edit(), 1..4),
            0u8..11,
            prop::collection::vec(super::mutation(), 0..2),
        )
            .prop_map(move |(i, edits, len, muts)| {
                let (mut header, data) = split_safetensors(&s[i.index(s.len())]);
                edit_json(&mut header, &edits);
                let mut data = data.to_vec();
                apply(&mut data, &muts, &[]);
                frame_safetensors(&header, len, &data)
            }),
        3 => mutated_seed(seeds, 6),
        1 => random_bytes(&[
            b"\x02\x00\x00\x00\x00\x00\x00\x00{}",
            b"\x40\x00\x00\x00\x00\x00\x00\x00{",
        ]),
    ];
    fuzz(
        "safetensors",
        "safetensors",
        "safetensors",
        cases(),
        strategy,
        check_safetensors,
    );
}

/// ResNet-18 as a torchvision `.safetensors` (f16 kernels, f32 vectors).
fn r18_safetensors() -> Arc<Vec<u8>> {
    static FILE: OnceLock<Arc<Vec<u8>>> = OnceLock::new();
    FILE.get_or_init(|| {
        let t: Vec<(&str, safetensors::Dtype, Vec<usize>, Vec<u8>)> = r18()
            .iter()
            .map(|(n, s)| {
                let d = if s.dtype == DType::F16 {
                    safetensors::Dtype::F16
                } else {
                    safetensors::Dtype::F32
                };
                (n.as_str(), d, s.shape.clone(), s.bytes.clone())
            })
            .collect();
        Arc::new(safetensors_file(&t))
    })
    .clone()
}

#[test]
fn fuzz_safetensors_full() {
    let file = r18_safetensors();
    let f = file.clone();
    let strategy = prop_oneof![
        2 => (prop::collection::vec(json_edit(), 0..3), 0u8..8).prop_map(move |(edits, len)| {
            let (mut header, data) = split_safetensors(&f);
            edit_json(&mut header, &edits);
            frame_safetensors(&header, len, data)
        }),
        1 => mutated_seed(Arc::new(vec![file.to_vec()]), 3),
    ];
    fuzz(
        "safetensors",
        "safetensors_full",
        "safetensors",
        full_size_cases(),
        strategy,
        check_safetensors,
    );
}

// ------------------------------------------------------------------------------------------
// .pth: PyTorch's ZIP container and the legacy stream, pickles written op by op.
// ------------------------------------------------------------------------------------------

/// A pickle being written (protocol 2, the ops `torch.save` uses for a state dict).
struct Pickle(Vec<u8>);

impl Pickle {
    const MARK: u8 = b'(';
    const TUPLE: u8 = b't';
    const EMPTY_TUPLE: u8 = b')';
    const REDUCE: u8 = b'R';
    const SETITEM: u8 = b's';
    const SETITEMS: u8 = b'u';
    const EMPTY_DICT: u8 = b'}';
    const EMPTY_LIST: u8 = b']';
    const APPENDS: u8 = b'e';
    const BINPERSID: u8 = b'Q';
    const NONE: u8 = b'N';
    const NEWTRUE: u8 = 0x88;
    const NEWFALSE: u8 = 0x89;
    const STOP: u8 = b'.';

    fn new() -> Self {
        Pickle(vec![0x80, 2])
    }
    fn op(&mut self, op: u8) {
        self.0.push(op);
    }
    fn global(&mut self, module: &str, name: &str) {
        self.0.push(b'c');
        self.0.extend(module.as_bytes());
        self.0.push(b'\n');
        self.0.extend(name.as_bytes());
        self.0.push(b'\n');
    }
    fn str(&mut self, s: &str) {
        self.0.push(b'X');
        self.0.extend((s.len() as u32).to_le_bytes());
        self.0.extend(s.as_bytes());
    }
    fn int(&mut self, v: u64) {
        if v < 0x100 {
            self.0.extend([b'K', v as u8]);
        } else if v < 0x1_0000 {
            self.0.push(b'M');
            self.0.extend((v as u16).to_le_bytes());
        } else if v < 0x8000_0000 {
            self.0.push(b'J');
            self.0.extend((v as u32).to_le_bytes());
        } else {
            // LONG1: little-endian two's complement, a zero byte keeping it positive.
            let mut b = v.to_le_bytes().to_vec();
            while b.len() > 1 && b[b.len() - 1] == 0 && b[b.len() - 2] & 0x80 == 0 {
                b.pop();
            }
            if b[b.len() - 1] & 0x80 != 0 {
                b.push(0);
            }
            self.0.extend([0x8a, b.len() as u8]);
            self.0.extend(b);
        }
    }
    fn memo_put(&mut self, i: u8) {
        self.0.extend([b'q', i]);
    }
    fn memo_get(&mut self, i: u8) {
        self.0.extend([b'h', i]);
    }
}

/// Storage classes, their element sizes, and the `torch.*` dtype a v3 rebuild names.
const STORAGES: [(&str, usize); 12] = [
    ("FloatStorage", 4),
    ("FloatStorage", 4),
    ("FloatStorage", 4),
    ("HalfStorage", 2),
    ("HalfStorage", 2),
    ("BFloat16Storage", 2),
    ("LongStorage", 8),
    ("DoubleStorage", 8),
    ("ByteStorage", 1),
    ("BoolStorage", 1),
    ("IntStorage", 4),
    ("NopeStorage", 4),
];
const V3_DTYPES: [(&str, usize); 5] = [
    ("float32", 4),
    ("float16", 2),
    ("uint16", 2),
    ("float8_e4m3fn", 1),
    ("int64", 8),
];

/// One tensor entry of a state dict, as its pickle spells it.
#[derive(Debug, Clone)]
struct PthTensor {
    name: String,
    /// Storage class (or `UntypedStorage` with `v3_dtype`).
    class: String,
    element: usize,
    /// 0: `_rebuild_tensor_v2`, 1: `_rebuild_tensor` (PyTorch < 0.4), 2: `_rebuild_tensor_v3`.
    rebuild: u8,
    v3_dtype: &'static str,
    key: String,
    numel: u64,
    offset: u64,
    shape: Vec<u64>,
    stride: Vec<u64>,
}

/// Storage bytes by key.
type Storages = BTreeMap<String, Vec<u8>>;

fn contiguous(shape: &[u64]) -> Vec<u64> {
    let mut stride = vec![1u64; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        stride[i] = stride[i + 1].saturating_mul(shape[i + 1].max(1));
    }
    stride
}

/// The elements a view reaches: past its last index, or its offset when empty.
fn extent(shape: &[u64], stride: &[u64], offset: u64) -> u64 {
    if shape.contains(&0) {
        return offset;
    }
    shape
        .iter()
        .zip(stride)
        .fold(offset, |e, (&d, &s)| {
            e.saturating_add((d - 1).saturating_mul(s))
        })
        .saturating_add(1)
}

/// The state dict's pickle; `legacy` adds the legacy container's sixth persistent-id field.
fn state_pickle(tensors: &[PthTensor], nest: bool, legacy: bool) -> Vec<u8> {
    let mut p = Pickle::new();
    if nest {
        p.op(Pickle::EMPTY_DICT);
        p.str("state_dict");
    }
    p.global("collections", "OrderedDict");
    p.memo_put(0);
    p.op(Pickle::EMPTY_TUPLE);
    p.op(Pickle::REDUCE);
    p.op(Pickle::MARK);
    for t in tensors {
        p.str(&t.name);
        let rebuild = [
            "_rebuild_tensor_v2",
            "_rebuild_tensor",
            "_rebuild_tensor_v3",
        ];
        p.global("torch._utils", rebuild[usize::from(t.rebuild % 3)]);
        p.op(Pickle::MARK);
        p.op(Pickle::MARK);
        p.str("storage");
        p.global("torch", &t.class);
        p.str(&t.key);
        p.str("cpu");
        p.int(t.numel);
        if legacy {
            p.op(Pickle::NONE);
        }
        p.op(Pickle::TUPLE);
        p.op(Pickle::BINPERSID);
        p.int(t.offset);
        for dims in [&t.shape, &t.stride] {
            p.op(Pickle::MARK);
            for &d in dims {
                p.int(d);
            }
            p.op(Pickle::TUPLE);
        }
        if t.rebuild % 3 != 1 {
            p.op(Pickle::NEWFALSE);
            p.memo_get(0);
            p.op(Pickle::EMPTY_TUPLE);
            p.op(Pickle::REDUCE);
        }
        if t.rebuild % 3 == 2 {
            p.global("torch", t.v3_dtype);
        }
        p.op(Pickle::TUPLE);
        p.op(Pickle::REDUCE);
    }
    p.op(Pickle::SETITEMS);
    if nest {
        p.op(Pickle::SETITEM);
    }
    p.op(Pickle::STOP);
    p.0
}

/// A ZIP archive of stored (uncompressed) entries, as `torch.save` writes.
fn zip(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let offset = out.len() as u32;
        let crc = crc32fast::hash(data);
        let size = data.len() as u32;
        let fields = |sig: u32, central: bool| {
            let mut h = sig.to_le_bytes().to_vec();
            if central {
                h.extend(20u16.to_le_bytes());
            }
            for v in [20u16, 0, 0, 0, 0x21] {
                h.extend(v.to_le_bytes());
            }
            h.extend(crc.to_le_bytes());
            h.extend(size.to_le_bytes());
            h.extend(size.to_le_bytes());
            h.extend((name.len() as u16).to_le_bytes());
            h.extend(0u16.to_le_bytes());
            if central {
                // Comment length, disk, internal and external attributes, then the offset.
                h.extend([0u8; 10]);
                h.extend(offset.to_le_bytes());
            }
            h.extend(name.as_bytes());
            h
        };
        out.extend(fields(0x0403_4b50, false));
        out.extend(data);
        central.extend(fields(0x0201_4b50, true));
    }
    let cd_offset = out.len() as u32;
    let count = entries.len() as u16;
    out.extend(&central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]);
    out.extend(count.to_le_bytes());
    out.extend(count.to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

/// The legacy stream (PyTorch 0.4–1.5): magic, protocol, system info, the object, the storage
/// keys, then each storage as an element count and its bytes.
fn legacy(tensors: &[PthTensor], storages: &Storages, pickle: &[u8]) -> Vec<u8> {
    let mut out = vec![0x80, 2, 0x8a, 10];
    out.extend([0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]);
    out.push(Pickle::STOP);
    out.extend([0x80, 2, b'M', 0xe9, 0x03, Pickle::STOP]);
    let mut info = Pickle::new();
    info.op(Pickle::EMPTY_DICT);
    info.op(Pickle::MARK);
    info.str("protocol_version");
    info.int(1001);
    info.str("little_endian");
    info.op(Pickle::NEWTRUE);
    info.str("type_sizes");
    info.op(Pickle::EMPTY_DICT);
    info.op(Pickle::MARK);
    for (k, v) in [("short", 2), ("int", 4), ("long", 4)] {
        info.str(k);
        info.int(v);
    }
    info.op(Pickle::SETITEMS);
    info.op(Pickle::SETITEMS);
    info.op(Pickle::STOP);
    out.extend(info.0);
    out.extend(pickle);
    let mut keys = Pickle::new();
    keys.op(Pickle::EMPTY_LIST);
    keys.op(Pickle::MARK);
    let mut order: Vec<&str> = Vec::new();
    for t in tensors {
        if !order.contains(&t.key.as_str()) {
            order.push(&t.key);
        }
    }
    for k in &order {
        keys.str(k);
    }
    keys.op(Pickle::APPENDS);
    keys.op(Pickle::STOP);
    out.extend(keys.0);
    for k in order {
        let t = tensors.iter().find(|t| t.key == k).unwrap();
        out.extend(t.numel.to_le_bytes());
        out.extend(&storages[k]);
    }
    out
}

/// A `.pth` file: `container` 0–5 ZIP under `archive/`, 6 ZIP at the root, 7 legacy.
/// `byteorder` picks the ZIP's byteorder entry (none, little, big, odd).
fn pth_file_from(
    tensors: &[PthTensor],
    storages: &Storages,
    pickle: Vec<u8>,
    container: u8,
    byteorder: u8,
) -> Vec<u8> {
    if container % 8 == 7 {
        return legacy(tensors, storages, &pickle);
    }
    let root = if container % 8 == 6 { "" } else { "archive/" };
    let mut entries = vec![(format!("{root}data.pkl"), pickle)];
    match byteorder % 6 {
        0 | 1 => {}
        2 | 3 => entries.push((format!("{root}byteorder"), b"little".to_vec())),
        4 => entries.push((format!("{root}byteorder"), b"big".to_vec())),
        _ => entries.push((format!("{root}byteorder"), b"middle".to_vec())),
    }
    for (k, bytes) in storages {
        entries.push((format!("{root}data/{k}"), bytes.clone()));
    }
    entries.push((format!("{root}version"), b"3\n".to_vec()));
    zip(&entries)
}

fn pth_file(tensors: &[PthTensor], container: u8, byteorder: u8, nest: bool) -> Vec<u8> {
    let storages = storages_for(tensors, |_| 0);
    pth_file_with(tensors, &storages, container, byteorder, nest)
}

fn pth_file_with(
    tensors: &[PthTensor],
    storages: &Storages,
    container: u8,
    byteorder: u8,
    nest: bool,
) -> Vec<u8> {
    let pickle = state_pickle(tensors, nest, container % 8 == 7);
    pth_file_from(tensors, storages, pickle, container, byteorder)
}

/// Each storage's bytes: as many as its first tensor declares (at most 64 KiB), less `short`.
fn storages_for(tensors: &[PthTensor], short: impl Fn(&str) -> u8) -> Storages {
    let mut out = Storages::new();
    for t in tensors {
        if out.contains_key(&t.key) {
            continue;
        }
        let n = usize::try_from(t.numel.saturating_mul(t.element as u64))
            .unwrap_or(usize::MAX)
            .min(64 * 1024);
        let mut bytes = fill(n, t.numel as u8 | 2);
        match short(&t.key) % 6 {
            4 => {
                bytes.pop();
            }
            5 => bytes.clear(),
            _ => {}
        }
        out.insert(t.key.clone(), bytes);
    }
    out
}

/// ResNet-18 as `torch.save(model.half().state_dict())` would store it, vectors in f32.
fn r18_pth_tensors() -> Vec<PthTensor> {
    r18()
        .iter()
        .enumerate()
        .map(|(i, (name, s))| {
            let (class, element) = if s.dtype == DType::F16 {
                ("HalfStorage", 2)
            } else {
                ("FloatStorage", 4)
            };
            let shape: Vec<u64> = s.shape.iter().map(|&d| d as u64).collect();
            PthTensor {
                name: name.clone(),
                class: class.into(),
                element,
                rebuild: 0,
                v3_dtype: "float32",
                key: i.to_string(),
                numel: (s.bytes.len() / element) as u64,
                offset: 0,
                stride: contiguous(&shape),
                shape,
            }
        })
        .collect()
}

/// The storages of [`r18_pth_tensors`], keyed alike: the tensors' own bytes.
fn r18_pth_storages() -> &'static Storages {
    static STORAGES: OnceLock<Storages> = OnceLock::new();
    STORAGES.get_or_init(|| {
        r18()
            .values()
            .enumerate()
            .map(|(i, s)| (i.to_string(), s.bytes.clone()))
            .collect()
    })
}

#[derive(Debug, Clone)]
struct PthTensorPlan {
    name: Index,
    class: u8,
    rebuild: u8,
    shape: u8,
    dims: Vec<u8>,
    stride: u8,
    offset: u8,
    numel: u8,
    key: u8,
    short: u8,
}

/// A small state dict described entry by entry, then its pickle damaged op by op (under a
/// valid container) and the container itself damaged.
#[derive(Debug, Clone)]
struct PthPlan {
    tensors: Vec<PthTensorPlan>,
    container: u8,
    byteorder: u8,
    nest: bool,
    pickle_muts: Vec<Mutation>,
    file_muts: Vec<Mutation>,
}

fn pth_plan() -> impl Strategy<Value = PthPlan> {
    let tensor = (
        (any::<Index>(), any::<u8>(), 0u8..8, any::<u8>()),
        (prop::collection::vec(any::<u8>(), 0..4), 0u8..6, 0u8..6),
        (0u8..9, 0u8..4, any::<u8>()),
    )
        .prop_map(
            |((name, class, rebuild, shape), (dims, stride, offset), (numel, key, short))| {
                PthTensorPlan {
                    name,
                    class,
                    rebuild,
                    shape,
                    dims,
                    stride,
                    offset,
                    numel,
                    key,
                    short,
                }
            },
        );
    (
        prop::collection::vec(tensor, 0..6),
        0u8..8,
        0u8..6,
        prop::bool::weighted(0.1),
        prop::collection::vec(super::mutation(), 0..3),
        prop::collection::vec(super::mutation(), 0..2),
    )
        .prop_map(
            |(tensors, container, byteorder, nest, pickle_muts, file_muts)| PthPlan {
                tensors,
                container,
                byteorder,
                nest,
                pickle_muts,
                file_muts,
            },
        )
}

fn pth_tensor(p: &PthTensorPlan) -> PthTensor {
    let all = names();
    let (name, expected) = &all[p.name.index(all.len())];
    let (mut class, mut element) = STORAGES[usize::from(p.class) % STORAGES.len()];
    let rebuild = match p.rebuild {
        6 => 1,
        7 => 2,
        _ => 0,
    };
    let v3 = V3_DTYPES[usize::from(p.class) % V3_DTYPES.len()];
    if rebuild == 2 {
        (class, element) = ("UntypedStorage", 1);
    }
    let mut shape: Vec<u64> = shape_for(expected, p.shape, &p.dims)
        .into_iter()
        .map(|d| d as u64)
        .collect();
    let mut stride = contiguous(&shape);
    match p.stride {
        // An `expand`: stride 0, dimensions a file of this size cannot hold (at most 2^24
        // elements, so that a reader that materialises it anyway is caught, not fatal).
        1 | 2 => {
            let dim = |i: usize| {
                [2, 64, 1024, 4096][usize::from(p.dims.get(i).copied().unwrap_or(3)) % 4]
            };
            shape = vec![dim(0), dim(1)];
            stride = vec![0; 2];
        }
        3 => stride.reverse(),
        4 => stride.iter_mut().for_each(|s| *s += 1),
        _ => {}
    }
    let offset = [0u64, 0, 0, 0, 1, 1000][usize::from(p.offset % 6)];
    let scale = if rebuild == 2 { v3.1 as u64 } else { 1 };
    let reach = extent(&shape, &stride, offset).saturating_mul(scale);
    let numel = match p.numel {
        0..=4 => reach,
        5 => reach.saturating_sub(1),
        6 => reach.saturating_add(3),
        7 => 0,
        _ => 1 << 40,
    };
    PthTensor {
        name: name.clone(),
        class: class.into(),
        element,
        rebuild,
        v3_dtype: v3.0,
        key: p.key.to_string(),
        numel,
        offset,
        shape,
        stride,
    }
}

fn build_pth(plan: &PthPlan) -> Vec<u8> {
    let tensors: Vec<PthTensor> = plan.tensors.iter().map(pth_tensor).collect();
    let short: BTreeMap<String, u8> = plan
        .tensors
        .iter()
        .map(|p| (p.key.to_string(), p.short))
        .collect();
    let storages = storages_for(&tensors, |k| short[k]);
    let mut pickle = state_pickle(&tensors, plan.nest, plan.container % 8 == 7);
    apply(&mut pickle, &plan.pickle_muts, &[]);
    let mut file = pth_file_from(&tensors, &storages, pickle, plan.container, plan.byteorder);
    apply(&mut file, &plan.file_muts, &[]);
    file
}

/// Small state dicts in both containers: BatchNorm vectors, a head in f16, a shared storage,
/// a nested dict, a v3 rebuild, an empty dict.
fn pth_seeds() -> Arc<Vec<Vec<u8>>> {
    static SEEDS: OnceLock<Arc<Vec<Vec<u8>>>> = OnceLock::new();
    SEEDS
        .get_or_init(|| {
            let vector = |name: &str, key: &str, n: u64| PthTensor {
                name: name.into(),
                class: "FloatStorage".into(),
                element: 4,
                rebuild: 0,
                v3_dtype: "float32",
                key: key.into(),
                numel: n,
                offset: 0,
                shape: vec![n],
                stride: vec![1],
            };
            let bn: Vec<PthTensor> = ["weight", "bias", "running_mean", "running_var"]
                .iter()
                .enumerate()
                .map(|(i, p)| vector(&format!("bn1.{p}"), &i.to_string(), 64))
                .collect();
            let head = vec![
                PthTensor {
                    class: "HalfStorage".into(),
                    element: 2,
                    shape: vec![10, 512],
                    stride: vec![512, 1],
                    numel: 5120,
                    ..vector("fc.weight", "0", 0)
                },
                PthTensor {
                    rebuild: 2,
                    class: "UntypedStorage".into(),
                    element: 1,
                    numel: 40,
                    ..vector("fc.bias", "1", 10)
                },
            ];
            let shared = vec![
                vector("layer1.0.bn1.weight", "0", 64),
                PthTensor {
                    offset: 32,
                    shape: vec![32],
                    ..vector("layer1.0.bn1.bias", "0", 64)
                },
            ];
            Arc::new(vec![
                pth_file(&bn, 0, 2, false),
                pth_file(&bn, 7, 0, false),
                pth_file(&head, 0, 0, false),
                pth_file(&shared, 7, 0, false),
                pth_file(&bn, 6, 0, true),
                pth_file(&[], 0, 0, false),
            ])
        })
        .clone()
}

#[test]
fn pth_seeds_are_read() {
    for (i, seed) in pth_seeds().iter().enumerate() {
        let path = scratch_file("pth");
        std::fs::write(&path, seed).unwrap();
        let state = read_pth(&path).unwrap_or_else(|e| panic!("seed {i}: {e}"));
        let want = [4, 4, 2, 2, 4, 0][i];
        assert_eq!(state.len(), want, "seed {i}: {:?}", state.keys());
    }
}

#[test]
fn a_stride_0_view_cannot_claim_more_than_the_file_holds() {
    // One float, viewed as 4096 × 4096 through stride 0 (an `expand`): a 1 KB file claiming
    // 64 MiB, up to 10 GiB with larger dimensions. It is refused before it is read.
    let t = PthTensor {
        name: "conv1.weight".into(),
        class: "FloatStorage".into(),
        element: 4,
        rebuild: 0,
        v3_dtype: "float32",
        key: "0".into(),
        numel: 1,
        offset: 0,
        shape: vec![4096, 4096],
        stride: vec![0, 0],
    };
    let file = pth_file(&[t], 0, 0, false);
    let path = scratch_file("pth");
    std::fs::write(&path, &file).unwrap();
    match read_pth(&path) {
        Err(e) => assert!(e.to_string().contains("more than the file"), "{e}"),
        Ok(state) => panic!(
            "a {}-byte file read as {} values",
            file.len(),
            state.values().map(|t| t.data.len()).sum::<usize>()
        ),
    }
}

#[test]
fn fuzz_pth() {
    let seeds = pth_seeds();
    let strategy = prop_oneof![
        5 => pth_plan().prop_map(|p| build_pth(&p)),
        3 => mutated_seed(seeds, 6),
        1 => random_bytes(&[
            b"PK\x03\x04",
            b"PK\x05\x06",
            b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.",
            b"\x80\x02}",
        ]),
    ];
    fuzz("pth", "pth", "pth", cases(), strategy, check_pth);
}

#[test]
fn fuzz_pth_full() {
    let tensors = r18_pth_tensors();
    let strategy = (
        any::<Index>(),
        0u8..10,
        0u8..8,
        prop::collection::vec(super::mutation(), 0..2),
    )
        .prop_map(move |(which, edit, container, pickle_muts)| {
            let mut tensors = tensors.clone();
            let i = which.index(tensors.len());
            match edit {
                1 => tensors[i].class = "DoubleStorage".into(),
                2 => tensors[i].shape[0] += 1,
                3 => tensors[i].stride.iter_mut().for_each(|s| *s = 0),
                4 => tensors[i].numel -= 1,
                5 => {
                    tensors.remove(i);
                }
                6 => tensors[i].name = tensors[(i + 1) % tensors.len()].name.clone(),
                7 => tensors[i].rebuild = 1,
                _ => {}
            }
            let mut pickle = state_pickle(&tensors, false, container == 7);
            apply(&mut pickle, &pickle_muts, &[]);
            pth_file_from(&tensors, r18_pth_storages(), pickle, container, 0)
        });
    fuzz(
        "pth",
        "pth_full",
        "pth",
        full_size_cases(),
        strategy,
        check_pth,
    );
}

#[test]
fn an_int_tensor_in_a_state_dict_is_named() {
    // The refusal the pth seeds' damaged dtypes lead to: an integer tensor other than
    // num_batches_tracked is refused, by name.
    let t = PthTensor {
        name: "encoder.ids".into(),
        class: "LongStorage".into(),
        element: 8,
        rebuild: 0,
        v3_dtype: "int64",
        key: "0".into(),
        numel: 2,
        offset: 0,
        shape: vec![2],
        stride: vec![1],
    };
    let path = scratch_file("pth");
    std::fs::write(&path, pth_file(&[t], 0, 0, false)).unwrap();
    let err = read_pth(&path).unwrap_err().to_string();
    assert!(err.contains("encoder.ids"), "{err}");
}
