//! The first three principal components of unit cell features, shown as colours: the same colour
//! left and right means the same direction in feature space when both images are taken together.
//!
//! The heavy product (cells × channels × the smaller of the two) runs on the device; the small
//! symmetric eigenproblem that follows runs on the host, where a few dozen block iterations on a
//! matrix of at most 1,024² take milliseconds.

use crate::compute::{DeviceError, read_vec};
use crate::similarity::UnitMap;
use burn::tensor::{Tensor, TensorData};

/// How many components a [`Pca`] keeps: one per colour channel.
pub const COMPONENTS: usize = 3;

/// The principal components of the cells of one or more maps (same block), taken together.
#[derive(Debug, Clone, PartialEq)]
pub struct Pca {
    /// Per map, per cell (row-major), the score of each component.
    pub scores: Vec<Vec<[f32; COMPONENTS]>>,
    /// The fraction of the cells' total variance each component explains.
    pub explained: [f64; COMPONENTS],
    /// The unit components, `c` values each. Sign rule: each one's entry of largest magnitude is
    /// positive, so a run and the next agree.
    pub components: [Vec<f32>; COMPONENTS],
}

impl Pca {
    /// PCA of the unit cells of `maps` together (centred on their joint mean). Components beyond
    /// the data's rank (a one-cell map) are zero and explain nothing.
    pub async fn of(maps: &[&UnitMap]) -> Result<Pca, DeviceError> {
        let Some(first) = maps.first() else {
            return Ok(Pca::empty(0));
        };
        let c = first.c;
        assert!(maps.iter().all(|m| m.c == c), "maps of one block");
        let x = Tensor::cat(maps.iter().map(|m| m.cells.clone()).collect(), 0);
        let n = x.dims()[0];
        let xc = x.clone() - x.mean_dim(0);
        // The smaller of the covariance (c × c) and the Gram matrix (n × n) has the same nonzero
        // eigenvalues; its eigenvectors give the components either directly or through xcᵀ.
        let by_channels = c <= n;
        let m = if by_channels {
            xc.clone().transpose().matmul(xc.clone())
        } else {
            xc.clone().matmul(xc.clone().transpose())
        };
        let k = m.dims()[0];
        let host: Vec<f64> = read_vec::<f32, 2, _>(m)
            .await?
            .into_iter()
            .map(f64::from)
            .collect();
        let total: f64 = (0..k).map(|i| host[i * k + i]).sum();
        let (values, vectors) = top_eigen(&host, k, COMPONENTS.min(k));
        let basis: Vec<f32> = (0..k)
            .flat_map(|i| (0..COMPONENTS).map(move |j| (i, j)))
            .map(|(i, j)| vectors.get(j).map_or(0.0, |v| v[i] as f32))
            .collect();
        let basis = Tensor::<2>::from_data(TensorData::new(basis, [k, COMPONENTS]), &xc.device());
        let axes = if by_channels {
            basis
        } else {
            crate::similarity::normalize_rows(xc.clone().transpose().matmul(basis).transpose())
                .transpose()
        };
        let axes_host = read_vec::<f32, 2, _>(axes.clone()).await?;
        let mut components: [Vec<f32>; COMPONENTS] =
            std::array::from_fn(|j| (0..c).map(|i| axes_host[i * COMPONENTS + j]).collect());
        let signs: [f32; COMPONENTS] = std::array::from_fn(|j| sign_rule(&components[j]));
        for (comp, s) in components.iter_mut().zip(signs) {
            comp.iter_mut().for_each(|v| *v *= s);
        }
        let flat = read_vec::<f32, 2, _>(xc.matmul(axes)).await?;
        let mut rows = flat
            .chunks_exact(COMPONENTS)
            .map(|r| std::array::from_fn(|j| r[j] * signs[j]));
        let scores = maps
            .iter()
            .map(|m| rows.by_ref().take(m.h * m.w).collect())
            .collect();
        let explained = std::array::from_fn(|j| {
            if total > 0.0 {
                values.get(j).map_or(0.0, |v| v.max(0.0) / total)
            } else {
                0.0
            }
        });
        Ok(Pca {
            scores,
            explained,
            components,
        })
    }

