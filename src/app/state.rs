//! The page's reactive state: what the visitor chose (`Ui`), what the engine produced (`Out`),
//! device and weights status (`AppState`), and the handle to the engine, bundled in [`Ctx`].

use super::engine::Engine;
use super::status::WeightsProgress;
use crate::colormap::{Colormap, Range};
use crate::heatmap::Heatmap;
use crate::model::Block;
use crate::oneshot::Method;
use leptos::prelude::*;
use std::rc::Rc;
use std::sync::Arc;

/// Long side, in pixels, of the heatmap and mask overlays drawn over a panel.
pub const DISPLAY: u32 = 512;
/// Long side of the thumbnails in the block strip.
pub const STRIP_DISPLAY: u32 = 176;
/// Input sizes offered: multiples of 32 from 224 to 1024.
pub fn sizes() -> impl Iterator<Item = u32> {
    (224..=1024).step_by(32)
}
/// The default model input side.
pub const DEFAULT_SIZE: u32 = 512;

/// One of the two panels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The source panel (cells are picked here, the support image in segmentation).
    Left,
    /// The target panel (the heatmap is shown here, the query image in segmentation).
    Right,
}

impl Side {
    /// Both sides, left first.
    pub const BOTH: [Side; 2] = [Side::Left, Side::Right];

    /// The other panel.
    pub fn other(self) -> Side {
        match self {
            Side::Left => Side::Right,
            Side::Right => Side::Left,
        }
    }

    /// `left` or `right` (ids, links, test hooks).
    pub fn name(self) -> &'static str {
        match self {
            Side::Left => "left",
            Side::Right => "right",
        }
    }

    /// 0 for left, 1 for right.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// An image shown in a panel (its pixels live in the engine, under `id`).
#[derive(Debug, Clone, PartialEq)]
pub struct PanelImage {
    /// Engine key; equal ids share cached features.
    pub id: u32,
    /// File name shown to the visitor.
    pub name: String,
    /// The gallery file name, when it came from the gallery (links can carry it).
    pub gallery: Option<String>,
    /// Original width in pixels (after EXIF orientation).
    pub width: u32,
    /// Original height in pixels.
    pub height: u32,
    /// What the `<img>` shows: an object URL of the file's bytes.
    pub url: String,
}

impl PanelImage {
    /// Overlay size for this image: aspect kept, long side `long`.
    pub fn display_dims(&self, long: u32) -> (u32, u32) {
        display_dims(self.width, self.height, long)
    }
}

/// `width`×`height` scaled so the long side is `long` (at least one pixel each way).
pub fn display_dims(width: u32, height: u32, long: u32) -> (u32, u32) {
    let (w, h) = (f64::from(width.max(1)), f64::from(height.max(1)));
    let s = f64::from(long) / w.max(h);
    (
        ((w * s).round() as u32).max(1),
        ((h * s).round() as u32).max(1),
    )
}

/// What the page is for at the moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Cell-to-cell similarity heatmaps.
    Explore,
    /// One-shot segmentation: mark the object on the left, see it found on the right.
    Segment,
}

/// How the similarity map of a segmentation becomes a mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The slider's value.
    Fixed,
    /// Halfway between the map's minimum and maximum.
    Mid,
    /// Otsu's method.
    Otsu,
}

impl Rule {
    /// Every rule, in picker order.
    pub const ALL: [Rule; 3] = [Rule::Fixed, Rule::Mid, Rule::Otsu];

    /// The name `Threshold::from_str` and the CLI use (`fixed` stands for a number).
    pub fn name(self) -> &'static str {
        match self {
            Rule::Fixed => "fixed",
            Rule::Mid => "mid",
            Rule::Otsu => "otsu",
        }
    }

    /// What the picker shows.
    pub fn label(self) -> &'static str {
        match self {
            Rule::Fixed => "fixed (slider)",
            Rule::Mid => "midpoint",
            Rule::Otsu => "automatic (Otsu)",
        }
    }
}

/// The painting brush of segmentation mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Brush {
    /// Erase instead of add.
    pub erase: bool,
    /// Side of the square brush in cells.
    pub size: usize,
}

/// Cells painted on the left image, on a `grid`×`grid` grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Painted {
    /// Grid side the cells refer to.
    pub grid: usize,
    /// One flag per cell, row-major.
    pub cells: Vec<bool>,
}

impl Painted {
    /// Nothing painted on a `grid`×`grid` grid.
    pub fn empty(grid: usize) -> Self {
        Painted {
            grid,
            cells: vec![false; grid * grid],
        }
    }

    /// Whether any cell is painted.
    pub fn any(&self) -> bool {
        self.cells.iter().any(|&c| c)
    }

