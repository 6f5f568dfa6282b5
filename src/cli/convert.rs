//! `featsim convert`: TF.js or torchvision weights to FeatSim's .bpk file.

use super::files::{head_path, write_atomically};
use crate::model::blocks::{self, MANIFEST_SUFFIX};
use crate::model::import_torchvision::{TorchvisionError, from_safetensors, import, read_pth};
use crate::model::{Arch, Precision, Weights, import_tfjs};
use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};

/// Source format for `convert`.
#[derive(Clone, Copy, ValueEnum)]
enum SourceFormat {
    /// A TF.js layers model of Keras' ResNet50 (model.json + shards).
    Tfjs,
    /// A torchvision ResNet state dict (.pth or .safetensors).
    Torchvision,
}

/// On-disk precision of a converted file.
#[derive(Clone, Copy, ValueEnum)]
enum PrecisionArg {
    /// Half the size (default).
    F16,
    /// A quarter of the size: int8 kernels, one scale per output channel.
    Int8,
    /// Exact.
    F32,
}

/// Arguments of `featsim convert`.
#[derive(clap::Args)]
pub struct ConvertArgs {
    /// Source format.
    #[arg(long)]
    from: SourceFormat,
    /// model.json (tfjs) or the .pth/.safetensors file (torchvision).
    input: PathBuf,
    /// Architecture of a torchvision file (default: read from the tensor names).
    #[arg(long)]
    arch: Option<Arch>,
    /// Class labels for a tfjs model (JSON: list, or object index → name); default
    /// `../assets/labels.json` beside model.json when present.
    #[arg(long)]
    labels: Option<PathBuf>,
    /// Name shown in the page.
    #[arg(long)]
    name: Option<String>,
    /// Storage precision (`--quant int8` says the same as `--precision int8`).
    #[arg(long, alias = "quant", value_enum, default_value_t = PrecisionArg::F16)]
    precision: PrecisionArg,
    /// Output .bpk file.
    #[arg(long)]
    out: PathBuf,
    /// Write the trunk (all the page needs) to `--out` and the classifier head beside it as
    /// `X.head.bpk`, which `featsim classify` joins to it.
    #[arg(long)]
    split: bool,
    /// Also write the streamed layout the page loads into this folder: `X.blocks.json` and one
    /// content-named .bpk per part (stem + layer1, layer2, layer3, layer4, head). Parts of an
    /// earlier conversion of `X` in the folder are removed.
    #[arg(long, value_name = "DIR")]
    blocks: Option<PathBuf>,
}

/// Imports the input, then writes it as a .bpk in the chosen precision.
pub fn run(args: ConvertArgs) -> Result<()> {
    let (input, out) = (args.input.as_path(), args.out.as_path());
    let pb = spinner(&format!("converting {}", input.display()));
    let mut weights = match args.from {
        SourceFormat::Tfjs => {
            let json = std::fs::read_to_string(input)
                .with_context(|| format!("cannot read {}", input.display()))?;
            let dir = input.parent().unwrap_or(Path::new("."));
            let mut shards = Vec::new();
            for p in import_tfjs::shard_paths(&json)? {
                let path = dir.join(&p);
                shards.extend(
                    std::fs::read(&path)
                        .with_context(|| format!("cannot read shard {}", path.display()))?,
                );
            }
            let default_labels = dir.join("../assets/labels.json");
            let labels = match &args.labels {
                Some(p) => read_labels(p)?,
                None if default_labels.exists() => read_labels(&default_labels)?,
                None => Vec::new(),
            };
            import_tfjs::import(&json, &shards, labels)?
        }
        SourceFormat::Torchvision => {
            let mut w = torchvision(input, args.arch)?;
            if let Some(l) = &args.labels {
                w.spec.labels = read_labels(l)?;
            }
            w
        }
    };
    if let Some(n) = args.name {
        weights.spec.name = n;
    }
    let precision = match args.precision {
        PrecisionArg::F16 => Precision::F16,
        PrecisionArg::Int8 => Precision::Int8,
        PrecisionArg::F32 => Precision::F32,
    };
    let (bytes, head) = if args.split {
        weights.to_bpk_split(precision)?
    } else {
        (weights.to_bpk(precision)?, None)
    };
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    pb.finish_and_clear();
    let what = format!(
        "{}, {} {:?}",
        weights.spec.name, weights.spec.arch, precision
    );
    write_atomically(out, &bytes)?;
    let parts = if args.split { "trunk" } else { "whole network" };
    eprintln!(
        "wrote {} ({what}, {parts}, {:.1} MB)",
        out.display(),
        bytes.len() as f64 / 1e6
    );
    match head {
        Some(head) => {
            let path = head_path(out);
            write_atomically(&path, &head)?;
            eprintln!(
                "wrote {} (its classifier head, {:.1} MB)",
                path.display(),
                head.len() as f64 / 1e6
            );
        }
        // Said, so that a `.head.bpk` left from an earlier conversion is not taken for this one.
        None if args.split => eprintln!("(no classifier head in {})", input.display()),
        None => {}
    }
    if let Some(dir) = &args.blocks {
        write_blocks(&weights, precision, out, dir)?;
    }
    Ok(())
}

