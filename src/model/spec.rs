//! What a weights file says about its network: architecture, layout and preprocessing.
//!
//! The spec travels inside the `.bpk` file, so the page and the CLI need nothing else to use it.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The ResNet depths we support.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    /// ResNet-18 (BasicBlock, 2-2-2-2).
    Resnet18,
    /// ResNet-34 (BasicBlock, 3-4-6-3).
    Resnet34,
    /// ResNet-50 (Bottleneck, 3-4-6-3).
    Resnet50,
    /// ResNet-101 (Bottleneck, 3-4-23-3).
    Resnet101,
    /// ResNet-152 (Bottleneck, 3-8-36-3).
    Resnet152,
}

impl Arch {
    /// All architectures, shallow to deep.
    pub const ALL: [Arch; 5] = [
        Arch::Resnet18,
        Arch::Resnet34,
        Arch::Resnet50,
        Arch::Resnet101,
        Arch::Resnet152,
    ];

    /// Number of residual blocks in each of the four stages.
    pub fn stage_blocks(self) -> [usize; 4] {
        match self {
            Arch::Resnet18 => [2, 2, 2, 2],
            Arch::Resnet34 | Arch::Resnet50 => [3, 4, 6, 3],
            Arch::Resnet101 => [3, 4, 23, 3],
            Arch::Resnet152 => [3, 8, 36, 3],
        }
    }

    /// Bottleneck (1×1, 3×3, 1×1) blocks rather than basic (3×3, 3×3) ones.
    pub fn bottleneck(self) -> bool {
        !matches!(self, Arch::Resnet18 | Arch::Resnet34)
    }

    /// Output channels of a block's last conv relative to its width (4 for bottlenecks).
    pub fn expansion(self) -> usize {
        if self.bottleneck() { 4 } else { 1 }
    }

    /// Channels of the feature map a stage produces.
    pub fn stage_channels(self, block: Block) -> usize {
        (64 << block.index()) * self.expansion()
    }

    /// The lowercase name used on the command line and in files.
    pub fn name(self) -> &'static str {
        match self {
            Arch::Resnet18 => "resnet18",
            Arch::Resnet34 => "resnet34",
            Arch::Resnet50 => "resnet50",
            Arch::Resnet101 => "resnet101",
            Arch::Resnet152 => "resnet152",
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Arch {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Arch::ALL
            .into_iter()
            .find(|a| a.name() == s.to_ascii_lowercase())
            .ok_or_else(|| format!("unknown architecture '{s}' (expected resnet18|34|50|101|152)"))
    }
}

/// Where a network puts its details that differ between the two families of weights we meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// torchvision (ResNet v1.5): stride on the 3×3 conv of a bottleneck, no conv biases.
    Torchvision,
    /// Keras `ResNet50` (v1): stride on the first 1×1 conv of a downsampling block, conv biases.
    Keras,
}

impl Layout {
    /// Whether every conv carries a bias.
    pub fn conv_bias(self) -> bool {
        matches!(self, Layout::Keras)
    }

    /// Whether a downsampling bottleneck strides its first 1×1 conv (v1) rather than the 3×3 (v1.5).
    pub fn stride_on_first_conv(self) -> bool {
        matches!(self, Layout::Keras)
    }
}

/// The stride of a stage's first block: 1 for stage 0 (the stem already pooled), 2 after.
pub fn stage_stride(stage: usize) -> usize {
    if stage == 0 { 1 } else { 2 }
}

/// The four residual stages whose output FeatSim can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Block {
    /// Stage 1, stride 4.
    Layer1,
    /// Stage 2, stride 8.
    Layer2,
    /// Stage 3, stride 16.
    Layer3,
    /// Stage 4, stride 32.
    Layer4,
}

impl Block {
    /// All blocks, shallow to deep.
    pub const ALL: [Block; 4] = [Block::Layer1, Block::Layer2, Block::Layer3, Block::Layer4];

    /// 0-based stage index.
    pub fn index(self) -> usize {
        self as usize
    }

