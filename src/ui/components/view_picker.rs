//! Explore's picture: the heatmap (with "why alike" or not), the PCA colours (both images
//! together or each alone) or the correspondences (how many, from the marked object or all), and
//! the downloads of the one shown.
//!
//! Test hooks: `#view`, `#why-toggle`, `#pca-scope`, `#pairs-n`, `#pairs-object`, `#view-png`,
//! `#view-json`.

use crate::session::mode::Mode;
use crate::session::settings::Settings;
use crate::session::views::{MAX_PAIRS, PcaScope, View};
use crate::ui::actions::export;
use crate::ui::ctx::ctx;
use leptos::prelude::*;

/// A checkbox bound to one yes/no setting.
#[component]
fn SettingCheck(
    /// The input's id.
    id: &'static str,
    /// What the box says.
    label: &'static str,
    /// Its tooltip.
    title: Signal<&'static str>,
    /// Whether it cannot be ticked now.
    #[prop(optional)]
    disabled: Option<Signal<bool>>,
    /// The setting's value.
    get: fn(&Settings) -> bool,
    /// Sets it.
    set: fn(&mut Settings, bool),
) -> impl IntoView {
    let settings = ctx().ui.settings;
    view! {
        <label title=title>
            <input
                type="checkbox"
                id=id
                prop:disabled=move || disabled.is_some_and(|d| d.get())
                prop:checked=move || settings.with(get)
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    settings.update(|s| set(s, on));
                }
            />
            {format!(" {label}")}
        </label>
    }
}

/// The view picker (shown in explore mode).
#[component]
pub fn ViewPicker() -> impl IntoView {
    let ctx = ctx();
    let settings = ctx.ui.settings;
    let view = move || settings.with(|s| s.view);
    let has_object = move || ctx.request.with(|r| r.support().is_some());
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
                <SettingCheck
                    id="pairs-object"
                    label="from the object only"
                    title=Signal::derive(move || {
                        if has_object() {
                            "Only the pairs whose left cell lies in the object marked on the left"
                        } else {
                            "Mark an object on the left first (paint it or load its mask in segmentation mode)"
                        }
                    })
                    disabled=Signal::derive(move || !has_object())
                    get=|s| s.pairs_object
                    set=|s, on| s.pairs_object = on
                />
            </span>
            <span hidden=move || view() != View::Heatmap>
                <SettingCheck
                    id="why-toggle"
                    label="why alike"
                    title=Signal::stored("The channels that carry most of the pinned cell's similarity")
                    get=|s| s.why
                    set=|s, on| s.why = on
                />
            </span>
            <span hidden=move || view() == View::Heatmap>
                <button
                    type="button"
                    class="small"
                    id="view-png"
                    prop:disabled=move || !ready()
                    on:click=move |_| match view() {
                        View::Pairs => export::pairs_png(ctx),
                        _ => export::pca_pngs(ctx),
                    }
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
