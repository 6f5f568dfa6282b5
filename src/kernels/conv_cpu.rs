//! The network's convolutions on the CPU: the taps matrix built tile by tile straight from NCHW
//! rows, multiplied by burn-flex's matmul (gemm), and the bias, the residual and the ReLU applied
//! to each tile while it is still in cache.
//!
//! burn's CPU convolution (burn-flex 0.22) copies the whole input to NHWC and the weight to
//! tap-major on every call (strided 1×1 convolutions included), zero-fills each tile before
//! filling it, and adds the bias in a pass of its own; the ReLU and the residual add are passes
//! after it. Here the weight is used as stored (`[Cout, Cin·Kh·Kw]` is already the left operand),
//! a tile is written once, and a 1×1 stride-1 convolution multiplies its input as it is.

use burn::backend::Flex;
use burn::backend::ops::FloatTensorOps;
use burn::tensor::{Bytes, DType};
use burn_flex::{FlexTensor, Layout};
use std::ops::Range;

/// One convolution's sizes: NCHW input, `[Cout, Cin, Kh, Kw]` weight, the same stride and zero
/// padding on both axes, no dilation, one group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvShape {
    /// Images in the batch.
    pub batch: usize,
    /// Input channels.
    pub cin: usize,
    /// Input height.
    pub height: usize,
    /// Input width.
    pub width: usize,
    /// Output channels.
    pub cout: usize,
    /// Kernel height.
    pub kernel_h: usize,
    /// Kernel width.
    pub kernel_w: usize,
    /// Stride, on both axes.
    pub stride: usize,
    /// Zero padding, on both sides of both axes.
    pub padding: usize,
}

impl ConvShape {
    /// Output height and width, or `None` when the kernel does not fit the padded input or the
    /// stride is zero.
    pub fn output(&self) -> Option<(usize, usize)> {
        let out = |size: usize, k: usize| {
            let padded = size + 2 * self.padding;
            (self.stride > 0 && k > 0 && padded >= k).then(|| (padded - k) / self.stride + 1)
        };
        Some((
            out(self.height, self.kernel_h)?,
            out(self.width, self.kernel_w)?,
        ))
    }

    /// Rows of the taps matrix: `Cin · Kh · Kw`.
    fn taps(&self) -> usize {
        self.cin * self.kernel_h * self.kernel_w
    }

    fn pointwise(&self) -> bool {
        self.kernel_h == 1 && self.kernel_w == 1 && self.stride == 1 && self.padding == 0
    }
}

/// What happens to a convolution's output before it is stored.
#[derive(Debug, Clone, Copy, Default)]
pub struct Epilogue<'a> {
    /// Added after the bias: `[N, Cout, OH, OW]`, NCHW (a residual block's shortcut).
    pub residual: Option<&'a [f32]>,
    /// `max(·, 0)` last.
    pub relu: bool,
}

/// Taps-matrix elements one tile aims at (4 MB of f32): large enough for gemm to run at speed,
/// small enough to stay in the last-level cache while gemm reads it.
const TILE_TAPS: usize = 1 << 20;

/// `x` `[N, Cin, H, W]` convolved with `weight` `[Cout, Cin, Kh, Kw]`, plus `bias` `[Cout]`, then
/// `epilogue`: `[N, Cout, OH, OW]`, row-major f32. The products run through burn-flex's matmul
/// (gemm, on all cores natively).
///
/// # Panics
/// When a tensor's element type or size does not match `shape`, or the kernel does not fit
/// ([`ConvShape::output`]): callers check first.
pub fn conv2d(
    x: &FlexTensor,
    weight: &FlexTensor,
    bias: &[f32],
    shape: &ConvShape,
    epilogue: Epilogue<'_>,
) -> Vec<f32> {
    let s = shape;
    let (out_h, out_w) = s.output().expect("the kernel fits the padded input");
    let pixels = out_h * out_w;
    let image_len = s.cin * s.height * s.width;
    assert_eq!(x.layout().num_elements(), s.batch * image_len, "input size");
    assert_eq!(bias.len(), s.cout, "bias size");
    if let Some(r) = epilogue.residual {
        assert_eq!(r.len(), s.batch * s.cout * pixels, "residual size");
    }
    let weight = weight.reshape([s.cout, s.taps()].into());
    let finish_image = |out: &mut [f32], b: usize, columns: Range<usize>| {
        for (c, &bias) in bias.iter().enumerate() {
            let at = c * pixels + columns.start..c * pixels + columns.end;
            let residual = epilogue
                .residual
                .map(|r| &r[b * s.cout * pixels..][at.clone()]);
            finish(&mut out[at], bias, residual, epilogue.relu);
        }
    };

    if s.pointwise() {
        // A 1×1 stride-1 convolution's taps matrix is its input, `[Cin, H·W]` per image.
        let mut out = Vec::with_capacity(s.batch * s.cout * pixels);
        for b in 0..s.batch {
            let image = x
                .reshape([s.batch, s.cin * pixels].into())
                .narrow(0, b, 1)
                .reshape([s.cin, pixels].into());
            let mut product = into_vec(matmul(weight.clone(), image));
            finish_image(&mut product, b, 0..pixels);
            if s.batch == 1 {
                return product;
            }
            out.extend_from_slice(&product);
        }
        return out;
    }

    let x = x.to_contiguous();
    let x: &[f32] = x.storage();
    let mut out = vec![0.0f32; s.batch * s.cout * pixels];
    // Whole output rows per tile, as many tiles as the taps budget asks, split evenly.
    let wanted = (TILE_TAPS / s.taps().max(1) / out_w).clamp(1, out_h);
    let count = out_h.div_ceil(wanted);
    let rows_per_tile = out_h.div_ceil(count);
    for (b, image) in x.chunks_exact(image_len).enumerate() {
        let out = &mut out[b * s.cout * pixels..][..s.cout * pixels];
        for first_row in (0..out_h).step_by(rows_per_tile) {
            let rows = first_row..(first_row + rows_per_tile).min(out_h);
            let columns = rows.start * out_w..rows.end * out_w;
            let taps = im2col(image, s, out_w, rows);
            let taps = FlexTensor::new(
                Bytes::from_elems(taps),
                Layout::contiguous([s.taps(), columns.len()].into()),
                DType::F32,
            );
            let product: Vec<f32> = into_vec(matmul(weight.clone(), taps));
            for (c, part) in product.chunks_exact(columns.len()).enumerate() {
                out[c * pixels + columns.start..][..columns.len()].copy_from_slice(part);
            }
            // The tile's columns are still in cache.
            finish_image(out, b, columns);
        }
    }
    out
}

