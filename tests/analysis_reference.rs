//! The analysis views (src/analysis/) on a real pair, two VOC cats at 512², against numpy
//! (tests/reference/analysis_ref.py): joint PCA of every block (components equal up to the sign
//! rule, explained variance within 1e-4), mutual nearest neighbours at layer3 and layer4 (the same
//! pairs, apart from any the reference itself decides by less than 1e-5), and channel shares that
//! sum to the cosine with the top channels of a brute-force sort.
#![allow(clippy::unwrap_used)] // in a test, a panic is the failure report

mod common;
use common::*;
use featsim::analysis::buddies::Nearest;
use featsim::analysis::pca::Pca;
use featsim::analysis::shares::WhyAlike;
use featsim::compute::Compute;
use featsim::features::FeatureMap;
use featsim::similarity::UnitMap;
use std::path::Path;
use std::time::Instant;

const SIZE: u32 = 512;
const PHOTOS: [&str; 2] = ["2007_000528", "2007_000876"];
const BLOCKS: [&str; 4] = ["layer1", "layer2", "layer3", "layer4"];

fn write_cells(path: &Path, map: &FeatureMap) {
    use npyz::WriterBuilder;
    let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut w = npyz::WriteOptions::new()
        .default_dtype()
        .shape(&[(map.h * map.w) as u64, map.c as u64])
        .writer(file)
        .begin_nd()
        .unwrap();
    w.extend(map.data.iter().copied()).unwrap();
    w.finish().unwrap();
}

#[test]
fn pca_buddies_and_shares_match_numpy_on_a_voc_pair() {
    let cpu = Compute::cpu();
    let model = load_model(&default_weights(), &cpu.device);
    let dir = scratch("analysis");
    let [left, right]: [Vec<FeatureMap>; 2] =
        PHOTOS.map(|p| our_blocks(&model, &model_input(&voc_image(p), SIZE)));
    for (i, block) in BLOCKS.iter().enumerate() {
        write_cells(&dir.join(format!("{block}-left.npy")), &left[i]);
        write_cells(&dir.join(format!("{block}-right.npy")), &right[i]);
    }
    python(
        "analysis_ref.py",
        &[
            "--dir",
            dir.to_str().unwrap(),
            "--blocks",
            &BLOCKS.join(","),
            "--pairs",
            "layer3,layer4",
        ],
    );
    let units: Vec<[UnitMap; 2]> = (0..4)
        .map(|i| [&left[i], &right[i]].map(|m| UnitMap::from_host(m, &cpu.device)))
        .collect();

    for (i, block) in BLOCKS.iter().enumerate() {
        let [a, b] = &units[i];
        let t = Instant::now();
        let pca = pollster::block_on(Pca::of(&[a, b])).unwrap();
        let ms = t.elapsed().as_secs_f64() * 1e3;
        // The alternative the issue names: everything on the host. Its product alone (the
        // features read back, centred, the smaller of Gram and covariance in plain loops),
        // against the whole device path above.
        let host_ms = host_product_ms([a, b]);
        println!(
            "{block} PCA: device path {ms:.0} ms, host product alone {host_ms:.0} ms (CPU backend)"
        );
        let (_, comps) = read_npy(&dir.join(format!("{block}-pca.npy")));
        let (_, explained) = read_npy(&dir.join(format!("{block}-explained.npy")));
        for j in 0..3 {
            let reference = &comps[j * a.c..(j + 1) * a.c];
            let (err, _) = max_errors(&pca.components[j], reference);
            let dv = (pca.explained[j] - f64::from(explained[j])).abs();
            println!(
                "{block} PCA component {j}: explained {:.5} (numpy {:.5}), max |Δ| {err:.2e} ({ms:.0} ms, CPU)",
                pca.explained[j], explained[j]
            );
            assert!(err < 1e-4, "{block} component {j}: max |Δ| {err}");
            assert!(
                dv < 1e-4,
                "{block} component {j}: explained differs by {dv}"
            );
        }
    }

    for (i, block) in [(2, "layer3"), (3, "layer4")] {
        let [a, b] = &units[i];
        let pairs = pollster::block_on(Nearest::of(a, b)).unwrap().mutual();
        let (shape, reference) = read_npy(&dir.join(format!("{block}-pairs.npy")));
        let reference: Vec<&[f32]> = reference.chunks_exact(4).collect();
        assert_eq!(reference.len(), shape[0]);
        let ours: std::collections::BTreeSet<(usize, usize)> =
            pairs.iter().map(|p| (p.left, p.right)).collect();
        let theirs: std::collections::BTreeSet<(usize, usize)> = reference
            .iter()
            .map(|r| (r[0] as usize, r[1] as usize))
            .collect();
        let close = |l: usize, r: usize| {
            reference
                .iter()
                .find(|x| (x[0] as usize, x[1] as usize) == (l, r))
                .is_some_and(|x| x[3] < 1e-5)
        };
        let differ: Vec<_> = ours.symmetric_difference(&theirs).collect();
        println!(
            "{block}: {} mutual pairs (numpy {}), {} differ",
            ours.len(),
            theirs.len(),
            differ.len()
        );
        assert!(
            differ.iter().all(|&&(l, r)| close(l, r)) && differ.len() <= 2,
            "{block}: pairs differ beyond rounding: {differ:?}"
        );
        for p in &pairs {
            let want = featsim::similarity::cosine(
                left[i].cell(p.left / a.w, p.left % a.w),
                right[i].cell(p.right / b.w, p.right % b.w),
            );
            assert!((p.similarity - want).abs() < 1e-4);
        }

        // Why the strongest pair is alike: shares sum to the cosine, top channels by brute force.
        let best = pairs[0];
        let why = pollster::block_on(WhyAlike::of(a, best.left, b, best.right, 8)).unwrap();
        let (ua, ub) = (
            unit(left[i].cell(best.left / a.w, best.left % a.w)),
            unit(right[i].cell(best.right / b.w, best.right % b.w)),
        );
        let products: Vec<f64> = ua.iter().zip(&ub).map(|(x, y)| x * y).collect();
        let total: f64 = products.iter().sum();
        assert!(
            (f64::from(why.cosine) - total).abs() < 1e-4,
            "{} vs {total}",
            why.cosine
        );
        let mut order: Vec<usize> = (0..products.len()).collect();
        order.sort_by(|&x, &y| products[y].total_cmp(&products[x]));
        let ours: Vec<usize> = why.channels.iter().map(|c| c.channel).collect();
        assert_eq!(ours, order[..8], "{block}: top channels");
        let top: f64 = why.channels.iter().map(|c| f64::from(c.share)).sum();
        println!(
            "{block}: best pair cosine {total:.4}, its top 8 of {} channels carry {:.1} %",
            products.len(),
            100.0 * top / total
        );
    }
}

