//! Why two cells are alike: the cosine of two unit vectors is the sum over channels of their
//! products, so each channel's product is its share of the similarity, and the channels with the
//! largest shares are the features the two cells have in common.

use crate::compute::{DeviceError, read_vec};
use crate::similarity::UnitMap;

/// One channel's part in a cosine.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelShare {
    /// Channel index in the block's output.
    pub channel: usize,
    /// Its product in the two unit vectors: the shares of all channels sum to the cosine.
    pub share: f32,
}

/// Every channel's share of the cosine of two unit vectors.
pub fn shares(a: &[f32], b: &[f32]) -> Vec<f32> {
    assert_eq!(a.len(), b.len(), "vectors of one block");
    a.iter().zip(b).map(|(x, y)| x * y).collect()
}

/// The `n` channels with the largest shares, largest first (the lower channel on ties).
pub fn top_channels(a: &[f32], b: &[f32], n: usize) -> Vec<ChannelShare> {
    let mut all: Vec<ChannelShare> = shares(a, b)
        .into_iter()
        .enumerate()
        .map(|(channel, share)| ChannelShare { channel, share })
        .collect();
    all.sort_by(|x, y| y.share.total_cmp(&x.share).then(x.channel.cmp(&y.channel)));
    all.truncate(n);
    all
}

/// Why a left cell and a right cell are alike: their cosine, the channels that carry most of it
/// and where in each image those channels are active.
#[derive(Debug, Clone, PartialEq)]
pub struct WhyAlike {
    /// The two cells' cosine (the sum of all shares).
    pub cosine: f32,
    /// The top channels by share.
    pub channels: Vec<ChannelShare>,
    /// Per top channel, its value in every left cell (unit features, row-major).
    pub left_maps: Vec<Vec<f32>>,
    /// Per top channel, its value in every right cell.
    pub right_maps: Vec<Vec<f32>>,
}

impl WhyAlike {
    /// The `n` top channels of cell `l` of `left` and cell `r` of `right` (row-major indices).
    pub async fn of(
        left: &UnitMap,
        l: usize,
        right: &UnitMap,
        r: usize,
        n: usize,
    ) -> Result<WhyAlike, DeviceError> {
        let a = read_vec::<f32, 2, _>(left.cell(l / left.w, l % left.w)).await?;
        let b = read_vec::<f32, 2, _>(right.cell(r / right.w, r % right.w)).await?;
        let channels = top_channels(&a, &b, n);
        let cosine = shares(&a, &b).iter().sum();
        let ks: Vec<usize> = channels.iter().map(|c| c.channel).collect();
        Ok(WhyAlike {
            cosine,
            channels,
            left_maps: channel_maps(left, &ks).await?,
            right_maps: channel_maps(right, &ks).await?,
        })
    }
}

/// Each of `channels` over every cell of `map`, in one read-back.
pub async fn channel_maps(map: &UnitMap, channels: &[usize]) -> Result<Vec<Vec<f32>>, DeviceError> {
    if channels.is_empty() {
        return Ok(Vec::new());
    }
    let cols = channels
        .iter()
        .map(|&k| map.cells.clone().slice([0..map.h * map.w, k..k + 1]))
        .collect();
    let picked = burn::tensor::Tensor::cat(cols, 1).transpose();
    let flat = read_vec::<f32, 2, _>(picked).await?;
    Ok(flat
        .chunks_exact(map.h * map.w)
        .map(<[f32]>::to_vec)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::FeatureMap;
    use burn::tensor::Device;

    #[test]
    fn shares_sum_to_the_cosine_and_the_top_ones_are_sorted() {
        let f = FeatureMap {
            h: 1,
            w: 2,
            c: 5,
            data: vec![1.0, 2.0, 0.0, 3.0, 1.0, 2.0, 1.0, 4.0, 3.0, 0.0],
        };
        let m = UnitMap::from_host(&f, &Device::flex());
        let why = pollster::block_on(WhyAlike::of(&m, 0, &m, 1, 3)).unwrap();
        let cos = crate::similarity::cosine(f.cell(0, 0), f.cell(0, 1));
        assert!((why.cosine - cos).abs() < 1e-6);
        // Products of the raw vectors: 2, 2, 0, 9, 0 — channel 3, then 0 and 1 (lower first).
        let order: Vec<usize> = why.channels.iter().map(|c| c.channel).collect();
        assert_eq!(order, vec![3, 0, 1]);
        assert_eq!(why.left_maps.len(), 3);
        // Channel 3 over both cells, unit-normalised.
        let (na, nb) = (15f32.sqrt(), 30f32.sqrt());
        assert!((why.left_maps[0][0] - 3.0 / na).abs() < 1e-6);
        assert!((why.right_maps[0][1] - 3.0 / nb).abs() < 1e-6);
    }
}
