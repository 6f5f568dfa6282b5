//! The network's convolutions on the GPU: a tiled implicit-GEMM kernel, in place of burn's direct
//! convolution (one thread per output vector, every tap read from global memory).
//!
//! A convolution is the matrix product `out[M, Cout] = A[M, K] · W[K, Cout]` with `M` the output
//! pixels and `K = (ky, kx, ci)` the taps, where `A` is never built: each workgroup stages a
//! 64 × 16 tile of it from the NHWC input (zeros outside the image) and a 16 × 64 tile of `W` in
//! shared memory, and each of its 256 threads keeps a 4 × 4 block of outputs in registers, so a
//! value read from memory serves four multiply-adds instead of one. The CPU backend's twin is its
//! own convolution, [`conv_cpu`](super::conv_cpu); `tests/wgpu_agrees.rs` holds the two to 1e-3 of
//! the largest activation at every block. Both apply the [`Epilogue`] (bias, residual, ReLU) as
//! they store the output, instead of as passes of their own.

use super::conv_cpu::{self, ConvShape};
use burn::backend::ops::{ConvOptions, ModuleOps};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Dispatch, Flex, backend_extension};
use burn::tensor::{Bytes, DType, Device, Tensor};
use burn_cubecl::CubeBackend;
use burn_cubecl::cubecl;
use burn_cubecl::cubecl::prelude::*;
use burn_cubecl::kernel::into_contiguous;
use burn_cubecl::ops::numeric::empty_device_contiguous_dtype;
use burn_cubecl::ops::permute;
use burn_flex::{FlexTensor, Layout};

/// Output pixels per workgroup.
const TILE_M: usize = 64;
/// Output channels per workgroup.
const TILE_N: usize = 64;

/// Which convolution kernel the network runs on a GPU (the CPU backend always runs its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvKernel {
    /// burn's convolution: on a GPU its direct kernel (cubek's `direct`), or with the `autotune`
    /// feature whichever candidate autotune measures fastest, the weights stored channel-last so
    /// the direct kernel reads them in place; on the CPU burn-flex's im2col + gemm. The bias, the
    /// residual and the ReLU are passes of their own.
    Burn,
    /// Ours, the epilogue fused: on a GPU [`conv_gemm_kernel`] (shared-memory tiles and a 4 × 4
    /// register block per thread), on the CPU [`conv_cpu::conv2d`].
    Tiled,
}

impl ConvKernel {
    /// Every kernel, for benchmarks and tests.
    pub const ALL: [ConvKernel; 2] = [ConvKernel::Burn, ConvKernel::Tiled];

    /// Its command-line name.
    pub fn name(self) -> &'static str {
        match self {
            ConvKernel::Burn => "burn",
            ConvKernel::Tiled => "tiled",
        }
    }
}

/// The tiled kernel where burn's would be its direct one (the page: in SwiftShader's WebGPU the
/// tiled kernel was faster, README "Performance"); burn's where autotune can choose among its own
/// candidates (the native CLI's default build), until a GPU run says which wins there.
impl Default for ConvKernel {
    fn default() -> Self {
        if cfg!(feature = "autotune") {
            ConvKernel::Burn
        } else {
            ConvKernel::Tiled
        }
    }
}

impl ConvKernel {
    /// What a model on `device` runs unless told otherwise: ours on the CPU, where it beat
    /// burn-flex's convolution natively and in the browser (README, "Our CPU convolution"), and
    /// [`ConvKernel::default`] on a GPU.
    pub fn for_device(device: &Device) -> Self {
        if *device == Device::flex() {
            ConvKernel::Tiled
        } else {
            ConvKernel::default()
        }
    }
}

impl std::fmt::Display for ConvKernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for ConvKernel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| format!("unknown convolution kernel {s:?} (burn or tiled)"))
    }
}

