//! What a panel shows: an image and, in segmentation, a label mask — each with its pixels, so
//! one signal owns both the picture and what is known about it.

use crate::masks::MaskKind;
use image::{GrayImage, RgbImage};
use std::sync::Arc;

/// An image shown in a panel.
#[derive(Debug, Clone)]
pub struct PanelImage {
    /// Fresh for every decode; equal ids share cached features.
    pub id: u32,
    /// File name shown to the visitor.
    pub name: String,
    /// What a link calls it (`left=…`): a gallery file, an image of the open bundle, or a
    /// same-origin URL; `None` for a visitor's own file, which no link can carry.
    pub link: Option<String>,
    /// Original width in pixels (after EXIF orientation).
    pub width: u32,
    /// Original height in pixels.
    pub height: u32,
    /// What the `<img>` shows: an object URL of the file's bytes.
    pub url: String,
    /// The decoded pixels the network reads.
    pub rgb: Arc<RgbImage>,
    /// The file's own bytes (a baked bundle's display copy).
    pub bytes: Arc<[u8]>,
}

/// Two panel images are the same when they are the same decode (pixels are not compared).
impl PartialEq for PanelImage {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id && self.url == other.url && self.name == other.name
    }
}

impl PanelImage {
    /// Overlay size for this image: aspect kept, long side `long`.
    pub fn display_dims(&self, long: u32) -> (u32, u32) {
        super::geometry::display_dims(self.width, self.height, long)
    }
}

/// A label mask loaded for one side: the object's support (left) or the ground truth (right).
#[derive(Debug, Clone)]
pub struct LoadedMask {
    /// File name.
    pub name: String,
    /// Palette classes or a plain object/background mask.
    pub kind: MaskKind,
    /// Fresh for every load, so results computed from an older mask are recognised.
    pub version: u32,
    /// Palette indices, or 0/1 for black/white masks, at the image's size.
    pub labels: Arc<GrayImage>,
}

/// Two masks are the same when they are the same load.
impl PartialEq for LoadedMask {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version && self.name == other.name
    }
}

impl LoadedMask {
    /// The object's label in this mask (see [`object_class`]).
    pub fn class(&self, chosen: Option<u8>) -> u8 {
        object_class(&self.kind, chosen)
    }
}

/// The "which class" rule: 1 in a black/white mask; in a palette mask the visitor's choice, else
/// the mask's most frequent class (else 1).
pub fn object_class(kind: &MaskKind, chosen: Option<u8>) -> u8 {
    match kind {
        MaskKind::Binary => 1,
        MaskKind::Classes(c) => chosen.or_else(|| c.first().map(|(k, _)| *k)).unwrap_or(1),
    }
}

/// The palette classes of the masks, sorted, once each (for the class picker).
pub fn classes<'a>(masks: impl IntoIterator<Item = &'a LoadedMask>) -> Vec<u8> {
    let mut all: Vec<u8> = masks
        .into_iter()
        .flat_map(|m| match &m.kind {
            MaskKind::Classes(c) => c.iter().map(|x| x.0).collect(),
            MaskKind::Binary => Vec::new(),
        })
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_class_rule() {
        let palette = MaskKind::Classes(vec![(8, 900), (15, 40)]);
        assert_eq!(object_class(&MaskKind::Binary, Some(8)), 1);
        assert_eq!(object_class(&palette, None), 8);
        assert_eq!(object_class(&palette, Some(15)), 15);
        assert_eq!(object_class(&MaskKind::Classes(Vec::new()), None), 1);
    }

    #[test]
    fn classes_of_both_masks_once_each() {
        let m = |kind, version| LoadedMask {
            name: "m.png".into(),
            kind,
            version,
            labels: Arc::new(GrayImage::new(1, 1)),
        };
        let a = m(MaskKind::Classes(vec![(15, 3), (8, 1)]), 1);
        let b = m(MaskKind::Classes(vec![(8, 5)]), 2);
        let c = m(MaskKind::Binary, 3);
        assert_eq!(classes([&a, &b, &c]), vec![8, 15]);
        assert_ne!(a, b);
    }
}
