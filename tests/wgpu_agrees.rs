//! The same work on wgpu (natively: lavapipe in CI, a real GPU elsewhere) and on the CPU backend
//! gives the same numbers: the model's features (max |gpu − cpu| ≤ 1e-3 × max |cpu| per block, at
//! 512²) and our heatmap kernels (cosines within 1e-5, colours from the same table entry).
//!
//! Runs in its own test binary because burn keeps one wgpu runtime per process; the tests share
//! it through [`gpu`].
#![allow(clippy::unwrap_used)] // in a test, a panic is the failure report

mod common;
use burn::tensor::{Tensor, TensorData};
use common::*;
use featsim::colormap::{Colormap, Range};
use featsim::compute::Compute;
use featsim::features::FeatureMap;
use featsim::heatmap::{self, Style};
use featsim::kernels::conv::{self, ConvKernel, Epilogue};
use featsim::similarity::UnitMap;
use std::sync::OnceLock;

/// The process's wgpu device, or `None` (and a note) when there is no adapter and none is required.
fn gpu() -> Option<&'static Compute> {
    static GPU: OnceLock<Option<Compute>> = OnceLock::new();
    GPU.get_or_init(|| match pollster::block_on(Compute::wgpu()) {
        Ok(c) => {
            println!("wgpu adapter: {}", c.describe());
            Some(c)
        }
        Err(e) => {
            // `make test` installs lavapipe and sets this, so CI cannot skip silently.
            assert!(
                std::env::var_os("FEATSIM_REQUIRE_WGPU").is_none(),
                "no wgpu adapter: {e}"
            );
            eprintln!("skipped: no wgpu adapter ({e})");
            None
        }
    })
    .as_ref()
}

#[test]
fn wgpu_and_cpu_features_agree() {
    let Some(gpu) = gpu() else { return };
    let cpu = Compute::cpu();
    let weights = default_weights();
    let resized = model_input(&voc_image("2007_000256"), 512);
    let on_cpu = our_blocks(&load_model(&weights, &cpu.device), &resized);
    let model = load_model(&weights, &gpu.device);
    // Every convolution kernel the GPU can run, each against the CPU backend's own convolution.
    for kernel in ConvKernel::ALL {
        let on_gpu = our_blocks(&model.with_conv_kernel(kernel), &resized);
        for (i, (g, c)) in on_gpu.iter().zip(&on_cpu).enumerate() {
            let (err, scale) = max_errors(&g.data, &c.data);
            let kernel = kernel.name();
            println!(
                "{kernel} layer{}: max|wgpu-cpu| = {err:.3e}, max|cpu| = {scale:.2}",
                i + 1
            );
            assert!(
                err <= 1e-3 * scale,
                "{kernel} layer{}: {err} > 1e-3 × {scale}",
                i + 1
            );
        }
    }
}

/// Seeded values in [-1, 1).
fn noise(n: usize, seed: u32) -> Vec<f32> {
    let mut state = seed.wrapping_mul(0x9e37_79b9) | 1;
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state as f32 / u32::MAX as f32) * 2.0 - 1.0
        })
        .collect()
}

