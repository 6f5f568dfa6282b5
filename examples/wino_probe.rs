use burn::tensor::{Bytes, DType};
use burn_flex::{FlexTensor, Layout};
use featsim::kernels::conv_cpu::{ConvShape, Epilogue, conv2d};
use std::time::Instant;
fn main() {
    for (c, h) in [(64usize, 128usize), (128, 64), (256, 32), (512, 16)] {
        let s = ConvShape {
            batch: 1,
            cin: c,
            height: h,
            width: h,
            cout: c,
            kernel_h: 3,
            kernel_w: 3,
            stride: 1,
            padding: 1,
        };
        let x: Vec<f32> = (0..c * h * h)
            .map(|i| ((i * 7919) % 1000) as f32 / 1000.0)
            .collect();
        let w: Vec<f32> = (0..c * c * 9)
            .map(|i| ((i * 104729) % 1000) as f32 / 1000.0 - 0.5)
            .collect();
        let b = vec![0.1f32; c];
        let xt = FlexTensor::new(
            Bytes::from_elems(x),
            Layout::contiguous([1, c, h, h].into()),
            DType::F32,
        );
        let wt = FlexTensor::new(
            Bytes::from_elems(w),
            Layout::contiguous([c, c, 3, 3].into()),
            DType::F32,
        );
        let mut times = vec![];
        for _ in 0..7 {
            let t = Instant::now();
            let o = conv2d(
                &xt,
                &wt,
                &b,
                &s,
                Epilogue {
                    residual: None,
                    relu: true,
                },
            );
            std::hint::black_box(o);
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!(
            "{} c={c} h={h}: median {:.1} ms min {:.1}",
            std::env::var("NOWINO").map(|_| "im2col").unwrap_or("wino"),
            times[3],
            times[0]
        );
    }
}
