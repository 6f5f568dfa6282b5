//! One source, many targets: a row of images that each show the heatmap of the pinned cell.

use super::image::PanelImage;

/// Most images in the row.
pub const MAX_TARGETS: usize = 8;

/// The row's images, in the order they were added.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Targets {
    /// The images (equal ids share cached features with the panels).
    pub images: Vec<PanelImage>,
}

impl Targets {
    /// Adds `img` at the end; an image the row already has (same link, or same decode) is not
    /// added twice. Refuses a ninth.
    pub fn add(&mut self, img: PanelImage) -> Result<(), String> {
        let same = |i: &PanelImage| i.id == img.id || (img.link.is_some() && i.link == img.link);
        if self.images.iter().any(same) {
            return Ok(());
        }
        if self.images.len() >= MAX_TARGETS {
            return Err(format!(
                "the row holds {MAX_TARGETS} images: remove one to add {}",
                img.name
            ));
        }
        self.images.push(img);
        Ok(())
    }

    /// Removes the image with id `id`.
    pub fn remove(&mut self, id: u32) {
        self.images.retain(|i| i.id != id);
    }

    /// The ids, in order.
    pub fn ids(&self) -> Vec<u32> {
        self.images.iter().map(|i| i.id).collect()
    }

    /// What a link calls the row: the images a link can carry (gallery, bundle or same-origin
    /// addresses; a visitor's own files cannot travel).
    pub fn links(&self) -> Vec<String> {
        self.images.iter().filter_map(|i| i.link.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::request::tests::image;
    use super::*;

    #[test]
    fn the_row_keeps_order_refuses_doubles_and_a_ninth() {
        let mut t = Targets::default();
        for id in 1..=MAX_TARGETS as u32 {
            t.add(image(id, Some(&format!("g{id}.png")))).unwrap();
        }
        // The same gallery file decoded again is the same target.
        t.add(image(99, Some("g3.png"))).unwrap();
        assert_eq!(t.images.len(), MAX_TARGETS);
        let err = t.add(image(100, None)).unwrap_err();
        assert!(err.contains("remove one"), "{err}");
        t.remove(2);
        assert_eq!(t.ids(), vec![1, 3, 4, 5, 6, 7, 8]);
        t.add(image(100, None)).unwrap();
        assert_eq!(t.ids().last(), Some(&100));
        // A visitor's file has no link.
        assert_eq!(t.links().len(), 7);
        assert_eq!(t.links()[0], "g1.png");
    }
}