fn unit(v: &[f32]) -> Vec<f64> {
    let n = v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    v.iter().map(|x| f64::from(*x) / n).collect()
}

/// Milliseconds to read `maps`' cells to the host, centre them and form the smaller of their Gram
/// and covariance matrices there (what a host-only PCA would start with).
fn host_product_ms(maps: [&UnitMap; 2]) -> f64 {
    let t = Instant::now();
    let c = maps[0].c;
    let mut x: Vec<f32> = Vec::new();
    for m in maps {
        x.extend(
            pollster::block_on(featsim::compute::read_vec::<f32, 2, _>(m.cells.clone())).unwrap(),
        );
    }
    let n = x.len() / c;
    for j in 0..c {
        let mean = (0..n).map(|i| x[i * c + j]).sum::<f32>() / n as f32;
        (0..n).for_each(|i| x[i * c + j] -= mean);
    }
    let k = n.min(c);
    let mut m = vec![0.0f32; k * k];
    if n <= c {
        for i in 0..n {
            for j in i..n {
                let d: f32 = x[i * c..(i + 1) * c]
                    .iter()
                    .zip(&x[j * c..(j + 1) * c])
                    .map(|(p, q)| p * q)
                    .sum();
                m[i * k + j] = d;
                m[j * k + i] = d;
            }
        }
    } else {
        for row in x.chunks_exact(c) {
            for i in 0..c {
                let ri = row[i];
                m[i * k..(i + 1) * k]
                    .iter_mut()
                    .zip(row)
                    .for_each(|(v, r)| *v += ri * r);
            }
        }
    }
    std::hint::black_box(&m);
    t.elapsed().as_secs_f64() * 1e3
}
