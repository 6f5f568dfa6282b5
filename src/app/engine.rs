//! The engine: device, model, decoded images and masks, the feature cache, and one worker that
//! brings the results up to date with the visitor's choices.
//!
//! Every change of a choice calls [`kick`]. One refresh runs at a time; a change during a refresh
//! marks it dirty and the worker runs again when it finishes (latest request wins, so hovering
//! never piles up GPU work). Results are keyed by what they depend on and skipped when current.

use super::boot::{now_ms, yield_to_browser};
use super::cache::FeatureCache;
use super::errors;
use super::fetch;
use super::state::{
    Busy, Ctx, MapView, MaskKind, Mode, MsgAction, Rule, SegView, Side, Strip, StripItem, remap,
};
use super::status::WeightsProgress;
use crate::colormap::{Colormap, Range};
use crate::compute::{BackendKind, Compute};
use crate::heatmap::{Style, for_cell};
use crate::masks::class_mask;
use crate::model::{Block, ResNet};
use crate::oneshot::{ImageFeatures, Method, predict};
use crate::segment::{Confusion, SegmentError, Threshold, mask_from_cells};
use image::{GrayImage, RgbImage};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

/// Where a model's bytes come from (kept so the model can be rebuilt on another device).
#[derive(Clone)]
pub enum ModelSource {
    /// Served with the page.
    Url(String),
    /// The visitor's file.
    File(web_sys::File),
}

/// Device, model, images and caches. Not reactive; reached through [`Ctx::engine`].
pub struct Engine {
    compute: RefCell<Compute>,
    /// The model in use and its generation (a new model or device makes a new generation).
    net: RefCell<Option<(u32, Rc<ResNet>)>>,
    generation: Cell<u32>,
    sources: RefCell<Vec<(u32, ModelSource)>>,
    images: RefCell<HashMap<u32, Rc<RgbImage>>>,
    /// Label masks per side, as loaded (palette indices, or 0/1 for black/white masks).
    masks: [RefCell<Option<Rc<GrayImage>>>; 2],
    next_id: Cell<u32>,
    cache: RefCell<FeatureCache>,
    running: Cell<bool>,
    dirty: Cell<bool>,
    keys: RefCell<Keys>,
    /// The last predicted mask at the query's own size, for the download.
    last_mask: RefCell<Option<(u32, u32, Vec<bool>)>>,
}

/// What the shown results were computed from.
#[derive(Default)]
struct Keys {
    heat: Option<HeatKey>,
    strip: Option<HeatKey>,
    seg: Option<SegKey>,
}

#[derive(Clone, PartialEq)]
struct HeatKey {
    images: (u32, u32),
    generation: u32,
    size: u32,
    block: Block,
    source: Side,
    cell: (usize, usize),
    cmap: Colormap,
    range: Range,
    dims: (u32, u32),
}

#[derive(Clone, PartialEq)]
enum SupportKey {
    Loaded(u32, u8),
    Painted(usize, Vec<bool>),
}

#[derive(Clone, PartialEq)]
struct SegKey {
    images: (u32, u32),
    generation: u32,
    size: u32,
    block: Block,
    method: Method,
    threshold: String,
    support: SupportKey,
    truth: Option<(u32, u8)>,
    dims: (u32, u32),
}

impl Engine {
    /// An engine on `compute` with no model yet.
    pub fn new(compute: Compute) -> Self {
        Engine {
            compute: RefCell::new(compute),
            net: RefCell::new(None),
            generation: Cell::new(0),
            sources: RefCell::new(Vec::new()),
            images: RefCell::new(HashMap::new()),
            masks: [RefCell::new(None), RefCell::new(None)],
            next_id: Cell::new(1),
            // Two panels plus a few recent images to switch back to.
            cache: RefCell::new(FeatureCache::new(4)),
            running: Cell::new(false),
            dirty: Cell::new(false),
            keys: RefCell::new(Keys::default()),
            last_mask: RefCell::new(None),
        }
    }

    /// Uses `compute` from now on (once, after the device check).
    pub fn set_compute(&self, compute: Compute) {
        *self.compute.borrow_mut() = compute;
    }

    /// A fresh id for an image, mask or model.
    pub fn next_id(&self) -> u32 {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        id
    }

    /// Keeps a decoded image; returns its id.
    pub fn add_image(&self, rgb: RgbImage) -> u32 {
        let id = self.next_id();
        self.images.borrow_mut().insert(id, Rc::new(rgb));
        id
    }

