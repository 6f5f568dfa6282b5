//! A tiny computation with exactly known results, to prove a device computes correctly.

use crate::compute::{DeviceError, read_vec};
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Device, Tensor, TensorData};

/// Results of [`run`]: a 2×3·3×2 matmul and a padded 3×3 conv of a 4×4 ramp.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SelfTest {
    /// `[[1,2,3],[4,5,6]] · [[7,8],[9,10],[11,12]]`, row-major.
    pub matmul: Vec<f32>,
    /// A 3×3 all-ones kernel, bias 1, padding 1, over the 4×4 image 1..16, row-major.
    pub conv: Vec<f32>,
}

/// Runs the self-test on `device`, reading back asynchronously (works in the browser).
pub async fn run(device: &Device) -> Result<SelfTest, DeviceError> {
    let a = Tensor::<2>::from_data(
        TensorData::new(vec![1.0f32, 2., 3., 4., 5., 6.], [2, 3]),
        device,
    );
    let b = Tensor::<2>::from_data(
        TensorData::new(vec![7.0f32, 8., 9., 10., 11., 12.], [3, 2]),
        device,
    );
    let x = Tensor::<4>::from_data(
        TensorData::new((1..=16).map(|v| v as f32).collect::<Vec<_>>(), [1, 1, 4, 4]),
        device,
    );
    let w = Tensor::<4>::ones([1, 1, 3, 3], device);
    let bias = Tensor::<1>::ones([1], device);
    let y = conv2d(
        x,
        w,
        Some(bias),
        ConvOptions::new([1, 1], [1, 1], [1, 1], 1),
    );
    let matmul = read_vec(a.matmul(b)).await?;
    let conv = read_vec(y).await?;
    Ok(SelfTest { matmul, conv })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_backend_gives_the_exact_numbers() {
        let r = pollster::block_on(run(&Device::flex())).unwrap();
        assert_eq!(r.matmul, vec![58., 64., 139., 154.]);
        assert_eq!(
            r.conv,
            vec![
                15., 25., 31., 23., 34., 55., 64., 46., 58., 91., 100., 70., 47., 73., 79., 55.
            ]
        );
    }
}
