//! What the visitor's gestures and the page's start do: each action changes signals (and the
//! engine's store); the request follows from the signals, so no action wakes the worker itself.

pub mod bundle;
pub mod device_lost;
pub mod export;
pub mod gallery;
pub mod host;
pub mod images;
pub mod masks;
pub mod models;
pub mod open;
pub mod startup;
pub mod targets;
pub mod view;