    /// Frees images (and their features) that neither panel shows any more.
    pub fn keep_images(&self, keep: &[u32]) {
        let mut images = self.images.borrow_mut();
        let gone: Vec<u32> = images
            .keys()
            .copied()
            .filter(|id| !keep.contains(id))
            .collect();
        for id in gone {
            images.remove(&id);
            self.cache.borrow_mut().forget_image(id);
        }
    }

    /// Sets or clears the label mask of a side.
    pub fn set_mask(&self, side: Side, labels: Option<GrayImage>) {
        *self.masks[side.index()].borrow_mut() = labels.map(Rc::new);
    }

    /// The label mask of a side.
    pub fn mask(&self, side: Side) -> Option<Rc<GrayImage>> {
        self.masks[side.index()].borrow().clone()
    }

    /// Exchanges the two sides' masks (with "swap sides").
    pub fn swap_masks(&self) {
        self.masks[0].swap(&self.masks[1]);
    }

    /// Registers a model source under `id`.
    pub fn add_source(&self, id: u32, source: ModelSource) {
        self.sources.borrow_mut().push((id, source));
    }

    /// Forgets a model source that failed to load.
    pub fn remove_source(&self, id: u32) {
        self.sources.borrow_mut().retain(|(i, _)| *i != id);
    }

    fn source(&self, id: u32) -> Option<ModelSource> {
        self.sources
            .borrow()
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, s)| s.clone())
    }

    fn model(&self) -> Option<(u32, Rc<ResNet>)> {
        self.net.borrow().clone()
    }

    /// The last predicted mask: (width, height, foreground per pixel).
    pub fn last_mask(&self) -> Option<(u32, u32, Vec<bool>)> {
        self.last_mask.borrow().clone()
    }

    fn forget_results(&self) {
        *self.keys.borrow_mut() = Keys::default();
    }
}

/// Asks the worker to bring the results up to date.
pub fn kick(ctx: Ctx) {
    let e = ctx.engine();
    if e.running.get() {
        e.dirty.set(true);
        return;
    }
    e.running.set(true);
    spawn_local(async move {
        loop {
            e.dirty.set(false);
            refresh(ctx, &e).await;
            if !e.dirty.get() {
                break;
            }
        }
        e.running.set(false);
    });
}

/// Reads or downloads model `id`, builds it on the engine's device and makes it current.
/// On failure the previous model stays in use.
pub async fn load_model(ctx: Ctx, id: u32) -> Result<(), String> {
    let e = ctx.engine();
    let source = e.source(id).ok_or("that model is no longer available")?;
    let before = ctx.dev.weights.get_untracked();
    let result = build_model(ctx, &e, &source).await;
    match result {
        Ok((net, bytes, millis)) => {
            let name = net.spec().name.clone();
            let generation = e.generation.get() + 1;
            e.generation.set(generation);
            // Free the old model's features before the new ones are made.
            e.cache.borrow_mut().clear();
            *e.net.borrow_mut() = Some((generation, Rc::new(net)));
            e.forget_results();
            ctx.ui.models.update(|m| {
                if let Some(entry) = m.iter_mut().find(|m| m.id == id) {
                    entry.name = name.clone();
                }
            });
            ctx.ui.model.set(Some(id));
            ctx.dev.weights.set(WeightsProgress::Ready {
                name,
                bytes,
                millis,
            });
            kick(ctx);
            Ok(())
        }
        Err(err) => {
            // A refused visitor file leaves the working model as it was.
            if e.model().is_some() {
                ctx.dev.weights.set(before);
            } else {
                ctx.dev.weights.set(WeightsProgress::Failed(err.clone()));
            }
            Err(err)
        }
    }
}

async fn build_model(
    ctx: Ctx,
    e: &Engine,
    source: &ModelSource,
) -> Result<(ResNet, usize, f64), String> {
    let t0 = now_ms();
    let progress = |loaded, total| {
        ctx.dev
            .weights
            .set(WeightsProgress::Downloading { loaded, total });
    };
    let (bytes, file_name) = match source {
        ModelSource::Url(url) => (
            fetch::fetch_with_progress(url, progress).await?,
            url.clone(),
        ),
        ModelSource::File(f) => (fetch::read_file_with_progress(f, progress).await?, f.name()),
    };
    let size = bytes.len();
    ctx.dev.weights.set(WeightsProgress::Building);
    // Let the browser paint the new status before the synchronous parse and upload.
    yield_to_browser().await;
    let weights = super::weights_file::parse(bytes, &file_name)?;
    let device = e.compute.borrow().device.clone();
    let net = ResNet::new(&weights, &device).map_err(|e| format!("{file_name}: {e}"))?;
    drop(weights);
    net.uploaded()
        .await
        .map_err(|err| format!("uploading the weights failed: {err}"))?;
    Ok((net, size, now_ms() - t0))
}

