//! Downloads: the heatmap over its image (as shown, at overlay size) and its values, the
//! predicted mask (at the query's own size, object 255, background 0), and each view's figure
//! (PNG, drawn from `session::figure`) and numbers (JSON).

use crate::session::export::{
    curve_json, heatmap_json, heatmap_name, mask_name, mask_png, pairs_json, pca_json, pca_png,
    view_name, why_json,
};
use crate::session::figure::{self, Figure};
use crate::session::side::Side;
use crate::ui::browser::canvas::png_blob;
use crate::ui::browser::download::{blob, save};
use crate::ui::browser::fetch::js_message;
use crate::ui::browser::figure::{panel_photo, png as figure_png};
use crate::ui::ctx::Ctx;
use crate::ui::notify;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, HtmlImageElement};

/// Downloads `side`'s heatmap over `image` at the chosen opacity, at the heatmap's size.
pub fn heatmap(ctx: Ctx, side: Side, image: HtmlImageElement, heat: HtmlCanvasElement) {
    let Some(m) = ctx.out.heat[side.index()].get_untracked() else {
        return;
    };
    let source = ctx.ui.images[m.source.index()]
        .with_untracked(|i| i.as_ref().map(|i| i.name.clone()))
        .unwrap_or_default();
    let name = heatmap_name(&source, &m.image, m.block.name(), m.cell, "png");
    let opacity = ctx.ui.settings.with_untracked(|s| s.opacity);
    spawn_local(async move {
        if let Err(e) = heatmap_png(image, heat, opacity, name).await {
            notify::error(ctx.out, e);
        }
    });
}

async fn heatmap_png(
    image: HtmlImageElement,
    heat: HtmlCanvasElement,
    opacity: f64,
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
    c2d.set_global_alpha(opacity);
    c2d.draw_image_with_html_canvas_element(&heat, 0.0, 0.0)
        .map_err(|e| js_message(&e))?;
    let blob = png_blob(&out).await?;
    save(&blob, &file_name)
}

/// Downloads the last predicted mask as a black/white PNG at the query's size.
pub fn mask(ctx: Ctx) {
    let query = ctx.ui.images[1]
        .with_untracked(|i| i.as_ref().map(|i| i.name.clone()))
        .unwrap_or_default();
    let saved = ctx
        .engine()
        .last_mask()
        .ok_or_else(|| "there is no predicted mask yet".to_owned())
        .and_then(|m| mask_png(&m))
        .and_then(|png| save(&blob(&png)?, &mask_name(&query)));
    if let Err(e) = saved {
        notify::error(ctx.out, e);
    }
}

/// Bakes the current view into a bundle and downloads it as a zip (`actions::bundle::bake_view`).
pub fn download_bundle(ctx: Ctx) {
    spawn_local(async move {
        let result = match super::bundle::bake_view(ctx).await {
            Ok((name, zip)) => blob(&zip).and_then(|b| save(&b, &name)),
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            notify::error(ctx.out, format!("Download bundle: {e}"));
        }
    });
}

/// The two images' names, left first (empty for a missing one).
fn image_names(ctx: Ctx) -> [String; 2] {
    ctx.ui
        .images
        .map(|i| i.with_untracked(|i| i.as_ref().map(|i| i.name.clone()).unwrap_or_default()))
}

/// Downloads each panel's PCA colours as a PNG (one file per panel).
pub fn pca_pngs(ctx: Ctx) {
    let Some(v) = ctx.out.pca.get_untracked() else {
        return;
    };
    let names = image_names(ctx);
    for (side, label) in v.sides.iter().zip(["left", "right"]) {
        let file = view_name(
            &format!("pca-{label}"),
            [&names[0], &names[1]],
            v.block.name(),
            "png",
        );
        if let Err(e) = pca_png(side).and_then(|png| save(&blob(&png)?, &file)) {
            notify::error(ctx.out, e);
        }
    }
}

/// Downloads `figure` as PNG under `file`, drawn over the panels' photos.
fn save_figure(ctx: Ctx, figure: Figure, file: String) {
    spawn_local(async move {
        let photos = [panel_photo("left"), panel_photo("right")];
        let saved = match figure_png(&figure, photos).await {
            Ok(png) => save(&png, &file),
            Err(e) => Err(e),
        };
        if let Err(e) = saved {
            notify::error(ctx.out, format!("PNG download: {e}"));
        }
    });
}

