//! Resampling between the three grids FeatSim works on: the image, the square model input and
//! the feature grid. Each direction is one documented convention, checked against a reference:
//! - image → model input: [`resize_square`], Pillow's bilinear, as torchvision's `Resize`;
//! - feature grid → image (heatmaps, score maps): bilinear with cell centres aligned;
//! - mask → feature grid: exact area coverage per cell.

use image::{GrayImage, RgbImage};

/// Resizes to the square model input exactly as torchvision's `Resize` does on a PIL image:
/// Pillow's `resize(BILINEAR)` (Pillow 9–11, `libImaging/Resample.c`), ported operation for
/// operation so the pixels are PIL's own, byte for byte (tests/pipeline_fidelity.rs checks every
/// photo of both VOC sets). Its bilinear kernel widens with the scale when shrinking
/// (antialiased); weights are rounded to 22-bit fixed point; rows are resized first into 8-bit
/// pixels, then columns.
pub fn resize_square(img: &RgbImage, size: u32) -> RgbImage {
    let (w, h, out) = (img.width() as usize, img.height() as usize, size as usize);
    if (w, h) == (out, out) {
        return img.clone();
    }
    if w == 0 || h == 0 || out == 0 {
        return RgbImage::new(size, size);
    }
    let (across, down) = (pillow_taps(w, out), pillow_taps(h, out));
    let src = img.as_raw();
    // Rows first, only those the column pass reads.
    let first = down[0].0;
    let last = down[out - 1].0 + down[out - 1].1.len();
    let mut rows = vec![0u8; (last - first) * out * 3];
    for (y, row) in (first..last).zip(rows.chunks_exact_mut(out * 3)) {
        let line = &src[y * w * 3..(y + 1) * w * 3];
        for ((start, taps), px) in across.iter().zip(row.chunks_exact_mut(3)) {
            for (c, v) in px.iter_mut().enumerate() {
                *v = fixed_dot(taps, |j| line[(start + j) * 3 + c]);
            }
        }
    }
    let mut pixels = vec![0u8; out * out * 3];
    for ((start, taps), row) in down.iter().zip(pixels.chunks_exact_mut(out * 3)) {
        for (x, v) in row.iter_mut().enumerate() {
            *v = fixed_dot(taps, |j| rows[(start - first + j) * out * 3 + x]);
        }
    }
    RgbImage::from_raw(size, size, pixels).expect("size × size RGB pixels")
}

/// Pillow's fixed point for 8-bit images: 32 bits, less 8 for the value and 2 for overshoot.
const PILLOW_PRECISION: u32 = 22;

/// Pillow's `precompute_coeffs` with its bilinear filter, then `normalize_coeffs_8bpc`: for each
/// output pixel, the first input pixel it reads and the fixed-point weights of those it reads.
fn pillow_taps(n_in: usize, n_out: usize) -> Vec<(usize, Vec<i32>)> {
    let scale = n_in as f64 / n_out as f64;
    let stretch = scale.max(1.0); // the kernel's support (1 pixel) widened when shrinking
    (0..n_out)
        .map(|o| {
            let centre = (o as f64 + 0.5) * scale;
            // C's truncating casts, as Pillow writes them.
            let lo = ((centre - stretch + 0.5) as i64).max(0) as usize;
            let hi = ((centre + stretch + 0.5) as i64).min(n_in as i64) as usize;
            let weights: Vec<f64> = (lo..hi)
                .map(|i| (1.0 - ((i as f64 - centre + 0.5) / stretch).abs()).max(0.0))
                .collect();
            let total: f64 = weights.iter().sum();
            let one = f64::from(1u32 << PILLOW_PRECISION);
            let fixed = weights
                .iter()
                .map(|&w| {
                    let f = if total != 0.0 { w / total } else { w } * one;
                    (if f < 0.0 { f - 0.5 } else { f + 0.5 }) as i32
                })
                .collect();
            (lo, fixed)
        })
        .collect()
}

/// Σ value·weight in Pillow's fixed point, rounded and clamped to a byte.
fn fixed_dot(taps: &[i32], value: impl Fn(usize) -> u8) -> u8 {
    let sum = taps
        .iter()
        .enumerate()
        .fold(1i32 << (PILLOW_PRECISION - 1), |s, (j, &k)| {
            s + i32::from(value(j)) * k
        });
    (sum >> PILLOW_PRECISION).clamp(0, 255) as u8
}

/// Where output coordinate `o` of `n_out` samples `n_in` inputs bilinearly: the two source
/// indices and the weight of the second. Cell centres are aligned (PyTorch's
/// `align_corners=False`: `s = (o + ½)·n_in/n_out − ½`, clamped at 0 and at the last index), so a
/// 16×16 grid stretched over an image puts each cell's value at the centre of its square.
pub fn bilinear_taps(o: usize, n_out: usize, n_in: usize) -> (usize, usize, f32) {
    let s = ((o as f32 + 0.5) * n_in as f32 / n_out as f32 - 0.5).max(0.0);
    let i0 = (s.floor() as usize).min(n_in - 1);
    (i0, (i0 + 1).min(n_in - 1), s - i0 as f32)
}

