//! Explore's picture: the heatmap, the PCA colours (both images together or each alone) or the
//! correspondences (how many), and the downloads of the one shown.
//!
//! Test hooks: `#view`, `#pca-scope`, `#pairs-n`, `#view-png`, `#view-json`.

use crate::session::mode::Mode;
use crate::session::views::{MAX_PAIRS, PcaScope, View};
use crate::ui::actions::export;
use crate::ui::ctx::ctx;
use leptos::prelude::*;

/// The view picker (shown in explore mode).
#[component]
pub fn ViewPicker() -> impl IntoView {
    let ctx = ctx();
    let settings = ctx.ui.settings;
    let view = move || settings.with(|s| s.view);
    let ready = move || match view() {
        View::Heatmap => ctx.out.heat.iter().any(|h| h.with(Option::is_some)),
        View::Pca => ctx.out.pca.with(Option::is_some),
        View::Pairs => ctx.out.pairs.with(Option::is_some),
    };
    view! {
        <div class="field view" hidden=move || settings.with(|s| s.mode) != Mode::Explore>
            <label for="view">"Show"</label>
            <select
                id="view"
                on:change=move |ev| {
                    if let Ok(v) = event_target_value(&ev).parse::<View>() {
                        settings.update(|s| s.view = v);
                    }
                }
            >
                {View::ALL
                    .into_iter()
                    .map(|v| {
                        view! {
                            <option value=v.name() prop:selected=move || view() == v>
                                {v.label()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            <span hidden=move || view() != View::Pca>
                <label class="visually-hidden" for="pca-scope">"PCA over"</label>
                <select
                    id="pca-scope"
                    title="Joint: the same colour means the same thing on both images"
                    on:change=move |ev| {
                        if let Ok(p) = event_target_value(&ev).parse::<PcaScope>() {
                            settings.update(|s| s.pca = p);
                        }
                    }
                >
                    {PcaScope::ALL
                        .into_iter()
                        .map(|p| {
                            view! {
                                <option value=p.name() prop:selected=move || settings.with(|s| s.pca) == p>
                                    {p.label()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </span>
            <span hidden=move || view() != View::Pairs>
                <label for="pairs-n">"Pairs"</label>
                <input
                    id="pairs-n"
                    type="number"
                    min="1"
                    max=MAX_PAIRS.to_string()
                    prop:value=move || settings.with(|s| s.pairs).to_string()
                    on:change=move |ev| {
                        if let Ok(n) = event_target_value(&ev).parse::<usize>() {
                            settings.update(|s| s.pairs = n.clamp(1, MAX_PAIRS));
                        }
                    }
                />
            </span>
            <span hidden=move || view() == View::Heatmap>
                <button
                    type="button"
                    class="small"
                    id="view-png"
                    prop:disabled=move || !ready()
                    hidden=move || view() != View::Pca
                    on:click=move |_| export::pca_pngs(ctx)
                >
                    "PNG"
                </button>
                <button
                    type="button"
                    class="small"
                    id="view-json"
                    prop:disabled=move || !ready()
                    on:click=move |_| export::view_json(ctx)
                >
                    "JSON"
                </button>
            </span>
        </div>
    }
}
