//! Hand-written compute kernels for the heatmap: cosine of one query against every cell, and the
//! colouring of a cosine grid at display size. CubeCL compiles them to WGSL for WebGPU (and to
//! SPIR-V on native Vulkan); the CPU backend runs a line-by-line twin of each, so every device
//! gives the same numbers through one API. The network's convolutions are in [`conv`].

pub mod conv;
pub mod conv_cpu;

use burn::backend::tensor::{FloatTensor, IntTensor};
use burn::backend::{Backend, Dispatch, Flex, backend_extension};
use burn::tensor::{DType, Int, Tensor, TensorData};
use burn_cubecl::CubeBackend;
use burn_cubecl::cubecl;
use burn_cubecl::cubecl::calculate_cube_count_elemwise;
use burn_cubecl::cubecl::prelude::*;
use burn_cubecl::kernel::into_contiguous;
use burn_cubecl::ops::numeric::empty_device_contiguous_dtype;
use burn_cubecl::tensor::CubeTensor;
use burn_flex::FlexTensor;

/// The device operations behind [`cosine`] and [`colourise`].
#[backend_extension(Cube, Flex)]
pub trait HeatmapOps: Backend {
    /// `cells` `[n, c]` and `query` `[c]` → `[n]` dot products.
    fn cell_dots(cells: FloatTensor<Self>, query: FloatTensor<Self>) -> FloatTensor<Self>;
    /// `grid` `[rows·cols]`, `bounds` `[min, max]`, `lut` `[256·3]` → `[height·width]` RGB packed
    /// as `r | g << 8 | b << 16`.
    fn colour_grid(
        grid: FloatTensor<Self>,
        bounds: FloatTensor<Self>,
        lut: FloatTensor<Self>,
        dims: [u32; 4],
    ) -> IntTensor<Self>;
}

/// One thread per cell: a sequential dot product over the channels (the same order as the CPU
/// twin, so both round alike).
#[cube(launch)]
fn cell_dots_kernel(cells: &[f32], query: &[f32], out: &mut [f32]) {
    let i = ABSOLUTE_POS;
    if i >= out.len() {
        terminate!();
    }
    let c = query.len();
    let base = i * c;
    let mut acc = 0.0f32;
    for k in 0..c {
        acc += cells[base + k] * query[k];
    }
    out[i] = acc;
}

/// One thread per output pixel: bilinear between cell centres (PyTorch's `align_corners=False`),
/// scaled into the bounds, looked up in a 256-entry colour table.
#[cube(launch)]
fn colour_grid_kernel(
    grid: &[f32],
    bounds: &[f32],
    lut: &[f32],
    out: &mut [i32],
    rows: u32,
    cols: u32,
    width: u32,
    height: u32,
) {
    let i = ABSOLUTE_POS;
    if i >= out.len() {
        terminate!();
    }
    let x = u32::cast_from(i) % width;
    let y = u32::cast_from(i) / width;
    let (x0, x1, fx) = source(x, width, cols);
    let (y0, y1, fy) = source(y, height, rows);
    let top = grid[(y0 * cols + x0) as usize] * (1.0 - fx) + grid[(y0 * cols + x1) as usize] * fx;
    let bottom =
        grid[(y1 * cols + x0) as usize] * (1.0 - fx) + grid[(y1 * cols + x1) as usize] * fx;
    let v = top * (1.0 - fy) + bottom * fy;
    let mut lo = bounds[0];
    let mut hi = bounds[1];
    if hi <= lo {
        // A flat map: centre it rather than divide by zero.
        hi = lo + 1.0;
        lo -= 1.0;
    }
    let mut t = (v - lo) / (hi - lo);
    t = f32::clamp(t, 0.0, 1.0);
    let k = u32::cast_from(f32::floor(t * 255.0 + 0.5)) * 3;
    let r = u32::cast_from(lut[k as usize]);
    let g = u32::cast_from(lut[(k + 1) as usize]);
    let b = u32::cast_from(lut[(k + 2) as usize]);
    out[i] = i32::cast_from(r | (g << 8) | (b << 16));
}

/// The two source indices and the weight of the second for output coordinate `o`.
#[cube]
fn source(o: u32, n_out: u32, n_in: u32) -> (u32, u32, f32) {
    let s = f32::max(
        (f32::cast_from(o) + 0.5) * f32::cast_from(n_in) / f32::cast_from(n_out) - 0.5,
        0.0,
    );
    let mut i0 = u32::cast_from(f32::floor(s));
    if i0 > n_in - 1 {
        i0 = n_in - 1;
    }
    let mut i1 = i0 + 1;
    if i1 > n_in - 1 {
        i1 = n_in - 1;
    }
    (i0, i1, s - f32::cast_from(i0))
}

impl HeatmapOps for CubeBackend {
    fn cell_dots(cells: FloatTensor<Self>, query: FloatTensor<Self>) -> FloatTensor<Self> {
        let (cells, query) = (into_contiguous(cells), into_contiguous(query));
        let (out, count, dim) = one_per_element(&cells, cells.meta.shape()[0], DType::F32);
        cell_dots_kernel::launch(
            &out.client,
            count,
            dim,
            cells.into_buffer_arg(),
            query.into_buffer_arg(),
            out.clone().into_buffer_arg(),
        );
        out
    }

