//! The network: spec, weights I/O, importers and the burn ResNet.

pub mod blocks;
pub mod import_tfjs;
pub mod import_torchvision;
pub mod parts;
pub mod preprocess;
pub mod resnet;
pub mod spec;
pub mod weights;
pub mod weights_file;

pub use blocks::{BlockManifest, BlocksError};
pub use parts::{Part, Parts};
pub use resnet::ResNet;
pub use spec::{Arch, Block, Layout, ModelSpec, Preprocess};
pub use weights::{Integrity, Precision, Weights, WeightsError};
pub use weights_file::{OpenWeightsError, open_weights};
