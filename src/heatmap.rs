//! Similarity heatmaps: one query vector against every cell of a map, coloured for display.
//!
//! The cosine map is computed on the device; the colours are made at the requested display size
//! (bilinear between cell centres) so a page only has to put the pixels on a canvas.

use crate::colormap::{Colormap, Range};
use crate::compute::{DeviceError, FromDevice, read_vec};
use crate::kernels;
use crate::similarity::UnitMap;
use burn::tensor::{Tensor, TensorData};

/// A cosine-similarity map and its colouring.
#[derive(Debug, Clone, PartialEq)]
pub struct Heatmap {
    /// Grid rows.
    pub rows: usize,
    /// Grid columns.
    pub cols: usize,
    /// Cosine per cell, row-major `rows × cols`.
    pub values: Vec<f32>,
    /// The value at the low end of the colormap.
    pub lo: f32,
    /// The value at the high end of the colormap.
    pub hi: f32,
    /// Width of `rgba` in pixels.
    pub width: u32,
    /// Height of `rgba` in pixels.
    pub height: u32,
    /// Colours, `width × height` RGBA, opaque.
    pub rgba: Vec<u8>,
}

/// How to colour a map and at what size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Style {
    /// The colormap.
    pub cmap: Colormap,
    /// Fixed [-1, 1] or the map's own range.
    pub range: Range,
    /// Output width in pixels.
    pub width: u32,
    /// Output height in pixels.
    pub height: u32,
}

impl Heatmap {
    /// The value of cell (`row`, `col`).
    pub fn at(&self, row: usize, col: usize) -> f32 {
        self.values[row * self.cols + col]
    }

    /// The `k` best cells, best first, as (row, col, value).
    pub fn top_k(&self, k: usize) -> Vec<(usize, usize, f32)> {
        let mut idx: Vec<usize> = (0..self.values.len()).collect();
        idx.sort_by(|&a, &b| self.values[b].total_cmp(&self.values[a]).then(a.cmp(&b)));
        idx.into_iter()
            .take(k)
            .map(|i| (i / self.cols, i % self.cols, self.values[i]))
            .collect()
    }
}

/// Largest heatmap image side, in pixels.
pub const MAX_SIDE: u32 = 4096;

/// Why a heatmap could not be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HeatmapError {
    /// The clicked cell is not on the source grid.
    #[error("cell ({row}, {col}) is outside the {rows}×{cols} grid")]
    OutsideGrid {
        /// Requested row.
        row: usize,
        /// Requested column.
        col: usize,
        /// Grid rows.
        rows: usize,
        /// Grid columns.
        cols: usize,
    },
    /// The query and the map come from blocks of different depth.
    #[error("the maps differ in depth ({query} vs {target} channels)")]
    DepthMismatch {
        /// Channels of the query's map.
        query: usize,
        /// Channels of the target map.
        target: usize,
    },
    /// The requested image size is empty or too large.
    #[error("heatmap size {width}×{height} is outside 1..={max}", max = MAX_SIDE)]
    Size {
        /// Requested width in pixels.
        width: u32,
        /// Requested height in pixels.
        height: u32,
    },
    /// The device failed while computing or reading the map.
    #[error(transparent)]
    Device(#[from] DeviceError),
}

impl FromDevice for HeatmapError {
    fn device(&self) -> Option<&DeviceError> {
        match self {
            HeatmapError::Device(e) => Some(e),
            _ => None,
        }
    }
}

/// The heatmap of cell (`row`, `col`) of `source` over every cell of `target`.
pub async fn for_cell(
    source: &UnitMap,
    (row, col): (usize, usize),
    target: &UnitMap,
    style: Style,
) -> Result<Heatmap, HeatmapError> {
    if row >= source.h || col >= source.w {
        return Err(HeatmapError::OutsideGrid {
            row,
            col,
            rows: source.h,
            cols: source.w,
        });
    }
    if source.c != target.c {
        return Err(HeatmapError::DepthMismatch {
            query: source.c,
            target: target.c,
        });
    }
    for_query(target, source.cell(row, col), style).await
}

