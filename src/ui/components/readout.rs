//! A panel's readout under its heatmap: the colour bar with the hovered value's tick, the value,
//! and the map's description with its best matches.

use crate::session::overlay::colorbar_rgba;
use crate::session::side::Side;
use crate::ui::actions::export;
use crate::ui::browser::canvas;
use crate::ui::ctx::ctx;
use leptos::html::{Canvas, Img};
use leptos::prelude::*;

/// The readout of `side`'s heatmap (hidden while there is none). `image` and `heat` are the
/// panel's `<img>` and heat canvas, for the download.
#[component]
pub fn Readout(
    /// The panel.
    side: Side,
    /// The panel's image element.
    image: NodeRef<Img>,
    /// The panel's heatmap canvas.
    heat_canvas: NodeRef<Canvas>,
) -> impl IntoView {
    let ctx = ctx();
    let (ui, out) = (ctx.ui, ctx.out);
    let settings = ui.settings;
    let heat = out.heat[side.index()];
    let bar_canvas = NodeRef::<Canvas>::new();
    let id = |what: &str| format!("{}-{what}", side.name());
    Effect::new(move |_| {
        let cmap = settings.with(|s| s.cmap);
        if let Some(c) = bar_canvas.get() {
            canvas::show(&c, Some((256, 1, colorbar_rgba(cmap).as_slice())));
        }
    });
    let segment = move || settings.with(|s| s.mode == crate::session::mode::Mode::Segment);
    let shows_heat = move || heat.with(Option::is_some) && !segment();
    let value_here = move || {
        let cell = ui.hover.get().filter(|(s, _)| *s == side).map(|(_, c)| c)?;
        heat.with(|m| Some((cell, m.as_ref()?.value_at(cell)?)))
    };
    let on_export = move |_| {
        if let (Some(img), Some(c)) = (image.get_untracked(), heat_canvas.get_untracked()) {
            export::heatmap(ctx, side, img, c);
        }
    };
    view! {
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
                    let t = heat.with(|m| m.as_ref().map(|m| m.bar_percent(v)))?;
                    Some(view! { <span class="tick" style:left=format!("{t:.2}%")></span> })
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
                let k = settings.with(|s| s.top_k);
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
        <button
            type="button"
            class="small"
            id=id("heat-json")
            title="The map's values: every cell's cosine with the shown cell"
            on:click=move |_| export::heatmap_values(ctx, side)
        >
            "JSON"
        </button>
    </div>
    }
}
