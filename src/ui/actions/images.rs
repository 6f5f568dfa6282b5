//! Putting images into the panels: from the gallery, a file picker, drag-and-drop or the
//! clipboard. Decoding goes through `image_io::decode` (pixel limit, EXIF, alpha); its errors are
//! shown as they are, and the panel keeps its previous image.

use crate::image_io;
use crate::session::gallery;
use crate::session::image::PanelImage;
use crate::session::limits::Input;
use crate::session::paint::Painted;
use crate::session::progress::Busy;
use crate::session::side::Side;
use crate::ui::browser::clock::yield_to_browser;
use crate::ui::browser::download::{object_url, revoke};
use crate::ui::browser::fetch::fetch_bytes;
use crate::ui::browser::files::read_file;
use crate::ui::ctx::Ctx;
use crate::ui::notify;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::sync::Arc;

/// Decodes `bytes` and shows the image in `side`; `link` is what links will call it.
pub async fn load_bytes(
    ctx: Ctx,
    side: Side,
    name: String,
    bytes: Vec<u8>,
    link: Option<String>,
) -> Result<(), String> {
    let img = decode_image(ctx, name, bytes, link).await?;
    set_image(ctx, side, Some(img));
    Ok(())
}

/// Decodes `bytes` into an image for a panel or the one-vs-many row (with a fresh id and an
/// object URL for its `<img>`); `link` is what links will call it.
pub async fn decode_image(
    ctx: Ctx,
    name: String,
    bytes: Vec<u8>,
    link: Option<String>,
) -> Result<PanelImage, String> {
    ctx.out.busy.set(Some(Busy {
        label: format!("decoding {name}"),
        fraction: None,
    }));
    // Decoding a large photo takes a while: let the status paint first.
    yield_to_browser().await;
    let decoded = image_io::decode(&bytes);
    ctx.out.busy.set(None);
    let rgb = decoded.map_err(|e| format!("{name}: {e}"))?;
    let (width, height) = rgb.dimensions();
    let url = object_url(&bytes)?;
    let id = ctx.engine().next_id();
    Ok(PanelImage {
        id,
        name,
        link,
        width,
        height,
        url,
        rgb: Arc::new(rgb),
        bytes: Arc::from(bytes),
    })
}

/// Reads a visitor's file and shows it in `side`; failures become messages.
pub fn load_file(ctx: Ctx, side: Side, file: web_sys::File) {
    spawn_local(async move {
        let name = file.name();
        let result = match read_file(&file, Input::Image).await {
            Ok(bytes) => load_bytes(ctx, side, name, bytes, None).await,
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            notify::error(ctx.out, e);
        }
    });
}

/// Shows a gallery image in `side` (the other panel's, shared, when it shows that one);
/// failures become messages.
pub fn pick_gallery(ctx: Ctx, side: Side, file: String) {
    let other = ctx.ui.images[side.other().index()]
        .with_untracked(|o| o.as_ref().and_then(|o| o.link.clone()));
    if other.as_deref() == Some(file.as_str()) {
        return same_on_both(ctx, side.other());
    }
    spawn_local(async move {
        if let Err(e) = gallery_image(ctx, side, file).await {
            notify::error(ctx.out, e);
        }
    });
}

/// Fetches a gallery image and shows it in `side`.
pub async fn gallery_image(ctx: Ctx, side: Side, file: String) -> Result<(), String> {
    let bytes = fetch_bytes(&gallery::url(&file), Input::Image).await?;
    load_bytes(ctx, side, file.clone(), bytes, Some(file)).await
}

/// Sets (or clears) a panel's image; the side's mask and painting no longer apply to it.
pub fn set_image(ctx: Ctx, side: Side, img: Option<PanelImage>) {
    let ui = ctx.ui;
    let old = ui.images[side.index()].get_untracked();
    if img.is_some() {
        ctx.out.panel_error[side.index()].set(None);
    }
    ui.images[side.index()].set(img);
    ui.masks[side.index()].set(None);
    if side == Side::Left {
        ui.painted.update(|p| *p = Painted::empty(p.grid));
    }
    ui.hover.set(None);
    // Its object URL goes when no panel shows it (its features go with the next refresh).
    if let Some(old) = old {
        let shown = ui
            .images
            .iter()
            .any(|s| s.with_untracked(|i| i.as_ref().is_some_and(|i| i.id == old.id)))
            || ui
                .targets
                .with_untracked(|t| t.images.iter().any(|i| i.id == old.id));
        if !shown {
            revoke(&old.url);
        }
    }
}

/// The same image on both sides (self-similarity).
pub fn same_on_both(ctx: Ctx, from: Side) {
    let img = ctx.ui.images[from.index()].get_untracked();
    if img.is_some() {
        set_image(ctx, from.other(), img);
    }
}

/// Exchanges the two panels' images, masks and pinned cell.
pub fn swap(ctx: Ctx) {
    let ui = ctx.ui;
    let [l, r] = ui.images.map(|s| s.get_untracked());
    ui.images[0].set(r);
    ui.images[1].set(l);
    let [ml, mr] = ui.masks.map(|s| s.get_untracked());
    ui.masks[0].set(mr);
    ui.masks[1].set(ml);
    ui.painted.update(|p| *p = Painted::empty(p.grid));
    ui.settings.update(|s| {
        if let Some((side, _)) = s.pin.as_mut() {
            *side = side.other();
        }
    });
    ui.hover.set(None);
}
