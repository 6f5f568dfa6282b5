//! One panel: an image with its overlays (heatmap, masks, painted cells, the feature grid, the
//! hovered, pinned and best-matching cells), its pickers, colour bar and readouts.
//!
//! Test hooks (read by tests/e2e; keep them stable):
//! - `#left-stage` / `#right-stage`: the interactive area over the image; `data-rows`,
//!   `data-cols` (grid of the current block), `data-image` (file name, absent when empty).
//! - `#left-heat` / `#right-heat`: the heatmap canvas over that panel's image, with `data-values`
//!   (JSON array of the grid's cosines, row-major), `data-rows`, `data-cols`, `data-cell`
//!   (`r,c` of the source cell), `data-source` (`left`/`right`), `data-block`, `data-size`,
//!   `data-image`, `data-model` (model name) and `data-pinned` (`true` for the pinned cell,
//!   `false` for a hover preview);
//!   the attributes are absent while the panel shows no heatmap.
//! - `#left-file` / `#right-file`: the image file inputs; `#left-gallery` / `#right-gallery`.
//! - `.cell.top` marks (one per best match), `.cell.pin` (the pinned cell).

use super::canvas;
use super::engine::kick;
use super::export;
use super::images::{first_file, load_file, load_gallery, same_on_both};
use super::state::{DISPLAY, MaskKind, Mode, Painted, Side, ctx};
use crate::masks::class_mask;
use crate::segment::cell_coverage;
use leptos::html::{Canvas, Div, Img, Input};
use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::{DragEvent, KeyboardEvent, PointerEvent};

/// CSS for a cell-sized box at (`r`, `c`) of a `g`×`g` grid, in percent of the stage.
fn cell_box((r, c): (usize, usize), g: usize) -> String {
    let s = 100.0 / g.max(1) as f64;
    format!(
        "left:{:.4}%;top:{:.4}%;width:{s:.4}%;height:{s:.4}%",
        c as f64 * s,
        r as f64 * s
    )
}

/// An SVG path of the grid's inner lines in a `g`×`g` view box.
fn grid_path(g: usize) -> String {
    let mut d = String::new();
    for i in 1..g {
        d.push_str(&format!("M{i} 0V{g}M0 {i}H{g}"));
    }
    d
}

