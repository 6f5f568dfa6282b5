//! The `featsim` tool end to end: classification of real photos with the default weights, and clear
//! errors (never a panic) for bad weight files and images.
#![allow(clippy::unwrap_used)] // in a test, a panic is the failure report

mod common;
use common::*;
use std::path::Path;

/// Top-1 label of `featsim classify` on a VOC photo.
fn top1(photo: &str) -> String {
    let out = featsim_ok(&[
        "classify",
        "--weights",
        default_weights().to_str().unwrap(),
        voc_image(photo).to_str().unwrap(),
    ]);
    println!("{photo}:\n{out}");
    assert_eq!(out.lines().count(), 5, "five lines of top-5");
    out.lines()
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_owned()
}

#[test]
fn classify_names_an_aeroplane_a_bus_and_a_cat() {
    let plane = top1("2007_000256");
    assert!(
        ["airliner", "warplane", "wing"].contains(&plane.as_str()),
        "aeroplane → {plane}"
    );
    let bus = top1("2007_000768");
    assert!(
        ["trolleybus", "school_bus", "minibus"].contains(&bus.as_str()),
        "bus → {bus}"
    );
    let cat = top1("2007_000528");
    assert!(
        [
            "tabby",
            "tiger_cat",
            "Egyptian_cat",
            "Persian_cat",
            "Siamese_cat"
        ]
        .contains(&cat.as_str()),
        "cat → {cat}"
    );
}

#[test]
fn classify_needs_the_head_of_its_own_trunk() {
    use featsim::model::{Arch, ModelSpec, Precision, Weights};
    let dir = scratch("split-head");
    let photo = voc_image("2007_000528");
    let photo = photo.to_str().unwrap();
    // The default trunk alone: the head is neither beside it nor named.
    let trunk = dir.join("trunk.bpk");
    std::fs::copy(default_weights(), &trunk).unwrap();
    let _ = std::fs::remove_file(dir.join("trunk.head.bpk"));
    let t = trunk.to_str().unwrap();
    let msg = refused(&["classify", "--weights", t, photo]);
    assert!(
        msg.contains("has no classifier head")
            && msg.contains("trunk.head.bpk")
            && msg.contains("--head"),
        "{msg}"
    );
    // Another model's head is refused by name, beside the trunk or given with --head.
    let spec = ModelSpec::torchvision(Arch::Resnet18, "r18", "cli test");
    let (_, head) = Weights::random_with_head(spec, 3, 3)
        .to_bpk_split(Precision::F16)
        .unwrap();
    let other = dir.join("other.head.bpk");
    std::fs::write(&other, head.unwrap()).unwrap();
    let msg = refused(&[
        "classify",
        "--weights",
        t,
        "--head",
        other.to_str().unwrap(),
        photo,
    ]);
    assert!(msg.contains("belongs to another model file"), "{msg}");
    // A head file alone is not a model.
    let msg = refused(&[
        "features",
        "--weights",
        other.to_str().unwrap(),
        "--out",
        dir.join("f.npy").to_str().unwrap(),
        photo,
    ]);
    assert!(
        msg.contains("holds only the classifier head, not the trunk"),
        "{msg}"
    );
    // The real head, given by path, works like the one found beside the trunk.
    let real = default_weights().with_extension("head.bpk");
    let out = featsim_ok(&[
        "classify",
        "--weights",
        t,
        "--head",
        real.to_str().unwrap(),
        photo,
    ]);
    assert!(out.lines().next().unwrap().contains("tabby"), "{out}");
}