    fn empty(maps: usize) -> Pca {
        Pca {
            scores: vec![Vec::new(); maps],
            explained: [0.0; COMPONENTS],
            components: std::array::from_fn(|_| Vec::new()),
        }
    }

    /// Each map's cells as RGB: component `j` drives channel `j`, scaled from its minimum to its
    /// maximum over all the maps together (so colours compare across them). A component with
    /// no spread is mid-grey.
    pub fn colours(&self) -> Vec<Vec<[u8; 3]>> {
        let all = self.scores.iter().flatten();
        let mut lo = [f32::INFINITY; COMPONENTS];
        let mut hi = [f32::NEG_INFINITY; COMPONENTS];
        for s in all {
            for j in 0..COMPONENTS {
                lo[j] = lo[j].min(s[j]);
                hi[j] = hi[j].max(s[j]);
            }
        }
        let level = |v: f32, j: usize| {
            if hi[j] > lo[j] {
                ((v - lo[j]) / (hi[j] - lo[j]) * 255.0)
                    .round()
                    .clamp(0.0, 255.0) as u8
            } else {
                128
            }
        };
        self.scores
            .iter()
            .map(|cells| {
                cells
                    .iter()
                    .map(|s| std::array::from_fn(|j| level(s[j], j)))
                    .collect()
            })
            .collect()
    }
}

/// +1 or −1: the sign that makes the entry of largest magnitude positive (the first such on ties).
fn sign_rule(v: &[f32]) -> f32 {
    let big = v
        .iter()
        .copied()
        .reduce(|a, b| if b.abs() > a.abs() { b } else { a })
        .unwrap_or(0.0);
    if big < 0.0 { -1.0 } else { 1.0 }
}

