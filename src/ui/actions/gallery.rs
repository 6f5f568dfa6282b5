//! The built-in gallery's manifest.

use crate::session::gallery::{GalleryImage, MANIFEST, parse_manifest};
use crate::session::limits::Input;
use crate::ui::browser::fetch::fetch_bytes;
use crate::ui::ctx::Ctx;
use crate::ui::notify;
use leptos::prelude::*;

/// The gallery's images: read once into `ui.gallery`; a missing gallery is a note, not a failure.
pub async fn manifest(ctx: Ctx) -> Vec<GalleryImage> {
    if !ctx.ui.gallery.with_untracked(Vec::is_empty) {
        return ctx.ui.gallery.get_untracked();
    }
    let parsed = fetch_bytes(MANIFEST, Input::List)
        .await
        .and_then(|bytes| parse_manifest(&bytes));
    match parsed {
        Ok(images) => {
            ctx.ui.gallery.set(images.clone());
            images
        }
        Err(e) => {
            notify::info(
                ctx.out,
                format!("The built-in gallery is not available ({e}); open your own images."),
            );
            Vec::new()
        }
    }
}
