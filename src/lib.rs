//! FeatSim: what a convolutional network finds alike.
//!
//! Layers, bottom up: the core (model, features, similarity, segmentation, image decoding)
//! compiles natively and to wasm32; `session` — the page's state, rules and rasters in plain
//! Rust — too, and is unit-tested natively; `ui` (Leptos components and browser glue) only to
//! wasm32; the command-line tool (`cli`) only natively.

pub mod analysis;
pub mod bundle;
pub mod colormap;
pub mod compute;
pub mod digest;
pub mod features;
pub mod heatmap;
pub mod image_io;
pub mod kernels;
pub mod masks;
pub mod model;
pub mod oneshot;
pub mod resample;
pub mod segment;
pub mod selftest;
pub mod session;
pub mod similarity;
pub mod stats;

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
#[cfg(target_arch = "wasm32")]
pub mod ui;
