//! "Why alike": the channels that carry most of the cosine of the pinned cell and the other
//! panel's cell under the pointer (else its best match), each with where it is active in both
//! images — the "building blocks" view, live.
//!
//! Test hooks: `#why` with `data-cell` and `data-other` (`r,c`), `data-cosine`, `data-channels`
//! and `data-shares` (comma-separated, largest share first); `#why-png`, `#why-json`.

use crate::session::results::WhyView;
use crate::session::side::Side;
use crate::ui::actions::export;
use crate::ui::browser::canvas;
use crate::ui::ctx::ctx;
use leptos::html::Canvas;
use leptos::prelude::*;

/// One channel's values over one grid, one pixel per cell.
#[component]
fn Thumb(rows: usize, cols: usize, rgba: Vec<u8>, label: String) -> impl IntoView {
    let node = NodeRef::<Canvas>::new();
    Effect::new(move |_| {
        if let Some(c) = node.get() {
            canvas::show(&c, Some((cols as u32, rows as u32, rgba.as_slice())));
        }
    });
    view! { <canvas class="thumb" node_ref=node aria-label=label.clone() title=label></canvas> }
}

fn summary(w: &WhyView) -> String {
    let side = |s: Side, (r, c): (usize, usize)| format!("{} ({r}, {c})", s.name());
    let carried: f32 = w.channels.iter().map(|c| c.share).sum();
    format!(
        "{} ↔ {}{}, cosine {:.3}: these {} of {} channels carry {:.0} % of it.",
        side(w.source, w.cell),
        side(w.source.other(), w.other),
        if w.hovered {
            ""
        } else {
            " (best match; point at a cell to ask about it)"
        },
        w.cosine,
        w.channels.len(),
        w.channels_in_block,
        if w.cosine.abs() > 1e-6 {
            100.0 * carried / w.cosine
        } else {
            0.0
        },
    )
}

/// The panel (shown in the heatmap view with a pinned cell).
#[component]
pub fn WhyAlikePanel() -> impl IntoView {
    let ctx = ctx();
    let why = ctx.out.why;
    let attr = move |f: fn(&WhyView) -> String| move || why.with(|w| w.as_deref().map(f));
    view! {
        <section
            id="why"
            class="why"
            aria-label="Why the two cells are alike"
            hidden=move || why.with(Option::is_none)
            data-cell=attr(|w| format!("{},{}", w.cell.0, w.cell.1))
            data-other=attr(|w| format!("{},{}", w.other.0, w.other.1))
            data-cosine=attr(|w| format!("{:.6}", w.cosine))
            data-channels=attr(|w| {
                w.channels.iter().map(|c| c.channel.to_string()).collect::<Vec<_>>().join(",")
            })
            data-shares=attr(|w| {
                w.channels.iter().map(|c| format!("{:.6}", c.share)).collect::<Vec<_>>().join(",")
            })
        >
            <h2>"Why alike"</h2>
            <span class="downloads">
                <button type="button" class="small" id="why-png" on:click=move |_| export::why_png(ctx)>
                    "PNG"
                </button>
                <button type="button" class="small" id="why-json" on:click=move |_| export::why_json_file(ctx)>
                    "JSON"
                </button>
            </span>
            <p class="muted">{move || why.with(|w| w.as_deref().map(summary))}</p>
            <ol class="channels">
                {move || {
                    why.get()
                        .map(|w| {
                            w.channels
                                .iter()
                                .map(|c| {
                                    let [(lr, lc), (rr, rc)] = w.grids;
                                    let share = if w.cosine.abs() > 1e-6 { 100.0 * c.share / w.cosine } else { 0.0 };
                                    view! {
                                        <li>
                                            <span class="channel">{format!("channel {}", c.channel)}</span>
                                            <span class="share">{format!("{:.3} · {share:.0} %", c.share)}</span>
                                            <Thumb
                                                rows=lr
                                                cols=lc
                                                rgba=c.thumbs[0].clone()
                                                label=format!("channel {} over the left image", c.channel)
                                            />
                                            <Thumb
                                                rows=rr
                                                cols=rc
                                                rgba=c.thumbs[1].clone()
                                                label=format!("channel {} over the right image", c.channel)
                                            />
                                        </li>
                                    }
                                })
                                .collect::<Vec<_>>()
                        })
                        .unwrap_or_default()
                }}
            </ol>
        </section>
    }
}
