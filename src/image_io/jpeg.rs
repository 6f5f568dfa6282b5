//! JPEG decoding as libjpeg-turbo does it, so that pixels equal PIL's (vendor/jpeg-decoder).

use super::{ImageError, MAX_PIXELS};
use image::metadata::Orientation;
use image::{DynamicImage, GrayImage, ImageBuffer, Luma, RgbImage};

/// Decodes a JPEG file to an image, and the EXIF orientation it asks for.
pub(super) fn decode(bytes: &[u8]) -> Result<(DynamicImage, Orientation), ImageError> {
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.read_info().map_err(decode_err)?;
    let info = decoder
        .info()
        .ok_or_else(|| ImageError::Decode("the JPEG file has no frame".into()))?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    if width == 0 || height == 0 {
        return Err(ImageError::NoPixels);
    }
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(ImageError::TooLarge { width, height });
    }
    // A later frame header cannot grow the output past the limit either.
    decoder.set_max_decoding_buffer_size(MAX_PIXELS as usize * 4);
    let pixels = decoder.decode().map_err(decode_err)?;
    let info = decoder.info().unwrap_or(info);
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    let torn = || ImageError::Decode("the JPEG decoder returned too few pixels".into());
    let img = match info.pixel_format {
        jpeg_decoder::PixelFormat::L8 => {
            DynamicImage::ImageLuma8(GrayImage::from_raw(width, height, pixels).ok_or_else(torn)?)
        }
        jpeg_decoder::PixelFormat::L16 => {
            let values = pixels
                .chunks_exact(2)
                .map(|b| u16::from_ne_bytes([b[0], b[1]]))
                .collect();
            let img: ImageBuffer<Luma<u16>, _> =
                ImageBuffer::from_raw(width, height, values).ok_or_else(torn)?;
            DynamicImage::ImageLuma16(img)
        }
        jpeg_decoder::PixelFormat::RGB24 => {
            DynamicImage::ImageRgb8(RgbImage::from_raw(width, height, pixels).ok_or_else(torn)?)
        }
        jpeg_decoder::PixelFormat::CMYK32 => {
            let rgb = pixels.chunks_exact(4).flat_map(cmyk_to_rgb).collect();
            DynamicImage::ImageRgb8(RgbImage::from_raw(width, height, rgb).ok_or_else(torn)?)
        }
    };
    let orientation = decoder
        .exif_data()
        .and_then(Orientation::from_exif_chunk)
        .unwrap_or(Orientation::NoTransforms);
    Ok((img, orientation))
}

/// CMYK to RGB as Pillow's `convert("RGB")` computes it (Convert.c `cmyk2rgb`).
fn cmyk_to_rgb(p: &[u8]) -> [u8; 3] {
    let nk = 255 - u32::from(p[3]);
    // Pillow's MULDIV255: a·b/255, rounded.
    let muldiv255 = |a: u32, b: u32| {
        let t = a * b + 128;
        ((t >> 8) + t) >> 8
    };
    let ink = |c: u8| (nk - muldiv255(u32::from(c), nk)) as u8;
    [ink(p[0]), ink(p[1]), ink(p[2])]
}

fn decode_err(e: jpeg_decoder::Error) -> ImageError {
    match e {
        jpeg_decoder::Error::Unsupported(what) => {
            ImageError::Decode(format!("this JPEG uses a feature not supported: {what:?}"))
        }
        other => ImageError::Decode(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmyk_converts_as_pillow_does() {
        // Pillow 9.4: Image.new("CMYK", (1, 1), c).convert("RGB").getpixel((0, 0)).
        assert_eq!(cmyk_to_rgb(&[0, 0, 0, 0]), [255, 255, 255]);
        assert_eq!(cmyk_to_rgb(&[255, 255, 255, 0]), [0, 0, 0]);
        assert_eq!(cmyk_to_rgb(&[0, 0, 0, 255]), [0, 0, 0]);
        assert_eq!(cmyk_to_rgb(&[10, 100, 200, 50]), [197, 125, 44]);
    }
}
