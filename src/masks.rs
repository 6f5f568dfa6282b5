//! Reading label masks: VOC palette PNGs (class indices) and plain black/white masks.

use image::GrayImage;

/// PASCAL VOC class names by palette index (0 background, 1..=20 the classes).
pub const VOC_CLASSES: [&str; 21] = [
    "background",
    "aeroplane",
    "bicycle",
    "bird",
    "boat",
    "bottle",
    "bus",
    "car",
    "cat",
    "chair",
    "cow",
    "diningtable",
    "dog",
    "horse",
    "motorbike",
    "person",
    "pottedplant",
    "sheep",
    "sofa",
    "train",
    "tvmonitor",
];

/// What a mask file holds.
#[derive(Debug, Clone, PartialEq)]
pub enum MaskKind {
    /// Class indices (VOC palette PNGs): classes present other than background 0 and void 255,
    /// with pixel counts, most frequent first.
    Classes(Vec<(u8, u64)>),
    /// Object (1) and background (0), from a black/white image.
    Binary,
}

/// Tells class-index masks (a few distinct values) from black/white ones, bringing the latter to
/// 0/1: only 0 and 255 → black/white; up to 32 other values → classes; more (a smoothed or JPEG
/// mask) → object where ≥ 128.
pub fn interpret(labels: GrayImage) -> (GrayImage, MaskKind) {
    let mut hist = [0u64; 256];
    for &p in labels.as_raw() {
        hist[usize::from(p)] += 1;
    }
    let mut inner: Vec<(u8, u64)> = (1..255)
        .filter(|&v| hist[v] > 0)
        .map(|v| (v as u8, hist[v]))
        .collect();
    if inner.is_empty() {
        (class_mask(&labels, 255), MaskKind::Binary)
    } else if inner.len() <= 32 {
        inner.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        (labels, MaskKind::Classes(inner))
    } else {
        let bin = GrayImage::from_fn(labels.width(), labels.height(), |x, y| {
            image::Luma([u8::from(labels.get_pixel(x, y).0[0] >= 128)])
        });
        (bin, MaskKind::Binary)
    }
}

/// Why a mask could not be read.
#[derive(Debug, thiserror::Error)]
pub enum MaskError {
    /// Not a decodable image.
    #[error("the mask could not be read: {0}")]
    Decode(String),
}

/// A label image: one byte per pixel, class index (palette PNGs) or 0/255 (black/white masks).
pub fn read_labels(bytes: &[u8]) -> Result<GrayImage, MaskError> {
    // Palette PNGs carry class indices: read the indices, not the colours they stand for.
    if let Ok(labels) = read_indexed_png(bytes) {
        return Ok(labels);
    }
    let img = crate::image_io::decode(bytes).map_err(|e| MaskError::Decode(e.to_string()))?;
    Ok(image::DynamicImage::ImageRgb8(img).into_luma8())
}

fn read_indexed_png(bytes: &[u8]) -> Result<GrayImage, String> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::IDENTITY);
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let info = reader.info();
    if info.color_type != png::ColorType::Indexed || info.bit_depth != png::BitDepth::Eight {
        return Err("not an 8-bit palette PNG".into());
    }
    let (w, h) = (info.width, info.height);
    if u64::from(w) * u64::from(h) > crate::image_io::MAX_PIXELS {
        return Err("too large".into());
    }
    let mut buf = vec![0; reader.output_buffer_size().ok_or("too large")?];
    let frame = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
    buf.truncate(frame.buffer_size());
    GrayImage::from_raw(w, h, buf).ok_or_else(|| "short frame".into())
}

/// The binary mask (0/1) of `class` in a label image.
pub fn class_mask(labels: &GrayImage, class: u8) -> GrayImage {
    GrayImage::from_fn(labels.width(), labels.height(), |x, y| {
        image::Luma([u8::from(labels.get_pixel(x, y).0[0] == class)])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_are_told_apart() {
        let bw = GrayImage::from_raw(3, 1, vec![0, 255, 255]).unwrap();
        assert_eq!(
            interpret(bw),
            (
                GrayImage::from_raw(3, 1, vec![0, 1, 1]).unwrap(),
                MaskKind::Binary
            )
        );
        let voc = GrayImage::from_raw(5, 1, vec![0, 8, 8, 15, 255]).unwrap();
        assert_eq!(interpret(voc).1, MaskKind::Classes(vec![(8, 2), (15, 1)]));
        let grey = GrayImage::from_fn(40, 1, |x, _| image::Luma([(x * 6) as u8]));
        let (bin, kind) = interpret(grey);
        assert_eq!(kind, MaskKind::Binary);
        assert_eq!(
            (bin.get_pixel(21, 0).0[0], bin.get_pixel(22, 0).0[0]),
            (0, 1)
        );
        assert_eq!(VOC_CLASSES[8], "cat");
    }

    #[test]
    fn palette_png_gives_indices_not_colours() {
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, 3, 1);
            enc.set_color(png::ColorType::Indexed);
            enc.set_depth(png::BitDepth::Eight);
            let mut palette = vec![0u8; 256 * 3];
            palette[3..6].copy_from_slice(&[128, 0, 0]);
            enc.set_palette(palette);
            let mut w = enc.write_header().unwrap();
            w.write_image_data(&[0, 1, 255]).unwrap();
        }
        let labels = read_labels(&out).unwrap();
        assert_eq!(labels.as_raw(), &vec![0, 1, 255]);
        assert_eq!(class_mask(&labels, 1).as_raw(), &vec![0, 1, 0]);
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(read_labels(b"nope").is_err());
    }
}
