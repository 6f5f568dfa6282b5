//! The `best` recipe: training-free one-shot segmentation that beats the plain prototype by
//! letting the query describe itself (self-support), cleaning the seeds, smoothing along the
//! query's own feature affinities and refining on the next finer block.
//!
//! With `S`, `Q` the unit cells of support and query at the chosen block, `c` the support mask's
//! coverage per cell and `unit(Σ w·X)` a weighted prototype:
//! 1. `P = unit(Σ c·S)`, `B = unit(Σ (1−c)·S)`; seeds: `fg = Q·P > midpoint of its range`.
//! 2. Cycle check: a seed stays foreground only if its nearest support cell is >50 % covered.
//! 3. `F = unit(½P + ½unit(Σ_fg Q))`, `Bk = unit(½B + ½unit(Σ_bg Q))`; `d = Q·F − Q·Bk`.
//! 4. Random walk: `d ← A·d` three times, `A = max(Q·Qᵀ, 0)⁴` with rows summing to 1.
//! 5. On the finer block `Q'` (twice the grid): prototypes of the cells where upsampled `d` is
//!    beyond ±10 % of its range; `e = Q'·f' − Q'·b'`.
//! 6. Score `0.3·up(d) + 0.7·up(e)` at the query's size; foreground where > 0.
//!
//! Each constant was measured on the VOC sample (README, "One-shot variants").

use super::ImageFeatures;
use crate::compute::read_vec;
use crate::model::Block;
use crate::resample::upsample_bilinear;
use crate::segment::{SegmentError, support_weights};
use crate::similarity::{UnitMap, normalize_rows};
use burn::tensor::{Tensor, TensorData};
use image::GrayImage;

/// Weight of the support prototypes against the query's own (step 3).
const SUPPORT_SHARE: f32 = 0.5;
/// Sharpening power of the affinities (step 4).
const WALK_POWER: i32 = 4;
/// Random-walk steps (step 4).
const WALK_STEPS: usize = 3;
/// Band around zero left out of the finer block's prototypes, as a fraction of the range (step 5).
const FINE_BAND: f32 = 0.1;
/// Weight of the finer block's map in the final score (step 6).
const FINE_SHARE: f32 = 0.7;

/// The score map at `width`×`height` (foreground where > 0).
pub async fn score(
    block: Block,
    support: &ImageFeatures,
    support_mask: &GrayImage,
    query: &ImageFeatures,
    (width, height): (usize, usize),
) -> Result<Vec<f32>, SegmentError> {
    let (s, q) = (support.need(block)?, query.need(block)?);
    let n = q.h * q.w;
    let cov = support_weights(support_mask, s.h)?;
    let dev = q.cells.device();
    let weighted = |map: &UnitMap, w: &[f32]| -> Tensor<2> {
        let w = Tensor::<2>::from_data(TensorData::new(w.to_vec(), [1, w.len()]), &dev);
        normalize_rows(w.matmul(map.cells.clone()))
    };

    // 1. Support prototypes and seeds from the plain map.
    let p = weighted(s, &cov);
    let bg_cov: Vec<f32> = cov.iter().map(|c| 1.0 - c).collect();
    let b = weighted(s, &bg_cov);
    let m0: Vec<f32> = read_vec(q.cosine(p.clone())).await?;
    let (lo, hi) = m0
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });
    let mid = 0.5 * (lo + hi);
    let mut fg: Vec<bool> = m0.iter().map(|&v| v > mid).collect();

    // 2. Cycle check against the support's nearest cell.
    let nearest: Vec<i64> = read_vec(
        q.cells
            .clone()
            .matmul(s.cells.clone().transpose())
            .argmax(1),
    )
    .await?;
    let kept: Vec<bool> = fg
        .iter()
        .zip(&nearest)
        .map(|(&f, &j)| f && cov[j as usize] > 0.5)
        .collect();
    if kept.iter().any(|&k| k) {
        fg = kept;
    }

    // 3. Self-support prototypes fused with the support's.
    let flags = |on: bool| -> Vec<f32> {
        fg.iter()
            .map(|&f| if f == on { 1.0 } else { 0.0 })
            .collect()
    };
    let f = normalize_rows(p * SUPPORT_SHARE + weighted(q, &flags(true)) * (1.0 - SUPPORT_SHARE));
    let bk = normalize_rows(b * SUPPORT_SHARE + weighted(q, &flags(false)) * (1.0 - SUPPORT_SHARE));
    let mut d: Tensor<2> = (q.cosine(f) - q.cosine(bk)).reshape([n, 1]);

    // 4. Random walk over the query's own affinities.
    let a = q
        .cells
        .clone()
        .matmul(q.cells.clone().transpose())
        .clamp_min(0.0)
        .powi_scalar(WALK_POWER);
    let a = a.clone() / a.sum_dim(1).clamp_min(1e-12);
    for _ in 0..WALK_STEPS {
        d = a.clone().matmul(d);
    }
    let d: Vec<f32> = read_vec(d).await?;
    let coarse = upsample_bilinear(&d, q.h, q.w, width, height);

    // 5. Refinement on the next finer block, where there is one.
    let Some(finer) = block.index().checked_sub(1) else {
        return Ok(coarse);
    };
    let q2 = query.need(Block::ALL[finer])?;
    let d2 = upsample_bilinear(&d, q.h, q.w, q2.w, q2.h);
    let (lo, hi) = d2
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });
    let band = FINE_BAND * (hi - lo);
    let fine_fg: Vec<f32> = d2.iter().map(|&v| f32::from(u8::from(v > band))).collect();
    let fine_bg: Vec<f32> = d2
        .iter()
        .map(|&v| f32::from(u8::from(v <= -band)))
        .collect();
    let e = q2.cosine(weighted(q2, &fine_fg)) - q2.cosine(weighted(q2, &fine_bg));
    let e: Vec<f32> = read_vec(e).await?;
    let fine = upsample_bilinear(&e, q2.h, q2.w, width, height);

    // 6. Fuse at the query's size.
    Ok(coarse
        .iter()
        .zip(&fine)
        .map(|(c, f)| (1.0 - FINE_SHARE) * c + FINE_SHARE * f)
        .collect())
}
