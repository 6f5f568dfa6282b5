//! Correspondences between two feature grids: mutual nearest neighbours ("best buddies"), cell
//! pairs each of which is the other's most similar cell.

use crate::compute::{DeviceError, read_vec};
use crate::similarity::UnitMap;

/// Similarities held on the device at once: rows of the left grid are taken in chunks so a
/// layer1 pair (16,384 × 16,384 cells at 512²) never needs its whole 1 GiB matrix.
const CHUNK_ENTRIES: usize = 1 << 24;

/// A left cell and a right cell that are each other's nearest neighbour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pair {
    /// Left cell, row-major index `y·w + x` in the left grid.
    pub left: usize,
    /// Right cell, row-major in the right grid.
    pub right: usize,
    /// Their cosine similarity.
    pub similarity: f32,
}

/// For each cell of one grid, its most similar cell of the other and that similarity.
#[derive(Debug, Clone, PartialEq)]
pub struct Nearest {
    /// Left cell → (right cell, cosine).
    pub left_to_right: Vec<(usize, f32)>,
    /// Right cell → (left cell, cosine).
    pub right_to_left: Vec<(usize, f32)>,
}

impl Nearest {
    /// Both directions' nearest neighbours of two unit maps (ties go to the lower index).
    pub async fn of(left: &UnitMap, right: &UnitMap) -> Result<Nearest, DeviceError> {
        let rows = CHUNK_ENTRIES / (right.h * right.w).max(1);
        Self::in_chunks(left, right, rows.max(1)).await
    }

    /// [`Nearest::of`], `rows` left cells at a time.
    async fn in_chunks(
        left: &UnitMap,
        right: &UnitMap,
        rows: usize,
    ) -> Result<Nearest, DeviceError> {
        assert_eq!(left.c, right.c, "maps of one block");
        let (nl, nr) = (left.h * left.w, right.h * right.w);
        let mut left_to_right = Vec::with_capacity(nl);
        let mut right_to_left = vec![(0usize, f32::NEG_INFINITY); nr];
        let rt = right.cells.clone().transpose();
        for start in (0..nl).step_by(rows) {
            let end = (start + rows).min(nl);
            let sims = left
                .cells
                .clone()
                .slice([start..end, 0..left.c])
                .matmul(rt.clone());
            let (row_max, row_arg) = sims.clone().max_dim_with_indices(1);
            let (col_max, col_arg) = sims.max_dim_with_indices(0);
            let row_max = read_vec::<f32, 2, _>(row_max).await?;
            let row_arg = read_vec::<i64, 2, _>(row_arg).await?;
            left_to_right.extend(row_arg.iter().zip(row_max).map(|(&j, s)| (j as usize, s)));
            let col_max = read_vec::<f32, 2, _>(col_max).await?;
            let col_arg = read_vec::<i64, 2, _>(col_arg).await?;
            for (best, (&i, s)) in right_to_left.iter_mut().zip(col_arg.iter().zip(col_max)) {
                // Strictly greater: an equal value in a later chunk keeps the lower index.
                if s > best.1 {
                    *best = (start + i as usize, s);
                }
            }
        }
        Ok(Nearest {
            left_to_right,
            right_to_left,
        })
    }

    /// The mutual pairs with a positive similarity, most similar first (a zero cell is nobody's
    /// buddy: its cosine with everything is 0).
    pub fn mutual(&self) -> Vec<Pair> {
        let mut pairs: Vec<Pair> = self
            .left_to_right
            .iter()
            .enumerate()
            .filter(|&(i, &(j, s))| s > 0.0 && self.right_to_left.get(j).map(|b| b.0) == Some(i))
            .map(|(left, &(right, similarity))| Pair {
                left,
                right,
                similarity,
            })
            .collect();
        pairs.sort_by(|a, b| {
            b.similarity
                .total_cmp(&a.similarity)
                .then(a.left.cmp(&b.left))
        });
        pairs
    }
}

/// The `n` most similar mutual pairs whose left cell passes `keep` (e.g. inside a painted mask).
pub fn top_pairs(pairs: &[Pair], n: usize, keep: impl Fn(usize) -> bool) -> Vec<Pair> {
    pairs
        .iter()
        .filter(|p| keep(p.left))
        .take(n)
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::FeatureMap;
    use burn::tensor::Device;

    fn map(h: usize, w: usize, c: usize, seed: u64) -> (FeatureMap, UnitMap) {
        let mut s = seed;
        let data = (0..h * w * c)
            .map(|_| {
                s = s
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1442695040888963407);
                (s >> 40) as f32 / (1u64 << 24) as f32 - 0.3
            })
            .collect();
        let f = FeatureMap { h, w, c, data };
        let u = UnitMap::from_host(&f, &Device::flex());
        (f, u)
    }

    /// Brute force on the host: every cosine, nearest by scanning, mutual by definition.
    fn brute(a: &FeatureMap, b: &FeatureMap) -> Vec<(usize, usize)> {
        let (na, nb) = (a.h * a.w, b.h * b.w);
        let cos = |i: usize, j: usize| {
            crate::similarity::cosine(a.cell(i / a.w, i % a.w), b.cell(j / b.w, j % b.w))
        };
        let argmax = |n: usize, f: &dyn Fn(usize) -> f32| {
            (0..n).fold(0, |best, j| if f(j) > f(best) { j } else { best })
        };
        (0..na)
            .filter_map(|i| {
                let j = argmax(nb, &|j| cos(i, j));
                (argmax(na, &|l| cos(l, j)) == i && cos(i, j) > 0.0).then_some((i, j))
            })
            .collect()
    }

    #[test]
    fn mutual_pairs_match_brute_force_across_chunks() {
        let (fa, a) = map(9, 7, 5, 11);
        let (fb, b) = map(6, 8, 5, 12);
        let nearest = pollster::block_on(Nearest::in_chunks(&a, &b, 5)).unwrap();
        let whole = pollster::block_on(Nearest::of(&a, &b)).unwrap();
        let index = |v: &[(usize, f32)]| v.iter().map(|p| p.0).collect::<Vec<_>>();
        assert_eq!(index(&nearest.left_to_right), index(&whole.left_to_right));
        assert_eq!(index(&nearest.right_to_left), index(&whole.right_to_left));
        let mut got: Vec<(usize, usize)> =
            nearest.mutual().iter().map(|p| (p.left, p.right)).collect();
        got.sort_unstable();
        assert_eq!(got, brute(&fa, &fb));
        assert!(!got.is_empty());
        let pairs = nearest.mutual();
        assert!(pairs.windows(2).all(|w| w[0].similarity >= w[1].similarity));
    }

    #[test]
    fn identical_grids_pair_every_cell_with_itself() {
        let (_, a) = map(4, 4, 6, 3);
        let pairs = pollster::block_on(Nearest::of(&a, &a)).unwrap().mutual();
        assert_eq!(pairs.len(), 16);
        assert!(
            pairs
                .iter()
                .all(|p| p.left == p.right && (p.similarity - 1.0).abs() < 1e-5)
        );
        let inside = top_pairs(&pairs, 3, |i| i % 2 == 0);
        assert_eq!(inside.len(), 3);
        assert!(inside.iter().all(|p| p.left % 2 == 0));
    }
}
