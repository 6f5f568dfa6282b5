//! Downloads' names and the mask download's bytes.

use super::results::PredictedMask;
use image::ImageEncoder;

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

/// The name of a heatmap download: images, block and cell.
pub fn heatmap_name(source: &str, target: &str, block: &str, (r, c): (usize, usize)) -> String {
    format!(
        "featsim-{}-{}-{block}-r{r}c{c}.png",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_png() {
        assert_eq!(
            heatmap_name("my cat.jpg", "coffee.png", "layer4", (5, 9)),
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
}
