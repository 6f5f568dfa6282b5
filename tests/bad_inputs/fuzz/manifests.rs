//! What the page fetches besides images and weights files: the streamed model's `X.blocks.json`
//! (`model::blocks`), a bundle's `bundle.json` and its feature files (`bundle`). Seeds are real
//! ones (a small ResNet-18's layouts in several groupings, bundles made by `bundle::Baker`); the
//! inputs are those edited as JSON, damaged as bytes, or random.

use super::*;
use featsim::bundle::codec::{self, Encoding};
use featsim::bundle::{Baker, BundleManifest, BundleModel, HostMap};
use featsim::model::Block;
use featsim::model::blocks::write_blocks;
use featsim::model::{Arch, BlockManifest, ModelSpec, Parts, Precision, Weights};
use serde_json::Value;

/// Manifests of one random ResNet-18 conversion: its own four-part layout, and the same parts
/// regrouped (two, one) as other valid layouts would list them.
fn block_seeds() -> Arc<Vec<Value>> {
    let spec = ModelSpec::torchvision(Arch::Resnet18, "r18", "fuzz");
    let w = Weights::random(spec, 5);
    let (m, _) = write_blocks(&w, Precision::F16, "r18").unwrap();
    let four = serde_json::to_value(&m).unwrap();
    let mut two = m.clone();
    two.parts[1].parts = "layer2,layer3,layer4".into();
    two.parts.truncate(2);
    let mut one = m;
    one.parts[0].parts = Parts::TRUNK.to_stored();
    one.parts.truncate(1);
    Arc::new(vec![
        four,
        serde_json::to_value(two).unwrap(),
        serde_json::to_value(one).unwrap(),
    ])
}

/// A parsed manifest must describe what the page relies on: plain file names, hex hashes, and
/// parts that split the trunk in run order.
pub(crate) fn check_blocks(input: &[u8]) -> Result<Verdict, String> {
    let m = match BlockManifest::parse(input) {
        Ok(m) => m,
        Err(e) => return refused(e),
    };
    let mut order = Vec::new();
    for p in &m.parts {
        if p.file.contains('/') || p.file.contains('\\') || p.file.starts_with('.') {
            return Err(format!(
                "accepted a file name that leaves the folder: {:?}",
                p.file
            ));
        }
        if p.sha256.len() != 64 {
            return Err(format!(
                "accepted a SHA-256 of {} characters",
                p.sha256.len()
            ));
        }
        let parts = Parts::parse(&p.parts).ok_or("accepted an unparsable part list")?;
        order.extend(parts.iter());
    }
    if order != Parts::TRUNK.iter().collect::<Vec<_>>() {
        return Err(format!(
            "accepted parts that do not split the trunk: {order:?}"
        ));
    }
    Ok(Verdict::Accepted)
}

#[test]
fn fuzz_block_manifests() {
    let s = block_seeds();
    let (a, b) = (s.clone(), s.clone());
    let strategy = prop_oneof![
        6 => (any::<Index>(), prop::collection::vec(json_edit(), 1..4)).prop_map(move |(i, edits)| {
            let mut doc = a[i.index(a.len())].clone();
            edit_json(&mut doc, &edits);
            doc.to_string().into_bytes()
        }),
        3 => (any::<Index>(), mutations(4)).prop_map(move |(i, muts)| {
            let mut text = b[i.index(b.len())].to_string().into_bytes();
            apply(&mut text, &muts, &[]);
            text
        }),
        1 => random_bytes(&[b"{\"format\":\"featsim-blocks/1\",\"parts\":[{"]),
    ];
    fuzz(
        "blocks",
        "block manifests",
        "json",
        cases(),
        strategy,
        check_blocks,
    );
}

/// Bundles of 1–3 images, one or two blocks, both encodings.
fn bundle_seeds() -> Arc<Vec<Value>> {
    let map = |g: usize, c: usize, k: usize| HostMap {
        h: g,
        w: g,
        c,
        cells: (0..g * g * c)
            .map(|i| ((i * 7 + k) % 5) as f32 / 5.0)
            .collect(),
    };
    let mut out = Vec::new();
    for (blocks, enc, n) in [
        (vec![Block::Layer3, Block::Layer4], Encoding::U8, 2),
        (vec![Block::Layer4], Encoding::F16, 1),
        (vec![Block::Layer2, Block::Layer4], Encoding::U8, 3),
    ] {
        let model = BundleModel {
            name: "ResNet-50 · ImageNet (Keras)".into(),
            network: "5e".repeat(32),
        };
        let mut b = Baker::new(model, 64, &blocks, enc);
        for k in 0..n {
            let maps: Vec<HostMap> = blocks.iter().map(|bl| map(bl.grid(64), 4, k)).collect();
            b.add(
                &format!("photo {k}.jpg"),
                ("jpg", vec![k as u8; 9]),
                (640, 480),
                &maps,
                (k == 0).then(|| vec![3u8; 12]),
            )
            .unwrap();
        }
        out.push(serde_json::to_value(b.finish().unwrap().0).unwrap());
    }
    Arc::new(out)
}

