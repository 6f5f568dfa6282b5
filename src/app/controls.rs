//! The settings bar: model (and loading one's own weights), block, input size, colours, overlay
//! opacity, value range, best matches, mode, "copy link" and "embed".

use super::engine::{self, ModelSource};
use super::errors;
use super::images::first_file;
use super::link;
use super::state::{Ctx, Mode, ModelEntry, ctx, sizes};
use crate::colormap::{Colormap, Range};
use crate::model::Block;
use leptos::html::Input;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Loads a visitor's weights file as a new model and switches to it; a refused file is removed
/// from the picker again and the previous model stays.
pub fn load_weights_file(ctx: Ctx, file: web_sys::File) {
    let e = ctx.engine();
    let id = e.next_id();
    let name = file.name();
    e.add_source(id, ModelSource::File(file));
    ctx.ui.models.update(|m| {
        m.push(ModelEntry {
            id,
            name: format!("{name} (reading…)"),
            link_name: name.clone(),
        })
    });
    spawn_local(async move {
        if let Err(err) = engine::load_model(ctx, id).await {
            errors::error(ctx, err);
            ctx.engine().remove_source(id);
            ctx.ui.models.update(|m| m.retain(|x| x.id != id));
        }
    });
}

/// The settings bar.
#[component]
pub fn Toolbar() -> impl IntoView {
    let ctx = ctx();
    let ui = ctx.ui;
    let weights_input = NodeRef::<Input>::new();
    let copied = RwSignal::new(None::<&'static str>);

    let on_model = move |ev: leptos::ev::Event| {
        let Ok(id) = event_target_value(&ev).parse::<u32>() else {
            return;
        };
        if ui.model.get_untracked() == Some(id) {
            return;
        }
        spawn_local(async move {
            if let Err(err) = engine::load_model(ctx, id).await {
                errors::error(ctx, err);
            }
        });
    };
    let on_weights_file = move |_| {
        let Some(input) = weights_input.get_untracked() else {
            return;
        };
        if let Some(file) = first_file(input.files()) {
            load_weights_file(ctx, file);
        }
        // Choosing the same file again must fire `change` again.
        input.set_value("");
    };
    let copy_link = move |_| {
        let url = link::url(ctx);
        ui.link.set(Some(url.clone()));
        copied.set(Some("copying…"));
        spawn_local(async move {
            let clipboard = web_sys::window().map(|w| w.navigator().clipboard());
            let ok = match clipboard {
                Some(c) => wasm_bindgen_futures::JsFuture::from(c.write_text(&url))
                    .await
                    .is_ok(),
                None => false,
            };
            copied.set(Some(if ok {
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
                            prop:selected=move || ui.model.get() == Some(m.id)
                        >
                            {m.name.clone()}
                        </option>
                    </For>
                </select>
                <button
                    type="button"
                    on:click=move |_| {
                        if let Some(i) = weights_input.get_untracked() {
                            i.click();
                        }
                    }
                >
                    "Load weights…"
                </button>
                <input
                    id="weights-file"
                    class="visually-hidden"
                    type="file"
                    tabindex="-1"
                    accept=".bpk,.safetensors"
                    aria-label="Weights file (.bpk or torchvision .safetensors)"
                    node_ref=weights_input
                    on:change=on_weights_file
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
                            ctx.set_grid(ui.block.get_untracked(), s);
                        }
                    }
                >
                    {sizes()
                        .map(|s| {
                            view! {
                                <option value=s.to_string() prop:selected=move || ui.size.get() == s>
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
                            ui.cmap.set(c);
                        }
                    }
                >
                    {Colormap::ALL
                        .into_iter()
                        .map(|c| {
                            view! {
                                <option value=c.name() prop:selected=move || ui.cmap.get() == c>
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
                        ui.range
                            .set(
                                if event_target_value(&ev) == "stretch" {
                                    Range::Stretch
                                } else {
                                    Range::Fixed
                                },
                            );
                    }
                >
                    <option value="fixed" prop:selected=move || ui.range.get() == Range::Fixed>
                        "fixed −1…1"
                    </option>
                    <option value="stretch" prop:selected=move || ui.range.get() == Range::Stretch>
                        "stretched to the map"
                    </option>
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
                    prop:value=move || ui.opacity.get().to_string()
                    on:input=move |ev| {
                        if let Ok(v) = event_target_value(&ev).parse::<f64>() {
                            ui.opacity.set(v.clamp(0.0, 1.0));
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
                    prop:value=move || ui.top_k.get().to_string()
                    on:change=move |ev| {
                        if let Ok(k) = event_target_value(&ev).parse::<usize>() {
                            ui.top_k.set(k.min(20));
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
                        prop:checked=move || ui.mode.get() == Mode::Explore
                        on:change=move |_| ui.mode.set(Mode::Explore)
                    />
                    "Similarity"
                </label>
                <label>
                    <input
                        type="radio"
                        name="mode"
                        id="mode-segment"
                        prop:checked=move || ui.mode.get() == Mode::Segment
                        on:change=move |_| {
                            ui.mode.set(Mode::Segment);
                            ui.hover.set(None);
                        }
                    />
                    "Segmentation"
                </label>
            </fieldset>
            <div class="field link">
                <button type="button" id="copy-link" on:click=copy_link>
                    "Copy link"
                </button>
                <super::embed::EmbedButton/>
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

/// The block picker, each option with its grid at the current input size ("layer4 · 16×16");
/// shared by the toolbar and the embed bar.
#[component]
pub fn BlockPicker(
    /// The `<select>`'s id (its `<label for>` is the caller's).
    id: &'static str,
) -> impl IntoView {
    let ctx = ctx();
    let ui = ctx.ui;
    view! {
        <select
            id=id
            on:change=move |ev| {
                if let Ok(b) = event_target_value(&ev).parse::<Block>() {
                    ctx.set_grid(b, ui.size.get_untracked());
                }
            }
        >
            {Block::ALL
                .into_iter()
                .map(|b| {
                    view! {
                        <option value=b.name() prop:selected=move || ui.block.get() == b>
                            {move || {
                                let g = b.grid(ui.size.get() as usize);
                                format!("{} · {g}×{g}", b.name())
                            }}
                        </option>
                    }
                })
                .collect_view()}
        </select>
    }
}
