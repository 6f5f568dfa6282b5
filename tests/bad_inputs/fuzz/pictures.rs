//! Images (`image_io::decode`, with its pixel limit and EXIF orientation) and masks
//! (`masks::read_labels`, then `interpret` and `class_mask` as the page uses them).
//!
//! Seeds are tiny files in every format the page decodes, written by the `image` and `png`
//! crates, some with EXIF orientation. Besides byte damage, PNG chunks are damaged with their
//! CRC recomputed (else every change would stop at the CRC check) and JPEG frame sizes set to
//! extremes.

use super::{
    INTERESTING, Mutation, Verdict, apply, cases, fuzz, mutated_seed, mutation, random_bytes,
    refused,
};
use featsim::image_io::{self, MAX_PIXELS};
use featsim::masks::{MaskKind, class_mask, interpret, read_labels};
use image::codecs::{gif::GifEncoder, jpeg::JpegEncoder, png::PngEncoder, webp::WebPEncoder};
use image::{DynamicImage, ExtendedColorType, Frame, ImageEncoder, ImageFormat, RgbaImage};
use proptest::prelude::*;
use proptest::sample::Index;
use std::io::Cursor;
use std::sync::{Arc, OnceLock};

/// An image: decoded upright within the limit, or refused.
pub(crate) fn check_image(bytes: &[u8]) -> Result<Verdict, String> {
    match image_io::decode(bytes) {
        Ok(img) => {
            let (w, h) = img.dimensions();
            if w == 0 || h == 0 || u64::from(w) * u64::from(h) > MAX_PIXELS {
                return Err(format!("accepted a {w}×{h} image"));
            }
            Ok(Verdict::Accepted)
        }
        Err(e) => refused(e),
    }
}

/// A mask: read, told apart (classes or black/white) and cut to one class, or refused.
pub(crate) fn check_mask(bytes: &[u8]) -> Result<Verdict, String> {
    let labels = match read_labels(bytes) {
        Ok(l) => l,
        Err(e) => return refused(e),
    };
    let (w, h) = labels.dimensions();
    if w == 0 || h == 0 || u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(format!("accepted a {w}×{h} mask"));
    }
    if labels.as_raw().len() != (w * h) as usize {
        return Err(format!(
            "a {w}×{h} mask holds {} bytes",
            labels.as_raw().len()
        ));
    }
    let (mask, kind) = interpret(labels);
    if mask.dimensions() != (w, h) {
        return Err(format!(
            "interpret changed the size to {:?}",
            mask.dimensions()
        ));
    }
    let binary = |m: &image::GrayImage| m.as_raw().iter().all(|&v| v <= 1);
    match kind {
        MaskKind::Binary if !binary(&mask) => Err("a binary mask with values above 1".into()),
        MaskKind::Binary => Ok(Verdict::Accepted),
        MaskKind::Classes(classes) => {
            let total: u64 = classes.iter().map(|c| c.1).sum();
            if classes.is_empty()
                || classes.len() > 32
                || classes.iter().any(|&(c, n)| c == 0 || c == 255 || n == 0)
                || total > u64::from(w) * u64::from(h)
            {
                return Err(format!("odd classes {classes:?}"));
            }
            if !binary(&class_mask(&mask, classes[0].0)) {
                return Err("class_mask gave values above 1".into());
            }
            Ok(Verdict::Accepted)
        }
    }
}

// ------------------------------------------------------------------------------------------
// Seeds.
// ------------------------------------------------------------------------------------------

fn rgba(w: u32, h: u32, alpha: bool) -> RgbaImage {
    RgbaImage::from_fn(w, h, |x, y| {
        let a = if alpha { ((x * 40) % 256) as u8 } else { 255 };
        image::Rgba([(x * 17) as u8, (y * 23) as u8, ((x + y) * 9) as u8, a])
    })
}