/// Writes the streamed layout of `weights` into `dir`, named after `out`'s stem.
fn write_blocks(weights: &Weights, precision: Precision, out: &Path, dir: &Path) -> Result<()> {
    let stem = out
        .file_stem()
        .and_then(|s| s.to_str())
        .context("--out needs a file name for --blocks to name the parts after")?;
    let (manifest, files) = blocks::write_blocks(weights, precision, stem)?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (name, bytes) in &files {
        write_atomically(&dir.join(name), bytes)?;
    }
    // Old parts of this stem would otherwise be shipped (and precached) with the page.
    let prefix = format!("{stem}.");
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.starts_with(&prefix)
            && name.ends_with(".bpk")
            && !files.iter().any(|(f, _)| *f == name)
        {
            std::fs::remove_file(dir.join(&name))?;
        }
    }
    let path = dir.join(format!("{stem}{MANIFEST_SUFFIX}"));
    write_atomically(&path, serde_json::to_string_pretty(&manifest)?.as_bytes())?;
    let sizes: Vec<String> = manifest
        .parts
        .iter()
        .map(|p| format!("{} {:.1} MB", p.parts, p.bytes as f64 / 1e6))
        .collect();
    eprintln!("wrote {} ({})", path.display(), sizes.join(", "));
    Ok(())
}

/// Imports a torchvision state dict (.safetensors, or .pth/.pt through the native-only reader).
fn torchvision(input: &Path, arch: Option<Arch>) -> Result<crate::model::Weights> {
    let file = input
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = input.extension().and_then(|e| e.to_str()).unwrap_or("");
    let imported = match ext {
        "safetensors" => from_safetensors(
            &std::fs::read(input).with_context(|| format!("cannot read {}", input.display()))?,
            &file,
            arch,
        ),
        "pth" | "pt" => read_pth(input).and_then(|state| import(state, &file, arch)),
        _ => bail!("{}: expected a .pth or .safetensors file", input.display()),
    };
    match imported {
        // On the command line the way out is a flag.
        Err(TorchvisionError::UnknownDepth) => bail!(
            "cannot tell the ResNet depth from the tensor names; give --arch resnet18|34|50|101|152"
        ),
        other => Ok(other?),
    }
}

/// A spinner for a step with no measurable progress.
fn spinner(msg: &str) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} {elapsed}").expect("valid template"),
    );
    pb.set_message(msg.to_owned());
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb
}

/// Class labels from JSON: a list, or an object from index ("0".."N-1") to name.
fn read_labels(path: &Path) -> Result<Vec<String>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{}", path.display()))?;
    match value {
        serde_json::Value::Array(items) => items
            .into_iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .context("labels must be strings")
            })
            .collect(),
        serde_json::Value::Object(map) => {
            let mut pairs: Vec<(usize, String)> = map
                .into_iter()
                .map(|(k, v)| {
                    Ok((
                        k.parse()?,
                        v.as_str().context("labels must be strings")?.to_owned(),
                    ))
                })
                .collect::<Result<_>>()?;
            pairs.sort();
            if pairs.iter().enumerate().any(|(i, (k, _))| *k != i) {
                bail!("{}: label indices must be 0..N", path.display());
            }
            Ok(pairs.into_iter().map(|(_, v)| v).collect())
        }
        _ => bail!(
            "{}: expected a JSON list or object of labels",
            path.display()
        ),
    }
}
