//! Cosine similarity between feature cells: unit-normalised maps kept on the device, one query (a
//! cell or a prototype) against every cell of a map.

use crate::features::FeatureMap;
use burn::tensor::{Tensor, TensorData};

/// Norms below this count as zero: such a cell (all-zero after ReLU) gets similarity 0, not NaN.
const EPS: f32 = 1e-12;

/// A block's feature map with every cell scaled to unit length, `[h·w, c]` on the device.
#[derive(Debug, Clone)]
pub struct UnitMap {
    /// Grid rows.
    pub h: usize,
    /// Grid columns.
    pub w: usize,
    /// Channels.
    pub c: usize,
    /// Unit rows (zero rows stay zero), row `y·w + x` for cell (y, x).
    pub cells: Tensor<2>,
}

impl UnitMap {
    /// Normalises a `[1, C, H, W]` block output per cell.
    pub fn from_block(t: Tensor<4>) -> Self {
        let [_, c, h, w] = t.dims();
        let cells: Tensor<2> = t.reshape([c, h * w]).transpose();
        UnitMap {
            h,
            w,
            c,
            cells: normalize_rows(cells),
        }
    }

    /// Uploads a host feature map and normalises it.
    pub fn from_host(map: &FeatureMap, device: &burn::tensor::Device) -> Self {
        let cells = Tensor::<2>::from_data(
            TensorData::new(map.data.clone(), [map.h * map.w, map.c]),
            device,
        );
        UnitMap {
            h: map.h,
            w: map.w,
            c: map.c,
            cells: normalize_rows(cells),
        }
    }

    /// The unit vector of cell (`row`, `col`), `[1, c]`.
    pub fn cell(&self, row: usize, col: usize) -> Tensor<2> {
        let i = row * self.w + col;
        self.cells.clone().slice([i..i + 1, 0..self.c])
    }

    /// Cosine similarity of a unit `[1, c]` query with every cell: `[h, w]` (our own kernel on a
    /// GPU, its twin on the CPU; see [`crate::kernels`]).
    pub fn cosine(&self, query: Tensor<2>) -> Tensor<2> {
        crate::kernels::cosine(self.cells.clone(), query).reshape([self.h, self.w])
    }

    /// The unit mean of the cells weighted by `weights` (one per cell), `[1, c]`.
    ///
    /// Returns `None` when the weights are all zero.
    pub fn prototype(&self, weights: &[f32]) -> Option<Tensor<2>> {
        assert_eq!(weights.len(), self.h * self.w, "one weight per cell");
        let total: f32 = weights.iter().sum();
        if total <= 0.0 {
            return None;
        }
        let wt = Tensor::<2>::from_data(
            TensorData::new(weights.to_vec(), [1, weights.len()]),
            &self.cells.device(),
        );
        Some(normalize_rows(wt.matmul(self.cells.clone())))
    }
}

/// Scales each row to unit length; rows of (near) zero length become zero.
pub fn normalize_rows(x: Tensor<2>) -> Tensor<2> {
    let norm = x.clone().powi_scalar(2).sum_dim(1).sqrt().clamp_min(EPS);
    x / norm
}

/// Cosine similarity of two host vectors, 0 when either is zero (reference for tests and tools).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum();
    let na: f64 = a.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    if na < f64::from(EPS) || nb < f64::from(EPS) {
        0.0
    } else {
        (dot / (na * nb)) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;

    fn map(h: usize, w: usize, c: usize, data: Vec<f32>) -> FeatureMap {
        FeatureMap { h, w, c, data }
    }

    fn read(t: Tensor<2>) -> Vec<f32> {
        pollster::block_on(crate::compute::read_vec(t)).unwrap()
    }

    #[test]
    fn hand_computed_cosines() {
        // Cells: (1,0), (0,2), (1,1), (0,0) — the last is all zero.
        let m = map(2, 2, 2, vec![1., 0., 0., 2., 1., 1., 0., 0.]);
        let u = UnitMap::from_host(&m, &Device::flex());
        let sims = read(u.cosine(u.cell(0, 0)));
        let s2 = std::f32::consts::FRAC_1_SQRT_2;
        let expect = [1.0, 0.0, s2, 0.0];
        for (got, want) in sims.iter().zip(expect) {
            assert!((got - want).abs() < 1e-6, "{sims:?}");
        }
    }

    #[test]
    fn a_zero_query_gives_zeros_not_nan() {
        let m = map(1, 2, 3, vec![0., 0., 0., 1., 2., 3.]);
        let u = UnitMap::from_host(&m, &Device::flex());
        let sims = read(u.cosine(u.cell(0, 0)));
        assert_eq!(sims, vec![0.0, 0.0]);
        assert_eq!(cosine(&[0., 0.], &[1., 1.]), 0.0);
    }

    #[test]
    fn prototype_is_the_weighted_unit_mean() {
        let m = map(1, 3, 2, vec![2., 0., 0., 3., 5., 5.]);
        let u = UnitMap::from_host(&m, &Device::flex());
        let p = read(u.prototype(&[1.0, 1.0, 0.0]).unwrap());
        let s2 = std::f32::consts::FRAC_1_SQRT_2;
        assert!(
            (p[0] - s2).abs() < 1e-6 && (p[1] - s2).abs() < 1e-6,
            "{p:?}"
        );
        assert!(u.prototype(&[0.0; 3]).is_none());
    }
}
