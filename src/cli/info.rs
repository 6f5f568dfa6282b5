//! `featsim info`: what a .bpk file holds.

use super::files::load_weights;
use anyhow::Result;
use std::path::PathBuf;

/// Arguments of `featsim info`.
#[derive(clap::Args)]
pub struct InfoArgs {
    /// The .bpk file.
    #[arg(long)]
    weights: PathBuf,
}

/// Prints the file's spec and parameter count.
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
    println!("parameters: {params}");
    println!("source:     {}", w.spec.source);
    Ok(())
}
