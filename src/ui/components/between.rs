//! The buttons between the panels.

use crate::session::side::Side;
use crate::ui::actions::images::{same_on_both, swap};
use crate::ui::ctx::ctx;
use leptos::prelude::*;

/// "Same image →" and "⇄ Swap".
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
                on:click=move |_| swap(ctx)
            >
                "⇄ Swap"
            </button>
        </div>
    }
}