/// One of the two panels.
#[component]
pub fn Panel(side: Side) -> impl IntoView {
    let ctx = ctx();
    let (ui, out) = (ctx.ui, ctx.out);
    let image = ui.images[side.index()];
    let heat = out.heat[side.index()];
    let stage = NodeRef::<Div>::new();
    let heat_canvas = NodeRef::<Canvas>::new();
    let mask_canvas = NodeRef::<Canvas>::new();
    let paint_canvas = NodeRef::<Canvas>::new();
    let bar_canvas = NodeRef::<Canvas>::new();
    let img_ref = NodeRef::<Img>::new();
    let file_input = NodeRef::<Input>::new();
    let painting = StoredValue::new(false);
    let drag_over = RwSignal::new(false);
    let segment = move || ui.mode.get() == Mode::Segment;

    // Canvases follow their data.
    Effect::new(move |_| {
        let Some(c) = heat_canvas.get() else { return };
        heat.with(|m| match m {
            Some(m) => {
                if let Err(e) = canvas::paint(&c, m.heat.width, m.heat.height, &m.heat.rgba) {
                    log::warn!("heatmap canvas: {e}");
                }
            }
            None => canvas::clear(&c),
        });
    });
    Effect::new(move |_| {
        let cmap = ui.cmap.get();
        if let Some(c) = bar_canvas.get() {
            let _ = canvas::paint(&c, 256, 1, &canvas::colorbar_rgba(cmap));
        }
    });
    Effect::new(move |_| {
        let Some(c) = mask_canvas.get() else { return };
        match side {
            // The support mask as loaded.
            Side::Left => {
                let info = ui.masks[0].get();
                let chosen = ui.class.get();
                let img = image.get();
                match (info, img, ctx.engine().mask(Side::Left)) {
                    (Some(info), Some(img), Some(labels)) => {
                        let class = match &info.kind {
                            MaskKind::Binary => 1,
                            MaskKind::Classes(c) => {
                                chosen.or_else(|| c.first().map(|x| x.0)).unwrap_or(1)
                            }
                        };
                        let dims = img.display_dims(DISPLAY);
                        let _ = canvas::paint(
                            &c,
                            dims.0,
                            dims.1,
                            &canvas::mask_overlay(&labels, class, dims),
                        );
                    }
                    _ => canvas::clear(&c),
                }
            }
            // The prediction (with the ground truth's outline).
            Side::Right => out.seg.with(|s| match s {
                Some(s) => {
                    let _ = canvas::paint(&c, s.width, s.height, &s.rgba);
                }
                None => canvas::clear(&c),
            }),
        }
    });
    if side == Side::Left {
        Effect::new(move |_| {
            let Some(c) = paint_canvas.get() else { return };
            ui.painted.with(|p| {
                let _ = canvas::paint(&c, p.grid as u32, p.grid as u32, &canvas::painted_rgba(p));
            });
        });
    }

    // Pointer position → grid cell (the grid spans the whole image).
    let cell_at = move |x: f64, y: f64| -> Option<(usize, usize)> {
        let el = stage.get_untracked()?;
        let r = el.get_bounding_client_rect();
        if r.width() <= 0.0 || r.height() <= 0.0 {
            return None;
        }
        let (fx, fy) = ((x - r.left()) / r.width(), (y - r.top()) / r.height());
        if !(0.0..1.0).contains(&fx) || !(0.0..1.0).contains(&fy) {
            return None;
        }
        let g = ctx.grid_untracked();
        Some((
            ((fy * g as f64) as usize).min(g - 1),
            ((fx * g as f64) as usize).min(g - 1),
        ))
    };
    // Painting: a square brush of `size` cells; a loaded support mask becomes painted cells first.
    let paint_at = move |(r, c): (usize, usize)| {
        let brush = ui.brush.get_untracked();
        let g = ctx.grid_untracked();
        if let Some(info) = ui.masks[0].get_untracked() {
            let e = ctx.engine();
            let mut p = Painted::empty(g);
            if let Some(labels) = e.mask(Side::Left) {
                let class = match &info.kind {
                    MaskKind::Binary => 1,
                    MaskKind::Classes(cl) => ui
                        .class
                        .get_untracked()
                        .or_else(|| cl.first().map(|x| x.0))
                        .unwrap_or(1),
                };
                let cov = cell_coverage(&class_mask(&labels, class), ui.size.get_untracked(), g);
                p.cells = cov.iter().map(|&v| v >= 0.5).collect();
            }
            e.set_mask(Side::Left, None);
            ui.masks[0].set(None);
            ui.painted.set(p);
        }
        let half = (brush.size.max(1) - 1) / 2;
        ui.painted.update(|p| {
            if p.grid != g {
                *p = p.regrid(g);
            }
            for rr in r.saturating_sub(half)..(r.saturating_sub(half) + brush.size.max(1)).min(g) {
                for cc in
                    c.saturating_sub(half)..(c.saturating_sub(half) + brush.size.max(1)).min(g)
                {
                    p.cells[rr * g + cc] = !brush.erase;
                }
            }
        });
    };

    let on_move = move |ev: PointerEvent| {
        if image.with_untracked(Option::is_none) {
            return;
        }
        let Some(cell) = cell_at(ev.client_x().into(), ev.client_y().into()) else {
            return;
        };
        if ui.hover.get_untracked() != Some((side, cell)) {
            ui.hover.set(Some((side, cell)));
        }
        if painting.get_value() {
            paint_at(cell);
        }
    };
    let on_leave = move |_| {
        painting.set_value(false);
        if ui.hover.get_untracked().is_some_and(|(s, _)| s == side) {
            ui.hover.set(None);
        }
    };
    let on_down = move |ev: PointerEvent| {
        if image.with_untracked(Option::is_none) || ev.button() != 0 {
            return;
        }
        ev.prevent_default();
        if let Some(el) = stage.get_untracked() {
            let _ = el.focus();
        }
        let Some(cell) = cell_at(ev.client_x().into(), ev.client_y().into()) else {
            return;
        };
        match (ui.mode.get_untracked(), side) {
            (Mode::Segment, Side::Left) => {
                painting.set_value(true);
                if let Some(el) = stage.get_untracked() {
                    let _ = el.set_pointer_capture(ev.pointer_id());
                }
                paint_at(cell);
            }
            (Mode::Segment, Side::Right) => {}
            (Mode::Explore, _) => ui.pin.set(Some((side, cell))),
        }
    };
    let on_up = move |_| painting.set_value(false);
    let on_key = move |ev: KeyboardEvent| {
        let (dr, dc) = match ev.key().as_str() {
            "ArrowUp" => (-1, 0),
            "ArrowDown" => (1, 0),
            "ArrowLeft" => (0, -1),
            "ArrowRight" => (0, 1),
            _ => return,
        };
        if ui.mode.get_untracked() != Mode::Explore || image.with_untracked(Option::is_none) {
            return;
        }
        ev.prevent_default();
        let g = ctx.grid_untracked() as i64;
        let (r, c) = match ui.pin.get_untracked() {
            Some((s, cell)) if s == side => cell,
            _ => ((g / 2) as usize, (g / 2) as usize),
        };
        let cell = (
            (r as i64 + dr).clamp(0, g - 1) as usize,
            (c as i64 + dc).clamp(0, g - 1) as usize,
        );
        // The keyboard takes over from the pointer's preview.
        ui.hover.set(None);
        ui.pin.set(Some((side, cell)));
    };
    let on_drop = move |ev: DragEvent| {
        ev.prevent_default();
        drag_over.set(false);
        match first_file(ev.data_transfer().and_then(|d| d.files())) {
            Some(f) => load_file(ctx, side, f),
            None => super::errors::error(ctx, "Only files can be dropped here."),
        }
    };
    let on_file = move |_| {
        let Some(input) = file_input.get_untracked() else {
            return;
        };
        if let Some(f) = first_file(input.files()) {
            load_file(ctx, side, f);
        }
        input.set_value("");
    };
    let on_gallery = move |ev: leptos::ev::Event| {
        let file = event_target_value(&ev);
        if file.is_empty() {
            return;
        }
        // The other panel's gallery image: share it (and its features).
        let other = ui.images[side.other().index()].get_untracked();
        if other.as_ref().and_then(|o| o.gallery.as_deref()) == Some(file.as_str()) {
            same_on_both(ctx, side.other());
        } else {
            load_gallery(ctx, side, file);
        }
    };
    let on_export = move |_| {
        let (Some(img), Some(c)) = (img_ref.get_untracked(), heat_canvas.get_untracked()) else {
            return;
        };
        let Some(m) = heat.get_untracked() else {
            return;
        };
        let source = ui.images[m.source.index()]
            .get_untracked()
            .map(|i| i.name)
            .unwrap_or_default();
        let name = export::heatmap_name(&source, &m.image, m.block.name(), m.cell);
        spawn_local(async move {
            if let Err(e) = export::heatmap_png(ctx, img, c, name).await {
                super::errors::error(ctx, e);
            }
        });
    };

    let title = match side {
        Side::Left => "Left · source",
        Side::Right => "Right · target",
    };
    let id = |what: &str| format!("{}-{what}", side.name());
    let grid = move || ctx.grid();
    // Attributes of the heat canvas (test hooks; see the module doc).
    let hattr =
        move |f: fn(&super::state::MapView) -> String| move || heat.with(|m| m.as_deref().map(f));
    let shows_heat = move || heat.with(Option::is_some) && !segment();
    let hover_here = move || ui.hover.get().filter(|(s, _)| *s == side).map(|(_, c)| c);
    let value_here = move || {
        let cell = hover_here()?;
        heat.with(|m| {
            let m = m.as_ref()?;
            (cell.0 < m.heat.rows && cell.1 < m.heat.cols)
                .then(|| (cell, m.heat.at(cell.0, cell.1)))
        })
    };
    // Aspect kept; as wide as the panel, but no taller than most of the viewport.
    let stage_style = move || {
        let (w, h) = image
            .with(|i| i.as_ref().map(|i| (i.width, i.height)))
            .unwrap_or((4, 3));
        format!("aspect-ratio:{w}/{h};width:min(100%, calc(60vh * {w} / {h}))")
    };
    let feature_note = move || {
        let img = image.get()?;
        let size = ui.size.get();
        let ms = out.feature_ms.with(|v| {
            v.iter()
                .find(|(k, _)| *k == (img.id, size))
                .map(|(_, ms)| *ms)
        });
        Some(match ms {
            Some(ms) => format!("features {:.1} s", ms / 1000.0),
            None => "features not computed yet".into(),
        })
    };

    view! {
        <section class="panel" class:segment=segment aria-labelledby=id("title")>
            <header class="panel-head">
                <h2 id=id("title")>{title}</h2>
                <div class="pickers">
                    <label class="visually-hidden" for=id("gallery")>
                        {format!("Gallery image for the {} panel", side.name())}
                    </label>
                    <select id=id("gallery") on:change=on_gallery>
                        <option value="" prop:selected=move || {
                            image.with(|i| i.as_ref().and_then(|i| i.gallery.clone()).is_none())
                        }>"Gallery…"</option>
                        <For each=move || ui.gallery.get() key=|g| g.file.clone() let:g>
                            <option
                                value=g.file.clone()
                                prop:selected={
                                    let f = g.file.clone();
                                    move || image.with(|i| i.as_ref().and_then(|i| i.gallery.as_ref()) == Some(&f))
                                }
                            >
                                {g.title.clone()}
                            </option>
                        </For>
                    </select>
                    <button
                        type="button"
                        on:click=move |_| {
                            if let Some(i) = file_input.get_untracked() {
                                i.click();
                            }
                        }
                    >
                        "Open image…"
                    </button>
                    <input
                        id=id("file")
                        class="visually-hidden"
                        type="file"
                        tabindex="-1"
                        accept="image/*"
                        aria-label=format!("Image file for the {} panel", side.name())
                        node_ref=file_input
                        on:change=on_file
                    />
                </div>
            </header>
            <div
                id=id("stage")
                class="stage"
                class:dragging=move || drag_over.get()
                class:source=move || ui.pin.get().is_some_and(|(s, _)| s == side)
                class:empty=move || image.with(Option::is_none)
                node_ref=stage
                tabindex="0"
                role="application"
                aria-roledescription="image with a feature grid"
                style=stage_style
                aria-label=move || {
                    let name = image.with(|i| i.as_ref().map(|i| i.name.clone()));
                    match (name, side) {
                        (None, _) => format!("Empty {} panel: drop, paste or open an image", side.name()),
                        (Some(n), Side::Left) => format!(
                            "{n}: point at a cell to compare it, click to pin it, arrow keys move the pinned cell"
                        ),
                        (Some(n), Side::Right) => format!(
                            "{n}: the heatmap of the pinned cell; click a cell to compare the other way"
                        ),
                    }
                }
                data-rows=move || grid().to_string()
                data-cols=move || grid().to_string()
                data-image=move || image.with(|i| i.as_ref().map(|i| i.name.clone()))
                on:pointermove=on_move
                on:pointerleave=on_leave
                on:pointerdown=on_down
                on:pointerup=on_up
                on:pointercancel=on_up
                on:keydown=on_key
                on:focus=move |_| ui.paste_side.set(side)
                on:pointerenter=move |_| ui.paste_side.set(side)
                on:dragover=move |ev: DragEvent| {
                    ev.prevent_default();
                    drag_over.set(true);
                }
                on:dragleave=move |_| drag_over.set(false)
                on:drop=on_drop
            >
                {move || {
                    image
                        .get()
                        .map(|i| {
                            view! {
                                <img
                                    node_ref=img_ref
                                    src=i.url.clone()
                                    alt=i.name.clone()
                                    draggable="false"
                                />
                            }
                        })
                }}
                <canvas
                    id=id("heat")
                    class="heat"
                    node_ref=heat_canvas
                    aria-label=format!("Similarity heatmap over the {} image", side.name())
                    style:opacity=move || ui.opacity.get().to_string()
                    style:visibility=move || if shows_heat() { "visible" } else { "hidden" }
                    data-values=hattr(|m| serde_json::to_string(&m.heat.values).unwrap_or_default())
                    data-rows=hattr(|m| m.heat.rows.to_string())
                    data-cols=hattr(|m| m.heat.cols.to_string())
                    data-cell=hattr(|m| format!("{},{}", m.cell.0, m.cell.1))
                    data-source=hattr(|m| m.source.name().to_string())
                    data-block=hattr(|m| m.block.name().to_string())
                    data-size=hattr(|m| m.size.to_string())
                    data-image=hattr(|m| m.image.clone())
                    data-pinned=hattr(|m| m.pinned.to_string())
                    data-model=hattr(|m| m.model.clone())
                ></canvas>
                <canvas
                    id=id("mask")
                    class="mask"
                    node_ref=mask_canvas
                    aria-label=match side {
                        Side::Left => "The object's mask on the left image",
                        Side::Right => "The predicted mask on the right image",
                    }
                    style:opacity=move || (0.35 + 0.65 * ui.opacity.get()).to_string()
                    style:visibility=move || if segment() { "visible" } else { "hidden" }
                ></canvas>
                {(side == Side::Left)
                    .then(|| {
                        view! {
                            <canvas
                                id="left-paint"
                                class="paint"
                                node_ref=paint_canvas
                                aria-label="Painted cells"
                                style:visibility=move || if segment() { "visible" } else { "hidden" }
                            ></canvas>
                        }
                    })}
                <svg
                    class="grid-lines"
                    aria-hidden="true"
                    viewBox=move || format!("0 0 {0} {0}", grid())
                    preserveAspectRatio="none"
                >
                    <path d=move || grid_path(grid()) vector-effect="non-scaling-stroke"></path>
                </svg>
                {move || {
                    hover_here()
                        .filter(|_| image.with(Option::is_some))
                        .map(|c| view! { <div class="cell hover" style=cell_box(c, grid())></div> })
                }}
                {move || {
                    ui.pin
                        .get()
                        .filter(|(s, _)| *s == side && !segment())
                        .map(|(_, c)| {
                            view! {
                                <div
                                    class="cell pin"
                                    style=cell_box(c, grid())
                                    title=format!("pinned cell ({}, {})", c.0, c.1)
                                ></div>
                            }
                        })
                }}
                {move || {
                    if !shows_heat() {
                        return Vec::new();
                    }
                    let k = ui.top_k.get();
                    heat.with(|m| {
                        m.as_ref()
                            .map(|m| {
                                m.heat
                                    .top_k(k)
                                    .into_iter()
                                    .enumerate()
                                    .map(|(i, (r, c, v))| {
                                        view! {
                                            <div
                                                class="cell top"
                                                style=cell_box((r, c), m.heat.rows)
                                                title=format!("match {}: ({r}, {c}) = {v:.3}", i + 1)
                                                data-cell=format!("{r},{c}")
                                            >
                                                {(m.heat.rows <= 32).then(|| view! { <span>{i + 1}</span> })}
                                            </div>
                                        }
                                    })
                                    .collect::<Vec<_>>()
                            })
                            .unwrap_or_default()
                    })
                }}
                {move || {
                    image
                        .with(Option::is_none)
                        .then(|| {
                            view! {
                                <p class="placeholder">
                                    "Drop an image here, paste one, or use “Open image…”"
                                </p>
                            }
                        })
                }}
            </div>
            <div class="panel-foot">
                <p class="caption">
                    {move || {
                        image
                            .get()
                            .map(|i| format!("{} · {}×{}", i.name, i.width, i.height))
                            .unwrap_or_else(|| "no image".into())
                    }}
                    {move || feature_note().map(|n| view! { <span class="muted">{format!(" · {n}")}</span> })}
                </p>
                <div class="readout" hidden=move || !shows_heat()>
                    <div class="colorbar">
                        <span class="lo">
                            {move || heat.with(|m| m.as_ref().map(|m| format!("{:.2}", m.heat.lo)))}
                        </span>
                        <div class="bar-wrap">
                            <canvas
                                class="bar"
                                node_ref=bar_canvas
                                width="256"
                                height="1"
                                aria-label="Colour scale from the low to the high end of the value range"
                            ></canvas>
                            {move || {
                                let (_, v) = value_here()?;
                                let (lo, hi) = heat.with(|m| m.as_ref().map(|m| (m.heat.lo, m.heat.hi)))?;
                                let t = ((v - lo) / (hi - lo)).clamp(0.0, 1.0) * 100.0;
                                Some(view! { <span class="tick" style=format!("left:{t:.2}%")></span> })
                            }}
                        </div>
                        <span class="hi">
                            {move || heat.with(|m| m.as_ref().map(|m| format!("{:.2}", m.heat.hi)))}
                        </span>
                    </div>
                    <p class="value" id=id("value") aria-live="polite">
                        {move || match value_here() {
                            Some(((r, c), v)) => format!("cell ({r}, {c}): {v:.3}"),
                            None => "point at the heatmap to read a value".into(),
                        }}
                    </p>
                    <p class="matches">
                        {move || {
                            let k = ui.top_k.get();
                            heat.with(|m| {
                                m.as_ref().map(|m| {
                                    let best = m
                                        .heat
                                        .top_k(k)
                                        .into_iter()
                                        .map(|(r, c, v)| format!("({r}, {c}) {v:.3}"))
                                        .collect::<Vec<_>>()
                                        .join(" · ");
                                    format!(
                                        "{} · {}×{} · {} of cell ({}, {}) on the {} · {:.0} ms{}{}",
                                        m.block.name(),
                                        m.heat.rows,
                                        m.heat.cols,
                                        if m.pinned { "pinned" } else { "preview" },
                                        m.cell.0,
                                        m.cell.1,
                                        m.source.name(),
                                        m.millis,
                                        if best.is_empty() { "" } else { " · best: " },
                                        best
                                    )
                                })
                            })
                        }}
                    </p>
                    <button type="button" class="small" on:click=on_export>
                        "Download heatmap PNG"
                    </button>
                </div>
            </div>
        </section>
    }
}

/// The buttons between the panels.
#[component]
pub fn Between() -> impl IntoView {
    let ctx = ctx();
    view! {
        <div class="between" role="group" aria-label="Both panels">
            <button
                type="button"
                id="same-image"
                title="Show the left image on the right too (self-similarity)"
                on:click=move |_| same_on_both(ctx, Side::Left)
            >
                "Same image →"
            </button>
            <button
                type="button"
                id="swap"
                title="Exchange the two images"
                on:click=move |_| {
                    super::images::swap(ctx);
                    kick(ctx);
                }
            >
                "⇄ Swap"
            </button>
        </div>
    }
}
