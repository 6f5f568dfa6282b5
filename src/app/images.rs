//! Putting images into the panels: from the gallery, a file picker, drag-and-drop or the
//! clipboard. Decoding goes through `image_io::decode` (pixel limit, EXIF, alpha); its errors are
//! shown as they are, and the panel keeps its previous image.

use super::boot::yield_to_browser;
use super::engine::kick;
use super::errors;
use super::fetch;
use super::state::{Busy, Ctx, PanelImage, Side};
use crate::image_io;
use js_sys::{Array, Uint8Array};
use leptos::prelude::*;

/// Decodes `bytes` and shows the image in `side`.
pub async fn load_bytes(
    ctx: Ctx,
    side: Side,
    name: String,
    bytes: Vec<u8>,
    gallery: Option<String>,
) -> Result<(), String> {
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
    let id = ctx.engine().add_image(rgb);
    set_image(
        ctx,
        side,
        Some(PanelImage {
            id,
            name,
            gallery,
            width,
            height,
            url,
        }),
    );
    Ok(())
}

/// Reads a visitor's file and shows it in `side`; failures become messages.
pub fn load_file(ctx: Ctx, side: Side, file: web_sys::File) {
    leptos::task::spawn_local(async move {
        let name = file.name();
        let result = match fetch::read_file(&file).await {
            Ok(bytes) => load_bytes(ctx, side, name, bytes, None).await,
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            errors::error(ctx, e);
        }
    });
}

/// Shows a gallery image in `side`; failures become messages.
pub fn load_gallery(ctx: Ctx, side: Side, file: String) {
    leptos::task::spawn_local(async move {
        if let Err(e) = gallery_image(ctx, side, file).await {
            errors::error(ctx, e);
        }
    });
}

/// Fetches a gallery image and shows it in `side`.
pub async fn gallery_image(ctx: Ctx, side: Side, file: String) -> Result<(), String> {
    let bytes = fetch::fetch_with_progress(&format!("gallery/{file}"), |_, _| {}).await?;
    load_bytes(ctx, side, file.clone(), bytes, Some(file)).await
}

/// Sets (or clears) a panel's image; the side's mask and painting no longer apply to it.
pub fn set_image(ctx: Ctx, side: Side, img: Option<PanelImage>) {
    let ui = ctx.ui;
    let old = ui.images[side.index()].get_untracked();
    ui.images[side.index()].set(img);
    clear_marks(ctx, side);
    release(ctx, old);
    kick(ctx);
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
    let (l, r) = (ui.images[0].get_untracked(), ui.images[1].get_untracked());
    ui.images[0].set(r);
    ui.images[1].set(l);
    let (ml, mr) = (ui.masks[0].get_untracked(), ui.masks[1].get_untracked());
    ui.masks[0].set(mr);
    ui.masks[1].set(ml);
    ctx.engine().swap_masks();
    ui.painted
        .update(|p| *p = super::state::Painted::empty(p.grid));
    ui.pin.update(|p| {
        if let Some((side, _)) = p {
            *side = side.other();
        }
    });
    ui.hover.set(None);
    kick(ctx);
}

fn clear_marks(ctx: Ctx, side: Side) {
    let ui = ctx.ui;
    ui.masks[side.index()].set(None);
    ctx.engine().set_mask(side, None);
    if side == Side::Left {
        ui.painted
            .update(|p| *p = super::state::Painted::empty(p.grid));
    }
    ui.hover.set(None);
}

/// Frees an image that neither panel shows any more (its object URL and features).
fn release(ctx: Ctx, old: Option<PanelImage>) {
    let shown: Vec<PanelImage> = ctx
        .ui
        .images
        .iter()
        .filter_map(|s| s.get_untracked())
        .collect();
    if let Some(old) = old
        && !shown.iter().any(|s| s.id == old.id)
    {
        let _ = web_sys::Url::revoke_object_url(&old.url);
    }
    let keep: Vec<u32> = shown.iter().map(|s| s.id).collect();
    ctx.engine().keep_images(&keep);
}

/// An object URL for the file's bytes, for the panel's `<img>`.
fn object_url(bytes: &[u8]) -> Result<String, String> {
    let parts = Array::of1(&Uint8Array::from(bytes));
    let blob =
        web_sys::Blob::new_with_u8_array_sequence(&parts).map_err(|e| fetch::js_message(&e))?;
    web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| fetch::js_message(&e))
}

/// The first file of a file list (file inputs, drops, pastes).
pub fn first_file(files: Option<web_sys::FileList>) -> Option<web_sys::File> {
    files.and_then(|f| f.get(0))
}