/// The `want` largest eigenvalues (descending) and their unit eigenvectors of the symmetric
/// positive semi-definite `k`×`k` matrix `m` (row-major), by block (subspace) iteration with a
/// Rayleigh–Ritz step: a few spare vectors make the wanted ones converge at the ratio of the
/// first unwanted eigenvalue beyond the block, not the next one.
pub fn top_eigen(m: &[f64], k: usize, want: usize) -> (Vec<f64>, Vec<Vec<f64>>) {
    assert_eq!(m.len(), k * k, "a square matrix");
    let p = (want + 5).min(k);
    if p == 0 {
        return (Vec::new(), Vec::new());
    }
    // A fixed start (a low-discrepancy sequence): the same input gives the same output.
    let mut q: Vec<Vec<f64>> = (0..p)
        .map(|j| {
            (0..k)
                .map(|i| {
                    ((i * 7919 + j * 104_729 + 1) as f64 * 0.618_033_988_749_895).fract() - 0.5
                })
                .collect()
        })
        .collect();
    orthonormalise(&mut q);
    let scale = (0..k)
        .map(|i| m[i * k + i])
        .sum::<f64>()
        .max(f64::MIN_POSITIVE);
    let mut ritz = (Vec::new(), Vec::new());
    for _ in 0..2000 {
        let z: Vec<Vec<f64>> = q.iter().map(|v| mat_vec(m, k, v)).collect();
        let t: Vec<f64> = (0..p * p).map(|ij| dot(&q[ij / p], &z[ij % p])).collect();
        let (theta, s) = jacobi_eigen(&t, p);
        let combine = |basis: &[Vec<f64>], j: usize| -> Vec<f64> {
            (0..k)
                .map(|i| (0..p).map(|l| basis[l][i] * s[l * p + j]).sum())
                .collect()
        };
        let vectors: Vec<Vec<f64>> = (0..want).map(|j| combine(&q, j)).collect();
        let residual = (0..want)
            .map(|j| {
                let mv = combine(&z, j);
                mv.iter()
                    .zip(&vectors[j])
                    .map(|(a, b)| (a - theta[j] * b).powi(2))
                    .sum::<f64>()
                    .sqrt()
            })
            .fold(0.0, f64::max);
        ritz = (theta[..want].to_vec(), vectors);
        if residual <= 1e-10 * scale {
            break;
        }
        q = (0..p).map(|j| combine(&z, j)).collect();
        orthonormalise(&mut q);
    }
    ritz
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn mat_vec(m: &[f64], k: usize, v: &[f64]) -> Vec<f64> {
    m.chunks_exact(k).map(|row| dot(row, v)).collect()
}

/// Modified Gram–Schmidt, twice for stability; a vector that vanishes is replaced by a unit
/// vector along an axis the others do not span.
fn orthonormalise(q: &mut [Vec<f64>]) {
    for j in 0..q.len() {
        for _ in 0..2 {
            for l in 0..j {
                let d = dot(&q[l], &q[j]);
                let (done, rest) = q.split_at_mut(j);
                rest[0]
                    .iter_mut()
                    .zip(&done[l])
                    .for_each(|(a, b)| *a -= d * b);
            }
        }
        let norm = dot(&q[j], &q[j]).sqrt();
        if norm > 1e-300 {
            q[j].iter_mut().for_each(|a| *a /= norm);
        } else {
            let k = q[j].len();
            q[j] = (0..k).map(|i| f64::from(u8::from(i == j % k))).collect();
            if j > 0 {
                orthonormalise(&mut q[..=j]);
            }
        }
    }
}

/// Eigenvalues (descending) and eigenvectors (columns of the row-major `p`×`p` result) of a
/// small symmetric matrix by cyclic Jacobi rotations.
fn jacobi_eigen(t: &[f64], p: usize) -> (Vec<f64>, Vec<f64>) {
    let mut a = t.to_vec();
    // Symmetrise: T = Qᵀ M Q is symmetric only up to rounding.
    for i in 0..p {
        for j in 0..i {
            let s = 0.5 * (a[i * p + j] + a[j * p + i]);
            a[i * p + j] = s;
            a[j * p + i] = s;
        }
    }
    let mut v: Vec<f64> = (0..p * p)
        .map(|ij| f64::from(u8::from(ij / p == ij % p)))
        .collect();
    for _ in 0..100 {
        let off: f64 = (0..p * p)
            .filter(|ij| ij / p != ij % p)
            .map(|ij| a[ij].powi(2))
            .sum();
        if off
            < 1e-30
                * (0..p)
                    .map(|i| a[i * p + i].powi(2))
                    .sum::<f64>()
                    .max(1e-300)
        {
            break;
        }
        for r in 0..p {
            for s in r + 1..p {
                let ars = a[r * p + s];
                if ars == 0.0 {
                    continue;
                }
                let theta = (a[s * p + s] - a[r * p + r]) / (2.0 * ars);
                // The smaller rotation that zeroes a[r][s] (Numerical Recipes' `jacobi`).
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let sn = t * c;
                for i in 0..p {
                    let (air, ais) = (a[i * p + r], a[i * p + s]);
                    a[i * p + r] = c * air - sn * ais;
                    a[i * p + s] = sn * air + c * ais;
                }
                for i in 0..p {
                    let (ari, asi) = (a[r * p + i], a[s * p + i]);
                    a[r * p + i] = c * ari - sn * asi;
                    a[s * p + i] = sn * ari + c * asi;
                }
                for i in 0..p {
                    let (vir, vis) = (v[i * p + r], v[i * p + s]);
                    v[i * p + r] = c * vir - sn * vis;
                    v[i * p + s] = sn * vir + c * vis;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..p).collect();
    order.sort_by(|&x, &y| a[y * p + y].total_cmp(&a[x * p + x]));
    let values = order.iter().map(|&j| a[j * p + j]).collect();
    let vectors = (0..p * p)
        .map(|ij| v[(ij / p) * p + order[ij % p]])
        .collect();
    (values, vectors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::FeatureMap;
    use burn::tensor::Device;

    /// A symmetric PSD matrix with known eigenpairs: Q diag(λ) Qᵀ for a rotation Q.
    fn known(k: usize, lambdas: &[f64]) -> (Vec<f64>, Vec<Vec<f64>>) {
        let mut q: Vec<Vec<f64>> = (0..k)
            .map(|j| {
                (0..k)
                    .map(|i| ((i * 31 + j * 17 + 3) % 11) as f64 - 5.0)
                    .collect()
            })
            .collect();
        orthonormalise(&mut q);
        let m = (0..k * k)
            .map(|ij| {
                (0..k)
                    .map(|l| lambdas.get(l).copied().unwrap_or(0.0) * q[l][ij / k] * q[l][ij % k])
                    .sum()
            })
            .collect();
        (m, q)
    }

    #[test]
    fn block_iteration_finds_the_top_eigenpairs() {
        let lambdas = [9.0, 5.0, 4.9, 1.0, 0.5, 0.25, 0.1, 0.05, 0.01];
        let (m, q) = known(12, &lambdas);
        let (values, vectors) = top_eigen(&m, 12, 3);
        for j in 0..3 {
            assert!((values[j] - lambdas[j]).abs() < 1e-9, "{values:?}");
            let align = dot(&vectors[j], &q[j]).abs();
            assert!((align - 1.0).abs() < 1e-9, "component {j}: |cos| {align}");
        }
    }

    #[test]
    fn small_symmetric_eigen_is_exact() {
        // [[2, 1], [1, 2]]: eigenvalues 3 and 1.
        let (values, vectors) = jacobi_eigen(&[2.0, 1.0, 1.0, 2.0], 2);
        assert!((values[0] - 3.0).abs() < 1e-12 && (values[1] - 1.0).abs() < 1e-12);
        let r = std::f64::consts::FRAC_1_SQRT_2;
        assert!((vectors[0].abs() - r).abs() < 1e-12 && (vectors[2].abs() - r).abs() < 1e-12);
    }

    fn unit_map(h: usize, w: usize, c: usize, seed: u64) -> UnitMap {
        let mut s = seed;
        let data = (0..h * w * c)
            .map(|_| {
                s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                ((s >> 40) as f32 / (1u64 << 24) as f32).max(0.0)
            })
            .collect();
        UnitMap::from_host(&FeatureMap { h, w, c, data }, &Device::flex())
    }

    /// Both sides of the duality (more channels than cells and fewer) give the same picture.
    #[test]
    fn covariance_and_gram_paths_agree_and_scores_are_projections() {
        for (h, w, c) in [(3, 4, 5), (2, 2, 9)] {
            let (a, b) = (unit_map(h, w, c, 1), unit_map(h, w, c, 2));
            let pca = pollster::block_on(Pca::of(&[&a, &b])).unwrap();
            assert_eq!(pca.scores.len(), 2);
            assert_eq!(pca.scores[0].len(), h * w);
            let cells: Vec<f32> = [&a, &b]
                .iter()
                .flat_map(|m| pollster::block_on(read_vec::<f32, 2, _>(m.cells.clone())).unwrap())
                .collect();
            let n = 2 * h * w;
            let mean: Vec<f32> = (0..c)
                .map(|k| (0..n).map(|i| cells[i * c + k]).sum::<f32>() / n as f32)
                .collect();
            let all: Vec<[f32; 3]> = pca.scores.concat();
            for (j, comp) in pca.components.iter().enumerate() {
                let norm: f32 = comp.iter().map(|v| v * v).sum::<f32>().sqrt();
                assert!((norm - 1.0).abs() < 1e-4, "unit component: {norm}");
                assert_eq!(sign_rule(comp), 1.0);
                for (i, score) in all.iter().enumerate() {
                    let proj: f32 = (0..c).map(|k| (cells[i * c + k] - mean[k]) * comp[k]).sum();
                    assert!((proj - score[j]).abs() < 1e-4, "{proj} vs {}", score[j]);
                }
            }
            let e = pca.explained;
            assert!(e[0] >= e[1] && e[1] >= e[2] && e[2] >= 0.0 && e.iter().sum::<f64>() <= 1.0);
        }
    }

    #[test]
    fn colours_span_the_range_and_a_single_cell_is_grey() {
        let (a, b) = (unit_map(4, 4, 6, 3), unit_map(4, 4, 6, 4));
        let pca = pollster::block_on(Pca::of(&[&a, &b])).unwrap();
        let colours = pca.colours();
        let reds: Vec<u8> = colours.iter().flatten().map(|c| c[0]).collect();
        assert_eq!(reds.iter().min(), Some(&0));
        assert_eq!(reds.iter().max(), Some(&255));
        let one = unit_map(1, 1, 6, 5);
        let pca = pollster::block_on(Pca::of(&[&one])).unwrap();
        assert_eq!(pca.colours(), vec![vec![[128, 128, 128]]]);
        assert_eq!(pca.explained, [0.0; 3]);
    }
}
