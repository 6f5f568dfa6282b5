//! The page's session layer: plain Rust (no `web_sys`, no `view!`), compiled on every target and
//! unit-tested natively. It holds what the page knows and decides — the request the worker
//! computes from, value types, cell geometry, overlay rasters, the link codec, the feature cache,
//! result keys and the latest-wins rule — so the browser layer (`crate::ui`) only shows it and
//! wires events to it.
//!
//! Leaves first: `side`, `mode`, `limits`, `address`, `geometry`, `paint`, `image`, `settings`, `threshold`, `views`; then
//! what builds on them: `request`, `keys`, `link`, `overlay`, `schedule`, `cache`, `messages`,
//! `progress`, `results`, `iou_plot`, `embed`, `export`, `figure`, `gallery`, `models`, `targets`, `host` (the embed's
//! postMessage API).

pub mod address;
pub mod cache;
pub mod embed;
pub mod export;
pub mod figure;
pub mod gallery;
pub mod geometry;
pub mod host;
pub mod image;
pub mod iou_plot;
pub mod keys;
pub mod limits;
pub mod link;
pub mod messages;
pub mod mode;
pub mod models;
pub mod overlay;
pub mod paint;
pub mod progress;
pub mod request;
pub mod results;
pub mod schedule;
pub mod settings;
pub mod side;
pub mod targets;
pub mod threshold;
pub mod views;