/// Moves to the CPU backend (after a GPU failure) and rebuilds the current model there.
pub fn switch_to_cpu(ctx: Ctx) {
    let e = ctx.engine();
    *e.compute.borrow_mut() = Compute::cpu();
    *e.net.borrow_mut() = None;
    e.cache.borrow_mut().clear();
    e.forget_results();
    let c = e.compute.borrow().clone();
    ctx.dev.backend.set(Some(c.describe()));
    ctx.dev.backend_kind.set(Some("cpu"));
    ctx.dev
        .fallback_reason
        .set(Some("switched to the CPU after a GPU failure".into()));
    // Offers to switch are moot now (a lost device reports both its loss and its failed work).
    ctx.out
        .messages
        .update(|m| m.retain(|x| x.action != Some(MsgAction::SwitchToCpu)));
    let id = ctx.ui.model.get_untracked();
    spawn_local(async move {
        if let Some(id) = id
            && let Err(err) = load_model(ctx, id).await
        {
            errors::error(ctx, err);
        }
    });
}

/// The choices a refresh works from, read once at its start.
struct Snapshot {
    left: Option<super::state::PanelImage>,
    right: Option<super::state::PanelImage>,
    size: u32,
    block: Block,
    cmap: Colormap,
    range: Range,
    mode: Mode,
    pin: Option<(Side, (usize, usize))>,
    hover: Option<(Side, (usize, usize))>,
}

impl Snapshot {
    fn take(ctx: Ctx) -> Self {
        let ui = ctx.ui;
        Snapshot {
            left: ui.images[0].get_untracked(),
            right: ui.images[1].get_untracked(),
            size: ui.size.get_untracked(),
            block: ui.block.get_untracked(),
            cmap: ui.cmap.get_untracked(),
            range: ui.range.get_untracked(),
            mode: ui.mode.get_untracked(),
            pin: ui.pin.get_untracked(),
            hover: ui.hover.get_untracked(),
        }
    }

    /// The cell whose heatmap is shown: a hover on the pinned panel previews, else the pin.
    /// Returns (panel, cell, is the pin).
    fn shown_cell(&self, grid: usize) -> Option<(Side, (usize, usize), bool)> {
        let clamp = |(r, c): (usize, usize)| (r.min(grid - 1), c.min(grid - 1));
        match (self.pin, self.hover) {
            (Some((ps, pc)), Some((hs, hc))) if hs == ps => Some((hs, clamp(hc), hc == pc)),
            (Some((ps, pc)), _) => Some((ps, clamp(pc), true)),
            (None, Some((Side::Left, hc))) => Some((Side::Left, clamp(hc), false)),
            (None, _) => None,
        }
    }
}

async fn refresh(ctx: Ctx, e: &Rc<Engine>) {
    let s = Snapshot::take(ctx);
    let Some((generation, net)) = e.model() else {
        return;
    };
    let (Some(left), Some(right)) = (s.left.clone(), s.right.clone()) else {
        // Nothing to compare yet; results of earlier images must not linger.
        for side in Side::BOTH {
            ctx.out.heat[side.index()].set(None);
        }
        ctx.out.strip.set(None);
        ctx.out.seg.set(None);
        e.forget_results();
        return;
    };
    let lf = match features(ctx, e, &net, generation, &left, s.size).await {
        Ok(f) => f,
        Err(err) => return errors::device_error(ctx, err),
    };
    let rf = if right.id == left.id {
        lf.clone()
    } else {
        match features(ctx, e, &net, generation, &right, s.size).await {
            Ok(f) => f,
            Err(err) => return errors::device_error(ctx, err),
        }
    };
    if e.dirty.get() {
        return;
    }
    let images = (left.id, right.id);
    match s.mode {
        Mode::Explore => {
            let model = net.spec().name.clone();
            let at = (generation, model.as_str());
            explore(ctx, e, &s, at, images, [&lf, &rf], [&left, &right]).await
        }
        Mode::Segment => segment(ctx, e, &s, generation, [&lf, &rf], [&left, &right]).await,
    }
}

