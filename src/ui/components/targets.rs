//! One source, many targets: up to eight images (gallery, own files, the open bundle's), each with
//! the heatmap of the shown cell, under the panels.
//!
//! Test hooks: `#targets`; `#target-gallery`, `#target-file`, `#target-bundle` (adding);
//! one `.target` per image with `data-image`, its `.target-heat` canvas with `data-values`,
//! `data-cell`, `data-block` once computed, and a `.remove` button.

use super::file_picker::FilePicker;
use crate::session::mode::Mode;
use crate::session::results::RowItem;
use crate::session::targets::MAX_TARGETS;
use crate::session::views::View;
use crate::ui::actions::targets;
use crate::ui::browser::canvas;
use crate::ui::ctx::ctx;
use leptos::html::Canvas;
use leptos::prelude::*;
use std::sync::Arc;

/// One image of the row with its heatmap (and a remove button when `editable`).
#[component]
fn TargetItem(item: Arc<RowItem>, editable: bool) -> impl IntoView {
    let ctx = ctx();
    let node = NodeRef::<Canvas>::new();
    let heat = item.heat.clone();
    Effect::new(move |_| {
        if let Some(c) = node.get() {
            canvas::show(
                &c,
                heat.as_ref()
                    .map(|h| (h.width, h.height, h.rgba.as_slice())),
            );
        }
    });
    let opacity = move || ctx.ui.settings.with(|s| s.opacity).to_string();
    let h = item.heat.as_ref();
    let id = item.id;
    view! {
        <li class="target" data-image=item.name.clone()>
            <div class="target-stage">
                <img src=item.url.clone() alt=item.name.clone() draggable="false"/>
                <canvas
                    class="target-heat"
                    node_ref=node
                    style:opacity=opacity
                    aria-label=format!("Heatmap of the shown cell over {}", item.name)
                    data-values=h.map(|h| serde_json::to_string(&h.values).unwrap_or_default())
                    data-cell=h.map(|_| format!("{},{}", item.cell.0, item.cell.1))
                    data-block=h.map(|_| item.block.name().to_string())
                ></canvas>
                {h.is_none().then(|| view! { <p class="muted computing">"computing…"</p> })}
            </div>
            <p class="caption">
                <span>{item.name.clone()}</span>
                <button
                    type="button"
                    class="small remove"
                    hidden=!editable
                    title=format!("Remove {} from the row", item.name)
                    on:click=move |_| targets::remove(ctx, id)
                >
                    "×"
                </button>
            </p>
        </li>
    }
}

/// The row (explore mode, heatmap view). An embed shows it only with images in it and without
/// the controls that add or remove them (`editable` false).
#[component]
pub fn TargetRow(
    /// Whether images can be added and removed here (the full page) or only shown (an embed).
    #[prop(default = true)]
    editable: bool,
) -> impl IntoView {
    let ctx = ctx();
    let (ui, out) = (ctx.ui, ctx.out);
    let full = move || ui.targets.with(|t| t.images.len() >= MAX_TARGETS);
    let empty = move || ui.targets.with(|t| t.images.is_empty());
    view! {
        <section
            id="targets"
            class="targets"
            aria-labelledby="targets-title"
            hidden=move || {
                ui.settings.with(|s| s.mode != Mode::Explore || s.view != View::Heatmap)
                    || (!editable && empty())
            }
        >
            <header class="targets-head" hidden=!editable>
                <h2 id="targets-title">"One source, many targets"</h2>
                <label class="visually-hidden" for="target-gallery">"Add a gallery image to the row"</label>
                <select
                    id="target-gallery"
                    prop:disabled=full
                    on:change=move |ev| {
                        let file = event_target_value(&ev);
                        if !file.is_empty() {
                            targets::add_gallery(ctx, file);
                        }
                        // Back to the prompt, so the same image can be picked again later.
                        if let Some(sel) = ev
                            .target()
                            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlSelectElement>(t).ok())
                        {
                            sel.set_value("");
                        }
                    }
                >
                    <option value="">"Add from the gallery…"</option>
                    <For each=move || ui.gallery.get() key=|g| g.file.clone() let:g>
                        <option value=g.file.clone()>{g.title.clone()}</option>
                    </For>
                </select>
                <FilePicker
                    id="target-file"
                    label="Add image…"
                    accept="image/*"
                    aria_label="An image file to add to the row".to_string()
                    on_file=move |f| targets::add_file(ctx, f)
                />
                {move || {
                    ui.bundle
                        .get()
                        .map(|_| {
                            view! {
                                <button
                                    type="button"
                                    id="target-bundle"
                                    prop:disabled=full
                                    on:click=move |_| targets::add_bundle_images(ctx)
                                >
                                    "Add the bundle's images"
                                </button>
                            }
                        })
                }}
                <span class="muted">
                    {move || {
                        let n = ui.targets.with(|t| t.images.len());
                        if n == 0 {
                            format!("Add up to {MAX_TARGETS} images: each shows the heatmap of the shown cell.")
                        } else {
                            format!("{n} of {MAX_TARGETS}")
                        }
                    }}
                </span>
            </header>
            <ul class="target-list">
                {move || {
                    out.row
                        .get()
                        .into_iter()
                        .map(|item| view! { <TargetItem item=item editable=editable/> })
                        .collect_view()
                }}
            </ul>
        </section>
    }
}
