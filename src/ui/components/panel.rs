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
//! - `#left-pca` / `#right-pca`: the PCA colours (one pixel per cell), with `data-rows`,
//!   `data-cols`, `data-block`, `data-scope` and `data-explained` (the three variance fractions,
//!   comma-separated); absent while not shown.
//! - `.cell.pair` marks, one per correspondence drawn, `data-pair` (its rank from 1) and
//!   `data-cell` (`r,c`).

use super::file_picker::FilePicker;
use super::readout::Readout;
use crate::session::geometry::{
    CellBox, DISPLAY, cell_at, cell_box, centre, grid_path, pair_colour, step_cell,
};
use crate::session::mode::Mode;
use crate::session::overlay::{mask_overlay, painted_rgba};
use crate::session::results::MapView;
use crate::session::side::Side;
use crate::session::views::View;
use crate::ui::actions::images::{load_file, pick_gallery};
use crate::ui::actions::masks::paint_at;
use crate::ui::browser::canvas;
use crate::ui::browser::files::first_file;
use crate::ui::ctx::ctx;
use crate::ui::notify;
use leptos::html::{Canvas, Div, Img};
use leptos::prelude::*;
use web_sys::{DragEvent, KeyboardEvent, PointerEvent};

/// One of the two panels.
#[component]
pub fn Panel(
    /// Which panel: the left one picks cells, the right one shows the map.
    side: Side,
) -> impl IntoView {
    let ctx = ctx();
    let (ui, out) = (ctx.ui, ctx.out);
    let image = ui.images[side.index()];
    let heat = out.heat[side.index()];
    let stage = NodeRef::<Div>::new();
    let heat_canvas = NodeRef::<Canvas>::new();
    let pca_canvas = NodeRef::<Canvas>::new();
    let mask_canvas = NodeRef::<Canvas>::new();
    let paint_canvas = NodeRef::<Canvas>::new();
    let img_ref = NodeRef::<Img>::new();
    let settings = ui.settings;
    let painting = StoredValue::new(false);
    let drag_over = RwSignal::new(false);
    let segment = move || settings.with(|s| s.mode == Mode::Segment);
    // Explore's picture, `None` in segmentation mode.
    let showing = move || settings.with(|s| (s.mode == Mode::Explore).then_some(s.view));
    let pca = move || out.pca.get().filter(|_| showing() == Some(View::Pca));

    // Canvases follow their data.
    Effect::new(move |_| {
        let Some(c) = heat_canvas.get() else { return };
        heat.with(|m| {
            canvas::show(
                &c,
                m.as_ref()
                    .map(|m| (m.heat.width, m.heat.height, m.heat.rgba.as_slice())),
            )
        });
    });
    Effect::new(move |_| {
        let Some(c) = pca_canvas.get() else { return };
        out.pca.with(|p| {
            canvas::show(
                &c,
                p.as_ref().map(|p| {
                    let s = &p.sides[side.index()];
                    (s.cols as u32, s.rows as u32, s.rgba.as_slice())
                }),
            )
        });
    });
    Effect::new(move |_| {
        let Some(c) = mask_canvas.get() else { return };
        match side {
            // The support mask as loaded.
            Side::Left => {
                let class = settings.with(|s| s.class);
                let dims = image.with(|i| i.as_ref().map(|i| i.display_dims(DISPLAY)));
                ui.masks[0].with(|m| match (m, dims) {
                    (Some(m), Some(d)) => {
                        let rgba = mask_overlay(&m.labels, m.class(class), d);
                        canvas::show(&c, Some((d.0, d.1, rgba.as_slice())));
                    }
                    _ => canvas::clear(&c),
                });
            }
            // The prediction (with the ground truth's outline).
            Side::Right => out.seg.with(|s| {
                canvas::show(
                    &c,
                    s.as_ref().map(|s| (s.width, s.height, s.rgba.as_slice())),
                )
            }),
        }
    });
    if side == Side::Left {
        Effect::new(move |_| {
            let Some(c) = paint_canvas.get() else { return };
            ui.painted.with(|p| {
                let g = p.grid as u32;
                canvas::show(&c, Some((g, g, painted_rgba(p).as_slice())));
            });
        });
    }

    // Pointer position → grid cell (the grid spans the whole image).
    let cell_at = move |x: f64, y: f64| {
        let r = stage.get_untracked()?.get_bounding_client_rect();
        if r.width() <= 0.0 || r.height() <= 0.0 {
            return None;
        }
        let (fx, fy) = ((x - r.left()) / r.width(), (y - r.top()) / r.height());
        cell_at(fx, fy, ctx.grid_untracked())
    };
    let paint_at = move |cell| paint_at(ctx, cell);

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
            // Focus for the arrow keys, without scrolling: a page that moved under the pointer
            // between press and the cell lookup would pin another cell.
            let opts = web_sys::FocusOptions::new();
            opts.set_prevent_scroll(true);
            let _ = el.focus_with_options(&opts);
        }
        let Some(cell) = cell_at(ev.client_x().into(), ev.client_y().into()) else {
            return;
        };
        match (settings.with_untracked(|s| s.mode), side) {
            (Mode::Segment, Side::Left) => {
                painting.set_value(true);
                if let Some(el) = stage.get_untracked() {
                    let _ = el.set_pointer_capture(ev.pointer_id());
                }
                paint_at(cell);
            }
            (Mode::Segment, Side::Right) => {}
            (Mode::Explore, _) => settings.update(|s| s.pin = Some((side, cell))),
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
        let (mode, pin) = settings.with_untracked(|s| (s.mode, s.pin));
        if mode != Mode::Explore || image.with_untracked(Option::is_none) {
            return;
        }
        ev.prevent_default();
        let g = ctx.grid_untracked();
        let from = match pin {
            Some((s, cell)) if s == side => cell,
            _ => centre(g),
        };
        let cell = step_cell(from, (dr, dc), g);
        // The keyboard takes over from the pointer's preview.
        ui.hover.set(None);
        settings.update(|s| s.pin = Some((side, cell)));
    };
    let on_drop = move |ev: DragEvent| {
        ev.prevent_default();
        drag_over.set(false);
        match first_file(ev.data_transfer().and_then(|d| d.files())) {
            Some(f) => load_file(ctx, side, f),
            None => notify::error(ctx.out, "Only files can be dropped here."),
        }
    };
    let on_gallery = move |ev: leptos::ev::Event| {
        let file = event_target_value(&ev);
        if !file.is_empty() {
            pick_gallery(ctx, side, file);
        }
    };

    let title = match side {
        Side::Left => "Left · source",
        Side::Right => "Right · target",
    };
    let id = |what: &str| format!("{}-{what}", side.name());
    let grid = move || ctx.grid();
    // Attributes of the heat canvas (test hooks; see the module doc).
    let hattr = move |f: fn(&MapView) -> String| move || heat.with(|m| m.as_deref().map(f));
    let shows_heat = move || heat.with(Option::is_some) && showing() == Some(View::Heatmap);
    let pattr = move |f: fn(&crate::session::results::PcaView, usize) -> String| {
        move || pca().map(|p| f(&p, side.index()))
    };
    let hover_here = move || ui.hover.get().filter(|(s, _)| *s == side).map(|(_, c)| c);
    // Aspect kept; as wide as the panel, but no taller than most of the viewport.
    let stage_style = move || {
        let (w, h) = image
            .with(|i| i.as_ref().map(|i| (i.width, i.height)))
            .unwrap_or((4, 3));
        (
            format!("{w}/{h}"),
            format!("min(100%, calc(60vh * {w} / {h}))"),
        )
    };
    let feature_note = move || {
        let img = image.get()?;
        let size = settings.with(|s| s.size);
        let ms = out.feature_ms.with(|v| {
            v.iter()
                .find(|(k, _)| *k == (img.id, size))
                .map(|(_, ms)| *ms)
        });
        let block = settings.with(|s| s.block);
        // A streamed model's chosen block may not be here yet: say so instead of waiting mutely.
        if let Some(note) = ctx.dev.weights.with(|w| w.block(block).note()) {
            return Some(format!("{} {note}", block.name()));
        }
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
                            image.with(|i| i.as_ref().and_then(|i| i.link.clone()).is_none())
                        }>"Gallery…"</option>
                        <For each=move || ui.gallery.get() key=|g| g.file.clone() let:g>
                            <option
                                value=g.file.clone()
                                prop:selected={
                                    let f = g.file.clone();
                                    move || image.with(|i| i.as_ref().and_then(|i| i.link.as_ref()) == Some(&f))
                                }
                            >
                                {g.title.clone()}
                            </option>
                        </For>
                    </select>
                    <FilePicker
                        id=id("file")
                        label="Open image…"
                        accept="image/*"
                        aria_label=format!("Image file for the {} panel", side.name())
                        on_file=move |f| load_file(ctx, side, f)
                    />
                </div>
            </header>
            <div
                id=id("stage")
                class="stage"
                class:dragging=move || drag_over.get()
                class:source=move || settings.with(|s| s.pin.is_some_and(|(s, _)| s == side))
                class:empty=move || image.with(Option::is_none)
                node_ref=stage
                tabindex="0"
                role="application"
                aria-roledescription="image with a feature grid"
                style:aspect-ratio=move || stage_style().0
                style:width=move || stage_style().1
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
                    // Why the image a link named is not here (not found, another site, not an
                    // image, too large); the panel keeps what it had.
                    out.panel_error[side.index()]
                        .get()
                        .map(|e| view! { <p class="panel-error" role="alert">{e}</p> })
                }}
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
                    style:opacity=move || settings.with(|s| s.opacity).to_string()
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
                    id=id("pca")
                    class="pca"
                    node_ref=pca_canvas
                    aria-label=format!("PCA colours of the {} image's features", side.name())
                    style:opacity=move || settings.with(|s| s.opacity).to_string()
                    style:visibility=move || if pca().is_some() { "visible" } else { "hidden" }
                    data-rows=pattr(|p, i| p.sides[i].rows.to_string())
                    data-cols=pattr(|p, i| p.sides[i].cols.to_string())
                    data-block=pattr(|p, _| p.block.name().to_string())
                    data-scope=pattr(|p, _| p.scope.name().to_string())
                    data-explained=pattr(|p, i| {
                        p.sides[i].explained.map(|e| format!("{e:.6}")).join(",")
                    })
                ></canvas>
                <canvas
                    id=id("mask")
                    class="mask"
                    node_ref=mask_canvas
                    aria-label=match side {
                        Side::Left => "The object's mask on the left image",
                        Side::Right => "The predicted mask on the right image",
                    }
                    style:opacity=move || (0.35 + 0.65 * settings.with(|s| s.opacity)).to_string()
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
                        .map(|c| {
                            let b = cell_box(c, grid());
                            view! {
                                <div
                                    class="cell hover"
                                    style:left=CellBox::pct(b.left)
                                    style:top=CellBox::pct(b.top)
                                    style:width=CellBox::pct(b.size)
                                    style:height=CellBox::pct(b.size)
                                ></div>
                            }
                        })
                }}
                {move || {
                    settings
                        .with(|s| s.pin)
                        .filter(|(s, _)| *s == side && !segment())
                        .map(|(_, c)| {
                            let b = cell_box(c, grid());
                            view! {
                                <div
                                    class="cell pin"
                                    style:left=CellBox::pct(b.left)
                                    style:top=CellBox::pct(b.top)
                                    style:width=CellBox::pct(b.size)
                                    style:height=CellBox::pct(b.size)
                                    title=format!("pinned cell ({}, {})", c.0, c.1)
                                ></div>
                            }
                        })
                }}
                {move || {
                    if !shows_heat() {
                        return Vec::new();
                    }
                    let k = settings.with(|s| s.top_k);
                    heat.with(|m| {
                        m.as_ref()
                            .map(|m| {
                                m.heat
                                    .top_k(k)
                                    .into_iter()
                                    .enumerate()
                                    .map(|(i, (r, c, v))| {
                                        let b = cell_box((r, c), m.heat.rows);
                                        view! {
                                            <div
                                                class="cell top"
                                                style:left=CellBox::pct(b.left)
                                                style:top=CellBox::pct(b.top)
                                                style:width=CellBox::pct(b.size)
                                                style:height=CellBox::pct(b.size)
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
                    if showing() != Some(View::Pairs) {
                        return Vec::new();
                    }
                    let n = settings.with(|s| s.pairs);
                    out.pairs
                        .with(|v| {
                            v.as_ref()
                                .map(|v| {
                                    let (_, cols) = v.grids[side.index()];
                                    v.pairs
                                        .iter()
                                        .take(n)
                                        .enumerate()
                                        .map(|(i, p)| {
                                            let (l, r) = v.cells(p);
                                            let cell = match side {
                                                Side::Left => l,
                                                Side::Right => r,
                                            };
                                            let b = cell_box(cell, cols);
                                            view! {
                                                <div
                                                    class="cell pair"
                                                    style:left=CellBox::pct(b.left)
                                                    style:top=CellBox::pct(b.top)
                                                    style:width=CellBox::pct(b.size)
                                                    style:height=CellBox::pct(b.size)
                                                    style:border-color=pair_colour(i)
                                                    title=format!(
                                                        "pair {}: ({}, {}), cosine {:.3}",
                                                        i + 1,
                                                        cell.0,
                                                        cell.1,
                                                        p.similarity
                                                    )
                                                    data-pair=(i + 1).to_string()
                                                    data-cell=format!("{},{}", cell.0, cell.1)
                                                ></div>
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
                <Readout side=side image=img_ref heat_canvas=heat_canvas/>
            </div>
        </section>
    }
}
