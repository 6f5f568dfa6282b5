//! Feature maps: running the network on an image and reading a block's output.

use crate::compute::{DeviceError, read_vec};
use crate::model::{Block, ResNet, preprocess};
use crate::resample;
use burn::tensor::Tensor;
use image::RgbImage;

/// A block's output for one image on the host, channels last: `data[(y * w + x) * c + k]`.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureMap {
    /// Grid rows.
    pub h: usize,
    /// Grid columns.
    pub w: usize,
    /// Channels per cell.
    pub c: usize,
    /// Values, `[h, w, c]` row-major.
    pub data: Vec<f32>,
}

impl FeatureMap {
    /// The feature vector of cell (`row`, `col`).
    pub fn cell(&self, row: usize, col: usize) -> &[f32] {
        let i = (row * self.w + col) * self.c;
        &self.data[i..i + self.c]
    }
}

/// The network input for an image at `size`×`size` pixels.
pub fn input(model: &ResNet, img: &RgbImage, size: u32) -> Tensor<4> {
    let resized = resample::resize_square(img, size);
    Tensor::from_data(
        preprocess::input_data(&resized, &model.spec().preprocess),
        model.device(),
    )
}

/// Block outputs `layer1..=last` for an image, on the device, `[1, C, H, W]` each.
pub fn compute(model: &ResNet, img: &RgbImage, size: u32, last: Block) -> Vec<Tensor<4>> {
    model.forward_blocks(input(model, img, size), last)
}

/// Reads a `[1, C, H, W]` device tensor back as a channels-last [`FeatureMap`].
pub async fn read(t: Tensor<4>) -> Result<FeatureMap, DeviceError> {
    let [_, c, h, w] = t.dims();
    let hwc: Tensor<3> = t.reshape([c, h, w]).permute([1, 2, 0]);
    let data = read_vec(hwc).await?;
    Ok(FeatureMap { h, w, c, data })
}
