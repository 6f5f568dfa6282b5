//! What a shown result was computed from: a refresh whose key equals the shown result's skips
//! the work.

use super::geometry::Cell;
use super::request::{Request, Shown, Support};
use super::side::Side;
use super::views::{PcaScope, View};
use crate::colormap::{Colormap, Range};
use crate::model::Block;
use crate::oneshot::Method;

/// A heatmap's inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatKey {
    /// Left and right image ids.
    pub images: (u32, u32),
    /// Model build.
    pub generation: u32,
    /// Input side.
    pub size: u32,
    /// Block.
    pub block: Block,
    /// The cell's panel.
    pub source: Side,
    /// The cell.
    pub cell: Cell,
    /// Colours.
    pub cmap: Colormap,
    /// Value range.
    pub range: Range,
    /// Overlay size.
    pub dims: (u32, u32),
}

impl HeatKey {
    /// The key of the heatmap `shown` asks for at `dims` (`None` without both images).
    pub fn of(r: &Request, generation: u32, shown: Shown, dims: (u32, u32)) -> Option<Self> {
        let (l, rt) = (r.images[0].as_ref()?, r.images[1].as_ref()?);
        let s = &r.settings;
        Some(HeatKey {
            images: (l.id, rt.id),
            generation,
            size: s.size,
            block: s.block,
            source: shown.source,
            cell: shown.cell,
            cmap: s.cmap,
            range: s.range,
            dims,
        })
    }
}

/// The block strip's inputs: its heatmaps' at the strip's size, and the blocks both images have
/// (a streamed model that grows keeps its generation, and its strip fills in as parts arrive).
#[derive(Debug, Clone, PartialEq)]
pub struct StripKey {
    /// The heatmaps' inputs.
    pub heat: HeatKey,
    /// The blocks shown.
    pub blocks: Vec<Block>,
}

/// The inputs of explore's PCA colours or correspondences (the number drawn is the page's
/// choice among all the pairs, not an input).
#[derive(Debug, Clone, PartialEq)]
pub struct ViewKey {
    /// Left and right image ids.
    pub images: (u32, u32),
    /// Model build.
    pub generation: u32,
    /// Input side.
    pub size: u32,
    /// Block.
    pub block: Block,
    /// PCA colours or correspondences.
    pub view: View,
    /// PCA scope (only when the view is PCA).
    pub pca: Option<PcaScope>,
    /// The object the correspondences must start in (only when asked for and marked).
    pub object: Option<SupportKey>,
}

impl ViewKey {
    /// The key of the view `r` asks for (`None` without both images or for the heatmap).
    pub fn of(r: &Request, generation: u32) -> Option<Self> {
        let (l, rt) = (r.images[0].as_ref()?, r.images[1].as_ref()?);
        let s = &r.settings;
        (s.view != View::Heatmap).then(|| ViewKey {
            images: (l.id, rt.id),
            generation,
            size: s.size,
            block: s.block,
            view: s.view,
            pca: (s.view == View::Pca).then_some(s.pca),
            object: (s.view == View::Pairs && s.pairs_object)
                .then(|| r.support())
                .flatten()
                .map(|o| SupportKey::of(&o)),
        })
    }
}

/// The inputs of "why alike": the heatmap's, and the other panel's cell.
#[derive(Debug, Clone, PartialEq)]
pub struct WhyKey {
    /// The heatmap's inputs (images, model, block, pinned cell).
    pub heat: HeatKey,
    /// The other panel's cell (`None`: the best match).
    pub other: Option<Cell>,
}

/// Where a segmentation's object came from.
#[derive(Debug, Clone, PartialEq)]
pub enum SupportKey {
    /// A loaded mask (its version) and class.
    Loaded(u32, u8),
    /// Painted cells on a grid.
    Painted(usize, Vec<bool>),
}

impl SupportKey {
    /// The key of an object.
    pub fn of(support: &Support) -> Self {
        match support {
            Support::Mask(m, c) => SupportKey::Loaded(m.version, *c),
            Support::Painted(p) => SupportKey::Painted(p.grid, p.cells.clone()),
        }
    }
}

/// A segmentation's inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct SegKey {
    /// Support and query image ids.
    pub images: (u32, u32),
    /// Model build.
    pub generation: u32,
    /// Input side.
    pub size: u32,
    /// Block.
    pub block: Block,
    /// Recipe.
    pub method: Method,
    /// Threshold, as text (`Threshold` holds an `f32`).
    pub threshold: String,
    /// The object.
    pub support: SupportKey,
    /// Ground truth version and class.
    pub truth: Option<(u32, u8)>,
    /// Overlay size.
    pub dims: (u32, u32),
}