#[test]
fn the_streamed_layout_reads_as_the_single_file_and_refuses_a_damaged_part() {
    let blocks = root().join("weights/blocks");
    let manifest = blocks.join("resnet50-imagenet.blocks.json");
    assert!(manifest.is_file(), "run `make setup` first");
    let dir = scratch("streamed");
    let photo = voc_image("2007_000528");
    let features = |weights: &Path, out: &str| {
        let out = dir.join(out);
        featsim_ok(&[
            "features",
            "--weights",
            weights.to_str().unwrap(),
            "--size",
            "224",
            "--out",
            out.to_str().unwrap(),
            photo.to_str().unwrap(),
        ]);
        std::fs::read(out).unwrap()
    };
    // The same network whichever layout it is read from.
    assert_eq!(
        features(&manifest, "streamed.npy"),
        features(&default_weights(), "single.npy")
    );
    let info = featsim_ok(&["info", "--weights", manifest.to_str().unwrap()]);
    assert!(info.contains("parts:      trunk\n"), "{info}");
    // A copy of the folder with one part damaged, then one missing: refused by name.
    let copy = dir.join("blocks");
    let _ = std::fs::remove_dir_all(&copy);
    std::fs::create_dir_all(&copy).unwrap();
    let mut layer3 = None;
    for entry in std::fs::read_dir(&blocks).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        std::fs::copy(&path, copy.join(&name)).unwrap();
        if name.contains(".layer3.") {
            layer3 = Some(copy.join(name));
        }
    }
    let layer3 = layer3.expect("a layer3 part");
    let good = std::fs::read(&layer3).unwrap();
    let mut bad = good.clone();
    bad[good.len() / 2] ^= 0x01;
    std::fs::write(&layer3, &bad).unwrap();
    let copied = copy.join("resnet50-imagenet.blocks.json");
    let msg = refused(&["info", "--weights", copied.to_str().unwrap()]);
    assert!(
        msg.contains(".layer3.") && msg.contains("does not match its SHA-256"),
        "{msg}"
    );
    std::fs::remove_file(&layer3).unwrap();
    let msg = refused(&["info", "--weights", copied.to_str().unwrap()]);
    assert!(
        msg.contains("cannot read") && msg.contains(".layer3."),
        "{msg}"
    );
}

#[test]
fn bake_writes_a_bundle_whose_maps_are_the_features_it_reads_back() {
    use featsim::bundle::{BundleManifest, MANIFEST_FILE, decode_image_features};
    let dir = scratch("bake");
    let out = dir.join("bundle");
    let _ = std::fs::remove_dir_all(&out);
    let (a, b) = (voc_image("2007_000528"), voc_image("2007_000876"));
    let weights = default_weights();
    let report = featsim_ok(&[
        "bake",
        "--weights",
        weights.to_str().unwrap(),
        "--size",
        "224",
        "--blocks",
        "layer4,layer3",
        "--out",
        out.to_str().unwrap(),
        a.to_str().unwrap(),
        b.to_str().unwrap(),
    ]);
    println!("{report}");
    assert!(report.contains("worst cosine error"), "{report}");
    let m = BundleManifest::parse(&std::fs::read(out.join(MANIFEST_FILE)).unwrap()).unwrap();
    assert_eq!(
        (m.size, m.blocks.clone()),
        (224, vec!["layer3".into(), "layer4".into()])
    );
    assert_eq!(m.images[0].name, "2007_000528.jpg");
    // The display copy is the JPEG itself; the network named is the file's.
    assert_eq!(
        std::fs::read(out.join(&m.images[0].image.file)).unwrap(),
        std::fs::read(&a).unwrap()
    );
    let info = featsim_ok(&["info", "--weights", weights.to_str().unwrap()]);
    assert!(
        info.contains(&format!("network:    {}", m.model.network)),
        "{info}"
    );
    // Its layer4 map is the unit-normalised `featsim features` map, to the stored precision.
    let img = &m.images[0];
    let files: Vec<Vec<u8>> = img
        .features
        .iter()
        .map(|f| std::fs::read(out.join(&f.file)).unwrap())
        .collect();
    let maps = decode_image_features(&m, img, &files).unwrap();
    let npy = dir.join("l4.npy");
    featsim_ok(&[
        "features",
        "--weights",
        weights.to_str().unwrap(),
        "--size",
        "224",
        "--out",
        npy.to_str().unwrap(),
        a.to_str().unwrap(),
    ]);
    let (shape, data) = read_npy(&npy);
    let c = shape[2];
    let stored = &maps[1].1;
    assert_eq!((stored.h, stored.w, stored.c), (shape[0], shape[1], c));
    let mut worst = 0.0f32;
    for (cell, back) in data.chunks(c).zip(stored.cells.chunks(c)) {
        let n = cell.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
        let cos: f32 = cell.iter().zip(back).map(|(x, y)| x / n * y).sum();
        worst = worst.max(1.0 - cos);
    }
    assert!(
        worst < 1e-3,
        "a stored layer4 cell is {worst} from the exact direction"
    );
    // Baking again replaces the bundle, leaving no file of the old one.
    featsim_ok(&[
        "bake",
        "--weights",
        weights.to_str().unwrap(),
        "--size",
        "224",
        "--out",
        out.to_str().unwrap(),
        b.to_str().unwrap(),
    ]);
    let left: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !left.iter().any(|f| f.starts_with("2007_000528")),
        "{left:?}"
    );
    // Bad arguments are clear errors.
    let msg = refused(&[
        "bake",
        "--weights",
        weights.to_str().unwrap(),
        "--size",
        "100",
        "--out",
        out.to_str().unwrap(),
        a.to_str().unwrap(),
    ]);
    assert!(msg.contains("--size"), "{msg}");
    let msg = refused(&[
        "bake",
        "--weights",
        weights.to_str().unwrap(),
        "--blocks",
        "layer7",
        "--out",
        out.to_str().unwrap(),
        a.to_str().unwrap(),
    ]);
    assert!(msg.contains("layer7"), "{msg}");
}

