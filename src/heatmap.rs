//! Similarity heatmaps: one query vector against every cell of a map, coloured for display.
//!
//! The cosine map is computed on the device; the colours are made at the requested display size
//! (bilinear between cell centres) so a page only has to put the pixels on a canvas.

use crate::colormap::{Colormap, Range, rgba_between};
use crate::segment::upsample_bilinear;
use crate::similarity::UnitMap;
use burn::tensor::Tensor;

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

/// The heatmap of cell (`row`, `col`) of `source` over every cell of `target`.
pub async fn for_cell(
    source: &UnitMap,
    (row, col): (usize, usize),
    target: &UnitMap,
    style: Style,
) -> Result<Heatmap, String> {
    if row >= source.h || col >= source.w {
        return Err(format!(
            "cell ({row}, {col}) is outside the {}×{} grid",
            source.h, source.w
        ));
    }
    if source.c != target.c {
        return Err(format!(
            "the maps differ in depth ({} vs {} channels)",
            source.c, target.c
        ));
    }
    for_query(target, source.cell(row, col), style).await
}

/// The heatmap of a unit `[1, c]` query (a cell or a prototype) over every cell of `target`.
pub async fn for_query(
    target: &UnitMap,
    query: Tensor<2>,
    style: Style,
) -> Result<Heatmap, String> {
    let values = target
        .cosine(query)
        .into_data_async()
        .await
        .map_err(|e| e.to_string())?
        .try_to_vec::<f32>()
        .map_err(|e| format!("{e:?}"))?;
    let (lo, hi) = style.range.bounds(&values);
    let up = upsample_bilinear(
        &values,
        target.h,
        target.w,
        style.width as usize,
        style.height as usize,
    );
    Ok(Heatmap {
        rows: target.h,
        cols: target.w,
        rgba: rgba_between(&up, style.cmap, (lo, hi), 255),
        values,
        lo,
        hi,
        width: style.width,
        height: style.height,
    })
}
