//! `featsim info`: what a .bpk file holds.

use super::files::load_weights;
use crate::model::{Integrity, Precision};
use anyhow::Result;
use std::path::PathBuf;

/// Arguments of `featsim info`.
#[derive(clap::Args)]
pub struct InfoArgs {
    /// The .bpk file.
    #[arg(long)]
    weights: PathBuf,
}

/// Prints the file's spec, parameter count and what its checksum covered. scripts/setup.sh
/// re-converts a file whose `checksum:` line does not start with `full`.
pub fn run(args: InfoArgs) -> Result<()> {
    let w = load_weights(&args.weights)?;
    let params: usize = w.tensors.values().map(|t| t.data.len()).sum();
    println!("name:       {}", w.spec.name);
    println!("arch:       {}", w.spec.arch);
    println!("layout:     {:?}", w.spec.layout);
    println!("bn eps:     {}", w.spec.bn_eps);
    println!("preprocess: {:?}", w.spec.preprocess);
    println!(
        "classes:    {}",
        w.classes().map_or("none".into(), |c| c.to_string())
    );
    println!("parts:      {}", w.parts);
    println!("parameters: {params}");
    println!(
        "kernels:    {}",
        match w.stored {
            Precision::F16 => "f16",
            Precision::Int8 => "int8, one scale per output channel",
            Precision::F32 => "f32",
        }
    );
    println!("source:     {}", w.spec.source);
    // What a streamed layout's manifest and a split head name as this file's `checksum`.
    println!(
        "digest:     {}",
        w.checksum.as_deref().unwrap_or("none (format 1)")
    );
    // The same for every layout of one conversion (what feature bundles name).
    println!("network:    {}", w.network_id());
    // Said every time, since a format-1 file's description (above) may not be what was converted.
    println!(
        "checksum:   {}",
        match w.integrity {
            Integrity::Full => "full (tensors and model description)",
            Integrity::TensorsOnly =>
                "tensors only (format 1: the model description is not covered; re-convert with \
                 `featsim convert`)",
        }
    );
    Ok(())
}