/// The device operations behind [`conv2d`] and [`prepare_weight`].
#[backend_extension(Cube, Flex)]
pub trait ConvOps: Backend {
    /// The same `[Cout, Cin, Kh, Kw]` tensor, stored the way this backend's convolution reads it
    /// (`tiled`: [`conv_gemm_kernel`]'s, else burn's): once, when a model is built, instead of on
    /// every call.
    fn conv_weight(weight: FloatTensor<Self>, tiled: bool) -> FloatTensor<Self>;
    /// `x` `[N, Cin, H, W]` convolved with `weight` `[Cout, Cin, Kh, Kw]` plus `bias` `[Cout]`,
    /// then a ReLU if `relu`: `[N, Cout, OH, OW]`; square `stride` and zero `padding`, no
    /// dilation, one group.
    fn conv2d_fused(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        stride_padding: [usize; 2],
        tiled: bool,
        relu: bool,
    ) -> FloatTensor<Self>;
    /// [`conv2d_fused`](ConvOps::conv2d_fused) with `residual` (the output's shape) added before
    /// the ReLU: a residual block's last convolution.
    fn conv2d_residual(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        residual: FloatTensor<Self>,
        stride_padding: [usize; 2],
        tiled: bool,
    ) -> FloatTensor<Self>;
}

/// One workgroup of 256 threads computes a 64-pixel × 64-channel tile of `out` `[M, Cout]`.
/// `x` is NHWC, `w` is `[K, Cout]` with `K` ordered `(ky, kx, ci)`.
#[cube(launch)]
#[allow(clippy::too_many_arguments)]
fn conv_gemm_kernel(
    x: &[f32],
    w: &[f32],
    bias: &[f32],
    residual: &[f32],
    out: &mut [f32],
    height: u32,
    width: u32,
    cin: u32,
    out_h: u32,
    out_w: u32,
    cout: u32,
    kernel_w: u32,
    stride: u32,
    pad: u32,
    k_total: u32,
    m_total: u32,
    #[comptime] add_residual: bool,
    #[comptime] relu: bool,
) {
    let tid = UNIT_POS;
    let m0 = CUBE_POS_X * 64;
    let n0 = CUBE_POS_Y * 64;
    // Stage tiles, k-major: a[k][m] (rows padded to 65 so the 16 taps a warp stores at once fall
    // in different banks) and b[k][n], 16 × 64 each.
    let mut a_tile = Shared::<[f32]>::new_slice(1040usize);
    let mut b_tile = Shared::<[f32]>::new_slice(1024usize);

    // What this thread stages of A: tap `a_k` of pixels `a_m + 16 r`. Their coordinates do not
    // change along K, so they are worked out once (top-left tap, in padded coordinates).
    let a_k = tid % 16;
    let a_m = tid / 16;
    let mut pix_y = Array::<u32>::new(4usize);
    let mut pix_x = Array::<u32>::new(4usize);
    let mut pix_n = Array::<u32>::new(4usize);
    let mut pix_ok = Array::<u32>::new(4usize);
    #[unroll]
    for r in 0..4u32 {
        let m = m0 + a_m + 16 * r;
        let ox = m % out_w;
        let rest = m / out_w;
        pix_x[r as usize] = ox * stride;
        pix_y[r as usize] = (rest % out_h) * stride;
        pix_n[r as usize] = rest / out_h;
        pix_ok[r as usize] = u32::cast_from(m < m_total);
    }
    // What this thread stages of W: channel `b_n` of taps `b_k + 4 r`.
    let b_n = tid % 64;
    let b_k = tid / 64;

    // This thread's outputs: pixels `row * 4 + i`, channels `col + 16 j` (neighbouring threads read
    // neighbouring words of the B tile and write neighbouring channels).
    let row = tid / 16;
    let col = tid % 16;
    let mut acc = Array::<f32>::new(16usize);
    #[unroll]
    for i in 0..16u32 {
        acc[i as usize] = 0.0;
    }
    let mut a_reg = Array::<f32>::new(4usize);
    let mut b_reg = Array::<f32>::new(4usize);

    #[allow(clippy::manual_div_ceil)] // CubeCL expands operators, not `div_ceil`
    let k_tiles = (k_total + 15) / 16;
    for kt in 0..k_tiles {
        let k = kt * 16 + a_k;
        let ci = k % cin;
        let tap = k / cin;
        let kx = tap % kernel_w;
        let ky = tap / kernel_w;
        #[unroll]
        for r in 0..4u32 {
            let iy = pix_y[r as usize] + ky;
            let ix = pix_x[r as usize] + kx;
            let mut v = 0.0f32;
            if k < k_total
                && pix_ok[r as usize] == 1
                && iy >= pad
                && ix >= pad
                && iy < height + pad
                && ix < width + pad
            {
                let at = ((pix_n[r as usize] * height + iy - pad) * width + ix - pad) * cin + ci;
                v = x[at as usize];
            }
            a_tile[(a_k * 65 + a_m + 16 * r) as usize] = v;
        }
        #[unroll]
        for r in 0..4u32 {
            let kk = b_k + 4 * r;
            let kg = kt * 16 + kk;
            let n = n0 + b_n;
            let mut v = 0.0f32;
            if kg < k_total && n < cout {
                v = w[(kg * cout + n) as usize];
            }
            b_tile[(kk * 64 + b_n) as usize] = v;
        }
        sync_cube();
        #[unroll]
        for kk in 0..16u32 {
            #[unroll]
            for i in 0..4u32 {
                a_reg[i as usize] = a_tile[(kk * 65 + row * 4 + i) as usize];
                b_reg[i as usize] = b_tile[(kk * 64 + col + 16 * i) as usize];
            }
            #[unroll]
            for i in 0..4u32 {
                #[unroll]
                for j in 0..4u32 {
                    acc[(i * 4 + j) as usize] += a_reg[i as usize] * b_reg[j as usize];
                }
            }
        }
        sync_cube();
    }

    #[unroll]
    for i in 0..4u32 {
        let m = m0 + row * 4 + i;
        #[unroll]
        for j in 0..4u32 {
            let n = n0 + col + 16 * j;
            if m < m_total && n < cout {
                let at = (m * cout + n) as usize;
                let mut v = acc[(i * 4 + j) as usize] + bias[n as usize];
                if add_residual {
                    v += residual[at];
                }
                if relu {
                    v = f32::max(v, 0.0);
                }
                out[at] = v;
            }
        }
    }
}