/// A parsed bundle manifest keeps the rules the page relies on.
pub(crate) fn check_bundle(input: &[u8]) -> Result<Verdict, String> {
    let m = match BundleManifest::parse(input) {
        Ok(m) => m,
        Err(e) => return refused(e),
    };
    let blocks = m
        .parsed_blocks()
        .map_err(|e| format!("accepted, then: {e}"))?;
    m.parsed_encoding()
        .map_err(|e| format!("accepted, then: {e}"))?;
    for img in &m.images {
        if img.features.len() != blocks.len() {
            return Err("accepted an image without one feature file per block".into());
        }
        for f in img.files() {
            if f.file.contains('/') || f.file.contains('\\') || f.file.starts_with('.') {
                return Err(format!(
                    "accepted a file name that leaves the folder: {:?}",
                    f.file
                ));
            }
        }
    }
    Ok(Verdict::Accepted)
}

/// A feature file decodes to exactly its shape's unit cells, or is refused. The first two bytes
/// pick the shape and encoding, the rest is the file.
pub(crate) fn check_features(input: &[u8]) -> Result<Verdict, String> {
    let (cells, channels) = (usize::from(input.first().copied().unwrap_or(0)) % 40, 8);
    let enc = if input.get(1).is_some_and(|b| b & 1 == 1) {
        Encoding::F16
    } else {
        Encoding::U8
    };
    match codec::decode(input.get(2..).unwrap_or_default(), cells, channels, enc) {
        Ok(v) => {
            if v.len() != cells * channels {
                return Err(format!("{} values for {cells}×{channels}", v.len()));
            }
            for cell in v.chunks(channels) {
                let n: f32 = cell.iter().map(|x| x * x).sum();
                if !(n == 0.0 || (n - 1.0).abs() < 1e-3) || cell.iter().any(|x| !x.is_finite()) {
                    return Err(format!(
                        "a decoded cell is not a unit or zero vector: {cell:?}"
                    ));
                }
            }
            Ok(Verdict::Accepted)
        }
        Err(e) => refused(e),
    }
}

#[test]
fn fuzz_bundle_manifests() {
    let s = bundle_seeds();
    let (a, b) = (s.clone(), s.clone());
    let strategy = prop_oneof![
        6 => (any::<Index>(), prop::collection::vec(json_edit(), 1..4)).prop_map(move |(i, edits)| {
            let mut doc = a[i.index(a.len())].clone();
            edit_json(&mut doc, &edits);
            doc.to_string().into_bytes()
        }),
        3 => (any::<Index>(), mutations(4)).prop_map(move |(i, muts)| {
            let mut text = b[i.index(b.len())].to_string().into_bytes();
            apply(&mut text, &muts, &[]);
            text
        }),
        1 => random_bytes(&[b"{\"format\":\"featsim-bundle/1\",\"images\":[{"]),
    ];
    fuzz(
        "bundle",
        "bundle manifests",
        "json",
        cases(),
        strategy,
        check_bundle,
    );
}

#[test]
fn fuzz_feature_files() {
    // Real files of a few shapes, prefixed with the shape byte the check reads.
    let seeds: Vec<Vec<u8>> = [(3u8, Encoding::U8), (16, Encoding::F16), (39, Encoding::U8)]
        .into_iter()
        .map(|(n, enc)| {
            let cells: Vec<f32> = (0..usize::from(n) * 8).map(|i| (i % 3) as f32).collect();
            let mut f = vec![n, u8::from(enc == Encoding::F16)];
            f.extend(codec::encode(&cells, 8, enc).unwrap());
            f
        })
        .collect();
    let strategy = prop_oneof![
        8 => mutated_seed(Arc::new(seeds), 4),
        2 => random_bytes(&[b"\x10\x00\x78\xda", b"\x05\x01\x78\x9c"]),
    ];
    fuzz(
        "features",
        "feature files",
        "bin",
        cases(),
        strategy,
        check_features,
    );
}
