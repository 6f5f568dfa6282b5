//! Embedding: `?embed=1` shows only the two panels and a one-line bar (block picker, a short
//! status, "open in FeatSim ↗"), sized to its `<iframe>`, and under them the one-vs-many row and
//! "why alike" when the link has them, and the IoU curve when a bundle's masks give segmentation
//! its object and ground truth; the view itself still comes from the URL fragment (see
//! `session::link`). The full page's "Embed" button writes the `<iframe>`
//! snippet for the current view.
//!
//! Test hooks: `.embed` (the embedded page's root; `data-backend` is `webgpu` or `cpu` once the
//! device is up), `#embed-block`, `#embed-open` (the link to the full page); on the full page
//! `#embed` (the button) and `#embed-code` (the snippet).

use super::block_picker::BlockPicker;
use super::iou_plot::IouPlot;
use super::messages::Messages;
use super::pair_lines::PairLines;
use super::panel::Panel;
use super::targets::TargetRow;
use super::why::WhyAlikePanel;
use crate::session::embed::snippet;
use crate::session::link;
use crate::session::side::Side;
use crate::ui::browser::clipboard::copy_text;
use crate::ui::browser::location;
use crate::ui::ctx::ctx;
use leptos::html::Textarea;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The embedded page: messages, a one-line bar and the two panels.
#[component]
pub fn EmbedView() -> impl IntoView {
    let ctx = ctx();
    let open_href = move || format!("{}#{}", location::base(), ctx.request.with(link::fragment));
    // What the visitor waits for, in a few words (the full page's status bar is not here).
    let note = move || {
        if let Some(b) = ctx.out.busy.get() {
            return b.label;
        }
        ctx.dev.weights.with(|w| w.short())
    };
    let panels = NodeRef::<leptos::html::Div>::new();
    view! {
        <div class="embed" data-backend=move || ctx.dev.backend.get().map(|b| b.slug())>
            <Messages/>
            <div class="embed-bar" role="group" aria-label="Settings">
                <label for="embed-block">"Block"</label>
                <BlockPicker id="embed-block"/>
                <span class="note" role="status">{note}</span>
                <a
                    id="embed-open"
                    class="open"
                    href=open_href
                    target="_blank"
                    rel="noopener"
                    title="Open this view in the full FeatSim page"
                >
                    "open in FeatSim ↗"
                </a>
            </div>
            <div class="embed-panels" node_ref=panels>
                <Panel side=Side::Left/>
                <Panel side=Side::Right/>
                <PairLines container=panels/>
            </div>
            // What the link asks for beside the panels: the row of targets, "why alike", the IoU curve.
            <TargetRow editable=false/>
            <WhyAlikePanel/>
            <IouPlot/>
        </div>
    }
}

/// The full page's "Embed" button: shows the `<iframe>` snippet for the current view, ready to copy.
#[component]
pub fn EmbedButton() -> impl IntoView {
    let ctx = ctx();
    let code = RwSignal::new(None::<String>);
    let copied = RwSignal::new(None::<&'static str>);
    let area = NodeRef::<Textarea>::new();
    let copy = move |_| {
        let Some(text) = code.get_untracked() else {
            return;
        };
        if let Some(a) = area.get_untracked() {
            a.select();
        }
        spawn_local(async move {
            let ok = copy_text(&text).await;
            copied.set(Some(if ok { "copied" } else { "copy it from the box" }));
        });
    };
    view! {
        <button
            type="button"
            id="embed"
            title="HTML to show this view on another page"
            aria-expanded=move || code.with(Option::is_some).to_string()
            on:click=move |_| {
                copied.set(None);
                code.update(|c| {
                    *c = if c.is_some() {
                        None
                    } else {
                        Some(ctx.request.with_untracked(|r| snippet(&location::base(), r)))
                    }
                });
            }
        >
            "Embed"
        </button>
        {move || {
            code.get()
                .map(|text| {
                    view! {
                        <div class="embed-code">
                            <textarea
                                id="embed-code"
                                readonly
                                rows="3"
                                aria-label="HTML that embeds this view"
                                node_ref=area
                                prop:value=text
                                on:focus=move |_| {
                                    if let Some(a) = area.get_untracked() {
                                        a.select();
                                    }
                                }
                            ></textarea>
                            <button type="button" class="small" id="embed-copy" on:click=copy>
                                "Copy"
                            </button>
                            <span class="note" role="status">{move || copied.get()}</span>
                        </div>
                    }
                })
        }}
    }
}