impl ConvOps for CubeBackend {
    fn conv_weight(weight: FloatTensor<Self>, tiled: bool) -> FloatTensor<Self> {
        // Tiled: stored [Kh, Kw, Cin, Cout] = [K, Cout]; burn's: [Cout, Kh, Kw, Cin]. The view
        // keeps the logical NCHW order either way.
        if tiled {
            permute(
                into_contiguous(permute(weight, &[2, 3, 1, 0])),
                &[3, 2, 0, 1],
            )
        } else {
            permute(
                into_contiguous(permute(weight, &[0, 2, 3, 1])),
                &[0, 3, 1, 2],
            )
        }
    }

    fn conv2d_fused(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        stride_padding: [usize; 2],
        tiled: bool,
        relu: bool,
    ) -> FloatTensor<Self> {
        cube_conv(x, weight, bias, None, stride_padding, tiled, relu)
    }

    fn conv2d_residual(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        residual: FloatTensor<Self>,
        stride_padding: [usize; 2],
        tiled: bool,
    ) -> FloatTensor<Self> {
        cube_conv(x, weight, bias, Some(residual), stride_padding, tiled, true)
    }
}

/// [`ConvOps::conv2d_fused`] on a GPU, with the residual if any.
fn cube_conv(
    x: FloatTensor<CubeBackend>,
    weight: FloatTensor<CubeBackend>,
    bias: FloatTensor<CubeBackend>,
    residual: Option<FloatTensor<CubeBackend>>,
    [stride, padding]: [usize; 2],
    tiled: bool,
    relu: bool,
) -> FloatTensor<CubeBackend> {
    let [n, cin, height, width] = dims4(&x);
    let [cout, _, kernel_h, kernel_w] = dims4(&weight);
    let f32_only = [Some(&x), Some(&weight), residual.as_ref()]
        .into_iter()
        .flatten()
        .all(|t| t.dtype == DType::F32);
    if !tiled || !f32_only {
        // The tiled kernel stages f32 only; anything else runs burn's convolution.
        let out = <CubeBackend as ModuleOps<CubeBackend>>::conv2d(
            x,
            weight,
            Some(bias),
            options(stride, padding),
        );
        return unfused::<CubeBackend>(out, residual, relu);
    }
    let out_h = (height + 2 * padding - kernel_h) / stride + 1;
    let out_w = (width + 2 * padding - kernel_w) / stride + 1;
    // Views when the input came from this kernel and the weight from `conv_weight`.
    let x = into_contiguous(permute(x, &[0, 2, 3, 1]));
    let weight = into_contiguous(permute(weight, &[2, 3, 1, 0]));
    let bias = into_contiguous(bias);
    let add_residual = residual.is_some();
    // Without a residual the kernel still needs a buffer there; it never reads it.
    let residual = match residual {
        Some(r) => into_contiguous(permute(r, &[0, 2, 3, 1])),
        None => bias.clone(),
    };
    let out = empty_device_contiguous_dtype(
        x.client.clone(),
        x.device.clone(),
        [n, out_h, out_w, cout].into(),
        DType::F32,
    );
    let m_total = n * out_h * out_w;
    let count = CubeCount::Static(
        m_total.div_ceil(TILE_M) as u32,
        cout.div_ceil(TILE_N) as u32,
        1,
    );
    conv_gemm_kernel::launch(
        &out.client,
        count,
        CubeDim::new_1d(256),
        x.into_buffer_arg(),
        weight.into_buffer_arg(),
        bias.into_buffer_arg(),
        residual.into_buffer_arg(),
        out.clone().into_buffer_arg(),
        height as u32,
        width as u32,
        cin as u32,
        out_h as u32,
        out_w as u32,
        cout as u32,
        kernel_w as u32,
        stride as u32,
        padding as u32,
        (kernel_h * kernel_w * cin) as u32,
        m_total as u32,
        add_residual,
        relu,
    );
    permute(out, &[0, 3, 1, 2])
}