    /// The same marks on another grid (each new cell takes the old cell under its centre).
    pub fn regrid(&self, grid: usize) -> Self {
        if grid == self.grid {
            return self.clone();
        }
        let mut out = Painted::empty(grid);
        for r in 0..grid {
            for c in 0..grid {
                let (or, oc) = (remap(r, grid, self.grid), remap(c, grid, self.grid));
                out.cells[r * grid + c] = self.cells[or * self.grid + oc];
            }
        }
        out
    }
}

/// Index `i` of an `n`-cell axis mapped to the cell under its centre on an `m`-cell axis.
pub fn remap(i: usize, n: usize, m: usize) -> usize {
    (((i as f64 + 0.5) * m as f64 / n.max(1) as f64) as usize).min(m.saturating_sub(1))
}

/// A label mask loaded for one side (its pixels live in the engine).
#[derive(Debug, Clone, PartialEq)]
pub struct MaskInfo {
    /// File name.
    pub name: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Palette classes or a plain object/background mask.
    pub kind: MaskKind,
    /// Changes with every load, so results computed from an older mask are recognised.
    pub version: u32,
}

pub use crate::masks::MaskKind;

/// A heatmap shown on one side.
#[derive(Debug, Clone, PartialEq)]
pub struct MapView {
    /// The panel whose cell it is for.
    pub source: Side,
    /// That cell, on the grid of `block`.
    pub cell: (usize, usize),
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

/// One thumbnail of the block strip.
#[derive(Debug, Clone, PartialEq)]
pub struct StripItem {
    /// Its block.
    pub block: Block,
    /// The cell at that block that covers the shown cell's centre.
    pub cell: (usize, usize),
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
    /// Threshold rule used.
    pub rule: Rule,
}

/// Long work in progress, for the status bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Busy {
    /// What is being done.
    pub label: String,
    /// Done so far, 0..=1, when known.
    pub fraction: Option<f64>,
}

/// Something the visitor can do from a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsgAction {
    /// Rebuild the model on the CPU backend and go on there.
    SwitchToCpu,
}

/// A dismissable message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Key for dismissal.
    pub id: u32,
    /// `error` or `info`.
    pub kind: &'static str,
    /// The text.
    pub text: String,
    /// An offered remedy.
    pub action: Option<MsgAction>,
}

/// A model the picker lists.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelEntry {
    /// Engine key.
    pub id: u32,
    /// Name from the file (or the file name until it is read).
    pub name: String,
    /// What links call it: `default` or the visitor's file name.
    pub link_name: String,
}

/// Device and weights status (the status bar reads these; its attributes are test hooks).
#[derive(Clone, Copy)]
pub struct AppState {
    /// "WebGPU · adapter" or "CPU · …", once the device is up.
    pub backend: RwSignal<Option<String>>,
    /// `webgpu` or `cpu` (for tests and styling).
    pub backend_kind: RwSignal<Option<&'static str>>,
    /// Why WebGPU is not used, when it is not.
    pub fallback_reason: RwSignal<Option<String>>,
    /// JSON of the device self-test (exact small matmul and conv results).
    pub selftest: RwSignal<Option<String>>,
    /// Weights download/parse progress.
    pub weights: RwSignal<WeightsProgress>,
}

/// What the visitor chose.
#[derive(Clone, Copy)]
pub struct Ui {
    /// Models in the picker.
    pub models: RwSignal<Vec<ModelEntry>>,
    /// The model in use (id of a [`ModelEntry`]).
    pub model: RwSignal<Option<u32>>,
    /// Block whose features are compared.
    pub block: RwSignal<Block>,
    /// Model input side.
    pub size: RwSignal<u32>,
    /// Heatmap colours.
    pub cmap: RwSignal<Colormap>,
    /// Fixed [-1, 1] or stretched.
    pub range: RwSignal<Range>,
    /// Overlay opacity, 0..=1.
    pub opacity: RwSignal<f64>,
    /// How many best matches to mark.
    pub top_k: RwSignal<usize>,
    /// Explore or segment.
    pub mode: RwSignal<Mode>,
    /// The two images.
    pub images: [RwSignal<Option<PanelImage>>; 2],
    /// The pinned cell and its panel.
    pub pin: RwSignal<Option<(Side, (usize, usize))>>,
    /// The cell under the pointer (or keyboard focus) and its panel.
    pub hover: RwSignal<Option<(Side, (usize, usize))>>,
    /// Segmentation: the brush.
    pub brush: RwSignal<Brush>,
    /// Segmentation: painted cells on the left.
    pub painted: RwSignal<Painted>,
    /// Segmentation: loaded masks, support (left) and ground truth (right).
    pub masks: [RwSignal<Option<MaskInfo>>; 2],
    /// Segmentation: the object's class index in palette masks.
    pub class: RwSignal<Option<u8>>,
    /// Segmentation: threshold rule.
    pub rule: RwSignal<Rule>,
    /// Segmentation: the fixed cut.
    pub cut: RwSignal<f32>,
    /// Segmentation: recipe.
    pub method: RwSignal<Method>,
    /// Where pasted images go (the last panel hovered or focused).
    pub paste_side: RwSignal<Side>,
    /// The last link made by "copy link".
    pub link: RwSignal<Option<String>>,
    /// The gallery's files (from gallery/manifest.json).
    pub gallery: RwSignal<Vec<super::gallery::GalleryImage>>,
}

