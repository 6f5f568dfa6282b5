//! Putting pixels on canvases (the pixels come from `session::overlay` and the core).

use super::fetch::js_message;
use wasm_bindgen::{Clamped, JsCast, JsValue};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

/// The canvas's 2D context.
pub fn context(canvas: &HtmlCanvasElement) -> Result<CanvasRenderingContext2d, String> {
    canvas
        .get_context("2d")
        .map_err(|e| js_message(&e))?
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
        .map_err(|e| js_message(&e))?;
    context(canvas)?
        .put_image_data(&data, 0.0, 0.0)
        .map_err(|e| js_message(&e))
}

/// Paints `rgba` or, without it, clears the canvas (what every overlay effect does).
pub fn show(canvas: &HtmlCanvasElement, image: Option<(u32, u32, &[u8])>) {
    match image {
        Some((w, h, rgba)) => {
            if let Err(e) = paint(canvas, w, h, rgba) {
                log::warn!("canvas: {e}");
            }
        }
        None => clear(canvas),
    }
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
        .map_err(|e| js_message(&e))?;
    blob.dyn_into::<web_sys::Blob>()
        .map_err(|_| "the canvas could not be encoded as PNG".into())
}
