//! The RGBA of the page's overlays (masks are sampled at the display size, nearest pixel: layout
//! only, no numbers are changed) and of the colour bar.

use super::geometry::remap;
use super::paint::Painted;
use super::results::PcaSide;
use crate::analysis::pca::Pca;
use crate::colormap::Colormap;
use image::GrayImage;

/// Object colour of masks (support and prediction), with its alpha.
pub const OBJECT: [u8; 4] = [255, 122, 0, 180];
/// Outline of the ground truth over a prediction.
pub const TRUTH: [u8; 4] = [0, 220, 255, 255];
/// Nothing.
const CLEAR: [u8; 4] = [0; 4];

/// The painted cells as a `grid`×`grid` image (the canvas is stretched over the panel).
pub fn painted_rgba(p: &Painted) -> Vec<u8> {
    p.cells
        .iter()
        .flat_map(|&on| if on { OBJECT } else { CLEAR })
        .collect()
}

/// A label mask's `class` pixels coloured at `dims`.
pub fn mask_overlay(labels: &GrayImage, class: u8, (dw, dh): (u32, u32)) -> Vec<u8> {
    let (w, h) = labels.dimensions();
    let mut out = Vec::with_capacity((dw * dh * 4) as usize);
    for y in 0..dh {
        let sy = remap(y as usize, dh as usize, h as usize) as u32;
        for x in 0..dw {
            let sx = remap(x as usize, dw as usize, w as usize) as u32;
            let on = labels.get_pixel(sx, sy).0[0] == class;
            out.extend_from_slice(&if on { OBJECT } else { CLEAR });
        }
    }
    out
}

/// A predicted mask (`w`×`h` flags) coloured at `dims`, with the ground truth's outline when given.
pub fn prediction_overlay(
    mask: &[bool],
    (w, h): (u32, u32),
    truth: Option<(&GrayImage, u8)>,
    (dw, dh): (u32, u32),
) -> Vec<u8> {
    let (dw_, dh_) = (dw as usize, dh as usize);
    let at = |x: usize, y: usize| (remap(x, dw_, w as usize), remap(y, dh_, h as usize));
    let truth_at = |x: usize, y: usize| -> bool {
        truth.is_some_and(|(t, c)| {
            let (sx, sy) = at(x, y);
            t.get_pixel(sx as u32, sy as u32).0[0] == c
        })
    };
    let mut out = Vec::with_capacity(dw_ * dh_ * 4);
    for y in 0..dh_ {
        for x in 0..dw_ {
            let (sx, sy) = at(x, y);
            let fg = mask[sy * w as usize + sx];
            // An outline pixel: object in the truth with a non-object neighbour.
            let edge = truth.is_some()
                && truth_at(x, y)
                && [(-1i64, 0i64), (1, 0), (0, -1), (0, 1)]
                    .iter()
                    .any(|(ox, oy)| {
                        let (nx, ny) = (x as i64 + ox, y as i64 + oy);
                        nx < 0
                            || ny < 0
                            || nx >= dw_ as i64
                            || ny >= dh_ as i64
                            || !truth_at(nx as usize, ny as usize)
                    });
            out.extend_from_slice(&if edge {
                TRUTH
            } else if fg {
                OBJECT
            } else {
                CLEAR
            });
        }
    }
    out
}

/// The colour bar: `cmap` from low (left) to high (right), 256×1.
pub fn colorbar_rgba(cmap: Colormap) -> Vec<u8> {
    (0..256)
        .flat_map(|i| {
            let [r, g, b] = cmap.rgb(i as f32 / 255.0);
            [r, g, b, 255]
        })
        .collect()
}

/// Each map of a PCA (`grids`: its (rows, columns), one per map, in the PCA's order) as one
/// opaque RGB pixel per cell (the canvas is stretched over the panel, each cell a block of its
/// colour). The colours are scaled once over all the maps, so they compare.
pub fn pca_sides<const N: usize>(pca: &Pca, grids: [(usize, usize); N]) -> [PcaSide; N] {
    let colours = pca.colours();
    std::array::from_fn(|i| PcaSide {
        rows: grids[i].0,
        cols: grids[i].1,
        rgba: colours[i]
            .iter()
            .flat_map(|&[r, g, b]| [r, g, b, 255])
            .collect(),
        explained: pca.explained,
        scores: pca.scores[i].clone(),
    })
}