/// The features of `img` at `size` from the cache, or computed with progress.
async fn features(
    ctx: Ctx,
    e: &Engine,
    net: &ResNet,
    generation: u32,
    img: &super::state::PanelImage,
    size: u32,
) -> Result<Rc<ImageFeatures>, String> {
    let key = (img.id, size, generation);
    if let Some(f) = e.cache.borrow_mut().get(key) {
        return Ok(f);
    }
    let rgb = e
        .images
        .borrow()
        .get(&img.id)
        .cloned()
        .ok_or("the image is no longer loaded")?;
    let device = e.compute.borrow().kind;
    let label = |done: usize| {
        format!(
            "features of {} at {size}² on the {}: block {done} of 4",
            img.name,
            match device {
                BackendKind::Wgpu => "GPU",
                BackendKind::Cpu => "CPU",
            }
        )
    };
    ctx.out.busy.set(Some(Busy {
        label: label(0),
        fraction: Some(0.0),
    }));
    // The CPU backend computes synchronously: let the progress paint first.
    yield_to_browser().await;
    let t0 = now_ms();
    let f = ImageFeatures::compute(net, &rgb, size, Block::Layer4);
    // One value of each block, read in order, tells when that block is done.
    for (i, m) in f.maps.iter().enumerate() {
        let probe = m.cells.clone().slice([0..1, 0..1]).into_data_async().await;
        if let Err(err) = probe {
            ctx.out.busy.set(None);
            return Err(format!("computing features failed: {err}"));
        }
        ctx.out.busy.set(Some(Busy {
            label: label(i + 1),
            fraction: Some((i + 1) as f64 / 4.0),
        }));
    }
    let ms = now_ms() - t0;
    ctx.out.busy.set(None);
    ctx.out.feature_ms.update(|v| {
        v.retain(|(k, _)| *k != (img.id, size));
        v.push(((img.id, size), ms));
    });
    let f = Rc::new(f);
    e.cache.borrow_mut().insert(key, f.clone());
    Ok(f)
}

#[allow(clippy::too_many_arguments)]
async fn explore(
    ctx: Ctx,
    e: &Engine,
    s: &Snapshot,
    (generation, model): (u32, &str),
    images: (u32, u32),
    feats: [&Rc<ImageFeatures>; 2],
    imgs: [&super::state::PanelImage; 2],
) {
    let grid = s.block.grid(s.size as usize);
    let Some((source, cell, pinned)) = s.shown_cell(grid) else {
        return;
    };
    let target = source.other();
    let (sf, tf) = (feats[source.index()], feats[target.index()]);
    let timg = imgs[target.index()];
    let dims = timg.display_dims(super::state::DISPLAY);
    let key = HeatKey {
        images,
        generation,
        size: s.size,
        block: s.block,
        source,
        cell,
        cmap: s.cmap,
        range: s.range,
        dims,
    };
    let current = e.keys.borrow().heat.as_ref() == Some(&key);
    if current {
        // Same map; only whether it is the pin's (a hover became a click) may have changed.
        let heat = ctx.out.heat[target.index()];
        if heat.with_untracked(|m| m.as_ref().is_some_and(|m| m.pinned != pinned)) {
            heat.update(|m| {
                if let Some(m) = m {
                    Arc::make_mut(m).pinned = pinned;
                }
            });
        }
    } else {
        let t0 = now_ms();
        let style = Style {
            cmap: s.cmap,
            range: s.range,
            width: dims.0,
            height: dims.1,
        };
        match for_cell(sf.block(s.block), cell, tf.block(s.block), style).await {
            Ok(heat) => {
                ctx.out.heat[target.index()].set(Some(Arc::new(MapView {
                    source,
                    cell,
                    block: s.block,
                    size: s.size,
                    image: timg.name.clone(),
                    model: model.to_owned(),
                    heat,
                    millis: now_ms() - t0,
                    pinned,
                })));
                ctx.out.heat[source.index()].set(None);
                e.keys.borrow_mut().heat = Some(key.clone());
            }
            Err(err) => return errors::device_error(ctx, format!("heatmap: {err}")),
        }
    }
    if e.dirty.get() {
        return;
    }
    // The strip: the same spot at every block, small.
    let sdims = timg.display_dims(super::state::STRIP_DISPLAY);
    let skey = HeatKey { dims: sdims, ..key };
    if e.keys.borrow().strip.as_ref() == Some(&skey) {
        return;
    }
    let mut items = Vec::with_capacity(4);
    for b in Block::ALL {
        let g = b.grid(s.size as usize);
        let c = (remap(cell.0, grid, g), remap(cell.1, grid, g));
        let style = Style {
            cmap: s.cmap,
            range: s.range,
            width: sdims.0,
            height: sdims.1,
        };
        match for_cell(sf.block(b), c, tf.block(b), style).await {
            Ok(heat) => items.push(StripItem {
                block: b,
                cell: c,
                heat,
            }),
            Err(err) => return errors::device_error(ctx, format!("block strip: {err}")),
        }
        if e.dirty.get() {
            return;
        }
    }
    ctx.out.strip.set(Some(Arc::new(Strip {
        source,
        target,
        items,
    })));
    e.keys.borrow_mut().strip = Some(skey);
}

