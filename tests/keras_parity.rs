//! The burn ResNet-50 with the converted Keras weights reproduces an independent numpy walk of the
//! original TF.js model file (tests/reference/keras_ref.py), block by block, at 512², and the f16
//! default file stays within cosine 0.999 of the exact f32 conversion in every cell.
//!
//! Tolerance: max |ours − ref| ≤ 1e-3 × max |ref| for each of layer1..layer4.
#![allow(clippy::unwrap_used)] // in a test, a panic is the failure report

mod common;
use common::*;
use featsim::compute::Compute;

const SIZE: u32 = 512;
/// An aeroplane and a cat from the VOC sample.
const PHOTOS: [&str; 2] = ["2007_000256", "2007_000528"];

#[test]
fn keras_blocks_match_the_numpy_reference() {
    let cpu = Compute::cpu();
    let model = load_model(&converted_npm_model("f32"), &cpu.device);
    let json = tfjs_model_json();
    for photo in PHOTOS {
        let dir = scratch(&format!("keras/{photo}-{SIZE}"));
        let resized = model_input(&voc_image(photo), SIZE);
        let input = dir.join("input.npy");
        write_rgb_npy(&input, &resized);
        let reference = dir.join("ref");
        if !fresh(&reference.join("layer4.npy"), &[&input, &json]) {
            python(
                "keras_ref.py",
                &[
                    "--model-json",
                    json.to_str().unwrap(),
                    "--image",
                    input.to_str().unwrap(),
                    "--out-dir",
                    reference.to_str().unwrap(),
                ],
            );
        }
        assert_blocks_match(
            &format!("keras parity {photo}"),
            &our_blocks(&model, &resized),
            &reference,
        );
    }
}

#[test]
fn f16_default_file_keeps_every_cell_within_cosine_0_999() {
    let cpu = Compute::cpu();
    let exact = load_model(&converted_npm_model("f32"), &cpu.device);
    let half = load_model(&default_weights(), &cpu.device);
    let resized = model_input(&voc_image(PHOTOS[1]), SIZE);
    let a = our_blocks(&exact, &resized);
    let b = our_blocks(&half, &resized);
    for (i, (a, b)) in a.iter().zip(&b).enumerate() {
        let block = format!("layer{}", i + 1);
        let worst = cell_cosines(a, b).into_iter().fold(1.0f64, f64::min);
        println!("f16 vs f32 {block}: worst cell cosine {worst:.6}");
        assert!(worst >= 0.999, "{block}: worst cosine {worst}");
    }
}
