//! From the JPEG on disk to the features: FeatSim's decode + resize against the pipeline a
//! PyTorch user of this kind of tool runs (PIL decode, PIL bilinear resize to 512², which is what
//! torchvision's `Resize` does; tests/reference/pil_pipeline.py), on every photo of
//! ../shared/voc and ../shared/voc-more.
//! - The decode alone: our JPEG decoding (vendor/jpeg-decoder, patched to libjpeg-turbo's
//!   arithmetic) must give PIL's decoded pixels, byte for byte.
//! - The resize alone: PIL's decoded pixels through our resize must give PIL's resized pixels,
//!   byte for byte.
//! - The whole pipeline: our decode + our resize against PIL's, through the same network (which
//!   keras_parity.rs holds to the numpy walk of the Keras model), worst cell of every block
//!   ≥ #17's bar of 0.999. With both steps exact the pixels are equal and the network need not
//!   run; should either step drift, the bar still tells how far the features moved.
//!
//! The pipeline's features are cached under target/test-data/fidelity/, keyed by the sha256 of
//! both inputs' pixels and of the weights file: a warm run recomputes only photos whose pixels
//! changed.
#![allow(clippy::unwrap_used)] // in a test, a panic is the failure report

mod common;
use common::*;
use featsim::compute::Compute;
use featsim::features::FeatureMap;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

const SIZE: u32 = 512;
/// The whole pipeline's bar per cell and block (#17).
const PIPELINE_BAR: f64 = 0.999;

/// What one image's two pipelines give: per block, the worst and the median cell cosine.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy)]
struct Agreement {
    worst: [f64; 4],
    median: [f64; 4],
}

/// Per block, the worst and median cell cosine of two inputs' features.
fn compare(a: &[FeatureMap], b: &[FeatureMap]) -> Agreement {
    let mut worst = [0.0; 4];
    let mut median = [0.0; 4];
    for (i, (a, b)) in a.iter().zip(b).enumerate() {
        let mut c = cell_cosines(a, b);
        c.sort_by(f64::total_cmp);
        worst[i] = c[0];
        median[i] = c[c.len() / 2];
    }
    Agreement { worst, median }
}

/// The agreement of two 512² inputs' features (the same pixels agree exactly and are not run).
fn agreement(model: &featsim::model::ResNet, ours: &[u8], reference: &[u8]) -> Agreement {
    if ours == reference {
        return Agreement {
            worst: [1.0; 4],
            median: [1.0; 4],
        };
    }
    let run = |px: &[u8]| {
        our_blocks(
            model,
            &image::RgbImage::from_raw(SIZE, SIZE, px.to_vec()).unwrap(),
        )
    };
    compare(&run(ours), &run(reference))
}

/// The reference pipeline's 512² pixels of every photo of `set`: (names, [N, 512, 512, 3]).
fn reference_pixels(set: &Path, label: &str) -> (Vec<String>, Vec<u8>) {
    let out = scratch("fidelity").join(format!("{label}-pil-{SIZE}.npy"));
    let names = out.with_extension("txt");
    let script = root().join("tests/reference/pil_pipeline.py");
    if !fresh(&names, &[&script]) {
        let images = set.join("JPEGImages");
        let size = SIZE.to_string();
        let decoded = decoded_dir(label);
        python(
            "pil_pipeline.py",
            &[
                "--images",
                images.to_str().unwrap(),
                "--size",
                &size,
                "--out",
                out.to_str().unwrap(),
                "--decoded-out",
                decoded.to_str().unwrap(),
            ],
        );
    }
    let names: Vec<String> = std::fs::read_to_string(&names)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let bytes = std::fs::read(&out).unwrap();
    let npy = npyz::NpyFile::new(&bytes[..]).unwrap();
    let side = u64::from(SIZE);
    assert_eq!(npy.shape(), [names.len() as u64, side, side, 3]);
    (names, npy.into_vec::<u8>().unwrap())
}

/// Where the reference writes each photo as PIL decodes it, full size.
fn decoded_dir(label: &str) -> PathBuf {
    scratch("fidelity").join(format!("{label}-pil-decoded"))
}

/// A photo as PIL decoded it.
fn pil_decoded(label: &str, name: &str) -> image::RgbImage {
    let bytes = std::fs::read(decoded_dir(label).join(format!("{name}.npy"))).unwrap();
    let npy = npyz::NpyFile::new(&bytes[..]).unwrap();
    let [h, w, 3] = npy.shape()[..] else {
        panic!("{name}: shape {:?}", npy.shape())
    };
    image::RgbImage::from_raw(w as u32, h as u32, npy.into_vec::<u8>().unwrap()).unwrap()
}

