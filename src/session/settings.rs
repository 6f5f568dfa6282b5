//! The visitor's choices that a link can carry or the worker reads, in one value: adding a
//! setting is a field here (and a key in `link` if links should carry it).

use super::geometry::{Cell, DEFAULT_SIZE, centre, clamp_cell, remap_cell};
use super::mode::Mode;
use super::side::Side;
use super::views::{DEFAULT_PAIRS, PcaScope, View};
use crate::colormap::{Colormap, Range};
use crate::model::Block;
use crate::oneshot::Method;
use crate::segment::Threshold;

/// The visitor's choices.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Block whose features are compared.
    pub block: Block,
    /// Model input side.
    pub size: u32,
    /// Heatmap colours.
    pub cmap: Colormap,
    /// Fixed [-1, 1] or stretched.
    pub range: Range,
    /// Overlay opacity, 0..=1.
    pub opacity: f64,
    /// How many best matches to mark.
    pub top_k: usize,
    /// Explore or segment.
    pub mode: Mode,
    /// The pinned cell and its panel.
    pub pin: Option<(Side, Cell)>,
    /// Segmentation: the object's class index in palette masks (`None`: the mask's most frequent).
    pub class: Option<u8>,
    /// Segmentation: how the similarity map becomes a mask.
    pub threshold: Threshold,
    /// Segmentation: the fixed threshold slider's position (kept while another rule is used).
    pub slider: f32,
    /// Segmentation: recipe.
    pub method: Method,
    /// Explore: heatmap, PCA colours or correspondences.
    pub view: View,
    /// Explore: PCA over both images or each alone.
    pub pca: PcaScope,
    /// Explore: how many correspondences to draw, 1..=[`super::views::MAX_PAIRS`].
    pub pairs: usize,
    /// Explore: only the correspondences that start in the object marked on the left (the
    /// painted cells or the loaded mask of segmentation).
    pub pairs_object: bool,
    /// Explore: "why alike" shown under the panels.
    pub why: bool,
}

impl Default for Settings {
    /// The page's defaults: layer4 at 512², its centre cell pinned on the left.
    fn default() -> Self {
        let block = Block::Layer4;
        Settings {
            block,
            size: DEFAULT_SIZE,
            cmap: Colormap::default(),
            range: Range::Fixed,
            opacity: 0.65,
            top_k: 3,
            mode: Mode::Explore,
            pin: Some((Side::Left, centre(block.grid(DEFAULT_SIZE as usize)))),
            class: None,
            threshold: Threshold::Mid,
            slider: 0.5,
            method: Method::ALL[0],
            view: View::Heatmap,
            pca: PcaScope::Joint,
            pairs: DEFAULT_PAIRS,
            pairs_object: false,
            why: false,
        }
    }
}

impl Settings {
    /// Grid side of the current block and size.
    pub fn grid(&self) -> usize {
        self.block.grid(self.size as usize)
    }

    /// Changes block and size, moving the pinned cell to the new grid so it stays over the same
    /// part of the image. Returns the old and new grid sides.
    pub fn set_grid(&mut self, block: Block, size: u32) -> (usize, usize) {
        let old = self.grid();
        self.block = block;
        self.size = size;
        let new = self.grid();
        if old != new
            && let Some((_, cell)) = self.pin.as_mut()
        {
            *cell = remap_cell(*cell, old, new);
        }
        (old, new)
    }

    /// Pins `cell` of `side`, clamped into the current grid.
    pub fn pin_clamped(&mut self, side: Side, cell: Cell) {
        self.pin = Some((side, clamp_cell(cell, self.grid())));
    }

    /// Picks a recipe with the threshold it is meant for.
    pub fn set_method(&mut self, method: Method) {
        self.method = method;
        self.threshold = method.default_threshold();
        if let Threshold::Fixed(v) = self.threshold {
            self.slider = v;
        }
    }

    /// Cuts at `t` exactly (a point picked on the IoU curve); the slider shows it, clamped to its
    /// range.
    pub fn set_fixed(&mut self, t: f32) {
        self.threshold = Threshold::Fixed(t);
        self.slider = t.clamp(-1.0, 1.0);
    }

    /// Moves the fixed threshold's slider (and uses it when the rule is `fixed`).
    pub fn set_slider(&mut self, v: f32) {
        self.slider = v.clamp(-1.0, 1.0);
        if let Threshold::Fixed(_) = self.threshold {
            self.threshold = Threshold::Fixed(self.slider);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changing_the_grid_moves_the_pin_over_the_same_spot() {
        let mut s = Settings::default();
        assert_eq!(s.pin, Some((Side::Left, (8, 8))));
        assert_eq!(s.set_grid(Block::Layer3, 512), (16, 32));
        assert_eq!(s.pin, Some((Side::Left, (17, 17))));
        s.set_grid(Block::Layer3, 1024);
        assert_eq!(s.grid(), 64);
        assert_eq!(s.pin, Some((Side::Left, (35, 35))));
    }

    #[test]
    fn a_recipe_brings_its_threshold_and_the_slider_follows_fixed_only() {
        let mut s = Settings::default();
        for m in Method::ALL {
            s.set_method(m);
            assert_eq!(s.threshold, m.default_threshold());
        }
        s.threshold = Threshold::Otsu;
        s.set_slider(3.0);
        assert_eq!((s.threshold, s.slider), (Threshold::Otsu, 1.0));
        s.threshold = Threshold::Fixed(0.0);
        s.set_slider(0.2);
        assert_eq!(s.threshold, Threshold::Fixed(0.2));
    }
}