impl SegKey {
    /// The key of the segmentation `r` asks for at `dims`.
    pub fn of(r: &Request, generation: u32, support: &Support, dims: (u32, u32)) -> Option<Self> {
        let (l, q) = (r.images[0].as_ref()?, r.images[1].as_ref()?);
        let s = &r.settings;
        Some(SegKey {
            images: (l.id, q.id),
            generation,
            size: s.size,
            block: s.block,
            method: s.method,
            threshold: format!("{:?}", s.threshold),
            support: SupportKey::of(support),
            truth: r.truth().map(|(m, c)| (m.version, c)),
            dims,
        })
    }
}

/// The keys of what is shown now.
#[derive(Debug, Default)]
pub struct Keys {
    /// The big heatmap.
    pub heat: Option<HeatKey>,
    /// The block strip.
    pub strip: Option<StripKey>,
    /// The segmentation.
    pub seg: Option<SegKey>,
    /// Explore's PCA colours or correspondences.
    pub view: Option<ViewKey>,
    /// Why the pinned cell and the other panel's cell are alike.
    pub why: Option<WhyKey>,
    /// The one-vs-many row: per image id, its heatmap's inputs.
    pub row: Vec<(u32, HeatKey)>,
}

#[cfg(test)]
mod tests {
    use super::super::request::tests::image;
    use super::*;

    #[test]
    fn a_key_changes_with_what_the_map_depends_on_only() {
        let mut r = Request {
            images: [Some(image(1, None)), Some(image(2, None))],
            ..Request::default()
        };
        let shown = r.shown().unwrap();
        let k = HeatKey::of(&r, 1, shown, (512, 384)).unwrap();
        r.settings.opacity = 0.1;
        r.settings.top_k = 9;
        assert_eq!(HeatKey::of(&r, 1, shown, (512, 384)), Some(k.clone()));
        assert_ne!(HeatKey::of(&r, 2, shown, (512, 384)), Some(k.clone()));
        r.settings.cmap = Colormap::Magma;
        assert_ne!(HeatKey::of(&r, 1, shown, (512, 384)), Some(k));
        r.images[1] = None;
        assert_eq!(HeatKey::of(&r, 1, shown, (512, 384)), None);
    }

    #[test]
    fn a_strip_key_changes_when_a_block_arrives() {
        let r = Request {
            images: [Some(image(1, None)), Some(image(2, None))],
            ..Request::default()
        };
        let heat = HeatKey::of(&r, 1, r.shown().unwrap(), (128, 96)).unwrap();
        let strip = |blocks: &[Block]| StripKey {
            heat: heat.clone(),
            blocks: blocks.to_vec(),
        };
        assert_eq!(strip(&Block::ALL[..3]), strip(&Block::ALL[..3]));
        assert_ne!(strip(&Block::ALL[..3]), strip(&Block::ALL));
    }

    #[test]
    fn a_view_key_names_the_view_and_only_pca_its_scope() {
        let mut r = Request {
            images: [Some(image(1, None)), Some(image(2, None))],
            ..Request::default()
        };
        assert_eq!(ViewKey::of(&r, 1), None, "the heatmap has its own key");
        r.settings.view = View::Pairs;
        let pairs = ViewKey::of(&r, 1).unwrap();
        assert_eq!(pairs.pca, None);
        r.settings.pairs = 3;
        r.settings.pca = PcaScope::Each;
        assert_eq!(
            ViewKey::of(&r, 1),
            Some(pairs.clone()),
            "how many are drawn is not an input"
        );
        // Restricting to the object is an input once there is an object, and painting more of
        // it changes the key.
        r.settings.pairs_object = true;
        assert_eq!(ViewKey::of(&r, 1), Some(pairs.clone()), "no object yet");
        r.painted = crate::session::paint::Painted::empty(2);
        r.painted.cells[3] = true;
        let object = ViewKey::of(&r, 1).unwrap();
        assert!(matches!(object.object, Some(SupportKey::Painted(2, _))));
        r.painted.cells[0] = true;
        assert_ne!(ViewKey::of(&r, 1), Some(object));
        r.settings.view = View::Pca;
        assert_eq!(ViewKey::of(&r, 1).unwrap().object, None);
        assert_eq!(ViewKey::of(&r, 1).unwrap().pca, Some(PcaScope::Each));
    }
}