async fn segment(
    ctx: Ctx,
    e: &Engine,
    s: &Snapshot,
    generation: u32,
    feats: [&Rc<ImageFeatures>; 2],
    imgs: [&super::state::PanelImage; 2],
) {
    let ui = ctx.ui;
    let (method, rule, cut) = (
        ui.method.get_untracked(),
        ui.rule.get_untracked(),
        ui.cut.get_untracked(),
    );
    let class = ui.class.get_untracked();
    let support_info = ui.masks[0].get_untracked();
    let truth_info = ui.masks[1].get_untracked();
    let painted = ui.painted.get_untracked();
    let query = imgs[1];
    let dims = query.display_dims(super::state::DISPLAY);

    // The object's class in a palette mask: the chosen one, else the mask's most frequent.
    let class_of = |kind: &MaskKind| match kind {
        MaskKind::Binary => 1,
        MaskKind::Classes(c) => class.or_else(|| c.first().map(|(k, _)| *k)).unwrap_or(1),
    };
    let support_key = match &support_info {
        Some(m) => SupportKey::Loaded(m.version, class_of(&m.kind)),
        None if painted.any() => SupportKey::Painted(painted.grid, painted.cells.clone()),
        None => {
            ctx.out.seg.set(None);
            e.keys.borrow_mut().seg = None;
            ctx.out.seg_hint.set(Some(
                "Paint the object on the left image (or load its mask) to find it on the right."
                    .into(),
            ));
            return;
        }
    };
    let threshold = match rule {
        Rule::Fixed => Threshold::Fixed(cut),
        Rule::Mid => Threshold::Mid,
        Rule::Otsu => Threshold::Otsu,
    };
    let key = SegKey {
        images: (imgs[0].id, imgs[1].id),
        generation,
        size: s.size,
        block: s.block,
        method,
        threshold: format!("{threshold:?}"),
        support: support_key.clone(),
        truth: truth_info.as_ref().map(|m| (m.version, class_of(&m.kind))),
        dims,
    };
    if e.keys.borrow().seg.as_ref() == Some(&key) {
        return;
    }
    let support_mask = match &support_key {
        SupportKey::Loaded(_, c) => match e.mask(Side::Left) {
            Some(labels) => class_mask(&labels, *c),
            None => return,
        },
        SupportKey::Painted(grid, cells) => mask_from_cells(cells, *grid, s.size),
    };
    let t0 = now_ms();
    let pred = predict(
        method,
        s.block,
        threshold,
        feats[0],
        &support_mask,
        feats[1],
        (query.width as usize, query.height as usize),
    )
    .await;
    let pred = match pred {
        Ok(p) => p,
        Err(SegmentError::EmptyMask) => {
            ctx.out.seg.set(None);
            ctx.out
                .seg_hint
                .set(Some(SegmentError::EmptyMask.to_string()));
            e.keys.borrow_mut().seg = Some(key);
            return;
        }
        Err(err) => return errors::device_error(ctx, format!("segmentation: {err}")),
    };
    let truth = e.mask(Side::Right);
    let (iou, iou_note, truth_img) = match (&truth_info, truth) {
        (Some(info), Some(labels)) => {
            if labels.dimensions() == (query.width, query.height) {
                let c = Confusion::count(&pred.mask, labels.as_raw(), class_of(&info.kind));
                (Some(c.iou()), None, Some((labels, class_of(&info.kind))))
            } else {
                (
                    None,
                    Some(format!(
                        "the ground truth is {}×{} but the image is {}×{}",
                        labels.width(),
                        labels.height(),
                        query.width,
                        query.height
                    )),
                    None,
                )
            }
        }
        _ => (None, None, None),
    };
    let area = pred.mask.iter().filter(|&&m| m).count() as f64 / pred.mask.len().max(1) as f64;
    let rgba = super::canvas::prediction_overlay(
        &pred.mask,
        (query.width, query.height),
        truth_img.as_ref().map(|(l, c)| (l.as_ref(), *c)),
        dims,
    );
    ctx.out.seg_hint.set(None);
    ctx.out.seg.set(Some(Arc::new(SegView {
        width: dims.0,
        height: dims.1,
        rgba,
        cut: pred.cut,
        iou,
        iou_note,
        area,
        millis: now_ms() - t0,
        method,
        rule,
    })));
    // Kept for the mask download (at the query's own size).
    *e.last_mask.borrow_mut() = Some((query.width, query.height, pred.mask));
    e.keys.borrow_mut().seg = Some(key);
}
