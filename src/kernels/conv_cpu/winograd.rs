//! A 3×3, stride-1, padding-1 convolution by Winograd's minimal filtering F(2×2, 3×3): each
//! 2 × 2 block of outputs comes from a 4 × 4 input tile through 16 multiplies per channel pair
//! instead of 36, so the matrix products (most of the network's CPU time) shrink 2.25×, and the
//! taps matrix holds each input pixel 4 times instead of im2col's 9.
//!
//! With `d` a 4 × 4 input tile, `g` a 3 × 3 kernel and `⊙` the element-wise product,
//! `y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A` (Lavin & Gray, "Fast Algorithms for Convolutional Neural
//! Networks", 2016). Summed over input channels, element `ξ` of the 4 × 4 products is one matrix
//! product `M[ξ] = U[ξ] · V[ξ]`: `U[ξ]` `[Cout, Cin]` from the kernels, `V[ξ]` `[Cin, tiles]` from
//! the input. F(2×2, 3×3)'s transforms hold only 0, ±1 and ½, so it loses next to nothing to
//! rounding (the tests hold it to the same bound as im2col).

use super::{ConvShape, TILE_TAPS, matmul};
use burn::tensor::{Bytes, DType};
use burn_flex::{FlexTensor, Layout};
use std::ops::Range;

/// Elements of a transformed tile.
const XI: usize = 16;

/// Whether this path computes `s`.
pub(super) fn applies(s: &ConvShape) -> bool {
    if std::env::var_os("NOWINO").is_some() {
        return false;
    }
    (s.kernel_h, s.kernel_w, s.stride, s.padding) == (3, 3, 1, 1)
}

/// `x` (one or more NCHW images, contiguous) convolved with `weight` `[Cout, Cin, 3, 3]`:
/// `[N, Cout, H, W]`, then `finish(out_image, image_index, columns)` on each stretch of output
/// rows while it is in cache (`columns`: that stretch's pixels, `row · W + col`).
pub(super) fn conv2d(
    x: &[f32],
    weight: &[f32],
    s: &ConvShape,
    finish: impl Fn(&mut [f32], usize, Range<usize>),
) -> Vec<f32> {
    debug_assert!(applies(s));
    let (height, width) = (s.height, s.width);
    let pixels = height * width;
    let (tiles_h, tiles_w) = (height.div_ceil(2), width.div_ceil(2));
    let u = FlexTensor::new(
        Bytes::from_elems(transform_weight(weight, s.cout, s.cin)),
        Layout::contiguous([XI, s.cout, s.cin].into()),
        DType::F32,
    );
    // Whole tile rows per chunk, as many as the taps budget asks, split evenly.
    let wanted = (TILE_TAPS / (XI * s.cin * tiles_w).max(1)).clamp(1, tiles_h);
    let count = tiles_h.div_ceil(wanted);
    let rows_per_chunk = tiles_h.div_ceil(count);
    let mut out = vec![0.0f32; s.batch * s.cout * pixels];
    for (b, image) in x.chunks_exact(s.cin * pixels).enumerate() {
        let out = &mut out[b * s.cout * pixels..][..s.cout * pixels];
        for first in (0..tiles_h).step_by(rows_per_chunk) {
            let tile_rows = first..(first + rows_per_chunk).min(tiles_h);
            let columns = tile_rows.len() * tiles_w;
            let v = FlexTensor::new(
                Bytes::from_elems(transform_input(image, s, tiles_w, tile_rows.clone())),
                Layout::contiguous([XI, s.cin, columns].into()),
                DType::F32,
            );
            let m = matmul(u.clone(), v).to_contiguous();
            transform_output(m.storage(), out, s, tiles_w, tile_rows.clone());
            let rows = 2 * tile_rows.start..(2 * tile_rows.end).min(height);
            finish(out, b, rows.start * width..rows.end * width);
        }
    }
    out
}

/// `U = G g Gᵀ` for every kernel `g`, as `[16, Cout, Cin]`, with
/// `G = [[1, 0, 0], [½, ½, ½], [½, -½, ½], [0, 0, 1]]`.
fn transform_weight(weight: &[f32], cout: usize, cin: usize) -> Vec<f32> {
    let plane = cout * cin;
    let mut u = vec![0.0f32; XI * plane];
    // Kernel `k = co · Cin + ci` lands at `ξ · plane + k`. Plain arithmetic, no array maps: at
    // opt-level 2 those were calls, 5 % of a forward pass.
    for (k, g) in weight.chunks_exact(9).enumerate() {
        // G g, four rows of three.
        let mut gg = [[0.0f32; 3]; 4];
        for c in 0..3 {
            let (a, b, e) = (g[c], g[3 + c], g[6 + c]);
            gg[0][c] = a;
            gg[1][c] = 0.5 * (a + b + e);
            gg[2][c] = 0.5 * (a - b + e);
            gg[3][c] = e;
        }
        // (G g) Gᵀ, row by row.
        for (i, &[a, b, e]) in gg.iter().enumerate() {
            let at = 4 * i * plane + k;
            u[at] = a;
            u[at + plane] = 0.5 * (a + b + e);
            u[at + 2 * plane] = 0.5 * (a - b + e);
            u[at + 3 * plane] = e;
        }
    }
    u
}

