//! The way back from the feature grid, against references (tests/reference/way_back_ref.py):
//! maps are upsampled exactly as PyTorch's `interpolate(mode="bilinear", align_corners=False)`
//! (heatmaps, the one-shot score maps, and the colouring kernel's CPU twin, which samples with the
//! same function), and masks reach the grid as exact covered-area fractions per cell.
#![allow(clippy::unwrap_used)] // in a test, a panic is the failure report

mod common;
use common::*;
use featsim::resample::{cell_coverage, upsample_bilinear};

#[derive(serde::Deserialize)]
struct Case {
    kind: String,
    name: String,
    h: usize,
    w: usize,
    #[serde(default)]
    out_h: usize,
    #[serde(default)]
    out_w: usize,
    #[serde(default)]
    grid: usize,
}

#[test]
fn upsampling_and_mask_coverage_match_the_references() {
    let dir = scratch("way-back");
    python("way_back_ref.py", &["--out", dir.to_str().unwrap()]);
    let cases: Vec<Case> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("cases.json")).unwrap()).unwrap();
    assert!(
        cases.len() >= 10,
        "the reference wrote {} cases",
        cases.len()
    );
    for case in cases {
        let (shape, input) = read_npy(&dir.join(format!("{}_in.npy", case.name)));
        assert_eq!(shape, [case.h, case.w], "{}", case.name);
        let (_, expected) = read_npy(&dir.join(format!("{}_out.npy", case.name)));
        let ours = match case.kind.as_str() {
            "upsample" => upsample_bilinear(&input, case.h, case.w, case.out_w, case.out_h),
            "coverage" => {
                let mask = image::GrayImage::from_fn(case.w as u32, case.h as u32, |x, y| {
                    image::Luma([u8::from(input[y as usize * case.w + x as usize] > 0.5)])
                });
                cell_coverage(&mask, case.grid)
            }
            other => panic!("unknown case kind {other}"),
        };
        let (err, scale) = max_errors(&ours, &expected);
        println!(
            "{} {} {}×{}: max |ours − ref| = {err:.2e} (max |ref| {scale:.2})",
            case.kind, case.name, case.h, case.w
        );
        // f32 rounding of the sample positions (PyTorch forms the scale first, we the product).
        assert!(err <= 1e-5 * scale.max(1.0), "{}: {err}", case.name);
    }
}
