//! Embedding: `?embed=1` shows only the two panels and a one-line bar (block picker, a short
//! status, "open in FeatSim ↗"), sized to its `<iframe>`; the view itself still comes from the
//! URL fragment (see `link`). The full page's "Embed" button writes the `<iframe>` snippet for
//! the current view.
//!
//! Test hooks: `.embed` (the embedded page's root; `data-backend` is `webgpu` or `cpu` once the
//! device is up), `#embed-block`, `#embed-open` (the link to
//! the full page); on the full page `#embed` (the button) and `#embed-code` (the snippet).

use super::controls::BlockPicker;
use super::errors::Messages;
use super::link;
use super::panel::Panel;
use super::state::{Ctx, Side, ctx};
use super::status::WeightsProgress;
use leptos::html::Textarea;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Whether the page was opened as an embed (`?embed=1` in the query string).
pub fn is_embed() -> bool {
    let search = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    search
        .trim_start_matches('?')
        .split('&')
        .any(|p| matches!(p, "embed" | "embed=1" | "embed=true"))
}

/// The page's address without query or fragment (works under any sub-path).
fn page_base() -> String {
    web_sys::window()
        .map(|w| w.location())
        .and_then(|l| Some(format!("{}{}", l.origin().ok()?, l.pathname().ok()?)))
        .unwrap_or_default()
}

/// Reads every setting the fragment carries, so a closure calling this re-runs on changes.
fn track_view(ctx: Ctx) {
    let ui = ctx.ui;
    ui.model.track();
    ui.models.track();
    ui.block.track();
    ui.size.track();
    ui.pin.track();
    ui.cmap.track();
    ui.range.track();
    ui.top_k.track();
    ui.opacity.track();
    ui.mode.track();
    for s in ui.images {
        s.track();
    }
}

/// Escapes text for an HTML attribute value in double quotes.
fn attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The `<iframe>` snippet that embeds the current view.
pub fn snippet(ctx: Ctx) -> String {
    let ui = ctx.ui;
    let src = format!("{}?embed=1#{}", page_base(), link::fragment(ctx));
    let names: Vec<String> = Side::BOTH
        .iter()
        .filter_map(|s| ui.images[s.index()].get_untracked().map(|i| i.name))
        .collect();
    let mut title = format!("FeatSim: {}", names.join(" vs "));
    if names.len() == 2 && names[0] == names[1] {
        title = format!("FeatSim: {} (self-similarity)", names[0]);
    }
    title.push_str(&format!(" · {}", ui.block.get_untracked().name()));
    if let Some((side, (r, c))) = ui.pin.get_untracked() {
        title.push_str(&format!(", {} cell ({r}, {c})", side.name()));
    }
    format!(
        r#"<iframe src="{}" width="800" height="420" style="border:0" loading="lazy" title="{}"></iframe>"#,
        attr(&src),
        attr(&title)
    )
}

/// The embedded page: messages, a one-line bar and the two panels.
#[component]
pub fn EmbedView() -> impl IntoView {
    let ctx = ctx();
    let open_href = move || {
        track_view(ctx);
        format!("{}#{}", page_base(), link::fragment(ctx))
    };
    // What the visitor waits for, in a few words (the full page's status bar is not here).
    let note = move || {
        if let Some(b) = ctx.out.busy.get() {
            return b.label;
        }
        ctx.dev.weights.with(|w| match w {
            WeightsProgress::Waiting => "starting…".to_owned(),
            WeightsProgress::Downloading { .. } => "loading the model…".to_owned(),
            WeightsProgress::Building => "preparing the model…".to_owned(),
            WeightsProgress::Ready { .. } => String::new(),
            WeightsProgress::Failed(_) => "the model failed to load".to_owned(),
        })
    };
    view! {
        <div class="embed" data-backend=move || ctx.dev.backend_kind.get()>
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
            <div class="embed-panels">
                <Panel side=Side::Left/>
                <Panel side=Side::Right/>
            </div>
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
            let clipboard = web_sys::window().map(|w| w.navigator().clipboard());
            let ok = match clipboard {
                Some(c) => wasm_bindgen_futures::JsFuture::from(c.write_text(&text))
                    .await
                    .is_ok(),
                None => false,
            };
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
                code.update(|c| *c = if c.is_some() { None } else { Some(snippet(ctx)) });
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
