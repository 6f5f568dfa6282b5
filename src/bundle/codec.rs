//! One block's unit feature map as a file: per cell, the values as `u8` scaled to the cell's own
//! maximum (or `f16`), zlib-compressed. Block outputs end in a ReLU, so values are never
//! negative and most are zero (about 45 % at layer3, 89 % at layer4 of ResNet-50): the zeros
//! compress away. A cell's scale is not stored: the reader normalises every cell again, and a
//! cosine only needs directions.

use flate2::Compression;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use half::f16;
use std::io::{Read, Write};

/// How a bundle stores its feature maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// One byte per value, scaled to the cell's maximum (the default: every cosine within
    /// about 3e-3 of the exact one; README, "Bundles").
    U8,
    /// Half floats (twice the bytes, cosines within about 1e-3).
    F16,
}

impl Encoding {
    /// The manifest's name for it.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::U8 => "u8",
            Encoding::F16 => "f16",
        }
    }

    /// The encoding named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        [Encoding::U8, Encoding::F16]
            .into_iter()
            .find(|e| e.name() == name)
    }

    fn bytes_per_value(self) -> usize {
        match self {
            Encoding::U8 => 1,
            Encoding::F16 => 2,
        }
    }
}

/// Why a feature file was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CodecError {
    /// Not a zlib stream, or a damaged one.
    #[error("the feature data is not a readable zlib stream ({0})")]
    Zlib(String),
    /// The stream holds another amount of data than the map's shape needs.
    #[error("the feature data holds {found} bytes where a {cells}×{channels} map needs {expected}")]
    Length {
        /// Cells of the map.
        cells: usize,
        /// Channels of the map.
        channels: usize,
        /// Bytes the shape needs.
        expected: usize,
        /// Bytes found (at most one more than expected: reading stops there).
        found: usize,
    },
    /// A value to store was negative, infinite or NaN.
    #[error("a feature value is negative or not finite: bundles store ReLU outputs")]
    Value,
}

/// Encodes `cells` (row-major `[n, c]`, the unit cells of one block) as a bundle file.
pub fn encode(cells: &[f32], channels: usize, encoding: Encoding) -> Result<Vec<u8>, CodecError> {
    if cells.iter().any(|v| !v.is_finite() || *v < 0.0) {
        return Err(CodecError::Value);
    }
    let mut raw = Vec::with_capacity(cells.len() * encoding.bytes_per_value());
    for cell in cells.chunks(channels.max(1)) {
        match encoding {
            Encoding::U8 => {
                let max = cell.iter().fold(0.0f32, |m, v| m.max(*v));
                let k = if max > 0.0 { 255.0 / max } else { 0.0 };
                raw.extend(cell.iter().map(|v| (v * k).round() as u8));
            }
            Encoding::F16 => {
                raw.extend(cell.iter().flat_map(|v| f16::from_f32(*v).to_le_bytes()));
            }
        }
    }
    let mut z = ZlibEncoder::new(Vec::new(), Compression::new(9));
    z.write_all(&raw)
        .and_then(|_| z.finish())
        .map_err(|e| CodecError::Zlib(e.to_string()))
}

