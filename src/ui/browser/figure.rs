//! Replays a figure's drawing steps (`session::figure`) on a canvas and encodes it as PNG.

use super::canvas::{context, paint, png_blob};
use super::fetch::js_message;
use crate::session::figure::{Figure, Step};
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, HtmlImageElement};

fn new_canvas(width: u32, height: u32) -> Result<HtmlCanvasElement, String> {
    let c: HtmlCanvasElement = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?
        .create_element("canvas")
        .map_err(|e| js_message(&e))?
        .dyn_into()
        .map_err(|_| "not a canvas")?;
    c.set_width(width);
    c.set_height(height);
    Ok(c)
}

/// The photo shown in panel `side` (`left` or `right`), as its `<img>`.
pub fn panel_photo(side: &str) -> Option<HtmlImageElement> {
    web_sys::window()?
        .document()?
        .query_selector(&format!("#{side}-stage img"))
        .ok()??
        .dyn_into()
        .ok()
}

fn draw(
    c2d: &CanvasRenderingContext2d,
    step: &Step,
    photos: &[Option<HtmlImageElement>; 2],
) -> Result<(), String> {
    let js = |r: Result<(), wasm_bindgen::JsValue>| r.map_err(|e| js_message(&e));
    match step {
        Step::Photo { image, at } => {
            let photo = photos
                .get(*image)
                .and_then(Option::as_ref)
                .ok_or("a panel has no image")?;
            js(c2d.draw_image_with_html_image_element_and_dw_and_dh(
                photo, at.left, at.top, at.width, at.height,
            ))?;
        }
        Step::Cells {
            cols,
            rows,
            rgba,
            at,
        } => {
            let raster = new_canvas(*cols, *rows)?;
            paint(&raster, *cols, *rows, rgba)?;
            // Cells stay squares: no smoothing between them.
            c2d.set_image_smoothing_enabled(false);
            let drawn = c2d.draw_image_with_html_canvas_element_and_dw_and_dh(
                &raster, at.left, at.top, at.width, at.height,
            );
            c2d.set_image_smoothing_enabled(true);
            js(drawn)?;
        }
        Step::Fill { at, colour } => {
            c2d.set_fill_style_str(colour);
            c2d.fill_rect(at.left, at.top, at.width, at.height);
        }
        Step::Frame { at, colour, width } => {
            c2d.set_stroke_style_str(colour);
            c2d.set_line_width(*width);
            c2d.stroke_rect(at.left, at.top, at.width, at.height);
        }
        Step::Line {
            points,
            colour,
            width,
        } => {
            c2d.begin_path();
            for (i, &(x, y)) in points.iter().enumerate() {
                if i == 0 {
                    c2d.move_to(x, y);
                } else {
                    c2d.line_to(x, y);
                }
            }
            c2d.set_stroke_style_str(colour);
            c2d.set_line_width(*width);
            c2d.set_line_cap("round");
            c2d.set_line_join("round");
            c2d.stroke();
        }
        Step::Dot { at, radius, colour } => {
            c2d.begin_path();
            js(c2d.arc(at.0, at.1, *radius, 0.0, std::f64::consts::TAU))?;
            c2d.set_fill_style_str(colour);
            c2d.fill();
        }
        Step::Text {
            at,
            text,
            size,
            colour,
        } => {
            c2d.set_font(&format!("{size}px system-ui, sans-serif"));
            c2d.set_fill_style_str(colour);
            js(c2d.fill_text(text, at.0, at.1))?;
        }
    }
    Ok(())
}

/// `figure` drawn (`photos` for its photo steps, left first) and encoded as PNG.
pub async fn png(
    figure: &Figure,
    photos: [Option<HtmlImageElement>; 2],
) -> Result<web_sys::Blob, String> {
    let canvas = new_canvas(figure.width, figure.height)?;
    let c2d = context(&canvas)?;
    c2d.set_fill_style_str(figure.background);
    c2d.fill_rect(0.0, 0.0, figure.width.into(), figure.height.into());
    for step in &figure.steps {
        draw(&c2d, step, &photos)?;
    }
    png_blob(&canvas).await
}