fn matmul(lhs: FlexTensor, rhs: FlexTensor) -> FlexTensor {
    <Flex as FloatTensorOps<Flex>>::float_matmul(lhs, rhs)
}

fn into_vec(t: FlexTensor) -> Vec<f32> {
    t.into_data()
        .try_into_vec::<f32>()
        .expect("burn-flex's f32 matmul gives f32")
}

/// One channel's stretch of output: `+ bias`, `+ residual`, ReLU, in one pass.
fn finish(seg: &mut [f32], bias: f32, residual: Option<&[f32]>, relu: bool) {
    // Four loops rather than one with branches inside, so each vectorises.
    match (residual, relu) {
        (Some(r), true) => seg
            .iter_mut()
            .zip(r)
            .for_each(|(o, r)| *o = (*o + bias + r).max(0.0)),
        (Some(r), false) => seg.iter_mut().zip(r).for_each(|(o, r)| *o += bias + r),
        (None, true) => seg.iter_mut().for_each(|o| *o = (*o + bias).max(0.0)),
        (None, false) => seg.iter_mut().for_each(|o| *o += bias),
    }
}

/// The taps matrix of output rows `rows` of one image: `[Cin·Kh·Kw, rows·OW]`, row `(ci, ky, kx)`
/// holding the input pixel each output pixel sees through that tap (zero in the padding).
fn im2col(image: &[f32], s: &ConvShape, out_w: usize, rows: Range<usize>) -> Vec<f32> {
    let mut taps = Vec::with_capacity(s.taps() * rows.len() * out_w);
    let zeros = |taps: &mut Vec<f32>, n: usize| taps.extend(std::iter::repeat_n(0.0, n));
    for plane in image.chunks_exact(s.height * s.width) {
        for ky in 0..s.kernel_h {
            for kx in 0..s.kernel_w {
                let cols = inside(out_w, s.stride, kx, s.padding, s.width);
                for oy in rows.clone() {
                    let iy = (oy * s.stride + ky).checked_sub(s.padding);
                    let Some(iy) = iy.filter(|&iy| iy < s.height) else {
                        zeros(&mut taps, out_w);
                        continue;
                    };
                    zeros(&mut taps, cols.start);
                    if !cols.is_empty() {
                        let src = &plane[iy * s.width..][..s.width];
                        let from = cols.start * s.stride + kx - s.padding;
                        if s.stride == 1 {
                            taps.extend_from_slice(&src[from..from + cols.len()]);
                        } else {
                            taps.extend(src[from..].iter().step_by(s.stride).take(cols.len()));
                        }
                    }
                    zeros(&mut taps, out_w - cols.end);
                }
            }
        }
    }
    taps
}