/// Runs a command that must fail cleanly; returns its stderr.
fn refused(args: &[&str]) -> String {
    let (ok, _, stderr) = featsim(args);
    assert!(!ok, "featsim {args:?} should fail");
    assert!(stderr.starts_with("error: "), "no clear message: {stderr}");
    assert!(
        !stderr.contains("panicked"),
        "panic reached the user: {stderr}"
    );
    stderr
}

#[test]
fn truncated_flipped_and_foreign_weight_files_are_refused() {
    let good = std::fs::read(default_weights()).unwrap();
    let dir = scratch("bad-weights");
    let bad = dir.join("bad.bpk");
    let path = bad.to_str().unwrap();
    for tenth in 0..10 {
        std::fs::write(&bad, &good[..good.len() * tenth / 10]).unwrap();
        let msg = refused(&["info", "--weights", path]);
        assert!(msg.contains("bad.bpk"), "{msg}");
    }
    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x01;
    std::fs::write(&bad, &flipped).unwrap();
    assert!(refused(&["info", "--weights", path]).contains("checksum"));
    // A burnpack file that FeatSim did not write.
    let foreign = burn_pack::Writer::new(vec![]).into_bytes().unwrap();
    std::fs::write(&bad, &*foreign).unwrap();
    assert!(refused(&["info", "--weights", path]).contains("featsim convert"));
    std::fs::write(&bad, b"PK\x03\x04 not weights at all").unwrap();
    assert!(refused(&["info", "--weights", path]).contains("not a FeatSim weights file"));
}

/// `bpk` (as `to_bpk` writes it) rewritten the way format 1 files were: the same burnpack keys and
/// tensor bytes, `format` as the version and the checksum over the tensors alone.
fn tensors_only(bpk: Vec<u8>, format: &str) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let reader = burn_pack::Reader::from_bytes(burn_pack::Bytes::from_bytes_vec(bpk)).unwrap();
    let spec = reader.metadata()["featsim.spec"].clone();
    let mut hasher = Sha256::new();
    let mut tensors = Vec::new();
    for t in reader.into_tensors().unwrap() {
        let (name, dtype, shape, _, bytes) = t.into_parts().unwrap();
        let shape = shape.to_vec();
        hasher.update((name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        for d in &shape {
            hasher.update((*d as u64).to_le_bytes());
        }
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes[..]);
        tensors.push(burn_pack::Tensor::new(name, dtype, shape, None, bytes));
    }
    let sha: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    burn_pack::Writer::new(tensors)
        .with_metadata("featsim.format", format)
        .with_metadata("featsim.spec", &spec)
        .with_metadata("featsim.sha256", &sha)
        .into_bytes()
        .unwrap()
        .to_vec()
}

