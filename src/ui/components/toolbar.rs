//! The settings bar: model (and loading one's own weights), block, input size, colours, overlay
//! opacity, value range, best matches, mode, explore's view, "copy link" and "embed".

use super::block_picker::BlockPicker;
use super::embed::EmbedButton;
use super::file_picker::FilePicker;
use super::view_picker::ViewPicker;
use crate::colormap::{Colormap, Range};
use crate::session::geometry::sizes;
use crate::session::link;
use crate::session::mode::Mode;
use crate::ui::actions::export::download_bundle;
use crate::ui::actions::models;
use crate::ui::actions::view::set_grid;
use crate::ui::browser::clipboard::copy_text;
use crate::ui::browser::location;
use crate::ui::ctx::ctx;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// What the range picker shows.
fn range_label(r: Range) -> &'static str {
    match r {
        Range::Fixed => "fixed −1…1",
        Range::Stretch => "stretched to the map",
    }
}

/// The settings bar.
#[component]
pub fn Toolbar() -> impl IntoView {
    let ctx = ctx();
    let ui = ctx.ui;
    let settings = ui.settings;
    let copied = RwSignal::new(None::<&'static str>);

    let on_model = move |ev: leptos::ev::Event| {
        if let Ok(id) = event_target_value(&ev).parse::<u32>() {
            models::select(ctx, id);
        }
    };
    let copy_link = move |_| {
        let url = format!(
            "{}#{}",
            location::base_with_query(),
            ctx.request.with_untracked(link::fragment)
        );
        ui.link.set(Some(url.clone()));
        copied.set(Some("copying…"));
        spawn_local(async move {
            copied.set(Some(if copy_text(&url).await {
                "link copied"
            } else {
                "copy the link from the box"
            }));
        });
    };

    view! {
        <section class="toolbar" aria-label="Settings">
            <div class="field model">
                <label for="model">"Model"</label>
                <select id="model" on:change=on_model>
                    <For
                        each=move || ui.models.get()
                        key=|m| (m.id, m.name.clone())
                        let:m
                    >
                        <option
                            value=m.id.to_string()
                            prop:selected=move || ui.model.with(|x| x.as_ref().map(|x| x.id)) == Some(m.id)
                        >
                            {m.name.clone()}
                        </option>
                    </For>
                </select>
                <FilePicker
                    id="weights-file"
                    label="Load weights…"
                    accept=".bpk,.safetensors"
                    aria_label="Weights file (.bpk or torchvision .safetensors)"
                    on_file=move |f| models::load_weights_file(ctx, f)
                />
            </div>
            <div class="field">
                <label for="block">"Block"</label>
                <BlockPicker id="block"/>
            </div>
            <div class="field">
                <label for="size">"Input"</label>
                <select
                    id="size"
                    on:change=move |ev| {
                        if let Ok(s) = event_target_value(&ev).parse::<u32>() {
                            set_grid(ctx, settings.with_untracked(|x| x.block), s);
                        }
                    }
                >
                    {sizes()
                        .map(|s| {
                            view! {
                                <option value=s.to_string() prop:selected=move || settings.with(|x| x.size) == s>
                                    {format!("{s}×{s}")}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="cmap">"Colours"</label>
                <select
                    id="cmap"
                    on:change=move |ev| {
                        if let Ok(c) = event_target_value(&ev).parse::<Colormap>() {
                            settings.update(|s| s.cmap = c);
                        }
                    }
                >
                    {Colormap::ALL
                        .into_iter()
                        .map(|c| {
                            view! {
                                <option value=c.name() prop:selected=move || settings.with(|s| s.cmap) == c>
                                    {c.name()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="range">"Range"</label>
                <select
                    id="range"
                    on:change=move |ev| {
                        if let Ok(r) = event_target_value(&ev).parse::<Range>() {
                            settings.update(|s| s.range = r);
                        }
                    }
                >
                    {Range::ALL
                        .into_iter()
                        .map(|r| {
                            view! {
                                <option value=r.name() prop:selected=move || settings.with(|s| s.range) == r>
                                    {range_label(r)}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="opacity">"Opacity"</label>
                <input
                    id="opacity"
                    type="range"
                    min="0"
                    max="1"
                    step="0.05"
                    prop:value=move || settings.with(|s| s.opacity).to_string()
                    on:input=move |ev| {
                        if let Ok(v) = event_target_value(&ev).parse::<f64>() {
                            settings.update(|s| s.opacity = v.clamp(0.0, 1.0));
                        }
                    }
                />
            </div>
            <div class="field">
                <label for="topk">"Best matches"</label>
                <input
                    id="topk"
                    type="number"
                    min="0"
                    max="20"
                    prop:value=move || settings.with(|s| s.top_k).to_string()
                    on:change=move |ev| {
                        if let Ok(k) = event_target_value(&ev).parse::<usize>() {
                            settings.update(|s| s.top_k = k.min(20));
                        }
                    }
                />
            </div>
            <fieldset class="field mode">
                <legend>"Mode"</legend>
                <label>
                    <input
                        type="radio"
                        name="mode"
                        id="mode-explore"
                        prop:checked=move || settings.with(|s| s.mode) == Mode::Explore
                        on:change=move |_| settings.update(|s| s.mode = Mode::Explore)
                    />
                    "Similarity"
                </label>
                <label>
                    <input
                        type="radio"
                        name="mode"
                        id="mode-segment"
                        prop:checked=move || settings.with(|s| s.mode) == Mode::Segment
                        on:change=move |_| {
                            settings.update(|s| s.mode = Mode::Segment);
                            ui.hover.set(None);
                        }
                    />
                    "Segmentation"
                </label>
            </fieldset>
            <ViewPicker/>
            <div class="field link">
                <button type="button" id="copy-link" on:click=copy_link>
                    "Copy link"
                </button>
                <EmbedButton/>
                <button
                    type="button"
                    id="download-bundle"
                    title="The two images with the features of this block (and the next finer one), as a folder to put beside the page: embeds of it show heatmaps without the model"
                    on:click=move |_| download_bundle(ctx)
                >
                    "Download bundle"
                </button>
                {move || {
                    ui.link
                        .get()
                        .map(|url| {
                            view! {
                                <input
                                    id="link"
                                    type="text"
                                    readonly
                                    aria-label="Link to this view"
                                    prop:value=url
                                    on:focus=move |ev| {
                                        if let Some(i) = ev
                                            .target()
                                            .and_then(|t| {
                                                wasm_bindgen::JsCast::dyn_into::<
                                                    web_sys::HtmlInputElement,
                                                >(t)
                                                    .ok()
                                            })
                                        {
                                            i.select();
                                        }
                                    }
                                />
                                <span class="note" role="status">
                                    {move || copied.get()}
                                </span>
                            }
                        })
                }}
            </div>
        </section>
    }
}
