//! The `featsim` command-line tool: conversion, features, classification, similarity and one-shot
//! evaluation — over the same core as the page.
//!
//! One module per subcommand, each with its arguments and its `run`; this one parses the command
//! line and holds what several subcommands share (device choice, the model arguments).

mod bake;
mod bench;
mod classify;
mod convert;
mod eval_oneshot;
mod features;
mod files;
mod info;
mod similarity;

use crate::compute::Compute;
use crate::model::{Block, ResNet};
use anyhow::{Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// What a convolutional network finds alike — conversion, features and checks from the shell.
#[derive(Parser)]
#[command(name = "featsim", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Convert weights to FeatSim's .bpk file.
    Convert(convert::ConvertArgs),
    /// Precompute features of images into a bundle a page shows without the model.
    Bake(bake::BakeArgs),
    /// Print what a .bpk file holds.
    Info(info::InfoArgs),
    /// Write a block's feature map as float32 .npy [H, W, C].
    Features(features::FeaturesArgs),
    /// Score one-shot segmentation on a VOC-layout folder (every ordered support/query pair per class).
    EvalOneshot(eval_oneshot::EvalOneshotArgs),
    /// Time the forward pass to each block, a heatmap and one-shot episodes (median of --runs).
    Bench(bench::BenchArgs),
    /// Heatmap of one cell of LEFT against every cell of RIGHT, overlaid on RIGHT.
    Similarity(similarity::SimilarityArgs),
    /// Print the top-5 ImageNet classes of an image.
    Classify(classify::ClassifyArgs),
}

/// Runs the tool; errors are printed as one clear message, never a panic trace.
pub fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Convert(args) => convert::run(args),
        Command::Bake(args) => bake::run(args),
        Command::Info(args) => info::run(args),
        Command::Features(args) => features::run(args),
        Command::EvalOneshot(args) => eval_oneshot::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Similarity(args) => similarity::run(args),
        Command::Classify(args) => classify::run(args),
    }
}

/// Where to compute.
#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum BackendArg {
    /// burn's CPU backend.
    Cpu,
    /// The default wgpu adapter (Vulkan, Metal, DX12; lavapipe works).
    Wgpu,
}

impl BackendArg {
    /// Brings up the device.
    fn compute(self) -> Result<Compute> {
        match self {
            BackendArg::Cpu => Ok(Compute::cpu()),
            BackendArg::Wgpu => pollster::block_on(Compute::wgpu())
                .map_err(|e| anyhow::anyhow!("no wgpu adapter ({e}); try --backend cpu")),
        }
    }
}

/// Weights, block, input size and device: what every feature-reading command needs.
#[derive(clap::Args)]
struct ModelArgs {
    /// The .bpk file.
    #[arg(long)]
    weights: PathBuf,
    /// layer1..layer4.
    #[arg(long, default_value = "layer4")]
    layer: Block,
    /// Square input size in pixels (multiple of 32).
    #[arg(long, default_value_t = 512)]
    size: u32,
    /// Where to compute.
    #[arg(long, value_enum, default_value_t = BackendArg::Cpu)]
    backend: BackendArg,
}

impl ModelArgs {
    /// Checks the size, brings up the device and builds the model on it.
    fn load(&self) -> Result<(Compute, ResNet)> {
        check_size(self.size)?;
        let compute = self.backend.compute()?;
        let model = ResNet::new(&files::load_weights(&self.weights)?, &compute.device)?;
        Ok((compute, model))
    }
}

/// Refuses an input size the network cannot take (or that would not fit a device).
fn check_size(size: u32) -> Result<()> {
    if !(32..=2048).contains(&size) || !size.is_multiple_of(32) {
        bail!("--size must be a multiple of 32 between 32 and 2048, got {size}");
    }
    Ok(())
}