    fn colour_grid(
        grid: FloatTensor<Self>,
        bounds: FloatTensor<Self>,
        lut: FloatTensor<Self>,
        [rows, cols, width, height]: [u32; 4],
    ) -> IntTensor<Self> {
        let (grid, bounds, lut) = (
            into_contiguous(grid),
            into_contiguous(bounds),
            into_contiguous(lut),
        );
        let (out, count, dim) = one_per_element(&grid, (width * height) as usize, DType::I32);
        colour_grid_kernel::launch(
            &out.client,
            count,
            dim,
            grid.into_buffer_arg(),
            bounds.into_buffer_arg(),
            lut.into_buffer_arg(),
            out.clone().into_buffer_arg(),
            rows,
            cols,
            width,
            height,
        );
        out
    }
}

/// A fresh `[n]` output on `like`'s device and a launch grid of one thread per element.
fn one_per_element(like: &CubeTensor, n: usize, dtype: DType) -> (CubeTensor, CubeCount, CubeDim) {
    let out =
        empty_device_contiguous_dtype(like.client.clone(), like.device.clone(), [n].into(), dtype);
    let dim = CubeDim::new(&like.client, n);
    let count = calculate_cube_count_elemwise(&like.client, n, dim);
    (out, count, dim)
}

/// The CPU twins: the same arithmetic in the same order, on the host.
impl HeatmapOps for Flex {
    fn cell_dots(cells: FloatTensor<Self>, query: FloatTensor<Self>) -> FloatTensor<Self> {
        let cells = f32s(cells);
        let query = f32s(query);
        let out: Vec<f32> = cells
            .chunks_exact(query.len())
            .map(|row| {
                let mut acc = 0.0f32;
                for (a, b) in row.iter().zip(&query) {
                    acc += a * b;
                }
                acc
            })
            .collect();
        let n = out.len();
        FlexTensor::from_data(TensorData::new(out, [n]))
    }

    fn colour_grid(
        grid: FloatTensor<Self>,
        bounds: FloatTensor<Self>,
        lut: FloatTensor<Self>,
        [rows, cols, width, height]: [u32; 4],
    ) -> IntTensor<Self> {
        let (grid, bounds, lut) = (f32s(grid), f32s(bounds), f32s(lut));
        let (mut lo, mut hi) = (bounds[0], bounds[1]);
        if hi <= lo {
            hi = lo + 1.0;
            lo -= 1.0;
        }
        let xs: Vec<_> = (0..width).map(|x| source_host(x, width, cols)).collect();
        let mut out = Vec::with_capacity((width * height) as usize);
        for y in 0..height {
            let (y0, y1, fy) = source_host(y, height, rows);
            for &(x0, x1, fx) in &xs {
                let at = |r: u32, c: u32| grid[(r * cols + c) as usize];
                let top = at(y0, x0) * (1.0 - fx) + at(y0, x1) * fx;
                let bottom = at(y1, x0) * (1.0 - fx) + at(y1, x1) * fx;
                let v = top * (1.0 - fy) + bottom * fy;
                let t = ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
                let k = (t * 255.0 + 0.5).floor() as usize * 3;
                let [r, g, b] = [lut[k], lut[k + 1], lut[k + 2]].map(|c| c as u32);
                out.push((r | (g << 8) | (b << 16)) as i32);
            }
        }
        let n = out.len();
        FlexTensor::from_data(TensorData::new(out, [n]))
    }
}

/// The CPU twin of [`source`]: the sampling every map in FeatSim is resized with.
fn source_host(o: u32, n_out: u32, n_in: u32) -> (u32, u32, f32) {
    let (i0, i1, f) = crate::resample::bilinear_taps(o as usize, n_out as usize, n_in as usize);
    (i0 as u32, i1 as u32, f)
}

/// A CPU tensor's values. Host memory already, so no device readback (and no `read_vec`): the
/// backend op that calls this has no error to return, and `convert` makes the `expect` hold.
fn f32s(t: FlexTensor) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .expect("f32 data")
}

/// Cosine of a unit `[1, c]` (or `[c]`) query with every row of unit `cells` `[n, c]`: `[n]`.
pub fn cosine(cells: Tensor<2>, query: Tensor<2>) -> Tensor<1> {
    let [_, c] = query.dims();
    let query: Tensor<1> = query.reshape([c]);
    Tensor::from_dispatch(<Dispatch as HeatmapOps>::cell_dots(
        cells.into_dispatch(),
        query.into_dispatch(),
    ))
}

/// Colours a `rows × cols` grid at `width × height` pixels: `bounds` = `[lo, hi]` on the device,
/// `lut` = 256 RGB triples (0–255). Returns RGB packed per pixel as `r | g << 8 | b << 16`.
pub fn colourise(
    grid: Tensor<1>,
    (rows, cols): (usize, usize),
    bounds: Tensor<1>,
    lut: Tensor<1>,
    (width, height): (u32, u32),
) -> Tensor<1, Int> {
    Tensor::from_dispatch(<Dispatch as HeatmapOps>::colour_grid(
        grid.into_dispatch(),
        bounds.into_dispatch(),
        lut.into_dispatch(),
        [rows as u32, cols as u32, width, height],
    ))
}