/// The heatmap of a unit `[1, c]` query (a cell or a prototype) over every cell of `target`.
///
/// The cosines and the colours are both made on the device; only the grid and the pixels come
/// back.
pub async fn for_query(
    target: &UnitMap,
    query: Tensor<2>,
    style: Style,
) -> Result<Heatmap, HeatmapError> {
    if !(1..=MAX_SIDE).contains(&style.width) || !(1..=MAX_SIDE).contains(&style.height) {
        return Err(HeatmapError::Size {
            width: style.width,
            height: style.height,
        });
    }
    let device = target.cells.device();
    let grid = kernels::cosine(target.cells.clone(), query);
    let bounds = match style.range {
        Range::Fixed => Tensor::<1>::from_data(TensorData::new(vec![-1.0f32, 1.0], [2]), &device),
        Range::Stretch => Tensor::cat(vec![grid.clone().min(), grid.clone().max()], 0),
    };
    let lut = Tensor::<1>::from_data(TensorData::new(style.cmap.lut(), [256 * 3]), &device);
    let rgb = kernels::colourise(
        grid.clone(),
        (target.h, target.w),
        bounds,
        lut,
        (style.width, style.height),
    );
    let values = read_vec::<f32, 1, _>(grid).await?;
    let rgb = read_vec::<i32, 1, _>(rgb).await?;
    let (lo, hi) = style.range.bounds(&values);
    Ok(Heatmap {
        rows: target.h,
        cols: target.w,
        rgba: rgb
            .iter()
            .flat_map(|&p| {
                let p = p as u32;
                [p as u8, (p >> 8) as u8, (p >> 16) as u8, 255]
            })
            .collect(),
        values,
        lo,
        hi,
        width: style.width,
        height: style.height,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::FeatureMap;
    use burn::tensor::Device;

    fn style(range: Range, width: u32, height: u32) -> Style {
        Style {
            cmap: Colormap::Viridis,
            range,
            width,
            height,
        }
    }

    fn unit_map(h: usize, w: usize, c: usize, data: Vec<f32>) -> UnitMap {
        UnitMap::from_host(&FeatureMap { h, w, c, data }, &Device::flex())
    }

    #[test]
    fn colours_follow_the_cosines_and_the_range() {
        // Cells (1,0), (-1,0): the first cell's map is [1, -1].
        let m = unit_map(1, 2, 2, vec![1., 0., -1., 0.]);
        let h = pollster::block_on(for_cell(&m, (0, 0), &m, style(Range::Fixed, 2, 1))).unwrap();
        assert_eq!(h.values, vec![1.0, -1.0]);
        assert_eq!((h.lo, h.hi), (-1.0, 1.0));
        let [hi, lo] = [Colormap::Viridis.rgb(1.0), Colormap::Viridis.rgb(0.0)];
        assert_eq!(&h.rgba[0..4], &[hi[0], hi[1], hi[2], 255]);
        assert_eq!(&h.rgba[4..8], &[lo[0], lo[1], lo[2], 255]);
        assert_eq!(h.top_k(1), vec![(0, 0, 1.0)]);
    }

    #[test]
    fn upsampling_interpolates_between_cell_centres() {
        // Map [1, -1] drawn 4 px wide: the middle two pixels are 0.5 and -0.5, i.e. 3/4 and 1/4
        // of the colormap.
        let m = unit_map(1, 2, 2, vec![1., 0., -1., 0.]);
        let h = pollster::block_on(for_cell(&m, (0, 0), &m, style(Range::Fixed, 4, 1))).unwrap();
        let expect = |t: f32| {
            let [r, g, b] = Colormap::Viridis.rgb((t * 255.0).round() / 255.0);
            [r, g, b, 255]
        };
        assert_eq!(&h.rgba[4..8], &expect(0.75));
        assert_eq!(&h.rgba[8..12], &expect(0.25));
    }

    #[test]
    fn a_flat_map_stretches_without_nan_and_bad_sizes_are_refused() {
        let m = unit_map(1, 2, 1, vec![2., 3.]);
        let h = pollster::block_on(for_cell(&m, (0, 0), &m, style(Range::Stretch, 3, 3))).unwrap();
        assert!(h.values.iter().all(|v| (v - 1.0).abs() < 1e-6));
        assert!(h.lo < h.hi);
        let mid = Colormap::Viridis.rgb((0.5f32 * 255.0).round() / 255.0);
        assert_eq!(&h.rgba[0..3], &mid);
        let size = pollster::block_on(for_cell(&m, (0, 0), &m, style(Range::Fixed, 0, 3)));
        assert_eq!(
            size,
            Err(HeatmapError::Size {
                width: 0,
                height: 3
            })
        );
        let outside = pollster::block_on(for_cell(&m, (1, 0), &m, style(Range::Fixed, 2, 2)));
        assert_eq!(
            outside.unwrap_err().to_string(),
            "cell (1, 0) is outside the 1×2 grid"
        );
    }

    #[test]
    fn only_device_failures_are_device_errors() {
        let (a, b) = (
            unit_map(1, 1, 2, vec![1., 0.]),
            unit_map(1, 1, 3, vec![1., 0., 0.]),
        );
        let depth =
            pollster::block_on(for_cell(&a, (0, 0), &b, style(Range::Fixed, 1, 1))).unwrap_err();
        assert_eq!(
            depth,
            HeatmapError::DepthMismatch {
                query: 2,
                target: 3
            }
        );
        assert_eq!(depth.device(), None);
        let lost = DeviceError::Execution("device lost".into());
        let e = HeatmapError::from(lost.clone());
        assert_eq!(e.device(), Some(&lost));
        // The page shows the message as is: the device's own words, not wrapped twice.
        assert_eq!(e.to_string(), "the device failed: device lost");
    }
}
