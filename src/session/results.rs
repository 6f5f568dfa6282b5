//! What the worker produced, as the components show it.

use super::geometry::Cell;
use super::side::Side;
use super::views::PcaScope;
use crate::analysis::buddies::Pair;
use crate::analysis::iou_curve::{Histogram, IouCurve};
use crate::heatmap::Heatmap;
use crate::model::Block;
use crate::oneshot::Method;
use crate::segment::Threshold;

/// A heatmap shown on one side.
#[derive(Debug, Clone, PartialEq)]
pub struct MapView {
    /// The panel whose cell it is for.
    pub source: Side,
    /// That cell, on the grid of `block`.
    pub cell: Cell,
    /// The block it was computed at.
    pub block: Block,
    /// Model input side.
    pub size: u32,
    /// Name of the image the map lies over.
    pub image: String,
    /// Name of the model whose features were compared.
    pub model: String,
    /// Values and colours.
    pub heat: Heatmap,
    /// Time from request to colours, in milliseconds.
    pub millis: f64,
    /// For the pinned cell (not a hover preview).
    pub pinned: bool,
}

impl MapView {
    /// The value at a cell, when it lies inside the map.
    pub fn value_at(&self, (r, c): Cell) -> Option<f32> {
        (r < self.heat.rows && c < self.heat.cols).then(|| self.heat.at(r, c))
    }

    /// Where `v` lies on the colour bar, in percent from its low end (clamped).
    pub fn bar_percent(&self, v: f32) -> f32 {
        bar_percent(v, self.heat.lo, self.heat.hi)
    }
}

/// One thumbnail of the block strip.
#[derive(Debug, Clone, PartialEq)]
pub struct StripItem {
    /// Its block.
    pub block: Block,
    /// The cell at that block that covers the shown cell's centre.
    pub cell: Cell,
    /// Values and colours at thumbnail size.
    pub heat: Heatmap,
}

/// The strip: the same spot's heatmap at every block.
#[derive(Debug, Clone, PartialEq)]
pub struct Strip {
    /// The panel the cell belongs to.
    pub source: Side,
    /// The panel the maps lie over.
    pub target: Side,
    /// One per block, shallow to deep.
    pub items: Vec<StripItem>,
}

/// A segmentation result on the right image.
#[derive(Debug, Clone, PartialEq)]
pub struct SegView {
    /// Overlay width (display size).
    pub width: u32,
    /// Overlay height.
    pub height: u32,
    /// Overlay colours.
    pub rgba: Vec<u8>,
    /// The cut applied to the similarity.
    pub cut: f32,
    /// Foreground IoU against the loaded ground truth, when there is one that fits.
    pub iou: Option<f64>,
    /// Why there is no IoU although a ground truth is loaded.
    pub iou_note: Option<String>,
    /// Fraction of the query predicted as object.
    pub area: f64,
    /// Time from request to mask, in milliseconds.
    pub millis: f64,
    /// Recipe used.
    pub method: Method,
    /// Threshold used.
    pub threshold: Threshold,
    /// IoU against the threshold over the score's range, when a fitting ground truth is loaded.
    pub curve: Option<IouCurve>,
    /// The score's histogram (split by the ground truth when one fits).
    pub histogram: Histogram,
}

/// One panel's PCA colours.
#[derive(Debug, Clone, PartialEq)]
pub struct PcaSide {
    /// Grid rows.
    pub rows: usize,
    /// Grid columns.
    pub cols: usize,
    /// One RGBA pixel per cell, row-major.
    pub rgba: Vec<u8>,
    /// The variance fraction each component explains (of the cells it was computed over).
    pub explained: [f64; 3],
    /// Each cell's three component scores, row-major (for the JSON export).
    pub scores: Vec<[f32; 3]>,
}

/// The PCA colours of both panels.
#[derive(Debug, Clone, PartialEq)]
pub struct PcaView {
    /// The block.
    pub block: Block,
    /// Model input side.
    pub size: u32,
    /// Both images together or each alone.
    pub scope: PcaScope,
    /// Left, right.
    pub sides: [PcaSide; 2],
}