/// The output columns `o` whose input column `o · stride + k - pad` lies inside `0..size`.
fn inside(out: usize, stride: usize, k: usize, pad: usize, size: usize) -> Range<usize> {
    let first = pad.saturating_sub(k).div_ceil(stride);
    let end = (size + pad).saturating_sub(k).div_ceil(stride);
    first.min(out)..end.clamp(first.min(out), out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The definition, one output at a time.
    fn naive(
        x: &[f32],
        weight: &[f32],
        bias: &[f32],
        s: &ConvShape,
        epilogue: Epilogue<'_>,
    ) -> Vec<f32> {
        let (oh, ow) = s.output().unwrap();
        let mut out = Vec::new();
        for b in 0..s.batch {
            for co in 0..s.cout {
                for oy in 0..oh {
                    for ox in 0..ow {
                        let mut acc = bias[co] as f64;
                        for ci in 0..s.cin {
                            for ky in 0..s.kernel_h {
                                for kx in 0..s.kernel_w {
                                    let iy = (oy * s.stride + ky) as isize - s.padding as isize;
                                    let ix = (ox * s.stride + kx) as isize - s.padding as isize;
                                    if iy < 0
                                        || ix < 0
                                        || iy >= s.height as isize
                                        || ix >= s.width as isize
                                    {
                                        continue;
                                    }
                                    let xv = x[((b * s.cin + ci) * s.height + iy as usize)
                                        * s.width
                                        + ix as usize];
                                    let wv = weight
                                        [((co * s.cin + ci) * s.kernel_h + ky) * s.kernel_w + kx];
                                    acc += xv as f64 * wv as f64;
                                }
                            }
                        }
                        let at = ((b * s.cout + co) * oh + oy) * ow + ox;
                        if let Some(r) = epilogue.residual {
                            acc += r[at] as f64;
                        }
                        if epilogue.relu {
                            acc = acc.max(0.0);
                        }
                        out.push(acc as f32);
                    }
                }
            }
        }
        out
    }

    /// `v` as a flat f32 tensor (conv2d reads only its elements).
    fn flex(v: &[f32], n: usize) -> FlexTensor {
        FlexTensor::new(
            Bytes::from_elems(v[..n].to_vec()),
            Layout::contiguous([n].into()),
            DType::F32,
        )
    }

    fn values(n: usize, seed: u32) -> Vec<f32> {
        (0..n as u32)
            .map(|i| {
                let h = (i ^ seed.wrapping_mul(0x9e37_79b9)).wrapping_mul(0x85eb_ca6b);
                ((h >> 8) % 2001) as f32 / 1000.0 - 1.0
            })
            .collect()
    }

    fn check(s: ConvShape, residual: bool, relu: bool) {
        let (oh, ow) = s.output().unwrap();
        let x = values(s.batch * s.cin * s.height * s.width, 1);
        let w = values(s.cout * s.taps(), 2);
        let bias = values(s.cout, 3);
        let r = values(s.batch * s.cout * oh * ow, 4);
        let e = Epilogue {
            residual: residual.then_some(&r[..]),
            relu,
        };
        let got = conv2d(
            &flex(&x, s.batch * s.cin * s.height * s.width),
            &flex(&w, w.len()),
            &bias,
            &s,
            e,
        );
        let want = naive(&x, &w, &bias, &s, e);
        assert_eq!(got.len(), want.len());
        let scale = s.taps() as f32;
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!((g - w).abs() <= 1e-5 * scale, "{s:?} at {i}: {g} vs {w}");
        }
    }

    #[test]
    fn resnet_shapes_at_small_sizes() {
        let shape = |cin, h, cout, k, stride, padding| ConvShape {
            batch: 1,
            cin,
            height: h,
            width: h,
            cout,
            kernel_h: k,
            kernel_w: k,
            stride,
            padding,
        };
        check(shape(3, 32, 8, 7, 2, 3), false, true); // stem
        check(shape(16, 8, 16, 3, 1, 1), false, true); // 3×3
        check(shape(16, 8, 16, 3, 2, 1), false, true); // torchvision's strided 3×3
        check(shape(16, 8, 24, 1, 1, 0), true, true); // last 1×1 with the shortcut
        check(shape(16, 9, 24, 1, 2, 0), false, false); // strided projection
    }

    #[test]
    fn no_pixel_sees_the_image() {
        // Padding wider than the kernel reaches: border outputs see only zeros (the bias).
        let s = ConvShape {
            batch: 1,
            cin: 2,
            height: 2,
            width: 2,
            cout: 1,
            kernel_h: 1,
            kernel_w: 1,
            stride: 1,
            padding: 2,
        };
        check(s, false, false);
        let (oh, ow) = s.output().unwrap();
        let out = conv2d(
            &flex(&[1.0; 8], 8),
            &flex(&[1.0, 1.0], 2),
            &[0.5],
            &s,
            Epilogue::default(),
        );
        assert_eq!((oh, ow), (6, 6));
        assert_eq!(out[0], 0.5);
        assert_eq!(out[2 * 6 + 2], 2.5);
    }

    #[test]
    fn kernels_that_do_not_fit_are_refused() {
        let s = ConvShape {
            batch: 1,
            cin: 1,
            height: 2,
            width: 5,
            cout: 1,
            kernel_h: 3,
            kernel_w: 3,
            stride: 1,
            padding: 0,
        };
        assert_eq!(s.output(), None);
        assert_eq!(ConvShape { stride: 0, ..s }.output(), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_shape_equals_the_definition(
            batch in 1usize..3, cin in 1usize..6, h in 1usize..12, w in 1usize..12,
            cout in 1usize..6, kh in 1usize..5, kw in 1usize..5, stride in 1usize..4,
            padding in 0usize..3, residual: bool, relu: bool,
        ) {
            let s = ConvShape {
                batch, cin, height: h, width: w, cout, kernel_h: kh, kernel_w: kw, stride, padding,
            };
            prop_assume!(s.output().is_some());
            check(s, residual, relu);
        }
    }
}
