//! Downloads' names and the mask download's bytes.

use super::results::{MapView, PairsView, PcaSide, PcaView, PredictedMask, SegView, WhyView};
use image::ImageEncoder;
use serde_json::json;

/// A file name piece without characters that upset file systems (the extension dropped).
pub fn slug(s: &str) -> String {
    let stem = s.rsplit_once('.').map_or(s, |(a, _)| a);
    stem.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The name of a heatmap download (`ext`: `png` or `json`): images, block and cell.
pub fn heatmap_name(
    source: &str,
    target: &str,
    block: &str,
    (r, c): (usize, usize),
    ext: &str,
) -> String {
    format!(
        "featsim-{}-{}-{block}-r{r}c{c}.{ext}",
        slug(source),
        slug(target)
    )
}

/// The name of a mask download.
pub fn mask_name(query: &str) -> String {
    format!("featsim-mask-{}.png", slug(query))
}

/// A predicted mask as a black/white PNG (object 255, background 0) at the query's size.
pub fn mask_png(m: &PredictedMask) -> Result<Vec<u8>, String> {
    let pixels: Vec<u8> = m.mask.iter().map(|&v| if v { 255 } else { 0 }).collect();
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&pixels, m.width, m.height, image::ExtendedColorType::L8)
        .map_err(|e| format!("encoding the mask failed: {e}"))?;
    Ok(png)
}

/// The name of a view's download: `featsim-{view}-{left}-{right}-{block}.{ext}`.
pub fn view_name(view: &str, images: [&str; 2], block: &str, ext: &str) -> String {
    format!(
        "featsim-{view}-{}-{}-{block}.{ext}",
        slug(images[0]),
        slug(images[1])
    )
}

/// One panel's PCA colours as a PNG: each cell a square of its colour, long side ≥ 512 pixels.
pub fn pca_png(side: &PcaSide) -> Result<Vec<u8>, String> {
    let scale = 512usize.div_ceil(side.rows.max(side.cols).max(1));
    let (w, h) = (side.cols * scale, side.rows * scale);
    let mut pixels = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        for x in 0..w {
            let i = ((y / scale) * side.cols + x / scale) * 4;
            pixels.extend_from_slice(&side.rgba[i..i + 3]);
        }
    }
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&pixels, w as u32, h as u32, image::ExtendedColorType::Rgb8)
        .map_err(|e| format!("encoding the PCA colours failed: {e}"))?;
    Ok(png)
}

/// The PCA view as JSON, for one's own figures: per panel its grid, the variance each component
/// explains and every cell's three scores (row-major).
pub fn pca_json(v: &PcaView, images: [&str; 2]) -> String {
    let side = |s: &PcaSide, image: &str| {
        json!({
            "image": image,
            "rows": s.rows,
            "cols": s.cols,
            "explained": s.explained,
            "scores": s.scores,
        })
    };
    json!({
        "view": "pca",
        "block": v.block.name(),
        "size": v.size,
        "scope": v.scope.name(),
        "left": side(&v.sides[0], images[0]),
        "right": side(&v.sides[1], images[1]),
    })
    .to_string()
}

/// The first `n` correspondences as JSON: each pair's cells as (row, column) and its cosine.
pub fn pairs_json(v: &PairsView, n: usize, images: [&str; 2]) -> String {
    let pairs: Vec<_> = v
        .pairs
        .iter()
        .take(n)
        .map(|p| {
            let (l, r) = v.cells(p);
            json!({
                "left": [l.0, l.1],
                "right": [r.0, r.1],
                "similarity": p.similarity,
            })
        })
        .collect();
    json!({
        "view": "pairs",
        "block": v.block.name(),
        "size": v.size,
        "images": images,
        "grids": v.grids,
        "mutual": v.pairs.len(),
        "from_object": v.object,
        "pairs": pairs,
    })
    .to_string()
}

/// The IoU curve and score histogram as JSON (`None` without a ground truth to score against).
pub fn curve_json(v: &SegView) -> Option<String> {
    let c = v.curve.as_ref()?;
    let (best, best_iou) = c.best();
    let h = &v.histogram;
    Some(
        json!({
            "view": "iou-curve",
            "method": v.method.name(),
            "thresholds": c.thresholds,
            "ious": c.ious,
            "best": { "threshold": best, "iou": best_iou },
            "histogram": { "lo": h.lo, "hi": h.hi, "foreground": h.foreground, "background": h.background },
        })
        .to_string(),
    )
}

/// A heatmap's values as JSON: the cell it is for (on which image), the grid and every cell's
/// cosine with it (row-major).
pub fn heatmap_json(m: &MapView, source: &str) -> String {
    json!({
        "view": "heatmap",
        "block": m.block.name(),
        "size": m.size,
        "model": m.model,
        "source": { "image": source, "side": m.source.name(), "cell": [m.cell.0, m.cell.1] },
        "target": m.image,
        "rows": m.heat.rows,
        "cols": m.heat.cols,
        "values": m.heat.values,
    })
    .to_string()
}

