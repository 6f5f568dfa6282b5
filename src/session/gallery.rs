//! The built-in gallery: photos from scikit-image's data (scripts/gallery.py puts them in
//! gallery/, with their sources and licences in gallery/manifest.json).

use serde::Deserialize;

/// Where the manifest is, relative to the page.
pub const MANIFEST: &str = "gallery/manifest.json";
/// The gallery image both panels start with (self-similarity needs one forward pass).
pub const DEFAULT_IMAGE: &str = "chelsea.png";

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
}

#[derive(Deserialize)]
struct Manifest {
    images: Vec<GalleryImage>,
}

/// The manifest's images.
pub fn parse_manifest(bytes: &[u8]) -> Result<Vec<GalleryImage>, String> {
    serde_json::from_slice::<Manifest>(bytes)
        .map(|m| m.images)
        .map_err(|e| format!("{MANIFEST}: {e}"))
}

/// The URL of a gallery file, relative to the page.
pub fn url(file: &str) -> String {
    format!("gallery/{file}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_entries_with_extra_fields() {
        let m = br#"{"images":[{"file":"a.png","title":"A","source":"s","licence":"l","pair":"b.png"}]}"#;
        let images = parse_manifest(m).unwrap();
        assert_eq!(images[0].file, "a.png");
        assert!(parse_manifest(b"{}").is_err());
    }
}
