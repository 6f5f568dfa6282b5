//! The same model on wgpu (natively: lavapipe in CI, a real GPU elsewhere) and on the CPU backend
//! gives the same features: max |gpu − cpu| ≤ 1e-3 × max |cpu| per block, at 512².
//!
//! Runs in its own test binary because burn keeps one wgpu runtime per process.

mod common;
use common::*;
use featsim::compute::Compute;

#[test]
fn wgpu_and_cpu_features_agree() {
    let gpu = match pollster::block_on(Compute::wgpu()) {
        Ok(c) => c,
        Err(e) => {
            // `make test` installs lavapipe and sets this, so CI cannot skip silently.
            assert!(
                std::env::var_os("FEATSIM_REQUIRE_WGPU").is_none(),
                "no wgpu adapter: {e}"
            );
            eprintln!("skipped: no wgpu adapter ({e})");
            return;
        }
    };
    println!("wgpu adapter: {}", gpu.describe());
    let cpu = Compute::cpu();
    let weights = default_weights();
    let resized = model_input(&voc_image("2007_000256"), 512);
    let on_gpu = our_blocks(&load_model(&weights, &gpu.device), &resized);
    let on_cpu = our_blocks(&load_model(&weights, &cpu.device), &resized);
    for (i, (g, c)) in on_gpu.iter().zip(&on_cpu).enumerate() {
        let (err, scale) = max_errors(&g.data, &c.data);
        println!(
            "layer{}: max|wgpu-cpu| = {err:.3e}, max|cpu| = {scale:.2}",
            i + 1
        );
        assert!(
            err <= 1e-3 * scale,
            "layer{}: {err} > 1e-3 × {scale}",
            i + 1
        );
    }
}