/// The two images' pixel sizes, left first (1×1 for a missing one).
fn image_sizes(ctx: Ctx) -> [(u32, u32); 2] {
    ctx.ui
        .images
        .map(|i| i.with_untracked(|i| i.as_ref().map_or((1, 1), |i| (i.width, i.height))))
}

/// Downloads the correspondences drawn as a PNG: both photos side by side, the lines between.
pub fn pairs_png(ctx: Ctx) {
    let Some(v) = ctx.out.pairs.get_untracked() else {
        return notify::error(ctx.out, "there are no correspondences yet");
    };
    let names = image_names(ctx);
    let n = ctx.ui.settings.with_untracked(|s| s.pairs);
    let fig = figure::pairs(&v, n, image_sizes(ctx), [&names[0], &names[1]]);
    let file = view_name("pairs", [&names[0], &names[1]], v.block.name(), "png");
    save_figure(ctx, fig, file);
}

/// Downloads the IoU curve (with the histogram, the cut and the best point) as a PNG.
pub fn curve_png(ctx: Ctx) {
    let names = image_names(ctx);
    let Some((fig, method)) = ctx
        .out
        .seg
        .get_untracked()
        .and_then(|v| Some((figure::curve(&v, &names[1])?, v.method.name())))
    else {
        return notify::error(ctx.out, "there is no IoU curve yet");
    };
    let file = view_name("iou-curve", [&names[0], &names[1]], method, "png");
    save_figure(ctx, fig, file);
}

/// Downloads "why alike" as a PNG: the photos with both cells framed, a row per channel.
pub fn why_png(ctx: Ctx) {
    let Some(w) = ctx.out.why.get_untracked() else {
        return notify::error(ctx.out, "pin a cell first");
    };
    let names = image_names(ctx);
    let fig = figure::why(&w, [&names[0], &names[1]]);
    let file = view_name("why", [&names[0], &names[1]], w.block.name(), "png");
    save_figure(ctx, fig, file);
}

/// Downloads `json` as `file`.
fn save_json(ctx: Ctx, json: &str, file: &str) {
    if let Err(e) = blob(json.as_bytes()).and_then(|b| save(&b, file)) {
        notify::error(ctx.out, e);
    }
}

/// Downloads "why alike" as JSON (cells, cosine, channels and their shares).
pub fn why_json_file(ctx: Ctx) {
    let Some(w) = ctx.out.why.get_untracked() else {
        return notify::error(ctx.out, "pin a cell first");
    };
    let names = image_names(ctx);
    let images = [names[0].as_str(), names[1].as_str()];
    let file = view_name("why", images, w.block.name(), "json");
    save_json(ctx, &why_json(&w, images), &file);
}

/// Downloads `side`'s heatmap values as JSON (the cell, the grid, every cell's cosine).
pub fn heatmap_values(ctx: Ctx, side: Side) {
    let Some(m) = ctx.out.heat[side.index()].get_untracked() else {
        return;
    };
    let source = image_names(ctx)[m.source.index()].clone();
    let file = heatmap_name(&source, &m.image, m.block.name(), m.cell, "json");
    save_json(ctx, &heatmap_json(&m, &source), &file);
}

/// Downloads the shown view's numbers as JSON: the PCA scores, the correspondences drawn, or
/// the IoU curve.
pub fn view_json(ctx: Ctx) {
    let names = image_names(ctx);
    let images = [names[0].as_str(), names[1].as_str()];
    let (mode, view, n) = ctx
        .ui
        .settings
        .with_untracked(|s| (s.mode, s.view, s.pairs));
    let made = match (mode, view) {
        (crate::session::mode::Mode::Segment, _) => ctx
            .out
            .seg
            .get_untracked()
            .and_then(|v| Some((curve_json(&v)?, v.method.name())))
            .map(|(j, method)| (j, view_name("iou-curve", images, method, "json"))),
        (_, crate::session::views::View::Pca) => ctx.out.pca.get_untracked().map(|v| {
            (
                pca_json(&v, images),
                view_name("pca", images, v.block.name(), "json"),
            )
        }),
        (_, crate::session::views::View::Pairs) => ctx.out.pairs.get_untracked().map(|v| {
            (
                pairs_json(&v, n, images),
                view_name("pairs", images, v.block.name(), "json"),
            )
        }),
        _ => None,
    };
    let Some((json, file)) = made else {
        return notify::error(ctx.out, "nothing to download yet");
    };
    save_json(ctx, &json, &file);
}