/// "Why alike" as JSON: the two cells, their cosine and each listed channel's share of it.
pub fn why_json(w: &WhyView, images: [&str; 2]) -> String {
    let channels: Vec<_> = w
        .channels
        .iter()
        .map(|c| json!({ "channel": c.channel, "share": c.share }))
        .collect();
    json!({
        "view": "why",
        "block": w.block.name(),
        "images": images,
        "pinned": { "side": w.source.name(), "cell": [w.cell.0, w.cell.1] },
        "other": { "side": w.source.other().name(), "cell": [w.other.0, w.other.1], "hovered": w.hovered },
        "cosine": w.cosine,
        "channels_in_block": w.channels_in_block,
        "channels": channels,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_png() {
        assert_eq!(
            heatmap_name("my cat.jpg", "coffee.png", "layer4", (5, 9), "png"),
            "featsim-my_cat-coffee-layer4-r5c9.png"
        );
        assert_eq!(mask_name("2007_000129.jpg"), "featsim-mask-2007_000129.png");
        let png = mask_png(&PredictedMask {
            width: 2,
            height: 1,
            mask: vec![true, false],
        })
        .unwrap();
        let img = image::load_from_memory(&png).unwrap().to_luma8();
        assert_eq!(img.as_raw(), &vec![255, 0]);
    }

    #[test]
    fn pca_png_blows_cells_up_and_pairs_json_names_cells() {
        let side = PcaSide {
            rows: 2,
            cols: 4,
            rgba: (0..8u8).flat_map(|i| [i * 30, 0, 255 - i, 255]).collect(),
            explained: [0.5, 0.2, 0.1],
            scores: vec![[0.0; 3]; 8],
        };
        let img = image::load_from_memory(&pca_png(&side).unwrap())
            .unwrap()
            .to_rgb8();
        assert_eq!(img.dimensions(), (512, 256));
        assert_eq!(img.get_pixel(511, 255).0, [210, 0, 248]);
        assert_eq!(img.get_pixel(127, 0).0, [0, 0, 255]);
        let v = PairsView {
            block: crate::model::Block::Layer4,
            size: 512,
            grids: [(16, 16), (16, 16)],
            pairs: vec![
                crate::analysis::buddies::Pair {
                    left: 17,
                    right: 33,
                    similarity: 0.9,
                },
                crate::analysis::buddies::Pair {
                    left: 0,
                    right: 255,
                    similarity: 0.5,
                },
            ],
            object: false,
        };
        let j: serde_json::Value =
            serde_json::from_str(&pairs_json(&v, 1, ["a.png", "b.png"])).unwrap();
        assert_eq!(j["pairs"].as_array().unwrap().len(), 1);
        assert_eq!(j["pairs"][0]["left"], json!([1, 1]));
        assert_eq!(j["pairs"][0]["right"], json!([2, 1]));
        assert_eq!(j["mutual"], 2);
        assert_eq!(
            view_name("pairs", ["my cat.jpg", "b.png"], "layer3", "json"),
            "featsim-pairs-my_cat-b-layer3.json"
        );
    }

    #[test]
    fn heatmap_and_why_json_name_cells_and_values() {
        use crate::session::results::ChannelView;
        use crate::session::side::Side;
        let m = MapView {
            source: Side::Left,
            cell: (2, 3),
            block: crate::model::Block::Layer3,
            size: 512,
            image: "b.png".into(),
            model: "ResNet-50".into(),
            heat: crate::heatmap::Heatmap {
                rows: 1,
                cols: 2,
                values: vec![0.25, -0.5],
                lo: -1.0,
                hi: 1.0,
                width: 0,
                height: 0,
                rgba: Vec::new(),
            },
            millis: 1.0,
            pinned: true,
        };
        let j: serde_json::Value = serde_json::from_str(&heatmap_json(&m, "a.png")).unwrap();
        assert_eq!(j["source"]["cell"], json!([2, 3]));
        assert_eq!(j["values"], json!([0.25, -0.5]));
        assert_eq!(
            (j["rows"].as_u64(), j["target"].as_str()),
            (Some(1), Some("b.png"))
        );
        let w = WhyView {
            source: Side::Right,
            cell: (1, 1),
            other: (0, 4),
            hovered: false,
            block: crate::model::Block::Layer4,
            channels_in_block: 2048,
            cosine: 0.5,
            grids: [(16, 16), (16, 16)],
            channels: vec![ChannelView {
                channel: 7,
                share: 0.25,
                thumbs: [Vec::new(), Vec::new()],
            }],
        };
        let j: serde_json::Value = serde_json::from_str(&why_json(&w, ["a", "b"])).unwrap();
        assert_eq!(j["pinned"]["side"], "right");
        assert_eq!(j["other"]["cell"], json!([0, 4]));
        assert_eq!(j["channels"][0], json!({ "channel": 7, "share": 0.25 }));
    }
}