fn dims4(t: &burn_cubecl::tensor::CubeTensor) -> [usize; 4] {
    let s = t.meta.shape();
    [s[0], s[1], s[2], s[3]]
}

fn options(stride: usize, padding: usize) -> ConvOptions<2> {
    ConvOptions::new([stride, stride], [padding, padding], [1, 1], 1)
}

/// The residual add and the ReLU as passes of their own, after a convolution that has none.
fn unfused<B: Backend>(
    out: FloatTensor<B>,
    residual: Option<FloatTensor<B>>,
    relu: bool,
) -> FloatTensor<B> {
    let out = match residual {
        Some(r) => B::float_add(out, r),
        None => out,
    };
    if relu { B::relu(out) } else { out }
}

/// The CPU twin: [`conv_cpu::conv2d`], which reads the weight in its plain `[Cout, Cin, Kh, Kw]`
/// order.
impl ConvOps for Flex {
    fn conv_weight(weight: FloatTensor<Self>, _tiled: bool) -> FloatTensor<Self> {
        weight.to_contiguous()
    }

    fn conv2d_fused(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        stride_padding: [usize; 2],
        tiled: bool,
        relu: bool,
    ) -> FloatTensor<Self> {
        flex_conv(x, weight, bias, None, stride_padding, tiled, relu)
    }

    fn conv2d_residual(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        residual: FloatTensor<Self>,
        stride_padding: [usize; 2],
        tiled: bool,
    ) -> FloatTensor<Self> {
        flex_conv(x, weight, bias, Some(residual), stride_padding, tiled, true)
    }
}