/// What the engine produced.
#[derive(Clone, Copy)]
pub struct Out {
    /// The heatmap shown on each side (at most one side has one).
    pub heat: [RwSignal<Option<Arc<MapView>>>; 2],
    /// The block strip for the shown cell.
    pub strip: RwSignal<Option<Arc<Strip>>>,
    /// The segmentation of the right image.
    pub seg: RwSignal<Option<Arc<SegView>>>,
    /// Why there is no segmentation yet.
    pub seg_hint: RwSignal<Option<String>>,
    /// Feature time per (image id, size): milliseconds, for the panel captions.
    pub feature_ms: RwSignal<Vec<((u32, u32), f64)>>,
    /// Long work in progress.
    pub busy: RwSignal<Option<Busy>>,
    /// Messages for the visitor.
    pub messages: RwSignal<Vec<Message>>,
}

/// Everything the components share.
#[derive(Clone, Copy)]
pub struct Ctx {
    /// The engine (device, model, images, feature cache); not reactive, not `Send`.
    pub engine: StoredValue<Rc<Engine>, LocalStorage>,
    /// Device and weights status.
    pub dev: AppState,
    /// The visitor's choices.
    pub ui: Ui,
    /// The engine's results.
    pub out: Out,
}

impl Ctx {
    /// The engine.
    pub fn engine(&self) -> Rc<Engine> {
        self.engine.get_value()
    }

    /// Grid side of the current block and size.
    pub fn grid(&self) -> usize {
        self.ui.block.get().grid(self.ui.size.get() as usize)
    }

    /// Same, without tracking.
    pub fn grid_untracked(&self) -> usize {
        self.ui
            .block
            .get_untracked()
            .grid(self.ui.size.get_untracked() as usize)
    }

    /// Changes block and/or size, moving the pinned and hovered cells and the painted marks to
    /// the new grid so they stay over the same part of the image.
    pub fn set_grid(&self, block: Block, size: u32) {
        let old = self.grid_untracked();
        let new = block.grid(size as usize);
        let move_cell = |(r, c): (usize, usize)| (remap(r, old, new), remap(c, old, new));
        self.ui.block.set(block);
        self.ui.size.set(size);
        if old != new {
            self.ui.pin.update(|p| {
                if let Some((_, cell)) = p {
                    *cell = move_cell(*cell);
                }
            });
            self.ui.hover.set(None);
            self.ui.painted.update(|p| *p = p.regrid(new));
        }
    }
}

/// The shared context (panics only if a component is used outside the app).
pub fn ctx() -> Ctx {
    expect_context::<Ctx>()
}

impl Default for Ui {
    /// The default choices.
    fn default() -> Self {
        let grid = Block::Layer4.grid(DEFAULT_SIZE as usize);
        Ui {
            models: RwSignal::new(Vec::new()),
            model: RwSignal::new(None),
            block: RwSignal::new(Block::Layer4),
            size: RwSignal::new(DEFAULT_SIZE),
            cmap: RwSignal::new(Colormap::default()),
            range: RwSignal::new(Range::Fixed),
            opacity: RwSignal::new(0.65),
            top_k: RwSignal::new(3),
            mode: RwSignal::new(Mode::Explore),
            images: [RwSignal::new(None), RwSignal::new(None)],
            pin: RwSignal::new(Some((Side::Left, (grid / 2, grid / 2)))),
            hover: RwSignal::new(None),
            brush: RwSignal::new(Brush {
                erase: false,
                size: 1,
            }),
            painted: RwSignal::new(Painted::empty(grid)),
            masks: [RwSignal::new(None), RwSignal::new(None)],
            class: RwSignal::new(None),
            rule: RwSignal::new(Rule::Mid),
            cut: RwSignal::new(0.5),
            method: RwSignal::new(Method::ALL[0]),
            paste_side: RwSignal::new(Side::Left),
            link: RwSignal::new(None),
            gallery: RwSignal::new(Vec::new()),
        }
    }
}

impl Default for Out {
    /// Nothing computed yet.
    fn default() -> Self {
        Out {
            heat: [RwSignal::new(None), RwSignal::new(None)],
            strip: RwSignal::new(None),
            seg: RwSignal::new(None),
            seg_hint: RwSignal::new(None),
            feature_ms: RwSignal::new(Vec::new()),
            busy: RwSignal::new(None),
            messages: RwSignal::new(Vec::new()),
        }
    }
}
