//! Putting pixels on canvases, and the RGBA of the page's overlays (masks are sampled at the
//! display size, nearest pixel: layout only, no numbers are changed).

use super::state::{Painted, remap};
use crate::colormap::Colormap;
use image::GrayImage;
use wasm_bindgen::{Clamped, JsCast, JsValue};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

/// Object colour of masks (support and prediction), with its alpha.
const OBJECT: [u8; 4] = [255, 122, 0, 180];
/// Outline of the ground truth over a prediction.
const TRUTH: [u8; 4] = [0, 220, 255, 255];

fn context(canvas: &HtmlCanvasElement) -> Result<CanvasRenderingContext2d, String> {
    canvas
        .get_context("2d")
        .map_err(|e| super::fetch::js_message(&e))?
        .ok_or("this browser gives no 2D canvas")?
        .dyn_into::<CanvasRenderingContext2d>()
        .map_err(|_| "not a 2D context".into())
}

/// Resizes `canvas` to `width`×`height` and fills it with `rgba`.
pub fn paint(
    canvas: &HtmlCanvasElement,
    width: u32,
    height: u32,
    rgba: &[u8],
) -> Result<(), String> {
    if canvas.width() != width || canvas.height() != height {
        canvas.set_width(width);
        canvas.set_height(height);
    }
    let data = ImageData::new_with_u8_clamped_array_and_sh(Clamped(rgba), width, height)
        .map_err(|e| super::fetch::js_message(&e))?;
    context(canvas)?
        .put_image_data(&data, 0.0, 0.0)
        .map_err(|e| super::fetch::js_message(&e))
}

/// Makes a canvas transparent.
pub fn clear(canvas: &HtmlCanvasElement) {
    if let Ok(ctx) = context(canvas) {
        ctx.clear_rect(
            0.0,
            0.0,
            f64::from(canvas.width()),
            f64::from(canvas.height()),
        );
    }
}

/// The painted cells as a `grid`×`grid` image (the canvas is stretched over the panel).
pub fn painted_rgba(p: &Painted) -> Vec<u8> {
    p.cells
        .iter()
        .flat_map(|&on| if on { OBJECT } else { [0; 4] })
        .collect()
}

/// A label mask's `class` pixels coloured at `dims`.
pub fn mask_overlay(labels: &GrayImage, class: u8, (dw, dh): (u32, u32)) -> Vec<u8> {
    let (w, h) = labels.dimensions();
    let mut out = Vec::with_capacity((dw * dh * 4) as usize);
    for y in 0..dh {
        let sy = remap(y as usize, dh as usize, h as usize) as u32;
        for x in 0..dw {
            let sx = remap(x as usize, dw as usize, w as usize) as u32;
            let on = labels.get_pixel(sx, sy).0[0] == class;
            out.extend_from_slice(&if on { OBJECT } else { [0; 4] });
        }
    }
    out
}

/// A predicted mask (`w`×`h` flags) coloured at `dims`, with the ground truth's outline when given.
pub fn prediction_overlay(
    mask: &[bool],
    (w, h): (u32, u32),
    truth: Option<(&GrayImage, u8)>,
    (dw, dh): (u32, u32),
) -> Vec<u8> {
    let (dw_, dh_) = (dw as usize, dh as usize);
    let at = |x: usize, y: usize| (remap(x, dw_, w as usize), remap(y, dh_, h as usize));
    let truth_at = |x: usize, y: usize| -> bool {
        truth.is_some_and(|(t, c)| {
            let (sx, sy) = at(x, y);
            t.get_pixel(sx as u32, sy as u32).0[0] == c
        })
    };
    let mut out = Vec::with_capacity(dw_ * dh_ * 4);
    for y in 0..dh_ {
        for x in 0..dw_ {
            let (sx, sy) = at(x, y);
            let fg = mask[sy * w as usize + sx];
            // An outline pixel: object in the truth with a non-object neighbour.
            let edge = truth.is_some()
                && truth_at(x, y)
                && [(-1i64, 0i64), (1, 0), (0, -1), (0, 1)]
                    .iter()
                    .any(|(ox, oy)| {
                        let (nx, ny) = (x as i64 + ox, y as i64 + oy);
                        nx < 0
                            || ny < 0
                            || nx >= dw_ as i64
                            || ny >= dh_ as i64
                            || !truth_at(nx as usize, ny as usize)
                    });
            out.extend_from_slice(&if edge {
                TRUTH
            } else if fg {
                OBJECT
            } else {
                [0; 4]
            });
        }
    }
    out
}

/// The colour bar: `cmap` from low (left) to high (right), 256×1.
pub fn colorbar_rgba(cmap: Colormap) -> Vec<u8> {
    (0..256)
        .flat_map(|i| {
            let [r, g, b] = cmap.rgb(i as f32 / 255.0);
            [r, g, b, 255]
        })
        .collect()
}

/// The canvas as PNG bytes (`toBlob`).
pub async fn png_blob(canvas: &HtmlCanvasElement) -> Result<web_sys::Blob, String> {
    let canvas = canvas.clone();
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        let cb = wasm_bindgen::closure::Closure::once_into_js(move |blob: JsValue| {
            let _ = resolve.call1(&JsValue::NULL, &blob);
        });
        if let Err(e) = canvas.to_blob(cb.unchecked_ref()) {
            let _ = reject.call1(&JsValue::NULL, &e);
        }
    });
    let blob = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(|e| super::fetch::js_message(&e))?;
    blob.dyn_into::<web_sys::Blob>()
        .map_err(|_| "the canvas could not be encoded as PNG".into())
}
