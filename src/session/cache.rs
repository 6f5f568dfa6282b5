//! Feature cache: the unit maps of all four blocks per (image, input size, model build), so
//! changing block, cell, colours or the other image never runs the network again.

/// What features depend on: image id, input side, model generation.
pub type FeatureKey = (u32, u32, u32);

/// Least-recently-used cache (features live on the device: at 512² about 32 MB per ResNet-50
/// image, at 1024² four times that, so only a few are kept).
#[derive(Debug)]
pub struct FeatureCache<V> {
    capacity: usize,
    /// Most recently used last.
    entries: Vec<(FeatureKey, V)>,
}

impl<V: Clone> FeatureCache<V> {
    /// An empty cache holding at most `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        FeatureCache {
            capacity,
            entries: Vec::new(),
        }
    }

    /// The value for `key`, marking it recently used.
    pub fn get(&mut self, key: FeatureKey) -> Option<V> {
        let i = self.entries.iter().position(|(k, _)| *k == key)?;
        let entry = self.entries.remove(i);
        let v = entry.1.clone();
        self.entries.push(entry);
        Some(v)
    }

    /// Stores a value, dropping the least recently used beyond capacity.
    pub fn insert(&mut self, key: FeatureKey, value: V) {
        self.entries.retain(|(k, _)| *k != key);
        self.entries.push((key, value));
        while self.entries.len() > self.capacity {
            self.entries.remove(0);
        }
    }

    /// Drops every entry (a new model or device makes them useless).
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Keeps only the entries of these images (the ones the panels show).
    pub fn keep_images(&mut self, images: &[u32]) {
        self.entries.retain(|((id, _, _), _)| images.contains(id));
    }

    /// How many entries are kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_goes_first() {
        let mut c = FeatureCache::new(2);
        c.insert((1, 512, 1), "a");
        c.insert((2, 512, 1), "b");
        assert_eq!(c.get((1, 512, 1)), Some("a"));
        c.insert((3, 512, 1), "c");
        assert_eq!(c.get((2, 512, 1)), None, "b was the least recently used");
        assert_eq!(c.get((1, 512, 1)), Some("a"));
        assert_eq!(c.get((3, 512, 1)), Some("c"));
        // Same image at another size or model build is another entry.
        assert_eq!(c.get((1, 224, 1)), None);
        assert_eq!(c.get((1, 512, 2)), None);
    }

    #[test]
    fn reinserting_replaces_and_forgetting_images_keeps_the_shown() {
        let mut c = FeatureCache::new(4);
        c.insert((1, 512, 1), 1);
        c.insert((1, 512, 1), 2);
        assert_eq!(c.len(), 1);
        assert_eq!(c.get((1, 512, 1)), Some(2));
        c.insert((1, 224, 1), 3);
        c.insert((2, 512, 1), 4);
        c.keep_images(&[2]);
        assert_eq!(c.len(), 1);
        assert_eq!(c.get((2, 512, 1)), Some(4));
        c.clear();
        assert!(c.is_empty());
        let mut z = FeatureCache::new(0);
        z.insert((1, 1, 1), 0);
        assert!(z.is_empty());
    }
}