/// Bilinear resampling of an `h`×`w` map to `out_w`×`out_h` with [`bilinear_taps`] (PyTorch's
/// `interpolate(mode="bilinear", align_corners=False)`, checked against it in tests/way_back.rs).
pub fn upsample_bilinear(map: &[f32], h: usize, w: usize, out_w: usize, out_h: usize) -> Vec<f32> {
    let cols: Vec<_> = (0..out_w).map(|x| bilinear_taps(x, out_w, w)).collect();
    let mut out = Vec::with_capacity(out_w * out_h);
    for y in 0..out_h {
        let (y0, y1, fy) = bilinear_taps(y, out_h, h);
        for &(x0, x1, fx) in &cols {
            let top = map[y0 * w + x0] * (1.0 - fx) + map[y0 * w + x1] * fx;
            let bottom = map[y1 * w + x0] * (1.0 - fx) + map[y1 * w + x1] * fx;
            out.push(top * (1.0 - fy) + bottom * fy);
        }
    }
    out
}

/// Fraction of each cell of a `grid`×`grid` grid, laid over the whole mask as the model's grid
/// lies over the whole image, that the mask covers, by exact area: pixels are unit squares, a
/// cell spans `W/grid × H/grid` of them, and a pixel cut by a cell edge counts in proportion
/// (area averaging; PyTorch's `adaptive_avg_pool2d` where the sizes divide). `mask` pixels: 0
/// background, anything else foreground. Checked against numpy in tests/way_back.rs.
pub fn cell_coverage(mask: &GrayImage, grid: usize) -> Vec<f32> {
    let (w, h) = (mask.width() as usize, mask.height() as usize);
    let (across, down) = (box_weights(w, grid), box_weights(h, grid));
    // Columns first (each row's coverage per cell column), then rows.
    let mut rows = vec![0.0f64; h * grid];
    for (y, line) in mask.as_raw().chunks_exact(w.max(1)).enumerate() {
        for (cx, taps) in across.iter().enumerate() {
            rows[y * grid + cx] = taps
                .iter()
                .filter(|&&(x, _)| line[x] != 0)
                .map(|&(_, share)| share)
                .sum();
        }
    }
    let mut cov = Vec::with_capacity(grid * grid);
    for taps in &down {
        for cx in 0..grid {
            let c: f64 = taps
                .iter()
                .map(|&(y, share)| share * rows[y * grid + cx])
                .sum();
            cov.push(c as f32);
        }
    }
    cov
}

/// For each of `n_out` equal bins over `n_in` unit-wide pixels: the pixels it overlaps and the
/// share of the bin each covers (shares sum to 1).
fn box_weights(n_in: usize, n_out: usize) -> Vec<Vec<(usize, f64)>> {
    let bin = n_in as f64 / n_out as f64;
    (0..n_out)
        .map(|o| {
            let (lo, hi) = (o as f64 * bin, (o + 1) as f64 * bin);
            let first = lo.floor() as usize;
            let last = (hi.ceil() as usize).min(n_in);
            (first..last)
                .map(|i| {
                    let overlap = hi.min(i as f64 + 1.0) - lo.max(i as f64);
                    (i, overlap / bin)
                })
                .filter(|&(_, share)| share > 0.0)
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_follows_the_mask() {
        // Left half of a 64×32 mask marked: with a 2×2 grid the left cells are full.
        let mask = GrayImage::from_fn(64, 32, |x, _| image::Luma([if x < 32 { 1 } else { 0 }]));
        assert_eq!(cell_coverage(&mask, 2), vec![1.0, 0.0, 1.0, 0.0]);
        // Three pixels over two cells: the middle one is cut in half, each half a third of a cell.
        let middle = GrayImage::from_fn(3, 1, |x, _| image::Luma([u8::from(x == 1)]));
        let cov = cell_coverage(&middle, 2);
        assert!(cov.iter().all(|c| (c - 1.0 / 3.0).abs() < 1e-6), "{cov:?}");
    }

    #[test]
    fn bilinear_upsampling_keeps_constants_and_interpolates() {
        assert!(
            upsample_bilinear(&[0.5; 4], 2, 2, 5, 3)
                .iter()
                .all(|&v| (v - 0.5).abs() < 1e-6)
        );
        let up = upsample_bilinear(&[0.0, 1.0], 1, 2, 4, 1);
        assert_eq!(up, vec![0.0, 0.25, 0.75, 1.0]);
    }
}
