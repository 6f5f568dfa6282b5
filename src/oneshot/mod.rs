//! One-shot segmentation recipes over cached unit feature maps: `plain` is one block, one
//! prototype, a threshold; `best` (see [`best`]) adds self-support, a random walk and a finer block.

pub mod best;

use crate::compute::read_vec;
use crate::model::{Block, ResNet};
use crate::resample::upsample_bilinear;
use crate::segment::{SegmentError, Threshold, support_weights};
use crate::similarity::UnitMap;
use burn::tensor::Tensor;
use image::{GrayImage, RgbImage};

/// Which recipe to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// One block's features, a foreground prototype, the chosen threshold.
    Plain,
    /// Foreground minus background score from support and self-support prototypes, smoothed and
    /// refined (see [`best`]); its natural threshold is 0.
    Best,
}

impl Method {
    /// Every recipe, in the order a picker shows them.
    pub const ALL: [Method; 2] = [Method::Plain, Method::Best];

    /// The threshold rule the recipe is meant for: the plain cosine map's midpoint, the best
    /// recipe's foreground-minus-background score's zero.
    pub fn default_threshold(self) -> Threshold {
        match self {
            Method::Plain => Threshold::Mid,
            Method::Best => Threshold::Fixed(0.0),
        }
    }

    /// The recipe's name on the command line and in the page.
    pub fn name(self) -> &'static str {
        match self {
            Method::Plain => "plain",
            Method::Best => "best",
        }
    }
}

impl std::str::FromStr for Method {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Method::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| format!("unknown method '{s}' (available: plain, best)"))
    }
}

/// The unit feature maps of one image that the recipes need: every block up to the deepest the
/// model has, or the blocks a bundle baked.
#[derive(Debug, Clone)]
pub struct ImageFeatures {
    /// Model input side in pixels.
    pub size: u32,
    /// Unit maps by block index.
    maps: [Option<UnitMap>; 4],
    /// The deepest block's raw output, when computed here: a streamed model that grows goes on
    /// from it ([`ImageFeatures::extend`]).
    deepest: Option<(Block, Tensor<4>)>,
}

impl ImageFeatures {
    /// Runs the model up to `last` on an image.
    pub fn compute(model: &ResNet, img: &RgbImage, size: u32, last: Block) -> Self {
        Self::from_blocks(size, crate::features::compute(model, img, size, last))
    }

    /// The unit maps of block outputs `layer1..` (from [`crate::features::compute`]) at `size`.
    pub fn from_blocks(size: u32, blocks: Vec<Tensor<4>>) -> Self {
        let deepest = blocks
            .last()
            .map(|t| (Block::ALL[blocks.len().min(4) - 1], t.clone()));
        let mut f = Self::from_maps(
            size,
            Block::ALL
                .into_iter()
                .zip(blocks.into_iter().map(UnitMap::from_block)),
        );
        f.deepest = deepest;
        f
    }

    /// Unit maps of some blocks (a bundle's) at `size`.
    pub fn from_maps(size: u32, maps: impl IntoIterator<Item = (Block, UnitMap)>) -> Self {
        let mut all = [None, None, None, None];
        for (b, m) in maps {
            all[b.index()] = Some(m);
        }
        ImageFeatures {
            size,
            maps: all,
            deepest: None,
        }
    }

    /// The deepest block computed from the image here (not baked).
    pub fn computed_to(&self) -> Option<Block> {
        self.deepest.as_ref().map(|(b, _)| *b)
    }

    /// These features with the blocks `model` (the network they came from, grown by more of its
    /// stages) adds up to `last`, run from the deepest block's output instead of from the image.
    /// Unchanged when there is nothing to go on from.
    pub fn extend(&self, model: &ResNet, last: Block) -> Self {
        let Some((after, h)) = &self.deepest else {
            return self.clone();
        };
        let outs = model.forward_after(h.clone(), *after, last);
        let mut f = self.clone();
        for (i, t) in outs.into_iter().enumerate() {
            let b = Block::ALL[after.index() + 1 + i];
            f.maps[b.index()] = Some(UnitMap::from_block(t.clone()));
            f.deepest = Some((b, t));
        }
        f
    }

    /// Whether `block`'s map is here.
    pub fn has(&self, block: Block) -> bool {
        self.maps[block.index()].is_some()
    }

    /// Whether every one of `blocks` is here.
    pub fn covers(&self, blocks: &[Block]) -> bool {
        blocks.iter().all(|b| self.has(*b))
    }

    /// The unit map of `block`, when here.
    pub fn get(&self, block: Block) -> Option<&UnitMap> {
        self.maps[block.index()].as_ref()
    }

    /// The unit map of `block`; `Err` names the block when it is not here.
    pub fn need(&self, block: Block) -> Result<&UnitMap, SegmentError> {
        self.get(block).ok_or(SegmentError::MissingBlock(block))
    }

    /// The maps that are here, shallow to deep.
    pub fn blocks(&self) -> impl Iterator<Item = (Block, &UnitMap)> {
        Block::ALL
            .into_iter()
            .zip(&self.maps)
            .filter_map(|(b, m)| m.as_ref().map(|m| (b, m)))
    }
}

impl Method {
    /// The blocks the recipe reads at `block`: that one, and for `best` the next finer one too.
    pub fn blocks(self, block: Block) -> Vec<Block> {
        let finer = block.index().checked_sub(1).map(|i| Block::ALL[i]);
        match self {
            Method::Plain => vec![block],
            Method::Best => std::iter::once(block).chain(finer).collect(),
        }
    }
}

/// The result of one episode at the query's resolution.
#[derive(Debug, Clone)]
pub struct Prediction {
    /// Cosine similarity to the prototype per query pixel.
    pub score: Vec<f32>,
    /// The cut applied to `score`.
    pub cut: f32,
    /// Foreground per pixel, row-major, `width × height`.
    pub mask: Vec<bool>,
}

/// Segments the query (`width`×`height` pixels) given the support's features and mask.
pub async fn predict(
    method: Method,
    block: Block,
    threshold: Threshold,
    support: &ImageFeatures,
    support_mask: &GrayImage,
    query: &ImageFeatures,
    (width, height): (usize, usize),
) -> Result<Prediction, SegmentError> {
    let score = match method {
        Method::Plain => {
            let s = support.need(block)?;
            let w = support_weights(support_mask, s.h)?;
            let proto = s.prototype(&w).ok_or(SegmentError::EmptyMask)?;
            upsampled(query.need(block)?.cosine(proto), width, height).await?
        }
        Method::Best => best::score(block, support, support_mask, query, (width, height)).await?,
    };
    let cut = threshold.value(&score);
    let mask = score.iter().map(|&v| v > cut).collect();
    Ok(Prediction { score, cut, mask })
}

/// Reads a `[h, w]` map back and upsamples it to `width`×`height`.
async fn upsampled(map: Tensor<2>, width: usize, height: usize) -> Result<Vec<f32>, SegmentError> {
    let [h, w] = map.dims();
    let values = read_vec(map).await?;
    Ok(upsample_bilinear(&values, h, w, width, height))
}