/// Largest difference and the fraction of values that differ.
fn pixel_gap(a: &[u8], b: &[u8]) -> (u8, f64) {
    assert_eq!(a.len(), b.len());
    let max = a
        .iter()
        .zip(b)
        .map(|(x, y)| x.abs_diff(*y))
        .max()
        .unwrap_or(0);
    let differ = a.iter().zip(b).filter(|(x, y)| x != y).count();
    (max, differ as f64 / a.len() as f64)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Worst and median-of-medians per block over a set's photos.
#[derive(Default)]
struct Tally {
    worst: Option<[f64; 4]>,
    medians: [Vec<f64>; 4],
}

impl Tally {
    fn add(&mut self, a: &Agreement) {
        let worst = self.worst.get_or_insert([1.0; 4]);
        for (w, &x) in worst.iter_mut().zip(&a.worst) {
            *w = w.min(x);
        }
        for (m, &x) in self.medians.iter_mut().zip(&a.median) {
            m.push(x);
        }
    }

    fn print(&mut self, what: &str) {
        let Some(worst) = self.worst else { return };
        for (b, m) in self.medians.iter_mut().enumerate() {
            m.sort_by(f64::total_cmp);
            println!(
                "{what} layer{}: worst cell cosine {:.6}, median {:.7}",
                b + 1,
                worst[b],
                m[m.len() / 2]
            );
        }
    }
}

/// [`agreement`], from the cache when these pixels were measured before.
fn cached_agreement(
    model: &featsim::model::ResNet,
    cache: &Path,
    weights_hash: &[u8],
    ours: &[u8],
    reference: &[u8],
) -> Agreement {
    let key = cache.join(format!(
        "{}.json",
        hex(&Sha256::new()
            .chain_update(ours)
            .chain_update(reference)
            .chain_update(weights_hash)
            .finalize())
    ));
    if let Ok(b) = std::fs::read(&key) {
        return serde_json::from_slice(&b).unwrap();
    }
    let a = agreement(model, ours, reference);
    std::fs::write(&key, serde_json::to_vec(&a).unwrap()).unwrap();
    a
}

#[test]
fn our_decode_and_resize_give_pils_pixels_and_features_on_both_voc_sets() {
    let weights = default_weights();
    let weights_hash = Sha256::digest(std::fs::read(&weights).unwrap());
    let cpu = Compute::cpu();
    let model = load_model(&weights, &cpu.device);
    let cache = scratch("fidelity/cache");
    let mut failures = Vec::new();
    for (label, set) in [("voc", voc()), ("voc-more", voc_more())] {
        let (names, pixels) = reference_pixels(&set, label);
        let plane = (SIZE * SIZE * 3) as usize;
        let mut pipeline = Tally::default();
        let (mut decode_exact, mut resize_exact) = (0, 0);
        for (i, name) in names.iter().enumerate() {
            let reference = &pixels[i * plane..(i + 1) * plane];
            let jpeg = std::fs::read(set.join("JPEGImages").join(format!("{name}.jpg"))).unwrap();
            let decoded = featsim::image_io::decode(&jpeg).unwrap();
            let pil = pil_decoded(label, name);
            assert_eq!(decoded.dimensions(), pil.dimensions(), "{label}/{name}");
            if decoded == pil {
                decode_exact += 1;
            } else {
                let (m, f) = pixel_gap(decoded.as_raw(), pil.as_raw());
                failures.push(format!(
                    "{label}/{name}: our JPEG decoding differs from PIL's \
                     (max |Δ| {m}, {:.3} % of values)",
                    100.0 * f
                ));
            }
            let from_pil = featsim::resample::resize_square(&pil, SIZE);
            if from_pil.as_raw() == reference {
                resize_exact += 1;
            } else {
                let (m, f) = pixel_gap(from_pil.as_raw(), reference);
                failures.push(format!(
                    "{label}/{name}: our resize of PIL's pixels differs from PIL's resize \
                     (max |Δ| {m}, {:.3} % of values)",
                    100.0 * f
                ));
            }
            let ours = featsim::resample::resize_square(&decoded, SIZE);
            let agree = cached_agreement(&model, &cache, &weights_hash, ours.as_raw(), reference);
            pipeline.add(&agree);
            for (b, &w) in agree.worst.iter().enumerate() {
                if w < PIPELINE_BAR {
                    failures.push(format!(
                        "{label}/{name} layer{}: our decode + resize, worst cell cosine {w:.5} < {PIPELINE_BAR}",
                        b + 1
                    ));
                }
            }
        }
        println!(
            "{label}: {} photos; our JPEG decoding equals PIL's on {decode_exact}; our resize of \
             PIL's decoded pixels equals PIL's resize on {resize_exact}",
            names.len(),
        );
        pipeline.print(&format!("{label}, our decode + our resize vs PIL's"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
