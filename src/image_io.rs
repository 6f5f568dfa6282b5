//! Decoding visitors' images safely: size limits before decoding, EXIF orientation, alpha over white.
//! JPEGs decode as libjpeg-turbo (so PIL) decodes them ([`jpeg`]); other formats through `image`.

mod jpeg;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageReader, RgbImage};
use std::io::Cursor;

/// Largest image accepted, in pixels (a decompression bomb is refused before it is decoded).
pub const MAX_PIXELS: u64 = 40_000_000;

/// Why an image could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// Zero bytes.
    #[error("the file is empty")]
    Empty,
    /// Not a format we decode (SVG, HEIC, text …).
    #[error("unsupported image format (use PNG, JPEG, GIF, WebP or BMP)")]
    Unsupported,
    /// Larger than [`MAX_PIXELS`].
    #[error("the image is {width}×{height} = {:.1} megapixels; the limit is {} megapixels", (*.width as f64) * (*.height as f64) / 1e6, MAX_PIXELS / 1_000_000)]
    TooLarge {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// A degenerate image.
    #[error("the image has no pixels")]
    NoPixels,
    /// Truncated or corrupt data.
    #[error("the image could not be decoded: {0}")]
    Decode(String),
}

/// The usual file extension of an image file's format, by its first bytes (`jpg`, `png`, …).
pub fn extension(bytes: &[u8]) -> Option<&'static str> {
    let format = image::guess_format(bytes).ok()?;
    Some(match format {
        image::ImageFormat::Jpeg => "jpg",
        other => other.extensions_str().first()?,
    })
}

/// Decodes an image file, upright (EXIF orientation applied), as 8-bit RGB.
pub fn decode(bytes: &[u8]) -> Result<RgbImage, ImageError> {
    if bytes.is_empty() {
        return Err(ImageError::Empty);
    }
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| ImageError::Decode(e.to_string()))?;
    let (mut img, orientation) = match reader.format() {
        None => return Err(ImageError::Unsupported),
        // JPEG decoders fill a cut-off scan with grey instead of failing; refuse it ourselves.
        Some(image::ImageFormat::Jpeg) if jpeg_truncated(bytes) => {
            return Err(ImageError::Decode("the JPEG file is truncated".into()));
        }
        Some(image::ImageFormat::Jpeg) => jpeg::decode(bytes)?,
        Some(image::ImageFormat::Png) if png_palette_torn(bytes) => {
            return Err(ImageError::Decode(
                "the PNG palette is malformed (not whole RGB entries)".into(),
            ));
        }
        Some(_) => decode_other(reader)?,
    };
    img.apply_orientation(orientation);
    Ok(flatten(img))
}

/// Decodes a non-JPEG image through `image`, with its orientation, refusing huge ones first.
fn decode_other(
    reader: ImageReader<Cursor<&[u8]>>,
) -> Result<(DynamicImage, Orientation), ImageError> {
    let mut decoder = reader.into_decoder().map_err(decode_err)?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(ImageError::NoPixels);
    }
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(ImageError::TooLarge { width, height });
    }
    let orientation = decoder.orientation().map_err(decode_err)?;
    let img = DynamicImage::from_decoder(decoder).map_err(decode_err)?;
    Ok((img, orientation))
}

/// True when no end-of-image marker follows the last start-of-scan marker.
///
/// Inside entropy-coded data every 0xFF is followed by 0x00, so an `FF D9` after the last `FF DA`
/// can only be the real end; bytes appended after it (some cameras do) are fine.
fn jpeg_truncated(bytes: &[u8]) -> bool {
    let marker = |m: u8| bytes.windows(2).rposition(|w| w == [0xFF, m]);
    match (marker(0xDA), marker(0xD9)) {
        (Some(sos), Some(eoi)) => eoi < sos,
        _ => true,
    }
}

/// True when a PNG's palette (PLTE) is not whole RGB triples, which the spec forbids: png 0.18.1
/// accepts such a chunk, then panics expanding it (image-rs/image-png#694).
fn png_palette_torn(bytes: &[u8]) -> bool {
    // Chunks after the 8-byte signature: length (big-endian), type, data, CRC.
    let mut at = 8usize;
    while let Some(head) = bytes.get(at..at.saturating_add(8)) {
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        if &head[4..] == b"PLTE" && !len.is_multiple_of(3) {
            return true;
        }
        at = at.saturating_add(12).saturating_add(len);
    }
    false
}

