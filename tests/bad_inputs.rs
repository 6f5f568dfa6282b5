//! The robustness sweep of the core's image decoding: every fixture of
//! tests/reference/bad_images.py is either accepted at its upright size or refused with a clear
//! message — never a panic. (Weights files: tests/cli.rs; the page: tests/e2e/robustness.test.mjs.)
//!
//! `fuzz` (tests/bad_inputs/fuzz/) does the same with generated inputs for every parser that
//! outside bytes reach; it lives in this binary rather than its own so that burn is linked once.
#![allow(clippy::unwrap_used)] // in a test, a panic is the failure report

mod common;
#[path = "bad_inputs/fuzz/mod.rs"]
mod fuzz;
use common::*;
use featsim::image_io;
use std::collections::BTreeMap;

#[derive(serde::Deserialize)]
struct Expect {
    expect: String,
    width: Option<u32>,
    height: Option<u32>,
    contains: Option<String>,
}

#[test]
fn every_odd_or_bad_image_is_decoded_upright_or_refused_clearly() {
    let dir = scratch("bad-images");
    python("bad_images.py", &[dir.to_str().unwrap()]);
    let expect: BTreeMap<String, Expect> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expect.json")).unwrap()).unwrap();
    let (mut accepted, mut refused) = (0, 0);
    for (name, e) in &expect {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let got = std::panic::catch_unwind(|| image_io::decode(&bytes))
            .unwrap_or_else(|_| panic!("{name}: decoding panicked"));
        match (e.expect.as_str(), got) {
            ("ok", Ok(img)) => {
                assert_eq!(
                    (Some(img.width()), Some(img.height())),
                    (e.width, e.height),
                    "{name}: size"
                );
                accepted += 1;
            }
            ("refused", Err(err)) => {
                let msg = err.to_string();
                let word = e.contains.as_deref().unwrap();
                assert!(msg.contains(word), "{name}: {msg:?} lacks {word:?}");
                println!("{name}: refused — {msg}");
                refused += 1;
            }
            (want, got) => panic!(
                "{name}: expected {want}, got {:?}",
                got.map(|i| i.dimensions())
            ),
        }
    }
    println!(
        "{} images tried: {accepted} accepted, {refused} refused, 0 panics",
        expect.len()
    );

    // Content checks: upright, first frame, alpha over white.
    let open = |n: &str| image_io::decode(&std::fs::read(dir.join(n)).unwrap()).unwrap();
    // The dark disc sits at (0.7 w, 0.3 h) as stored; EXIF 6 turns the 160×120 picture a quarter
    // clockwise, which puts it at (h − 1 − y, x) = (83, 112) of the 120×160 result.
    let rotated = open("exif-rotated.jpg");
    assert!(
        rotated.get_pixel(83, 112).0[2] < 100,
        "disc not where upright puts it"
    );
    assert!(rotated.get_pixel(112, 36).0[2] > 120);
    let gif = open("animated.gif");
    assert!(gif.get_pixel(56, 18).0[2] < 100, "not the first frame");
    let alpha = open("alpha.png");
    assert!(
        alpha.get_pixel(5, 0).0.iter().all(|&c| c > 240),
        "transparent → white"
    );
}
