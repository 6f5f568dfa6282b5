//! Downloads: the heatmap over its image (as shown, at overlay size) and the predicted mask (at
//! the query's own size, object 255, background 0).

use super::canvas::png_blob;
use super::fetch::js_message;
use super::state::Ctx;
use image::ImageEncoder;
use js_sys::{Array, Uint8Array};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, HtmlImageElement};

/// Saves `blob` as `file_name` through a temporary link.
fn download(blob: &web_sys::Blob, file_name: &str) -> Result<(), String> {
    let url = web_sys::Url::create_object_url_with_blob(blob).map_err(|e| js_message(&e))?;
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement = doc
        .create_element("a")
        .map_err(|e| js_message(&e))?
        .dyn_into()
        .map_err(|_| "not an anchor")?;
    a.set_href(&url);
    a.set_download(file_name);
    a.click();
    // The download has its own copy once started; free the URL a little later.
    leptos::prelude::set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        },
        std::time::Duration::from_secs(10),
    );
    Ok(())
}

/// A file name piece without characters that upset file systems.
fn slug(s: &str) -> String {
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

/// Downloads `image` with `heat` over it at the chosen opacity, at the heatmap's size.
pub async fn heatmap_png(
    ctx: Ctx,
    image: HtmlImageElement,
    heat: HtmlCanvasElement,
    file_name: String,
) -> Result<(), String> {
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let out: HtmlCanvasElement = doc
        .create_element("canvas")
        .map_err(|e| js_message(&e))?
        .dyn_into()
        .map_err(|_| "not a canvas")?;
    let (w, h) = (heat.width(), heat.height());
    out.set_width(w);
    out.set_height(h);
    let c2d: CanvasRenderingContext2d = out
        .get_context("2d")
        .map_err(|e| js_message(&e))?
        .ok_or("no 2D canvas")?
        .dyn_into()
        .map_err(|_| "not a 2D context")?;
    c2d.draw_image_with_html_image_element_and_dw_and_dh(&image, 0.0, 0.0, w.into(), h.into())
        .map_err(|e| js_message(&e))?;
    c2d.set_global_alpha(ctx.ui.opacity.get_untracked());
    c2d.draw_image_with_html_canvas_element(&heat, 0.0, 0.0)
        .map_err(|e| js_message(&e))?;
    let blob = png_blob(&out).await?;
    download(&blob, &file_name)
}

/// The name of a heatmap download: images, block and cell.
pub fn heatmap_name(source: &str, target: &str, block: &str, (r, c): (usize, usize)) -> String {
    format!(
        "featsim-{}-{}-{block}-r{r}c{c}.png",
        slug(source),
        slug(target)
    )
}

/// Downloads the last predicted mask as a black/white PNG at the query's size.
pub fn mask_png(ctx: Ctx, query_name: &str) -> Result<(), String> {
    let (w, h, mask) = ctx
        .engine()
        .last_mask()
        .ok_or("there is no predicted mask yet")?;
    let pixels: Vec<u8> = mask.iter().map(|&m| if m { 255 } else { 0 }).collect();
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&pixels, w, h, image::ExtendedColorType::L8)
        .map_err(|e| format!("encoding the mask failed: {e}"))?;
    let parts = Array::of1(&Uint8Array::from(png.as_slice()));
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts).map_err(|e| js_message(&e))?;
    download(&blob, &format!("featsim-mask-{}.png", slug(query_name)))
}