/// `V = Bᵀ d B` for every tile of tile rows `tile_rows` of one image, as `[16, Cin, tiles]`, with
/// `Bᵀ = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]`. Tile `(ty, tx)` reads input
/// rows and columns `2t - 1 ..= 2t + 2`, zero outside the image.
fn transform_input(
    image: &[f32],
    s: &ConvShape,
    tiles_w: usize,
    tile_rows: Range<usize>,
) -> Vec<f32> {
    let columns = tile_rows.len() * tiles_w;
    let plane = s.cin * columns;
    let mut v = vec![0.0f32; XI * plane];
    // Padded column `p` holds input column `p - 1`.
    let padded_w = 2 * tiles_w + 2;
    let mut rows = [(); 4].map(|_| vec![0.0f32; padded_w]);
    let mut bt_d = [(); 4].map(|_| vec![0.0f32; padded_w]);
    for (ci, channel) in image.chunks_exact(s.height * s.width).enumerate() {
        for (r, ty) in tile_rows.clone().enumerate() {
            for (k, row) in rows.iter_mut().enumerate() {
                let iy = (2 * ty + k).checked_sub(1).filter(|&iy| iy < s.height);
                match iy {
                    Some(iy) => {
                        row[1..=s.width].copy_from_slice(&channel[iy * s.width..][..s.width])
                    }
                    None => row.fill(0.0),
                }
            }
            // Bᵀ d, a whole padded row at a time.
            let [d0, d1, d2, d3] = &rows;
            for (p, (((a, b), c), e)) in d0.iter().zip(d1).zip(d2).zip(d3).enumerate() {
                bt_d[0][p] = a - c;
                bt_d[1][p] = b + c;
                bt_d[2][p] = c - b;
                bt_d[3][p] = b - e;
            }
            // (Bᵀ d) B, tile by tile.
            let at = ci * columns + r * tiles_w;
            for (i, t) in bt_d.iter().enumerate() {
                let (front, rest) = v[4 * i * plane..].split_at_mut(plane);
                let (second, rest) = rest.split_at_mut(plane);
                let (third, rest) = rest.split_at_mut(plane);
                let outs = [front, second, third, &mut rest[..plane]]
                    .map(|plane| &mut plane[at..at + tiles_w]);
                let [o0, o1, o2, o3] = outs;
                let windows = t.chunks_exact(2).zip(t[2..].chunks_exact(2));
                for (tx, (lo, hi)) in windows.enumerate() {
                    let (a, b, c, e) = (lo[0], lo[1], hi[0], hi[1]);
                    o0[tx] = a - c;
                    o1[tx] = b + c;
                    o2[tx] = c - b;
                    o3[tx] = b - e;
                }
            }
        }
    }
    v
}

/// `y = Aᵀ m A` for every tile and output channel, with `Aᵀ = [[1, 1, 1, 0], [0, 1, -1, -1]]`,
/// written into `out` (one image, `[Cout, H, W]`); the odd row or column past the image's edge
/// is dropped.
fn transform_output(
    m: &[f32],
    out: &mut [f32],
    s: &ConvShape,
    tiles_w: usize,
    tile_rows: Range<usize>,
) {
    let columns = tile_rows.len() * tiles_w;
    let plane = s.cout * columns;
    let (height, width) = (s.height, s.width);
    let mut pair = [vec![0.0f32; 2 * tiles_w], vec![0.0f32; 2 * tiles_w]];
    for (co, image) in out.chunks_exact_mut(height * width).enumerate() {
        for (r, ty) in tile_rows.clone().enumerate() {
            let at = co * columns + r * tiles_w;
            let mx: [&[f32]; XI] = std::array::from_fn(|xi| &m[xi * plane + at..][..tiles_w]);
            let [top, bottom] = &mut pair;
            for tx in 0..tiles_w {
                let e = |xi: usize| mx[xi][tx];
                // Aᵀ m: two rows of four.
                let (a0, a1, a2, a3) = (
                    e(0) + e(4) + e(8),
                    e(1) + e(5) + e(9),
                    e(2) + e(6) + e(10),
                    e(3) + e(7) + e(11),
                );
                let (b0, b1, b2, b3) = (
                    e(4) - e(8) - e(12),
                    e(5) - e(9) - e(13),
                    e(6) - e(10) - e(14),
                    e(7) - e(11) - e(15),
                );
                // (Aᵀ m) A.
                top[2 * tx] = a0 + a1 + a2;
                top[2 * tx + 1] = a1 - a2 - a3;
                bottom[2 * tx] = b0 + b1 + b2;
                bottom[2 * tx + 1] = b1 - b2 - b3;
            }
            for (k, row) in pair.iter().enumerate() {
                let oy = 2 * ty + k;
                if oy < height {
                    image[oy * width..][..width].copy_from_slice(&row[..width]);
                }
            }
        }
    }
}