fn decode_err(e: image::ImageError) -> ImageError {
    match e {
        image::ImageError::Unsupported(_) => ImageError::Unsupported,
        other => ImageError::Decode(other.to_string()),
    }
}

/// Drops alpha by compositing over white, so transparent areas do not turn black.
fn flatten(img: DynamicImage) -> RgbImage {
    if !img.color().has_alpha() {
        return img.into_rgb8();
    }
    let rgba = img.into_rgba8();
    let (w, h) = rgba.dimensions();
    RgbImage::from_fn(w, h, |x, y| {
        let p = rgba.get_pixel(x, y).0;
        let a = u16::from(p[3]);
        let mix = |c: u8| ((u16::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
        image::Rgb([mix(p[0]), mix(p[1]), mix(p[2])])
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageFormat, Rgba, RgbaImage};

    fn encode(img: DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    #[test]
    fn decodes_png_and_flattens_alpha_over_white() {
        let mut img = RgbaImage::new(2, 1);
        img.put_pixel(0, 0, Rgba([0, 0, 0, 0]));
        img.put_pixel(1, 0, Rgba([10, 20, 30, 255]));
        let rgb = decode(&encode(DynamicImage::ImageRgba8(img), ImageFormat::Png)).unwrap();
        assert_eq!(rgb.get_pixel(0, 0).0, [255, 255, 255]);
        assert_eq!(rgb.get_pixel(1, 0).0, [10, 20, 30]);
    }

    #[test]
    fn bad_inputs_get_clear_errors() {
        assert!(matches!(decode(&[]), Err(ImageError::Empty)));
        assert!(matches!(
            decode(b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
            Err(ImageError::Unsupported)
        ));
        let png = encode(DynamicImage::new_rgb8(64, 64), ImageFormat::Png);
        assert!(matches!(
            decode(&png[..png.len() / 2]),
            Err(ImageError::Decode(_))
        ));
        let jpeg = encode(DynamicImage::new_rgb8(64, 64), ImageFormat::Jpeg);
        assert!(decode(&jpeg).is_ok());
        for cut in [jpeg.len() / 3, jpeg.len() - 1] {
            assert!(
                matches!(decode(&jpeg[..cut]), Err(ImageError::Decode(_))),
                "cut at {cut}"
            );
        }
        let mut trailer = jpeg.clone();
        trailer.extend_from_slice(b"camera trailer");
        assert!(
            decode(&trailer).is_ok(),
            "data after the end marker is allowed"
        );
    }

    #[test]
    fn huge_dimensions_are_refused_before_decoding() {
        // A PNG header claiming 20000×20000 with no pixel data behind it.
        let png = encode(DynamicImage::new_rgb8(1, 1), ImageFormat::Png);
        let mut bomb = png.clone();
        bomb[16..20].copy_from_slice(&20000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&20000u32.to_be_bytes());
        // Keep the IHDR chunk's CRC valid so only the size can be the reason for refusal.
        let crc = crc32fast::hash(&bomb[12..29]);
        bomb[29..33].copy_from_slice(&crc.to_be_bytes());
        match decode(&bomb) {
            Err(ImageError::TooLarge { width, height }) => {
                assert_eq!((width, height), (20000, 20000))
            }
            other => panic!("expected TooLarge, got {other:?}"),
        }
    }

    #[test]
    fn one_pixel_and_sixteen_bit_images_work() {
        let one = decode(&encode(DynamicImage::new_rgb8(1, 1), ImageFormat::Png)).unwrap();
        assert_eq!(
            crate::resample::resize_square(&one, 32).dimensions(),
            (32, 32)
        );
        let deep = DynamicImage::ImageRgb16(image::ImageBuffer::from_pixel(
            3,
            2,
            image::Rgb([65535u16, 0, 32768]),
        ));
        let rgb = decode(&encode(deep, ImageFormat::Png)).unwrap();
        assert_eq!(rgb.get_pixel(0, 0).0, [255, 0, 128]);
    }
}