/// Decodes a bundle file into the unit cells of a `cells`×`channels` map (row-major; a zero cell
/// stays zero). Reads no more than the shape needs, so a small file cannot inflate into a large
/// allocation.
pub fn decode(
    bytes: &[u8],
    cells: usize,
    channels: usize,
    encoding: Encoding,
) -> Result<Vec<f32>, CodecError> {
    let expected = cells
        .checked_mul(channels)
        .and_then(|n| n.checked_mul(encoding.bytes_per_value()))
        .ok_or(CodecError::Length {
            cells,
            channels,
            expected: usize::MAX,
            found: 0,
        })?;
    let mut raw = Vec::new();
    raw.try_reserve_exact(expected.saturating_add(1))
        .map_err(|_| CodecError::Zlib("the map is too large for memory".into()))?;
    ZlibDecoder::new(bytes)
        .take(expected as u64 + 1)
        .read_to_end(&mut raw)
        .map_err(|e| CodecError::Zlib(e.to_string()))?;
    if raw.len() != expected {
        return Err(CodecError::Length {
            cells,
            channels,
            expected,
            found: raw.len(),
        });
    }
    let mut out: Vec<f32> = match encoding {
        Encoding::U8 => raw.iter().map(|&b| f32::from(b)).collect(),
        Encoding::F16 => raw
            .chunks_exact(2)
            .map(|b| f16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
    };
    for cell in out.chunks_mut(channels.max(1)) {
        let norm = cell.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm.is_finite() && norm > 0.0 {
            cell.iter_mut().for_each(|v| *v /= norm);
        } else {
            cell.iter_mut().for_each(|v| *v = 0.0);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sparse non-negative unit cells, like a ReLU block's.
    fn cells(n: usize, c: usize, seed: u64) -> Vec<f32> {
        let mut s = seed;
        let mut next = move || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 33) as f32 / (1u64 << 31) as f32
        };
        let mut v: Vec<f32> = (0..n * c)
            .map(|_| {
                let x = next();
                if x < 0.6 { 0.0 } else { x * x * 3.0 }
            })
            .collect();
        for cell in v.chunks_mut(c) {
            let norm = cell.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
            cell.iter_mut().for_each(|x| *x /= norm);
        }
        v[..c].iter_mut().for_each(|x| *x = 0.0); // a dead cell
        v
    }

    fn worst_cosine_error(a: &[f32], b: &[f32], c: usize) -> f32 {
        let n = a.len() / c;
        let dot = |x: &[f32], i: usize, j: usize| -> f32 {
            (0..c).map(|k| x[i * c + k] * x[j * c + k]).sum()
        };
        let mut worst = 0.0f32;
        for i in 0..n {
            for j in 0..n {
                worst = worst.max((dot(a, i, j) - dot(b, i, j)).abs());
            }
        }
        worst
    }

    #[test]
    fn both_encodings_keep_every_cosine_close_and_the_zeros_cheap() {
        let (n, c) = (64, 256);
        let exact = cells(n, c, 3);
        for (enc, bound) in [(Encoding::U8, 1e-2), (Encoding::F16, 2e-3)] {
            let bytes = encode(&exact, c, enc).unwrap();
            assert!(
                bytes.len() < n * c * enc.bytes_per_value() * 3 / 4,
                "{enc:?} compresses"
            );
            let back = decode(&bytes, n, c, enc).unwrap();
            let err = worst_cosine_error(&exact, &back, c);
            assert!(err <= bound, "{enc:?}: worst cosine error {err}");
            assert!(
                back[..c].iter().all(|v| *v == 0.0),
                "a dead cell stays zero"
            );
        }
    }

    #[test]
    fn damaged_short_long_or_foreign_data_is_refused() {
        let (n, c) = (8, 16);
        let bytes = encode(&cells(n, c, 5), c, Encoding::U8).unwrap();
        assert!(matches!(
            decode(&bytes, n + 1, c, Encoding::U8),
            Err(CodecError::Length { found: 128, .. })
        ));
        assert!(matches!(
            decode(&bytes, n - 1, c, Encoding::U8),
            Err(CodecError::Length { found: 113, .. })
        ));
        assert!(matches!(
            decode(&bytes, n, c, Encoding::F16),
            Err(CodecError::Length { .. })
        ));
        assert!(matches!(
            decode(b"not zlib", n, c, Encoding::U8),
            Err(CodecError::Zlib(_))
        ));
        assert!(decode(&bytes[..bytes.len() / 2], n, c, Encoding::U8).is_err());
        assert!(decode(&bytes, usize::MAX, 2, Encoding::U8).is_err());
        assert_eq!(
            encode(&[0.5, -0.1], 2, Encoding::U8),
            Err(CodecError::Value)
        );
        assert_eq!(
            encode(&[f32::NAN], 1, Encoding::F16),
            Err(CodecError::Value)
        );
    }
}
