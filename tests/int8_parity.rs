//! The int8 file (`featsim convert --quant int8`: kernels in int8 with one scale per output
//! channel, dequantised to f32 on load) against the exact f32 conversion, at 512² on photos of
//! ../shared/voc, per block: the worst and the median cell cosine, and the largest change of a
//! heatmap value (cosine of a cell with every cell of the next photo, a 4 × 4 lattice of query
//! cells per block).
//!
//! #13 makes int8 the page's default only if every cell of every block stays ≥ 0.995. It does not
//! (0.93 at layer3 and 0.95 at layer4 over all 92 photos; README, "Weights"), so the page keeps f16 and this test
//! prints whether the bar is met and holds the int8 file to what it does reach: median cell
//! ≥ 0.995 and worst ≥ 0.9 in every block (a wrong scale or rounding falls far below both).
//!
//! Every fourth photo by default (23, about a minute cold on two cores); `FEATSIM_FULL=1` runs all
//! 92 (the README's figures). Each photo's result is cached under target/test-data/int8/, keyed
//! by the sha256 of both weights files and the photo, so a warm run is instant.
#![allow(clippy::unwrap_used)] // in a test, a panic is the failure report

mod common;
use common::*;
use featsim::compute::Compute;
use featsim::features::FeatureMap;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

const SIZE: u32 = 512;
/// #13's bar for a quantised file to become the page's default: every cell, every block.
const DEFAULT_BAR: f64 = 0.995;
/// What the int8 file is held to: the median cell of a photo, and its worst.
const MEDIAN_FLOOR: f64 = 0.995;
const WORST_FLOOR: f64 = 0.9;

/// One photo's agreement per block: worst and median cell cosine, max |Δ| of its heatmap values.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy)]
struct Agreement {
    worst: [f64; 4],
    median: [f64; 4],
    heat: [f64; 4],
}

fn sha256_file(path: &Path) -> String {
    hex(&Sha256::digest(std::fs::read(path).unwrap()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Unit-length copies of every cell of `m`.
fn unit_cells(m: &FeatureMap) -> Vec<Vec<f32>> {
    (0..m.h * m.w)
        .map(|i| {
            let v = &m.data[i * m.c..(i + 1) * m.c];
            let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
            v.iter().map(|x| x / n).collect()
        })
        .collect()
}

/// Heatmap values of a 4 × 4 lattice of query cells of `left` against every cell of `right`.
fn heatmaps(left: &FeatureMap, right: &FeatureMap) -> Vec<f32> {
    let (l, r) = (unit_cells(left), unit_cells(right));
    let mut out = Vec::new();
    for qy in 0..4 {
        for qx in 0..4 {
            let q = &l[(qy * left.h / 4 + left.h / 8) * left.w + qx * left.w / 4 + left.w / 8];
            out.extend(
                r.iter()
                    .map(|c| c.iter().zip(q).map(|(a, b)| a * b).sum::<f32>()),
            );
        }
    }
    out
}

/// A photo's blocks through the exact and the int8 model.
type Blocks = (Vec<FeatureMap>, Vec<FeatureMap>);

#[test]
fn int8_file_stays_close_to_f32_and_says_whether_it_meets_the_default_bar() {
    let (exact_path, int8_path) = (converted_npm_model("f32"), converted_npm_model("int8"));
    let key_weights = format!("{}-{}", sha256_file(&exact_path), sha256_file(&int8_path));
    let mut photos: Vec<PathBuf> = std::fs::read_dir(voc().join("JPEGImages"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    photos.sort();
    let full = std::env::var_os("FEATSIM_FULL").is_some();
    let chosen: Vec<usize> = (0..photos.len()).filter(|i| full || i % 4 == 0).collect();
    let cache = scratch("int8");
    let cpu = Compute::cpu();
    let mut models = None;
    // The right photo of one pair is the left of the next in a full run: computed once.
    let mut last: Option<(usize, Blocks)> = None;
    let mut results = Vec::new();
    for &i in &chosen {
        let (left, right) = (&photos[i], &photos[(i + 1) % photos.len()]);
        let key = hex(&Sha256::digest(format!(
            "{key_weights}-{}-{}",
            sha256_file(left),
            sha256_file(right)
        )));
        let file = cache.join(format!("{key}.json"));
        if let Some(a) = std::fs::read(&file)
            .ok()
            .and_then(|b| serde_json::from_slice::<Agreement>(&b).ok())
        {
            results.push(a);
            continue;
        }
        let (exact, int8) = models.get_or_insert_with(|| {
            (
                load_model(&exact_path, &cpu.device),
                load_model(&int8_path, &cpu.device),
            )
        });
        let run = |photo: &Path| {
            let px = model_input(photo, SIZE);
            (our_blocks(exact, &px), our_blocks(int8, &px))
        };
        let (el, ql) = match last.take() {
            Some((j, blocks)) if j == i => blocks,
            _ => run(left),
        };
        let (er, qr) = run(right);
        let mut a = Agreement {
            worst: [1.0; 4],
            median: [1.0; 4],
            heat: [0.0; 4],
        };
        for b in 0..4 {
            let mut cells = cell_cosines(&el[b], &ql[b]);
            cells.extend(cell_cosines(&er[b], &qr[b]));
            cells.sort_by(f64::total_cmp);
            a.worst[b] = cells[0];
            a.median[b] = cells[cells.len() / 2];
            let (he, hq) = (heatmaps(&el[b], &er[b]), heatmaps(&ql[b], &qr[b]));
            a.heat[b] = he
                .iter()
                .zip(&hq)
                .map(|(x, y)| f64::from((x - y).abs()))
                .fold(0.0, f64::max);
        }
        std::fs::write(&file, serde_json::to_vec(&a).unwrap()).unwrap();
        results.push(a);
        last = Some((i + 1, (er, qr)));
    }
    println!(
        "int8 vs f32 on {} of {} ../shared/voc photos (with the next photo as the right panel):",
        chosen.len(),
        photos.len()
    );
    let lowest = |f: fn(&Agreement) -> f64| results.iter().map(f).fold(1.0, f64::min);
    let worst: Vec<f64> = (0..4)
        .map(|b| lowest_at(&results, b, |a| a.worst))
        .collect();
    let median: Vec<f64> = (0..4)
        .map(|b| lowest_at(&results, b, |a| a.median))
        .collect();
    for b in 0..4 {
        let heat = results.iter().map(|a| a.heat[b]).fold(0.0, f64::max);
        println!(
            "  layer{}: worst cell cosine {:.6}, lowest median {:.6}, max |Δ heatmap| {heat:.2e}",
            b + 1,
            worst[b],
            median[b]
        );
    }
    let met = lowest(|a| a.worst.iter().copied().fold(1.0, f64::min)) >= DEFAULT_BAR;
    println!(
        "#13's bar for the page's default (every cell ≥ {DEFAULT_BAR}): {}",
        if met {
            "met"
        } else {
            "not met, the page keeps f16"
        }
    );
    for b in 0..4 {
        assert!(
            median[b] >= MEDIAN_FLOOR && worst[b] >= WORST_FLOOR,
            "layer{}: median {} (floor {MEDIAN_FLOOR}), worst {} (floor {WORST_FLOOR})",
            b + 1,
            median[b],
            worst[b]
        );
    }
}

/// The lowest over all photos of one block's `field`.
fn lowest_at(results: &[Agreement], block: usize, field: fn(&Agreement) -> [f64; 4]) -> f64 {
    results.iter().map(|a| field(a)[block]).fold(1.0, f64::min)
}