    /// How many input pixels one feature cell spans.
    pub fn stride(self) -> usize {
        4 << self.index()
    }

    /// Side of the feature grid for a square input of `size` pixels.
    pub fn grid(self, size: usize) -> usize {
        size / self.stride()
    }

    /// `layer1` … `layer4`.
    pub fn name(self) -> &'static str {
        ["layer1", "layer2", "layer3", "layer4"][self.index()]
    }
}

impl fmt::Display for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Block {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Block::ALL
            .into_iter()
            .find(|b| b.name() == s)
            .ok_or_else(|| format!("unknown block '{s}' (expected layer1|layer2|layer3|layer4)"))
    }
}

/// Colour channel order the network was trained on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelOrder {
    /// Red, green, blue.
    Rgb,
    /// Blue, green, red (Caffe/Keras).
    Bgr,
}

/// Pixel normalisation: `(value * scale - mean[c]) / std[c]`, channels in `order`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preprocess {
    /// Channel order of the network's input.
    pub order: ChannelOrder,
    /// Factor applied to 0..255 values first.
    pub scale: f32,
    /// Per-channel mean, in `order`.
    pub mean: [f32; 3],
    /// Per-channel standard deviation, in `order`.
    pub std: [f32; 3],
}

impl Preprocess {
    /// torchvision's ImageNet normalisation: RGB / 255, then mean/std.
    pub fn torchvision() -> Self {
        Preprocess {
            order: ChannelOrder::Rgb,
            scale: 1.0 / 255.0,
            mean: [0.485, 0.456, 0.406],
            std: [0.229, 0.224, 0.225],
        }
    }

    /// Keras/Caffe ResNet50: BGR minus the ImageNet means, no scaling.
    pub fn caffe() -> Self {
        Preprocess {
            order: ChannelOrder::Bgr,
            scale: 1.0,
            mean: [103.939, 116.779, 123.68],
            std: [1.0, 1.0, 1.0],
        }
    }
}

/// Everything needed to build and feed a network from its tensors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSpec {
    /// Human-readable name shown in the page (e.g. "ResNet-50 · ImageNet (Keras)").
    pub name: String,
    /// Depth and block type.
    pub arch: Arch,
    /// Where strides and biases sit.
    pub layout: Layout,
    /// BatchNorm epsilon.
    pub bn_eps: f32,
    /// Input normalisation.
    pub preprocess: Preprocess,
    /// Class names of the classifier head; empty when the file has no head.
    #[serde(default)]
    pub labels: Vec<String>,
    /// Where the weights came from (for the manifest and the page).
    #[serde(default)]
    pub source: String,
}

impl ModelSpec {
    /// A spec for torchvision weights of the given depth.
    pub fn torchvision(arch: Arch, name: impl Into<String>, source: impl Into<String>) -> Self {
        ModelSpec {
            name: name.into(),
            arch,
            layout: Layout::Torchvision,
            bn_eps: 1e-5,
            preprocess: Preprocess::torchvision(),
            labels: Vec::new(),
            source: source.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_sizes_match_the_product_description() {
        assert_eq!(Block::Layer4.grid(512), 16);
        assert_eq!(Block::Layer3.grid(512), 32);
        assert_eq!(Block::Layer1.grid(224), 56);
    }

    #[test]
    fn names_round_trip() {
        for a in Arch::ALL {
            assert_eq!(a.name().parse::<Arch>().unwrap(), a);
        }
        for b in Block::ALL {
            assert_eq!(b.name().parse::<Block>().unwrap(), b);
        }
        assert!("resnet20".parse::<Arch>().is_err());
        assert!("layer5".parse::<Block>().is_err());
    }

    #[test]
    fn channels_per_stage() {
        assert_eq!(Arch::Resnet50.stage_channels(Block::Layer4), 2048);
        assert_eq!(Arch::Resnet50.stage_channels(Block::Layer3), 1024);
        assert_eq!(Arch::Resnet18.stage_channels(Block::Layer4), 512);
    }
}