fn write(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// A TIFF-structured EXIF block holding one orientation tag.
fn exif(orientation: u16) -> Vec<u8> {
    let mut e = b"II*\0".to_vec();
    e.extend(8u32.to_le_bytes());
    e.extend(1u16.to_le_bytes());
    e.extend(0x0112u16.to_le_bytes());
    e.extend(3u16.to_le_bytes());
    e.extend(1u32.to_le_bytes());
    e.extend(orientation.to_le_bytes());
    e.extend([0, 0]);
    e.extend(0u32.to_le_bytes());
    e
}

/// An encoder's output with an EXIF orientation.
fn with_exif<E: ImageEncoder>(mut enc: E, img: &RgbaImage, rgb: bool, orientation: u16) {
    enc.set_exif_metadata(exif(orientation)).unwrap();
    let (w, h) = img.dimensions();
    if rgb {
        let rgb = DynamicImage::ImageRgba8(img.clone()).into_rgb8();
        enc.write_image(rgb.as_raw(), w, h, ExtendedColorType::Rgb8)
            .unwrap();
    } else {
        enc.write_image(img.as_raw(), w, h, ExtendedColorType::Rgba8)
            .unwrap();
    }
}

/// A palette PNG of `bits`-bit indices (packed as PNG packs them).
fn palette_png(w: u32, h: u32, bits: u8, index: impl Fn(u32, u32) -> u8, trns: bool) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Indexed);
        enc.set_depth(match bits {
            1 => png::BitDepth::One,
            2 => png::BitDepth::Two,
            4 => png::BitDepth::Four,
            _ => png::BitDepth::Eight,
        });
        let colours = 1usize << bits.min(8);
        enc.set_palette(
            (0..colours * 3)
                .map(|i| (i * 37 % 256) as u8)
                .collect::<Vec<u8>>(),
        );
        if trns {
            enc.set_trns(vec![0u8, 128]);
        }
        let mut writer = enc.write_header().unwrap();
        let per_byte = 8 / u32::from(bits.min(8));
        let row_bytes = w.div_ceil(per_byte);
        let mut data = Vec::new();
        for y in 0..h {
            let mut row = vec![0u8; row_bytes as usize];
            for x in 0..w {
                let v = index(x, y) & ((1u16 << bits.min(8)) - 1) as u8;
                let at = (x / per_byte) as usize;
                let shift = 8 - u32::from(bits.min(8)) * (x % per_byte + 1);
                row[at] |= v << shift;
            }
            data.extend(row);
        }
        writer.write_image_data(&data).unwrap();
    }
    out
}

fn image_seeds() -> Arc<Vec<Vec<u8>>> {
    static SEEDS: OnceLock<Arc<Vec<Vec<u8>>>> = OnceLock::new();
    SEEDS
        .get_or_init(|| {
            let img = rgba(16, 12, false);
            let alpha = rgba(9, 7, true);
            let dynamic = DynamicImage::ImageRgba8(img.clone());
            let mut seeds = vec![
                write(
                    &DynamicImage::ImageRgb8(dynamic.to_rgb8()),
                    ImageFormat::Png,
                ),
                write(&DynamicImage::ImageRgba8(alpha.clone()), ImageFormat::Png),
                write(
                    &DynamicImage::ImageLuma16(dynamic.to_luma16()),
                    ImageFormat::Png,
                ),
                write(
                    &DynamicImage::ImageRgb8(dynamic.to_rgb8()),
                    ImageFormat::Jpeg,
                ),
                write(
                    &DynamicImage::ImageLuma8(dynamic.to_luma8()),
                    ImageFormat::Jpeg,
                ),
                write(
                    &DynamicImage::ImageRgb8(dynamic.to_rgb8()),
                    ImageFormat::Bmp,
                ),
                write(&DynamicImage::ImageRgba8(alpha.clone()), ImageFormat::Bmp),
                write(&DynamicImage::ImageRgba8(alpha.clone()), ImageFormat::WebP),
                write(
                    &DynamicImage::ImageRgba8(rgba(1, 1, false)),
                    ImageFormat::Png,
                ),
                palette_png(7, 5, 8, |x, y| (x * y) as u8, true),
            ];
            for (orientation, rgb) in [(6u16, true), (3, true), (8, false)] {
                let mut jpeg = Vec::new();
                with_exif(
                    JpegEncoder::new_with_quality(&mut jpeg, 80),
                    &img,
                    true,
                    orientation,
                );
                seeds.push(jpeg);
                let mut png = Vec::new();
                with_exif(PngEncoder::new(&mut png), &img, rgb, orientation);
                seeds.push(png);
            }
            let mut webp = Vec::new();
            with_exif(WebPEncoder::new_lossless(&mut webp), &alpha, false, 5);
            seeds.push(webp);
            let mut gif = Vec::new();
            {
                let mut enc = GifEncoder::new(&mut gif);
                enc.encode_frames([Frame::new(rgba(8, 6, true)), Frame::new(rgba(8, 6, false))])
                    .unwrap();
            }
            seeds.push(gif);
            Arc::new(seeds)
        })
        .clone()
}