#[test]
fn info_says_what_the_checksum_covers_and_refuses_unknown_formats() {
    use featsim::model::{Arch, ModelSpec, Precision, Weights};
    let spec = ModelSpec::torchvision(Arch::Resnet18, "r18", "cli test");
    let bpk = Weights::random(spec, 1).to_bpk(Precision::F16).unwrap();
    let file = scratch("checksum-coverage").join("r18.bpk");
    let path = file.to_str().unwrap();
    let checksum_line = |out: &str| {
        println!("{out}");
        out.lines()
            .find(|l| l.starts_with("checksum:   "))
            .unwrap_or_else(|| panic!("no checksum line: {out}"))
            .to_owned()
    };
    std::fs::write(&file, &bpk).unwrap();
    let line = checksum_line(&featsim_ok(&["info", "--weights", path]));
    assert!(
        line.starts_with("checksum:   full (tensors and model description)"),
        "{line}"
    );
    std::fs::write(&file, tensors_only(bpk.clone(), "featsim-resnet/1")).unwrap();
    let line = checksum_line(&featsim_ok(&["info", "--weights", path]));
    assert!(
        line.starts_with("checksum:   tensors only (format 1")
            && line.contains("not covered")
            && line.contains("featsim convert"),
        "{line}"
    );
    std::fs::write(&file, tensors_only(bpk, "featsim-resnet/4")).unwrap();
    let msg = refused(&["info", "--weights", path]);
    assert!(
        msg.contains("r18.bpk") && msg.contains("'featsim-resnet/4'"),
        "{msg}"
    );
}

#[test]
fn bad_images_are_refused() {
    let dir = scratch("bad-images");
    let weights = default_weights();
    let w = weights.to_str().unwrap();
    let cases: [(&str, &[u8], &str); 3] = [
        ("empty.jpg", b"", "empty"),
        (
            "vector.svg",
            b"<svg xmlns='http://www.w3.org/2000/svg'></svg>",
            "unsupported",
        ),
        (
            "truncated.jpg",
            &std::fs::read(voc_image("2007_000256")).unwrap()[..20000],
            "truncated",
        ),
    ];
    for (name, bytes, expect) in cases {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        let msg = refused(&["classify", "--weights", w, p.to_str().unwrap()]);
        assert!(msg.contains(expect), "{name}: {msg}");
    }
}

#[test]
fn self_similarity_peaks_at_the_clicked_cell() {
    let dir = scratch("similarity");
    let (png, npy) = (dir.join("self.png"), dir.join("self.npy"));
    let photo = voc_image("2007_000528");
    featsim_ok(&[
        "similarity",
        "--weights",
        default_weights().to_str().unwrap(),
        "--layer",
        "layer4",
        "--cell",
        "5,9",
        "--self",
        photo.to_str().unwrap(),
        "--values",
        npy.to_str().unwrap(),
        "--out",
        png.to_str().unwrap(),
    ]);
    let (shape, values) = read_npy(&npy);
    assert_eq!(shape, vec![16, 16]);
    let (best, max) = values
        .iter()
        .enumerate()
        .fold((0, f32::MIN), |a, (i, &v)| if v > a.1 { (i, v) } else { a });
    assert_eq!((best / 16, best % 16), (5, 9));
    assert!((max - 1.0).abs() < 1e-3, "self-similarity {max}");
    let heat = image::open(&png).unwrap();
    let (w, h) = image::image_dimensions(&photo).unwrap();
    assert_eq!(
        (heat.width(), heat.height()),
        (w, h),
        "heatmap at the image's own size"
    );
    // Outside the grid is a clear error.
    let (ok, _, stderr) = featsim(&[
        "similarity",
        "--weights",
        default_weights().to_str().unwrap(),
        "--cell",
        "16,0",
        "--self",
        photo.to_str().unwrap(),
        "--out",
        png.to_str().unwrap(),
    ]);
    assert!(!ok && stderr.contains("outside the 16×16 grid"), "{stderr}");
}