/// One channel's values over two grids as RGBA (one pixel per cell each), coloured by `cmap`
/// from 0 to the largest value over both, so the two thumbnails compare.
pub fn channel_thumbs(maps: [&[f32]; 2], cmap: Colormap) -> [Vec<u8>; 2] {
    let top = maps
        .iter()
        .flat_map(|m| m.iter())
        .fold(0.0f32, |a, &v| a.max(v));
    maps.map(|m| {
        m.iter()
            .flat_map(|&v| {
                let [r, g, b] = cmap.rgb(if top > 0.0 {
                    (v / top).clamp(0.0, 1.0)
                } else {
                    0.0
                });
                [r, g, b, 255]
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One letter per pixel: `O` object, `T` truth outline, `.` clear.
    fn letters(rgba: &[u8], width: usize) -> Vec<String> {
        rgba.chunks(4)
            .map(|p| match [p[0], p[1], p[2], p[3]] {
                OBJECT => 'O',
                TRUTH => 'T',
                CLEAR => '.',
                _ => '?',
            })
            .collect::<Vec<_>>()
            .chunks(width)
            .map(|r| r.iter().collect())
            .collect()
    }

    #[test]
    fn painted_cells_one_pixel_each() {
        let mut p = Painted::empty(2);
        p.cells[1] = true;
        assert_eq!(letters(&painted_rgba(&p), 2), [".O", ".."]);
    }

    #[test]
    fn a_mask_upsampled_nearest() {
        // 2×1 mask, class 3 on the right, shown at 4×2.
        let labels = GrayImage::from_raw(2, 1, vec![0, 3]).unwrap();
        assert_eq!(
            letters(&mask_overlay(&labels, 3, (4, 2)), 4),
            ["..OO", "..OO"]
        );
        assert_eq!(
            letters(&mask_overlay(&labels, 7, (4, 2)), 4),
            ["....", "...."]
        );
    }

    #[test]
    fn the_prediction_with_the_truths_outline() {
        // 4×4 prediction: the left half; truth: the centre 2×2 block.
        let mask: Vec<bool> = (0..16).map(|i| i % 4 < 2).collect();
        #[rustfmt::skip]
        let truth = GrayImage::from_raw(4, 4, vec![
            0, 0, 0, 0,
            0, 1, 1, 0,
            0, 1, 1, 0,
            0, 0, 0, 0,
        ]).unwrap();
        assert_eq!(
            letters(&prediction_overlay(&mask, (4, 4), None, (4, 4)), 4),
            ["OO..", "OO..", "OO..", "OO.."]
        );
        // Every truth pixel of a 2×2 block touches the background: all outline.
        assert_eq!(
            letters(
                &prediction_overlay(&mask, (4, 4), Some((&truth, 1)), (4, 4)),
                4
            ),
            ["OO..", "OTT.", "OTT.", "OO.."]
        );
        // At twice the size the block's inside is no outline.
        let big = letters(
            &prediction_overlay(&mask, (4, 4), Some((&truth, 1)), (8, 8)),
            8,
        );
        assert_eq!(big[2], "OOTTTT..");
        assert_eq!(big[3], "OOTO.T..");
    }

    #[test]
    fn the_colour_bar_runs_low_to_high() {
        let bar = colorbar_rgba(Colormap::Gray);
        assert_eq!(bar.len(), 256 * 4);
        assert!(bar[0] < bar[255 * 4]);
        assert_eq!(bar[3], 255);
        assert_eq!(&bar[0..3], &Colormap::Gray.rgb(0.0));
    }

    #[test]
    fn channel_thumbs_share_one_scale() {
        let [a, b] = channel_thumbs([&[0.0, 1.0], &[2.0, 0.5]], Colormap::Gray);
        assert_eq!(a.len(), 8);
        assert_eq!(b[0..3], Colormap::Gray.rgb(1.0));
        assert_eq!(b[3], 255);
        assert_eq!(a[4..7], Colormap::Gray.rgb(0.5));
        let [z, _] = channel_thumbs([&[0.0], &[0.0]], Colormap::Gray);
        assert_eq!(z[..3], Colormap::Gray.rgb(0.0));
    }
}
