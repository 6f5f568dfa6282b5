//! Turning an RGB image into the network's input, as the weights file prescribes.

use super::spec::{ChannelOrder, Preprocess};
use burn::tensor::TensorData;
use image::RgbImage;

/// `[1, 3, H, W]` input values for `img`, normalised per `pre`.
pub fn input_data(img: &RgbImage, pre: &Preprocess) -> TensorData {
    let (w, h) = img.dimensions();
    let (w, h) = (w as usize, h as usize);
    let plane = w * h;
    let mut data = vec![0.0f32; 3 * plane];
    for (i, px) in img.pixels().enumerate() {
        for c in 0..3 {
            let src = match pre.order {
                ChannelOrder::Rgb => c,
                ChannelOrder::Bgr => 2 - c,
            };
            data[c * plane + i] = (f32::from(px.0[src]) * pre.scale - pre.mean[c]) / pre.std[c];
        }
    }
    TensorData::new(data, [1, 3, h, w])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caffe_preprocessing_is_bgr_minus_mean() {
        let img = RgbImage::from_pixel(1, 1, image::Rgb([200, 100, 50]));
        let d = input_data(&img, &Preprocess::caffe());
        let v = d.as_slice::<f32>().unwrap();
        assert_eq!(v, &[50.0 - 103.939, 100.0 - 116.779, 200.0 - 123.68]);
    }

    #[test]
    fn torchvision_preprocessing_is_rgb_mean_std() {
        let img = RgbImage::from_pixel(1, 1, image::Rgb([255, 0, 0]));
        let d = input_data(&img, &Preprocess::torchvision());
        let v = d.as_slice::<f32>().unwrap();
        assert!((v[0] - (1.0 - 0.485) / 0.229).abs() < 1e-6);
        assert!((v[2] - (0.0 - 0.406) / 0.225).abs() < 1e-6);
    }
}