fn mask_seeds() -> Arc<Vec<Vec<u8>>> {
    static SEEDS: OnceLock<Arc<Vec<Vec<u8>>>> = OnceLock::new();
    SEEDS
        .get_or_init(|| {
            let voc = |x: u32, y: u32| match (x / 4, y / 3) {
                (0, _) => 0,
                (1, 0) => 8,
                (1, _) => 15,
                _ => 255,
            };
            let bw =
                image::GrayImage::from_fn(10, 6, |x, _| image::Luma([if x > 4 { 255 } else { 0 }]));
            let ramp = image::GrayImage::from_fn(40, 2, |x, _| image::Luma([(x * 6) as u8]));
            let bw_dynamic = DynamicImage::ImageLuma8(bw);
            Arc::new(vec![
                palette_png(12, 8, 8, voc, false),
                palette_png(12, 8, 8, voc, true),
                palette_png(9, 3, 4, |x, y| (x + y) as u8, false),
                palette_png(9, 3, 2, |x, _| x as u8, false),
                palette_png(9, 3, 1, |x, y| ((x + y) % 2) as u8, false),
                palette_png(41, 1, 8, |x, _| x as u8, false),
                write(&bw_dynamic, ImageFormat::Png),
                write(&DynamicImage::ImageLuma8(ramp), ImageFormat::Png),
                write(
                    &DynamicImage::ImageRgb8(bw_dynamic.to_rgb8()),
                    ImageFormat::Png,
                ),
                write(
                    &DynamicImage::ImageLuma16(bw_dynamic.to_luma16()),
                    ImageFormat::Png,
                ),
                write(&bw_dynamic, ImageFormat::Jpeg),
                write(
                    &DynamicImage::ImageRgb8(bw_dynamic.to_rgb8()),
                    ImageFormat::Bmp,
                ),
                write(
                    &DynamicImage::ImageRgba8(bw_dynamic.to_rgba8()),
                    ImageFormat::Gif,
                ),
            ])
        })
        .clone()
}

#[test]
fn picture_seeds_are_accepted() {
    for (i, seed) in image_seeds().iter().enumerate() {
        assert!(
            matches!(check_image(seed), Ok(Verdict::Accepted)),
            "image seed {i}"
        );
    }
    for (i, seed) in mask_seeds().iter().enumerate() {
        assert!(
            matches!(check_mask(seed), Ok(Verdict::Accepted)),
            "mask seed {i}"
        );
    }
    // The EXIF seeds are read upright: orientation 6 turns 16×12 into 12×16.
    let turned = image_io::decode(&image_seeds()[10]).unwrap();
    assert_eq!(turned.dimensions(), (12, 16));
}

// ------------------------------------------------------------------------------------------
// Format-aware damage.
// ------------------------------------------------------------------------------------------

/// A change that knows the container: a PNG chunk damaged with its CRC (and maybe length)
/// recomputed, an IHDR field set to an extreme, a JPEG frame size set to an extreme.
#[derive(Debug, Clone)]
enum FormatEdit {
    PngChunk(Index, Vec<Mutation>, bool),
    PngHeader(u8, Index),
    JpegSize(Index, Index),
}

fn format_edit() -> impl Strategy<Value = FormatEdit> {
    prop_oneof![
        3 => (any::<Index>(), prop::collection::vec(mutation(), 1..4), any::<bool>())
            .prop_map(|(c, m, fix)| FormatEdit::PngChunk(c, m, fix)),
        2 => (0u8..5, any::<Index>()).prop_map(|(f, v)| FormatEdit::PngHeader(f, v)),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(w, h)| FormatEdit::JpegSize(w, h)),
    ]
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Byte ranges of a PNG's chunks: (start of the length field, data length).
fn png_chunks(b: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = PNG_SIGNATURE.len();
    while at + 12 <= b.len() {
        let len = u32::from_be_bytes(b[at..at + 4].try_into().unwrap()) as usize;
        if at + 12 + len > b.len() {
            break;
        }
        out.push((at, len));
        at += 12 + len;
    }
    out
}

