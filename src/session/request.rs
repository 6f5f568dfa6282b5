//! The request: everything the worker reads for one refresh, as one value built in one place
//! from the page's signals. The link codec writes its fragment from the same value.

use super::geometry::{Cell, clamp_cell};
use super::image::{LoadedMask, PanelImage};
use super::models::ModelRef;
use super::paint::{COVERAGE_CUT, Painted};
use super::settings::Settings;
use super::side::Side;

/// What the results are to be computed from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Request {
    /// The model on the device (none while loading).
    pub model: Option<ModelRef>,
    /// The two images, left first.
    pub images: [Option<PanelImage>; 2],
    /// The visitor's choices.
    pub settings: Settings,
    /// The cell under the pointer (or keyboard focus) and its panel.
    pub hover: Option<(Side, Cell)>,
    /// Segmentation: cells painted on the left.
    pub painted: Painted,
    /// Segmentation: support (left) and ground-truth (right) masks.
    pub masks: [Option<LoadedMask>; 2],
    /// The open bundle's address, as its link gave it (links carry it on).
    pub bundle: Option<String>,
    /// Which device computes (0 until one is up; results on an older one are stale).
    pub device: u32,
    /// The one-vs-many row's images.
    pub targets: Vec<PanelImage>,
}

/// The cell whose heatmap is shown, on which panel, and whether it is the pin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shown {
    /// The panel the cell belongs to (the map lies over the other one).
    pub source: Side,
    /// The cell, inside the grid.
    pub cell: Cell,
    /// The pinned cell rather than a hover preview.
    pub pinned: bool,
}

/// Where the object to find comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Support {
    /// A loaded mask's class.
    Mask(LoadedMask, u8),
    /// Painted cells.
    Painted(Painted),
}

impl Request {
    /// The image of a side.
    pub fn image(&self, side: Side) -> Option<&PanelImage> {
        self.images[side.index()].as_ref()
    }

    /// The cell whose heatmap is shown: a hover on the pinned panel previews, else the pin; with
    /// nothing pinned, a hover on the left.
    pub fn shown(&self) -> Option<Shown> {
        let grid = self.settings.grid();
        let at = |source, cell, pinned| {
            Some(Shown {
                source,
                cell: clamp_cell(cell, grid),
                pinned,
            })
        };
        match (self.settings.pin, self.hover) {
            (Some((ps, pc)), Some((hs, hc))) if hs == ps => at(hs, hc, hc == pc),
            (Some((ps, pc)), _) => at(ps, pc, true),
            (None, Some((Side::Left, hc))) => at(Side::Left, hc, false),
            (None, _) => None,
        }
    }

    /// The object on the left: a loaded mask wins over painted cells; `None` when neither.
    pub fn support(&self) -> Option<Support> {
        match &self.masks[0] {
            Some(m) => Some(Support::Mask(m.clone(), m.class(self.settings.class))),
            None if self.painted.any() => Some(Support::Painted(self.painted.clone())),
            None => None,
        }
    }

    /// The cells of a `grid`×`grid` grid on the left that the object covers (at least half of
    /// each, as painting has it); `None` without an object.
    pub fn support_cells(&self, grid: usize) -> Option<Vec<bool>> {
        Some(match self.support()? {
            Support::Mask(m, class) => {
                crate::resample::cell_coverage(&crate::masks::class_mask(&m.labels, class), grid)
                    .into_iter()
                    .map(|c| c >= COVERAGE_CUT)
                    .collect()
            }
            Support::Painted(p) => p.regrid(grid).cells,
        })
    }

    /// The ground truth and its object class, when loaded.
    pub fn truth(&self) -> Option<(&LoadedMask, u8)> {
        self.masks[1]
            .as_ref()
            .map(|m| (m, m.class(self.settings.class)))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::masks::MaskKind;
    use image::{GrayImage, RgbImage};
    use std::sync::Arc;

    /// A 4×3 test image with id `id`.
    pub(crate) fn image(id: u32, gallery: Option<&str>) -> PanelImage {
        PanelImage {
            id,
            name: format!("img{id}.png"),
            link: gallery.map(str::to_owned),
            width: 4,
            height: 3,
            url: format!("blob:{id}"),
            rgb: Arc::new(RgbImage::new(4, 3)),
            bytes: Arc::from(Vec::new()),
        }
    }

    #[test]
    fn a_hover_on_the_pinned_panel_previews_else_the_pin_shows() {
        let mut r = Request::default();
        r.settings.pin = Some((Side::Left, (3, 4)));
        let pin = r.shown().unwrap();
        assert_eq!(
            (pin.source, pin.cell, pin.pinned),
            (Side::Left, (3, 4), true)
        );
        r.hover = Some((Side::Left, (99, 0)));
        let prev = r.shown().unwrap();
        assert_eq!((prev.cell, prev.pinned), ((15, 0), false));
        r.hover = Some((Side::Left, (3, 4)));
        assert!(r.shown().unwrap().pinned);
        // A hover on the other panel does not move the map.
        r.hover = Some((Side::Right, (1, 1)));
        assert_eq!(r.shown().unwrap().cell, (3, 4));
        r.settings.pin = None;
        assert_eq!(r.shown(), None);
        r.hover = Some((Side::Left, (1, 1)));
        assert_eq!(r.shown().unwrap().cell, (1, 1));
    }

    #[test]
    fn a_loaded_mask_wins_over_painted_cells() {
        let mut r = Request::default();
        assert_eq!(r.support(), None);
        r.painted = Painted::empty(2);
        r.painted.cells[0] = true;
        assert!(matches!(r.support(), Some(Support::Painted(_))));
        let mask = LoadedMask {
            name: "m.png".into(),
            kind: MaskKind::Classes(vec![(8, 10), (15, 2)]),
            version: 7,
            labels: Arc::new(GrayImage::new(4, 3)),
        };
        assert_eq!(r.support_cells(2).unwrap(), [true, false, false, false]);
        assert_eq!(
            r.support_cells(4).unwrap()[..5],
            [true, true, false, false, true]
        );
        r.masks[0] = Some(mask.clone());
        assert_eq!(r.support(), Some(Support::Mask(mask.clone(), 8)));
        // The mask's labels are all 0 (no class 8): no cell is the object.
        assert_eq!(r.support_cells(2).unwrap(), [false; 4]);
        r.settings.class = Some(15);
        assert_eq!(r.support(), Some(Support::Mask(mask, 15)));
        assert_eq!(r.truth(), None);
    }

    #[test]
    fn requests_compare_by_image_identity_not_pixels() {
        let a = Request {
            images: [Some(image(1, None)), None],
            ..Request::default()
        };
        let mut b = a.clone();
        assert_eq!(a, b);
        b.images[0] = Some(image(2, None));
        assert_ne!(a, b);
    }
}