/// Shapes the network never uses too: odd sizes, channel and pixel counts that are no multiple of
/// a tile, a 7×7 stem with 3 channels, strided 1×1 and 3×3, padding wider than a tap.
#[test]
fn conv_kernels_agree_with_the_cpu_on_odd_shapes() {
    let Some(gpu) = gpu() else { return };
    let cpu = Compute::cpu();
    // (cin, cout, kernel, stride, padding, height, width)
    let cases = [
        (3, 64, 7, 2, 3, 37, 29),
        (20, 70, 3, 1, 1, 13, 11),
        (64, 96, 1, 2, 0, 15, 16),
        (17, 5, 3, 2, 2, 9, 10),
        (256, 130, 1, 1, 0, 4, 4),
        // A 1×1 stride-1 conv with ragged K and M tiles (63 pixels, 20 channels).
        (20, 33, 1, 1, 0, 7, 9),
    ];
    for (i, &(cin, cout, k, stride, padding, h, w)) in cases.iter().enumerate() {
        let x = noise(cin * h * w, 3 * i as u32 + 1);
        let weight = noise(cout * cin * k * k, 3 * i as u32 + 2);
        let bias = noise(cout, 3 * i as u32 + 3);
        let out = |size: usize| (size + 2 * padding - k) / stride + 1;
        let out_dims = [1, cout, out(h), out(w)];
        // Every other case with the residual block's epilogue (shortcut added, then ReLU).
        let residual = (i % 2 == 1).then(|| noise(cout * out(h) * out(w), 3 * i as u32 + 4));
        let tensors = |device: &burn::tensor::Device| {
            (
                Tensor::<4>::from_data(TensorData::new(x.clone(), [1, cin, h, w]), device),
                Tensor::<4>::from_data(TensorData::new(weight.clone(), [cout, cin, k, k]), device),
                Tensor::<1>::from_data(TensorData::new(bias.clone(), [cout]), device),
                residual
                    .clone()
                    .map(|r| Tensor::<4>::from_data(TensorData::new(r, out_dims), device)),
            )
        };
        let run = |device: &burn::tensor::Device, kernel: ConvKernel| {
            let (x, weight, bias, residual) = tensors(device);
            let weight = conv::prepare_weight(weight, kernel);
            let epilogue = Epilogue {
                relu: residual.is_some(),
                residual,
            };
            let out = conv::conv2d(x, weight, bias, [stride, padding], kernel, epilogue);
            (out.dims(), out.into_data().try_to_vec::<f32>().unwrap())
        };
        // Ours on the CPU (src/kernels/conv_cpu.rs) is the reference, held to burn-flex's
        // convolution with the epilogue as tensor ops.
        let (dims, want) = run(&cpu.device, ConvKernel::Tiled);
        let (_, burn_cpu) = run(&cpu.device, ConvKernel::Burn);
        let (err, scale) = max_errors(&want, &burn_cpu);
        println!("case {i}, cpu: ours vs burn's = {err:.2e}, max {scale:.1}");
        assert!(err <= 1e-5 * scale, "case {i}: cpu, ours vs burn's {err}");
        for kernel in ConvKernel::ALL {
            let (got_dims, got) = run(&gpu.device, kernel);
            assert_eq!(got_dims, dims, "case {i}, {}", kernel.name());
            let (err, scale) = max_errors(&got, &want);
            println!(
                "case {i}, {}: max|wgpu-cpu| = {err:.2e}, max|cpu| = {scale:.1}",
                kernel.name()
            );
            assert!(
                err <= 1e-5 * scale,
                "case {i}, {}: max|wgpu-cpu| = {err} (max|cpu| {scale})",
                kernel.name()
            );
        }
    }
}

/// A layer4-shaped map (16×16×2048) of deterministic pseudo-random values with ReLU-like zeros,
/// and one all-zero cell.
fn test_map() -> FeatureMap {
    let (h, w, c) = (16, 16, 2048);
    let mut state = 0x2545_f491_u32;
    let data = (0..h * w * c)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let v = (state as f32 / u32::MAX as f32) * 2.0 - 0.8;
            if i < c { 0.0 } else { v.max(0.0) }
        })
        .collect();
    FeatureMap { h, w, c, data }
}

#[test]
fn heatmap_kernels_agree_on_gpu_and_cpu() {
    let Some(gpu) = gpu() else { return };
    let map = test_map();
    let on = |device| UnitMap::from_host(&map, device);
    let (g, c) = (on(&gpu.device), on(&Compute::cpu().device));
    for (cell, range) in [
        ((5, 7), Range::Fixed),
        ((0, 0), Range::Stretch),
        ((15, 3), Range::Stretch),
    ] {
        let style = Style {
            cmap: Colormap::Turbo,
            range,
            width: 333,
            height: 250,
        };
        let hg = pollster::block_on(heatmap::for_cell(&g, cell, &g, style)).unwrap();
        let hc = pollster::block_on(heatmap::for_cell(&c, cell, &c, style)).unwrap();
        let err = hg
            .values
            .iter()
            .zip(&hc.values)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        println!("cell {cell:?} {range:?}: max|gpu-cpu| cosine = {err:.2e}");
        assert!(err <= 1e-5, "cosines differ by {err}");
        assert!(hg.values.iter().all(|v| v.is_finite()));
        if cell == (0, 0) {
            // The all-zero cell: defined output, not NaN.
            assert!(hg.values.iter().all(|&v| v == 0.0), "{:?}", &hg.values[..4]);
        } else {
            assert!((hg.at(cell.0, cell.1) - 1.0).abs() < 1e-5);
        }
        // Colours: the same table entry except where a value sits on an entry boundary and the
        // two devices round it apart (then the neighbouring entry, a step of a few levels).
        let lut = Colormap::Turbo.lut();
        let near = |a: &[u8], b: &[u8]| a.iter().zip(b).all(|(x, y)| x.abs_diff(*y) <= 8);
        let differing = hg
            .rgba
            .chunks(4)
            .zip(hc.rgba.chunks(4))
            .filter(|(a, b)| a != b)
            .inspect(|(a, b)| assert!(near(a, b), "{a:?} vs {b:?}"))
            .count();
        println!(
            "  pixels differing by one table step: {differing} of {}",
            333 * 250
        );
        assert!(differing * 1000 <= 333 * 250, "{differing} pixels differ");
        assert_eq!(lut.len(), 768);
    }
}

