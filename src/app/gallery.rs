//! The built-in gallery: photos from scikit-image's data (scripts/gallery.py puts them in
//! gallery/, with their sources and licences in gallery/manifest.json).

use super::errors;
use super::fetch;
use super::state::Ctx;
use leptos::prelude::*;
use serde::Deserialize;

/// One gallery photo, as gallery/manifest.json lists it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct GalleryImage {
    /// File name inside gallery/.
    pub file: String,
    /// What it shows.
    pub title: String,
    /// Where it comes from.
    pub source: String,
    /// Its licence.
    pub licence: String,
    /// The other view of a correspondence pair.
    #[serde(default)]
    pub pair: Option<String>,
}

#[derive(Deserialize)]
struct Manifest {
    images: Vec<GalleryImage>,
}

/// Reads the manifest into `ui.gallery`; a missing gallery is a note, not a failure.
pub async fn load_manifest(ctx: Ctx) -> Vec<GalleryImage> {
    let parsed = fetch::fetch_with_progress("gallery/manifest.json", |_, _| {})
        .await
        .and_then(|bytes| {
            serde_json::from_slice::<Manifest>(&bytes)
                .map_err(|e| format!("gallery/manifest.json: {e}"))
        });
    match parsed {
        Ok(m) => {
            ctx.ui.gallery.set(m.images.clone());
            m.images
        }
        Err(e) => {
            errors::info(
                ctx,
                format!("The built-in gallery is not available ({e}); open your own images."),
            );
            Vec::new()
        }
    }
}
