//! The block picker, shared by the toolbar and the embed bar.

use crate::model::Block;
use crate::ui::actions::view::set_grid;
use crate::ui::ctx::ctx;
use leptos::prelude::*;

/// The block picker, each option with its grid at the current input size ("layer4 · 16×16"),
/// and while a streamed model arrives, how far each missing block's weights are ("layer4 ·
/// 16×16 · weights arriving, 43%"; `data-state` as the strip's).
#[component]
pub fn BlockPicker(
    /// The `<select>`'s id (its `<label for>` is the caller's).
    id: &'static str,
) -> impl IntoView {
    let ctx = ctx();
    let settings = ctx.ui.settings;
    let weights = ctx.dev.weights;
    view! {
        <select
            id=id
            on:change=move |ev| {
                if let Ok(b) = event_target_value(&ev).parse::<Block>() {
                    set_grid(ctx, b, settings.with_untracked(|s| s.size));
                }
            }
        >
            {Block::ALL
                .into_iter()
                .map(|b| {
                    view! {
                        <option
                            value=b.name()
                            prop:selected=move || settings.with(|s| s.block == b)
                            data-state=move || weights.with(|w| w.block(b).name())
                        >
                            {move || {
                                let g = b.grid(settings.with(|s| s.size) as usize);
                                let note = weights.with(|w| w.block(b).note());
                                let note = note.map(|n| format!(" · {n}")).unwrap_or_default();
                                format!("{} · {g}×{g}{note}", b.name())
                            }}
                        </option>
                    }
                })
                .collect_view()}
        </select>
    }
}