#[test]
fn hand_computed_cosines_on_the_gpu() {
    let Some(gpu) = gpu() else { return };
    // Cells (1,0), (0,2), (1,1), (0,0): cosines with the first are 1, 0, 1/√2, 0 (zero cell → 0).
    let m = FeatureMap {
        h: 2,
        w: 2,
        c: 2,
        data: vec![1., 0., 0., 2., 1., 1., 0., 0.],
    };
    let u = UnitMap::from_host(&m, &gpu.device);
    let got = u
        .cosine(u.cell(0, 0))
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    let s2 = std::f32::consts::FRAC_1_SQRT_2;
    for (g, want) in got.iter().zip([1.0, 0.0, s2, 0.0]) {
        assert!((g - want).abs() < 1e-6, "{got:?}");
    }
}

/// The analysis views (PCA colours, mutual nearest neighbours, channel shares) on the same
/// layer4-shaped pair: the same components and pairs on wgpu as on the CPU.
#[test]
fn analysis_views_agree_on_gpu_and_cpu() {
    use featsim::analysis::{buddies::Nearest, pca::Pca, shares::WhyAlike};
    let Some(gpu) = gpu() else { return };
    let a = test_map();
    // The right map: the left one's cells in reverse order, every tenth value halved.
    let mut b = a.clone();
    b.data = a
        .data
        .chunks(a.c)
        .rev()
        .flatten()
        .enumerate()
        .map(|(i, &v)| if i % 10 == 0 { 0.5 * v } else { v })
        .collect();
    let cpu = Compute::cpu();
    let run = |device| {
        let (ua, ub) = (
            UnitMap::from_host(&a, device),
            UnitMap::from_host(&b, device),
        );
        let pca = pollster::block_on(Pca::of(&[&ua, &ub])).unwrap();
        let pairs = pollster::block_on(Nearest::of(&ua, &ub)).unwrap().mutual();
        let why = pollster::block_on(WhyAlike::of(&ua, 37, &ub, 200, 8)).unwrap();
        (pca, pairs, why)
    };
    let (gp, gpairs, gwhy) = run(&gpu.device);
    let (cp, cpairs, cwhy) = run(&cpu.device);
    for j in 0..3 {
        let (err, _) = max_errors(&gp.components[j], &cp.components[j]);
        let dv = (gp.explained[j] - cp.explained[j]).abs();
        println!("PCA component {j}: max|gpu-cpu| {err:.2e}, explained differs by {dv:.1e}");
        assert!(err < 1e-4 && dv < 1e-6, "component {j}: {err}, {dv}");
    }
    // As sets: pairs of near-equal similarity may sort either way.
    let key = |p: &[featsim::analysis::buddies::Pair]| {
        p.iter()
            .map(|p| (p.left, p.right))
            .collect::<std::collections::BTreeSet<_>>()
    };
    println!(
        "mutual pairs: {} on wgpu, {} on the CPU",
        gpairs.len(),
        cpairs.len()
    );
    assert_eq!(key(&gpairs), key(&cpairs));
    assert!(!gpairs.is_empty());
    for (g, c) in gpairs.iter().zip(&cpairs) {
        assert!((g.similarity - c.similarity).abs() < 1e-5, "{g:?} vs {c:?}");
    }
    assert_eq!(
        gwhy.channels.iter().map(|c| c.channel).collect::<Vec<_>>(),
        cwhy.channels.iter().map(|c| c.channel).collect::<Vec<_>>()
    );
    assert!((gwhy.cosine - cwhy.cosine).abs() < 1e-5);
}
