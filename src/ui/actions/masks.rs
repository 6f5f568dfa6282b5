//! Segmentation's marks: loading a mask for a side, painting cells, clearing the object.

use crate::masks::{MaskKind, class_mask, interpret, read_labels};
use crate::resample::cell_coverage;
use crate::session::geometry::Cell;
use crate::session::image::LoadedMask;
use crate::session::limits::Input;
use crate::session::mode::Mode;
use crate::session::paint::Painted;
use crate::session::side::Side;
use crate::ui::browser::clock::yield_to_browser;
use crate::ui::browser::files::read_file;
use crate::ui::ctx::Ctx;
use crate::ui::notify;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::sync::Arc;

/// Loads a mask for `side` (left: the object to find; right: the ground truth).
pub fn load_mask_file(ctx: Ctx, side: Side, file: web_sys::File) {
    spawn_local(async move {
        if let Err(e) = load_mask(ctx, side, file).await {
            notify::error(ctx.out, e);
        }
    });
}

async fn load_mask(ctx: Ctx, side: Side, file: web_sys::File) -> Result<(), String> {
    if ctx.ui.images[side.index()].with_untracked(Option::is_none) {
        return Err(format!("Open the {} image before its mask.", side.name()));
    }
    let bytes = read_file(&file, Input::Mask).await?;
    yield_to_browser().await;
    install_mask(ctx, side, file.name(), &bytes, true)
}

/// Makes the PNG `bytes` `side`'s mask (left: the object; right: the ground truth), switching
/// to segmentation mode when `to_segment` (a visitor's file; a bundle's mask leaves the mode to
/// the link).
pub fn install_mask(
    ctx: Ctx,
    side: Side,
    name: String,
    bytes: &[u8],
    to_segment: bool,
) -> Result<(), String> {
    let (width, height) = ctx.ui.images[side.index()]
        .with_untracked(|i| i.as_ref().map(|i| (i.width, i.height)))
        .ok_or_else(|| format!("Open the {} image before its mask.", side.name()))?;
    let labels = read_labels(bytes).map_err(|e| format!("{name}: {e}"))?;
    if labels.dimensions() != (width, height) {
        return Err(format!(
            "{name} is {}×{} but the {} image is {}×{}: a mask must match its image",
            labels.width(),
            labels.height(),
            side.name(),
            width,
            height
        ));
    }
    let (labels, kind) = interpret(labels);
    let version = ctx.engine().next_id();
    let ui = ctx.ui;
    // The object's class: the most frequent one of a newly loaded palette mask (the support's
    // choice wins over the ground truth's).
    let first = match &kind {
        MaskKind::Classes(c) => Some(c.first().map(|x| x.0)),
        MaskKind::Binary => None,
    };
    ui.settings.update(|s| {
        if let Some(first) = first
            && (side == Side::Left || s.class.is_none())
        {
            s.class = first;
        }
        if to_segment {
            s.mode = Mode::Segment;
        }
    });
    ui.masks[side.index()].set(Some(LoadedMask {
        name,
        kind,
        version,
        labels: Arc::new(labels),
    }));
    if side == Side::Left {
        ui.painted.update(|p| *p = Painted::empty(p.grid));
    }
    Ok(())
}

/// Forgets the object on the left (mask and painted cells).
pub fn clear_support(ctx: Ctx) {
    ctx.ui.masks[0].set(None);
    ctx.ui.painted.update(|p| *p = Painted::empty(p.grid));
}

/// One brush stroke at `cell` of the left image; a loaded support mask becomes painted cells
/// first (cells at least half object).
pub fn paint_at(ctx: Ctx, cell: Cell) {
    let ui = ctx.ui;
    let brush = ui.brush.get_untracked();
    let (grid, class) = ui.settings.with_untracked(|s| (s.grid(), s.class));
    if let Some(mask) = ui.masks[0].get_untracked() {
        let coverage = cell_coverage(&class_mask(&mask.labels, mask.class(class)), grid);
        ui.masks[0].set(None);
        ui.painted.set(Painted::from_coverage(&coverage, grid));
    }
    ui.painted.update(|p| p.stroke(cell, brush, grid));
}