/// [`ConvOps::conv2d_fused`] on the CPU, with the residual if any.
fn flex_conv(
    x: FlexTensor,
    weight: FlexTensor,
    bias: FlexTensor,
    residual: Option<FlexTensor>,
    [stride, padding]: [usize; 2],
    own: bool,
    relu: bool,
) -> FlexTensor {
    let (xs, ws) = (x.layout().shape(), weight.layout().shape());
    let shape = ConvShape {
        batch: xs[0],
        cin: xs[1],
        height: xs[2],
        width: xs[3],
        cout: ws[0],
        kernel_h: ws[2],
        kernel_w: ws[3],
        stride,
        padding,
    };
    let out_shape = shape.output().map(|(h, w)| [shape.batch, shape.cout, h, w]);
    let fits = out_shape.is_some()
        && ws[1] == shape.cin
        && bias.layout().num_elements() == shape.cout
        && residual
            .as_ref()
            .is_none_or(|r| out_shape.is_some_and(|o| r.layout().shape().as_slice() == o));
    let f32_only = [Some(&x), Some(&weight), Some(&bias), residual.as_ref()]
        .into_iter()
        .flatten()
        .all(|t| t.dtype() == DType::F32);
    let Some(out_shape) = out_shape.filter(|_| own && fits && f32_only) else {
        // burn's when asked, other element types, and shapes burn rejects with its own message.
        let out =
            <Flex as ModuleOps<Flex>>::conv2d(x, weight, Some(bias), options(stride, padding));
        return unfused::<Flex>(out, residual, relu);
    };
    let (x, weight, bias) = (
        x.to_contiguous(),
        weight.to_contiguous(),
        bias.to_contiguous(),
    );
    let residual = residual.map(|r| r.to_contiguous());
    let out = conv_cpu::conv2d(
        &x,
        &weight,
        bias.storage(),
        &shape,
        conv_cpu::Epilogue {
            residual: residual.as_ref().map(|r| r.storage()),
            relu,
        },
    );
    FlexTensor::new(
        Bytes::from_elems(out),
        Layout::contiguous(out_shape.into()),
        DType::F32,
    )
}

/// `weight` laid out in device memory for [`conv2d`] with `kernel` (same values, same shape).
pub fn prepare_weight(weight: Tensor<4>, kernel: ConvKernel) -> Tensor<4> {
    Tensor::from_dispatch(<Dispatch as ConvOps>::conv_weight(
        weight.into_dispatch(),
        kernel == ConvKernel::Tiled,
    ))
}

/// What a convolution's output goes through before it is stored: fused into the kernel on
/// every device, instead of passes of their own over the whole tensor.
#[derive(Debug, Clone, Default)]
pub struct Epilogue {
    /// Added after the bias (a residual block's shortcut): the output's shape.
    pub residual: Option<Tensor<4>>,
    /// `max(·, 0)` last.
    pub relu: bool,
}

/// `x` `[N, Cin, H, W]` convolved with `weight` `[Cout, Cin, Kh, Kw]` (laid out by
/// [`prepare_weight`] for the same `kernel`) plus `bias`, square stride and zero padding, then
/// `epilogue`: `[N, Cout, OH, OW]`.
pub fn conv2d(
    x: Tensor<4>,
    weight: Tensor<4>,
    bias: Tensor<1>,
    [stride, padding]: [usize; 2],
    kernel: ConvKernel,
    epilogue: Epilogue,
) -> Tensor<4> {
    let (x, weight, bias) = (
        x.into_dispatch(),
        weight.into_dispatch(),
        bias.into_dispatch(),
    );
    let tiled = kernel == ConvKernel::Tiled;
    Tensor::from_dispatch(match epilogue.residual {
        // A block's shortcut is always followed by its ReLU.
        Some(r) if epilogue.relu => <Dispatch as ConvOps>::conv2d_residual(
            x,
            weight,
            bias,
            r.into_dispatch(),
            [stride, padding],
            tiled,
        ),
        Some(r) => {
            let out = <Dispatch as ConvOps>::conv2d_fused(
                x,
                weight,
                bias,
                [stride, padding],
                tiled,
                false,
            );
            (Tensor::<4>::from_dispatch(out) + r).into_dispatch()
        }
        None => <Dispatch as ConvOps>::conv2d_fused(
            x,
            weight,
            bias,
            [stride, padding],
            tiled,
            epilogue.relu,
        ),
    })
}