/// One channel's part in why two cells are alike, with where it is active in each image.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelView {
    /// Channel index.
    pub channel: usize,
    /// Its share of the cosine (the product of the two unit vectors' values).
    pub share: f32,
    /// Its value over each panel's grid as RGBA, one pixel per cell (left, right), coloured from
    /// 0 to its largest value over both images.
    pub thumbs: [Vec<u8>; 2],
}

/// Why the pinned cell and a cell of the other panel are alike.
#[derive(Debug, Clone, PartialEq)]
pub struct WhyView {
    /// The pinned cell's panel.
    pub source: Side,
    /// The pinned cell.
    pub cell: Cell,
    /// The cell of the other panel (under the pointer, else the best match).
    pub other: Cell,
    /// Whether `other` is under the pointer (else it is the best match).
    pub hovered: bool,
    /// The block.
    pub block: Block,
    /// Channels in the block.
    pub channels_in_block: usize,
    /// The two cells' cosine.
    pub cosine: f32,
    /// Each panel's grid, (rows, columns), left first.
    pub grids: [(usize, usize); 2],
    /// The channels with the largest shares, largest first.
    pub channels: Vec<ChannelView>,
}

/// One image of the one-vs-many row.
#[derive(Debug, Clone, PartialEq)]
pub struct RowItem {
    /// Its image id.
    pub id: u32,
    /// Its name.
    pub name: String,
    /// What its `<img>` shows.
    pub url: String,
    /// The shown cell its heatmap is for.
    pub cell: Cell,
    /// The block.
    pub block: Block,
    /// The heatmap at thumbnail size (`None` while it is computed).
    pub heat: Option<Heatmap>,
}

/// The mutual nearest neighbours of the two grids.
#[derive(Debug, Clone, PartialEq)]
pub struct PairsView {
    /// The block.
    pub block: Block,
    /// Model input side.
    pub size: u32,
    /// Left and right grids, (rows, columns).
    pub grids: [(usize, usize); 2],
    /// Every mutual pair, most similar first (the page draws the first few); with `object`, only
    /// those whose left cell lies in the marked object.
    pub pairs: Vec<Pair>,
    /// Whether the pairs were restricted to the object marked on the left.
    pub object: bool,
}

impl PairsView {
    /// Pair `p`'s cells as (row, column): on the left grid, then on the right one.
    pub fn cells(&self, p: &Pair) -> (Cell, Cell) {
        let at = |i: usize, (_, cols): (usize, usize)| (i / cols.max(1), i % cols.max(1));
        (at(p.left, self.grids[0]), at(p.right, self.grids[1]))
    }
}

/// A predicted mask at the query's own size (for the download).
#[derive(Debug, Clone, PartialEq)]
pub struct PredictedMask {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Foreground per pixel, row-major.
    pub mask: Vec<bool>,
}

/// Where `v` lies between `lo` and `hi`, in percent (clamped; 0 for an empty range).
pub fn bar_percent(v: f32, lo: f32, hi: f32) -> f32 {
    if hi > lo {
        ((v - lo) / (hi - lo)).clamp(0.0, 1.0) * 100.0
    } else {
        0.0
    }
}

/// Fraction of `true` in a mask (0 for an empty one).
pub fn area(mask: &[bool]) -> f64 {
    mask.iter().filter(|&&m| m).count() as f64 / mask.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    #[test]
    fn bar_positions() {
        assert_eq!(super::bar_percent(0.0, -1.0, 1.0), 50.0);
        assert_eq!(super::bar_percent(2.0, -1.0, 1.0), 100.0);
        assert_eq!(super::bar_percent(0.3, 0.3, 0.3), 0.0);
    }

    #[test]
    fn area_of_masks() {
        assert_eq!(super::area(&[true, false, false, true]), 0.5);
        assert_eq!(super::area(&[]), 0.0);
    }
}
