//! The one-vs-many row: adding images (gallery, files, the open bundle's) and removing them.
//! Failures become messages; the row keeps what it had.

use super::images::decode_image;
use crate::session::gallery;
use crate::session::image::PanelImage;
use crate::session::limits::Input;
use crate::session::targets::MAX_TARGETS;
use crate::ui::browser::download::revoke;
use crate::ui::browser::fetch::fetch_bytes;
use crate::ui::browser::files::read_file;
use crate::ui::ctx::Ctx;
use crate::ui::notify;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Puts `img` at the end of the row (or says why not).
fn push(ctx: Ctx, img: PanelImage) {
    let added = ctx.ui.targets.try_update(|t| t.add(img));
    if let Some(Err(e)) = added {
        notify::error(ctx.out, e);
    }
}

/// The same decode as a panel's, when a panel shows the image a link calls `name` (its features
/// are then computed once for both).
fn shown_in_panel(ctx: Ctx, name: &str) -> Option<PanelImage> {
    ctx.ui
        .images
        .iter()
        .find_map(|s| s.with_untracked(|i| i.clone().filter(|i| i.link.as_deref() == Some(name))))
}

/// Adds a visitor's file.
pub fn add_file(ctx: Ctx, file: web_sys::File) {
    spawn_local(async move {
        let name = file.name();
        let made = match read_file(&file, Input::Image).await {
            Ok(bytes) => decode_image(ctx, name, bytes, None).await,
            Err(e) => Err(e),
        };
        match made {
            Ok(img) => push(ctx, img),
            Err(e) => notify::error(ctx.out, e),
        }
    });
}

/// Adds a gallery image.
pub fn add_gallery(ctx: Ctx, file: String) {
    spawn_local(async move {
        match gallery_image(ctx, &file).await {
            Ok(img) => push(ctx, img),
            Err(e) => notify::error(ctx.out, e),
        }
    });
}

async fn gallery_image(ctx: Ctx, file: &str) -> Result<PanelImage, String> {
    if let Some(img) = shown_in_panel(ctx, file) {
        return Ok(img);
    }
    let bytes = fetch_bytes(&gallery::url(file), Input::Image).await?;
    decode_image(ctx, file.to_owned(), bytes, Some(file.to_owned())).await
}

/// Adds the open bundle's images (as many as the row has room for), with their baked features.
pub fn add_bundle_images(ctx: Ctx) {
    let Some(b) = ctx.engine().bundle() else {
        return;
    };
    spawn_local(async move {
        for entry in &b.manifest.images {
            let room = ctx
                .ui
                .targets
                .with_untracked(|t| t.images.len() < MAX_TARGETS);
            let there = ctx.ui.targets.with_untracked(|t| {
                t.images
                    .iter()
                    .any(|i| i.link.as_deref() == Some(entry.name.as_str()))
            });
            if !room {
                break;
            }
            if there {
                continue;
            }
            match bundle_image(ctx, &b, &entry.name).await {
                Ok(img) => push(ctx, img),
                Err(e) => return notify::error(ctx.out, e),
            }
        }
    });
}

async fn bundle_image(
    ctx: Ctx,
    b: &crate::ui::engine::OpenBundle,
    name: &str,
) -> Result<PanelImage, String> {
    match shown_in_panel(ctx, name) {
        Some(img) => Ok(img),
        None => super::bundle::load_baked(ctx, b, name).await,
    }
}

/// Removes an image from the row (its picture's URL goes unless a panel shows it).
pub fn remove(ctx: Ctx, id: u32) {
    let gone = ctx
        .ui
        .targets
        .with_untracked(|t| t.images.iter().find(|i| i.id == id).cloned());
    ctx.ui.targets.update(|t| t.remove(id));
    if let Some(img) = gone {
        let in_panel = ctx
            .ui
            .images
            .iter()
            .any(|s| s.with_untracked(|i| i.as_ref().is_some_and(|i| i.id == id)));
        if !in_panel {
            revoke(&img.url);
        }
    }
}

/// Fills the row with the images a link names: the open bundle's, or gallery files (a visitor's
/// own files cannot travel in a link; other names are refused with a message).
pub async fn open_row(ctx: Ctx, names: Vec<String>) {
    if ctx.ui.targets.with_untracked(|t| t.links() == names) {
        return;
    }
    ctx.ui.targets.update(|t| t.images.clear());
    let known = super::gallery::manifest(ctx).await;
    let bundle = ctx.engine().bundle();
    for name in names.into_iter().take(MAX_TARGETS) {
        let made = match &bundle {
            Some(b) if b.manifest.image(&name).is_some() => bundle_image(ctx, b, &name).await,
            _ if known.iter().any(|g| g.file == name) => gallery_image(ctx, &name).await,
            _ => Err(format!(
                "the row's image “{name}” is neither in the gallery nor in the open bundle"
            )),
        };
        match made {
            Ok(img) => push(ctx, img),
            Err(e) => notify::error(ctx.out, e),
        }
    }
}