/// `featsim eval-oneshot` with the default weights on one VOC episode, plus `extra` arguments.
fn eval_pair(pair: &str, extra: &[&str]) -> (bool, String, String) {
    let (weights, voc) = (default_weights(), voc());
    let mut args = vec![
        "eval-oneshot",
        "--weights",
        weights.to_str().unwrap(),
        "--data",
        voc.to_str().unwrap(),
        "--pair",
        pair,
    ];
    args.extend_from_slice(extra);
    featsim(&args)
}

#[test]
fn one_episode_runs_alone_and_a_pair_from_two_classes_is_refused() {
    let run = |method: &str, pair: &str| eval_pair(pair, &["--method", method]);
    // Two aeroplanes: one episode; the best recipe finds more of the plane than the plain one.
    let score = |out: &str| -> f64 {
        let last = out.lines().last().unwrap();
        assert!(last.ends_with("episodes=1"), "{last}");
        last.split_whitespace().next().unwrap()["mIoU=".len()..]
            .parse()
            .unwrap()
    };
    let (ok, plain, err) = run("plain", "2007_000256,2007_000480");
    assert!(ok, "{err}");
    let (ok, best, err) = run("best", "2007_000256,2007_000480");
    assert!(ok, "{err}");
    let (plain, best) = (score(&plain), score(&best));
    assert!(plain > 0.4 && best > plain, "plain {plain}, best {best}");
    // An aeroplane and a bird share no class.
    let (ok, _, err) = run("plain", "2007_000256,2007_000068");
    assert!(
        !ok && err.contains("no class of classes.json lists both"),
        "{err}"
    );
}

#[test]
fn eval_oneshot_dumps_the_blocks_asked_for_and_refuses_deeper_ones() {
    let dir = scratch("dump-blocks");
    let _ = std::fs::remove_dir_all(&dir);
    let run = |layer: &str, blocks: &str| {
        let d = dir.to_str().unwrap();
        let args = [
            "--layer",
            layer,
            "--dump-features",
            d,
            "--dump-blocks",
            blocks,
        ];
        eval_pair("2007_000256,2007_000480", &args)
    };
    let (ok, _, err) = run("layer3", "layer2,layer4");
    assert!(
        !ok && err.contains("--dump-blocks layer4 is deeper than --layer layer3"),
        "{err}"
    );
    let (ok, _, err) = run("layer4", "layer3,layer4");
    assert!(ok, "{err}");
    for (block, side, depth) in [("layer3", 32, 1024), ("layer4", 16, 2048)] {
        for name in ["2007_000256", "2007_000480"] {
            let (shape, _) = read_npy(&dir.join(block).join(format!("{name}.npy")));
            assert_eq!(shape, [side, side, depth], "{block}/{name}");
        }
    }
    assert!(!dir.join("layer2").exists(), "layer2 was not asked for");
}

#[test]
fn bench_prints_a_table_and_a_json_line_of_positive_medians() {
    let out = featsim_ok(&[
        "bench", "--random", "resnet18", "--size", "64", "--runs", "2",
    ]);
    let json: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    let medians = json["median_ms"].as_object().unwrap();
    for key in [
        "input",
        "forward_layer1",
        "forward_layer4",
        "features",
        "heatmap",
        "episode_plain",
        "episode_best",
        "episode_best_full",
    ] {
        let v = medians[key].as_f64().unwrap();
        assert!(v > 0.0, "{key}: {v}");
    }
    assert!(out.contains("forward_layer4"), "{out}");
    let (ok, _, err) = featsim(&["bench", "--size", "64"]);
    assert!(!ok && err.contains("--weights"), "{err}");
}
