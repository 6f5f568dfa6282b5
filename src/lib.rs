//! FeatSim: what a convolutional network finds alike.
//!
//! The core (model, features, image decoding) compiles natively and to wasm32; the Leptos page
//! (`app`) only to wasm32, the command-line tool (`cli`) only natively.

pub mod compute;
pub mod features;
pub mod image_io;
pub mod model;
pub mod selftest;

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
