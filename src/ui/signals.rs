//! The page's reactive state, one signal per piece: what the visitor chose and loaded (`Ui`),
//! what the worker produced (`Out`) and the device's state (`Dev`). Values are session types.

use crate::compute::BackendKind;
use crate::session::gallery::GalleryImage;
use crate::session::geometry::Cell;
use crate::session::image::{LoadedMask, PanelImage};
use crate::session::messages::Messages;
use crate::session::models::{ModelEntry, ModelRef};
use crate::session::paint::{Brush, Painted};
use crate::session::progress::{Busy, WeightsProgress};
use crate::session::results::{MapView, PairsView, PcaView, RowItem, SegView, Strip, WhyView};
use crate::session::settings::Settings;
use crate::session::side::Side;
use crate::session::targets::Targets;
use leptos::prelude::*;
use std::sync::Arc;

/// What the visitor chose and loaded.
#[derive(Clone, Copy)]
pub struct Ui {
    /// Block, size, colours, mode, pin, segmentation choices.
    pub settings: RwSignal<Settings>,
    /// The two images, with their pixels.
    pub images: [RwSignal<Option<PanelImage>>; 2],
    /// Segmentation: support (left) and ground-truth (right) masks, with their pixels.
    pub masks: [RwSignal<Option<LoadedMask>>; 2],
    /// The cell under the pointer (or keyboard focus) and its panel.
    pub hover: RwSignal<Option<(Side, Cell)>>,
    /// Segmentation: painted cells on the left.
    pub painted: RwSignal<Painted>,
    /// Segmentation: the brush.
    pub brush: RwSignal<Brush>,
    /// Models in the picker.
    pub models: RwSignal<Vec<ModelEntry>>,
    /// The model on the device.
    pub model: RwSignal<Option<ModelRef>>,
    /// Where pasted images go (the last panel hovered or focused).
    pub paste_side: RwSignal<Side>,
    /// The last link made by "copy link".
    pub link: RwSignal<Option<String>>,
    /// The gallery's files (from gallery/manifest.json).
    pub gallery: RwSignal<Vec<GalleryImage>>,
    /// The open bundle's address, as its link gave it.
    pub bundle: RwSignal<Option<String>>,
    /// The one-vs-many row's images.
    pub targets: RwSignal<Targets>,
}

impl Default for Ui {
    /// The default choices, nothing loaded.
    fn default() -> Self {
        let settings = Settings::default();
        let grid = settings.grid();
        Ui {
            settings: RwSignal::new(settings),
            images: [RwSignal::new(None), RwSignal::new(None)],
            masks: [RwSignal::new(None), RwSignal::new(None)],
            hover: RwSignal::new(None),
            painted: RwSignal::new(Painted::empty(grid)),
            brush: RwSignal::new(Brush::default()),
            models: RwSignal::new(Vec::new()),
            model: RwSignal::new(None),
            paste_side: RwSignal::new(Side::Left),
            link: RwSignal::new(None),
            gallery: RwSignal::new(Vec::new()),
            bundle: RwSignal::new(None),
            targets: RwSignal::new(Targets::default()),
        }
    }
}

/// What the worker produced.
#[derive(Clone, Copy)]
pub struct Out {
    /// The heatmap shown on each side (at most one side has one).
    pub heat: [RwSignal<Option<Arc<MapView>>>; 2],
    /// The block strip for the shown cell.
    pub strip: RwSignal<Option<Arc<Strip>>>,
    /// The segmentation of the right image.
    pub seg: RwSignal<Option<Arc<SegView>>>,
    /// Explore's PCA colours of both panels.
    pub pca: RwSignal<Option<Arc<PcaView>>>,
    /// Explore's correspondences between the panels.
    pub pairs: RwSignal<Option<Arc<PairsView>>>,
    /// Why the pinned cell and the other panel's cell are alike.
    pub why: RwSignal<Option<Arc<WhyView>>>,
    /// The one-vs-many row, one item per image.
    pub row: RwSignal<Vec<Arc<RowItem>>>,
    /// Why there is no segmentation yet.
    pub seg_hint: RwSignal<Option<String>>,
    /// Feature time per (image id, size): milliseconds, for the panel captions.
    pub feature_ms: RwSignal<Vec<((u32, u32), f64)>>,
    /// Long work in progress.
    pub busy: RwSignal<Option<Busy>>,
    /// Messages for the visitor.
    pub messages: RwSignal<Messages>,
    /// Why a refresh needs the default model (features not in the bundle): the page loads it.
    pub model_wanted: RwSignal<Option<String>>,
    /// Why a panel has no image when a link named one (not found, another site, not an image).
    pub panel_error: [RwSignal<Option<String>>; 2],
}

impl Default for Out {
    /// Nothing computed yet.
    fn default() -> Self {
        Out {
            heat: [RwSignal::new(None), RwSignal::new(None)],
            strip: RwSignal::new(None),
            seg: RwSignal::new(None),
            pca: RwSignal::new(None),
            pairs: RwSignal::new(None),
            why: RwSignal::new(None),
            row: RwSignal::new(Vec::new()),
            seg_hint: RwSignal::new(None),
            feature_ms: RwSignal::new(Vec::new()),
            busy: RwSignal::new(None),
            messages: RwSignal::new(Messages::default()),
            model_wanted: RwSignal::new(None),
            panel_error: [RwSignal::new(None), RwSignal::new(None)],
        }
    }
}

/// Device and weights status (the status bar reads these; its attributes are test hooks).
#[derive(Clone, Copy)]
pub struct Dev {
    /// The kind of device in use, once it is up.
    pub backend: RwSignal<Option<BackendKind>>,
    /// "WebGPU · adapter" or "CPU · …", once the device is up.
    pub description: RwSignal<Option<String>>,
    /// Why WebGPU is not used, when it is not.
    pub fallback_reason: RwSignal<Option<String>>,
    /// JSON of the device self-test (exact small matmul and conv results).
    pub selftest: RwSignal<Option<String>>,
    /// Weights download/parse progress.
    pub weights: RwSignal<WeightsProgress>,
    /// How many devices have been brought up (0: none yet; a switch to the CPU makes another).
    pub device: RwSignal<u32>,
}

impl Default for Dev {
    /// Nothing started.
    fn default() -> Self {
        Dev {
            backend: RwSignal::new(None),
            description: RwSignal::new(None),
            fallback_reason: RwSignal::new(None),
            selftest: RwSignal::new(None),
            weights: RwSignal::new(WeightsProgress::Waiting),
            device: RwSignal::new(0),
        }
    }
}
