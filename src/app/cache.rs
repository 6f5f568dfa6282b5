//! Feature cache: the unit maps of all four blocks per (image, input size, model), so changing
//! block, cell, colours or the other image never runs the network again.

use crate::oneshot::ImageFeatures;
use std::rc::Rc;

/// What features depend on: image id, input side, model generation.
pub type FeatureKey = (u32, u32, u32);

/// Least-recently-used cache of image features (they live on the device: at 512² about 32 MB
/// per ResNet-50 image, at 1024² four times that, so only a few are kept).
pub struct FeatureCache {
    capacity: usize,
    /// Most recently used last.
    entries: Vec<(FeatureKey, Rc<ImageFeatures>)>,
}

impl FeatureCache {
    /// An empty cache holding at most `capacity` images' features.
    pub fn new(capacity: usize) -> Self {
        FeatureCache {
            capacity,
            entries: Vec::new(),
        }
    }

    /// The features for `key`, marking them recently used.
    pub fn get(&mut self, key: FeatureKey) -> Option<Rc<ImageFeatures>> {
        let i = self.entries.iter().position(|(k, _)| *k == key)?;
        let entry = self.entries.remove(i);
        let f = entry.1.clone();
        self.entries.push(entry);
        Some(f)
    }

    /// Stores features, dropping the least recently used beyond capacity.
    pub fn insert(&mut self, key: FeatureKey, features: Rc<ImageFeatures>) {
        self.entries.retain(|(k, _)| *k != key);
        self.entries.push((key, features));
        while self.entries.len() > self.capacity {
            self.entries.remove(0);
        }
    }

    /// Drops every entry (a new model or device makes them useless).
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Drops the entries of one image.
    pub fn forget_image(&mut self, image: u32) {
        self.entries.retain(|((id, _, _), _)| *id != image);
    }
}
