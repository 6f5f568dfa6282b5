//! torchvision layout: seeded random resnet18/resnet50 state dicts made by Debian's torchvision
//! (.pth and .safetensors), converted by `featsim convert`, reproduce torchvision's layer1..layer4.
//!
//! Tolerance: max |ours − ref| ≤ 1e-3 × max |ref| per block.
#![allow(clippy::unwrap_used)] // in a test, a panic is the failure report

mod common;
use common::*;
use featsim::compute::Compute;
use std::path::PathBuf;
use std::sync::Mutex;

const SIZE: u32 = 224;
const PHOTO: &str = "2007_000528";

/// Makes (or reuses) the seeded state dicts and converts both files; returns the .pth and its .bpk.
fn convert_both(arch: &str) -> (PathBuf, PathBuf) {
    // Tests run in parallel threads and share these files.
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch(&format!("torchvision/{arch}"));
    let (pth, st) = (
        dir.join(format!("{arch}.pth")),
        dir.join(format!("{arch}.safetensors")),
    );
    let script = root().join("tests/reference/torchvision_ref.py");
    if !fresh(&st, &[&script]) {
        python(
            "torchvision_ref.py",
            &[
                "make",
                "--arch",
                arch,
                "--seed",
                "7",
                "--out-pth",
                pth.to_str().unwrap(),
                "--out-safetensors",
                st.to_str().unwrap(),
            ],
        );
    }
    let (from_pth, from_st) = (dir.join("from-pth.bpk"), dir.join("from-safetensors.bpk"));
    for (src, out) in [(&pth, &from_pth), (&st, &from_st)] {
        featsim_ok(&[
            "convert",
            "--from",
            "torchvision",
            src.to_str().unwrap(),
            "--arch",
            arch,
            "--precision",
            "f32",
            "--out",
            out.to_str().unwrap(),
        ]);
    }
    let a = featsim::model::Weights::from_bpk(std::fs::read(&from_pth).unwrap()).unwrap();
    let b = featsim::model::Weights::from_bpk(std::fs::read(&from_st).unwrap()).unwrap();
    assert_eq!(
        a.tensors, b.tensors,
        "{arch}: .pth and .safetensors convert to the same tensors"
    );
    (pth, from_pth)
}

fn check(arch: &str) {
    let (pth, bpk) = convert_both(arch);
    let dir = scratch(&format!("torchvision/{arch}"));
    let resized = model_input(&voc_image(PHOTO), SIZE);
    let input = dir.join("input.npy");
    write_rgb_npy(&input, &resized);
    let reference = dir.join("ref");
    python(
        "torchvision_ref.py",
        &[
            "run",
            "--weights",
            pth.to_str().unwrap(),
            "--arch",
            arch,
            "--image",
            input.to_str().unwrap(),
            "--out-dir",
            reference.to_str().unwrap(),
        ],
    );
    let cpu = Compute::cpu();
    let model = load_model(&bpk, &cpu.device);
    assert_blocks_match(
        &format!("torchvision parity {arch}"),
        &our_blocks(&model, &resized),
        &reference,
    );
}

#[test]
fn resnet18_matches_torchvision() {
    check("resnet18");
}

#[test]
fn resnet50_matches_torchvision() {
    check("resnet50");
}

#[test]
fn wrong_architecture_for_a_file_is_a_clear_error() {
    let (pth, _) = convert_both("resnet18");
    let out = scratch("torchvision").join("wrong.bpk");
    let (ok, _, stderr) = featsim(&[
        "convert",
        "--from",
        "torchvision",
        pth.to_str().unwrap(),
        "--arch",
        "resnet50",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!ok && !stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains("resnet50") && (stderr.contains("missing") || stderr.contains("shape")),
        "{stderr}"
    );
    assert!(!out.exists(), "no file written on error");
}