/// Rewrites the chunk at `at` with `data`, its length (if `fix_len`) and its CRC.
fn put_chunk(b: &mut Vec<u8>, at: usize, len: usize, data: &[u8], fix_len: bool) {
    let kind: Vec<u8> = b[at + 4..at + 8].to_vec();
    let mut chunk = if fix_len {
        (data.len() as u32).to_be_bytes().to_vec()
    } else {
        b[at..at + 4].to_vec()
    };
    chunk.extend(&kind);
    chunk.extend(data);
    let mut crc_input = kind;
    crc_input.extend(data);
    chunk.extend(crc32fast::hash(&crc_input).to_be_bytes());
    b.splice(at..at + 12 + len, chunk);
}

fn apply_format(b: &mut Vec<u8>, edit: &FormatEdit) {
    let interesting = |i: &Index| INTERESTING[i.index(INTERESTING.len())];
    match edit {
        FormatEdit::PngChunk(which, muts, fix_len) if b.starts_with(PNG_SIGNATURE) => {
            let chunks = png_chunks(b);
            if chunks.is_empty() {
                return;
            }
            let (at, len) = chunks[which.index(chunks.len())];
            let mut data = b[at + 8..at + 8 + len].to_vec();
            apply(&mut data, muts, &[]);
            put_chunk(b, at, len, &data, *fix_len);
        }
        FormatEdit::PngHeader(field, value) if b.starts_with(PNG_SIGNATURE) => {
            let Some(&(at, len)) = png_chunks(b).first() else {
                return;
            };
            let mut data = b[at + 8..at + 8 + len].to_vec();
            if data.len() < 13 {
                return;
            }
            let v = interesting(value);
            match field {
                0 => data[0..4].copy_from_slice(&(v as u32).to_be_bytes()),
                1 => data[4..8].copy_from_slice(&(v as u32).to_be_bytes()),
                2 => data[8] = v as u8,  // bit depth
                3 => data[9] = v as u8,  // colour type
                _ => data[12] = v as u8, // interlace method
            }
            put_chunk(b, at, len, &data, false);
        }
        FormatEdit::JpegSize(w, h) if b.starts_with(b"\xff\xd8") => {
            // SOF0 or SOF2: FF C0/C2, length, precision, height, width.
            if let Some(at) = b
                .windows(2)
                .position(|m| m[0] == 0xff && (m[1] == 0xc0 || m[1] == 0xc2))
                && at + 9 <= b.len()
            {
                b[at + 5..at + 7].copy_from_slice(&(interesting(h) as u16).to_be_bytes());
                b[at + 7..at + 9].copy_from_slice(&(interesting(w) as u16).to_be_bytes());
            }
        }
        _ => {}
    }
}

const IMAGE_MAGICS: &[&[u8]] = &[
    PNG_SIGNATURE,
    b"\xff\xd8\xff",
    b"GIF89a",
    b"RIFF\x20\x00\x00\x00WEBPVP8L",
    b"BM",
];

fn picture_strategy(seeds: Arc<Vec<Vec<u8>>>) -> impl Strategy<Value = Vec<u8>> {
    let s = seeds.clone();
    prop_oneof![
        3 => (
            any::<Index>(),
            format_edit(),
            prop::collection::vec(mutation(), 0..2),
        )
            .prop_map(move |(i, edit, muts)| {
                let mut b = s[i.index(s.len())].clone();
                apply_format(&mut b, &edit);
                apply(&mut b, &muts, &s);
                b
            }),
        4 => mutated_seed(seeds, 6),
        1 => random_bytes(IMAGE_MAGICS),
    ]
}

#[test]
fn fuzz_images() {
    fuzz(
        "images",
        "images",
        "img",
        cases(),
        picture_strategy(image_seeds()),
        check_image,
    );
}

#[test]
fn fuzz_masks() {
    fuzz(
        "masks",
        "masks",
        "png",
        cases(),
        picture_strategy(mask_seeds()),
        check_mask,
    );
}
