//! FeatSim: what a convolutional network finds alike.
//!
//! The core (model, features, image decoding) compiles natively and to wasm32; the Leptos page
//! (`app`) only to wasm32, the command-line tool (`cli`) only natively.

pub mod colormap;
pub mod compute;
pub mod features;
pub mod heatmap;
pub mod image_io;
pub mod kernels;
pub mod masks;
pub mod model;
pub mod oneshot;
pub mod segment;
pub mod selftest;
pub mod similarity;
pub mod stats;

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
