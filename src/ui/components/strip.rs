//! The block strip: the shown cell's heatmap at layer1..layer4 side by side (the cell at each
//! block is the one under the same spot of the image). Clicking a thumbnail selects that block.

use crate::model::Block;
use crate::session::mode::Mode;
use crate::session::progress::BlockState;
use crate::ui::actions::view::set_grid;
use crate::ui::browser::canvas;
use crate::ui::ctx::ctx;
use leptos::html::Canvas;
use leptos::prelude::*;

/// The strip under the panels (`#strip`, one `.thumb` per block with `data-block`).
#[component]
pub fn BlockStrip() -> impl IntoView {
    let ctx = ctx();
    let strip = ctx.out.strip;
    let title = move || {
        strip.with(|s| match s {
            Some(s) => {
                let deep = s.items.last().map(|i| (i.cell, i.block));
                let ((r, c), b) = deep.unwrap_or(((0, 0), Block::Layer4));
                format!(
                    "The same spot at every block (cell ({r}, {c}) of the {} image at {})",
                    s.source.name(),
                    b.name()
                )
            }
            None => "The same spot at every block".into(),
        })
    };
    view! {
        <section
            id="strip"
            class="strip"
            aria-labelledby="strip-title"
            hidden=move || ctx.ui.settings.with(|s| s.mode == Mode::Segment)
        >
            <h2 id="strip-title">{title}</h2>
            <div class="thumbs">
                {Block::ALL.into_iter().map(|b| view! { <Thumb block=b/> }).collect_view()}
            </div>
        </section>
    }
}

/// One block's thumbnail.
#[component]
fn Thumb(block: Block) -> impl IntoView {
    let ctx = ctx();
    let (ui, strip) = (ctx.ui, ctx.out.strip);
    let settings = ui.settings;
    let current = move || settings.with(|s| s.block == block);
    let canvas_ref = NodeRef::<Canvas>::new();
    let item = move || {
        strip.with(|s| {
            s.as_ref()
                .and_then(|s| s.items.iter().find(|i| i.block == block).cloned())
        })
    };
    Effect::new(move |_| {
        let Some(c) = canvas_ref.get() else { return };
        let i = item();
        canvas::show(
            &c,
            i.as_ref()
                .map(|i| (i.heat.width, i.heat.height, i.heat.rgba.as_slice())),
        );
    });
    let target = move || {
        strip
            .with(|s| s.as_ref().map(|s| s.target))
            .and_then(|t| ui.images[t.index()].get())
    };
    let label = move || {
        let g = block.grid(settings.with(|s| s.size) as usize);
        format!("{} · {g}×{g}", block.name())
    };
    // While a streamed model arrives, a block without its weights says how far they are.
    let weights = ctx.dev.weights;
    let state = move || weights.with(|w| w.block(block));
    let state_name = move || state().name();
    view! {
        <button
            type="button"
            class="thumb"
            class:current=current
            class:loading=move || state() != BlockState::Ready
            data-block=block.name()
            data-state=state_name
            aria-label=move || format!("Show {}", label())
            aria-pressed=move || current().to_string()
            on:click=move |_| set_grid(ctx, block, settings.with_untracked(|s| s.size))
        >
            <div
                class="thumb-stage"
                style:aspect-ratio=move || {
                    target()
                        .map(|i| format!("{} / {}", i.width, i.height))
                        .unwrap_or_else(|| "4 / 3".into())
                }
            >
                {move || target().map(|i| view! { <img src=i.url alt="" draggable="false"/> })}
                <canvas
                    node_ref=canvas_ref
                    aria-hidden="true"
                    style:opacity=move || settings.with(|s| s.opacity).to_string()
                ></canvas>
            </div>
            <span class="thumb-label">
                {label}
                {move || item().map(|i| format!(" · cell ({}, {})", i.cell.0, i.cell.1))}
                {move || state().note().map(|n| view! { <span class="thumb-note">{format!(" · {n}")}</span> })}
            </span>
        </button>
    }
}
