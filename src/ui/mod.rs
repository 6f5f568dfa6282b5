//! The web page (wasm32 only): Leptos components and browser glue over the session layer.
//!
//! `ctx` is the composition root: the signals (`signals`), the one request built from them and
//! the engine (`engine`: device, model, cache, the worker). Components (`components`) show
//! signals and call actions (`actions`); actions change signals; the request follows and the
//! worker computes from it. `browser` wraps `web_sys`; `notify` puts messages up.

pub mod actions;
#[cfg(feature = "bench")]
pub mod bench;
pub mod browser;
pub mod components;
pub mod ctx;
pub mod engine;
pub mod notify;
pub mod signals;

use crate::compute::Compute;
use crate::session::embed::is_embed;
use crate::session::side::Side;
use actions::images::load_file;
use actions::{open, startup};
use browser::files::first_file;
use browser::location;
use components::{
    between::Between, embed::EmbedView, messages::Messages, pair_lines::PairLines, panel::Panel,
    segment_controls::SegmentControls, status_bar::StatusBar, strip::BlockStrip,
    targets::TargetRow, toolbar::Toolbar, why::WhyAlikePanel,
};
use ctx::Ctx;
use engine::Engine;
use engine::sinks::Sinks;
use engine::worker;
use leptos::prelude::*;
use leptos::task::spawn_local;
use signals::{Dev, Out, Ui};
use std::rc::Rc;

/// Mounts the app on `<body>`; a panic is logged to the console and put up as a banner.
pub fn mount() {
    browser::panic::install();
    let _ = console_log::init_with_level(log::Level::Info);
    leptos::mount::mount_to_body(App);
}

/// The page.
#[component]
pub fn App() -> impl IntoView {
    let ui = Ui::default();
    let dev = Dev::default();
    let ctx = Ctx {
        // The CPU until the device check picks WebGPU; nothing runs before it.
        engine: StoredValue::new_local(Rc::new(Engine::new(Compute::cpu()))),
        ui,
        out: Out::default(),
        dev,
        request: ctx::request(ui, dev),
    };
    provide_context(ctx);

    // Every new request goes to the worker (which skips what is already current).
    let sinks = Sinks {
        out: ctx.out,
        dev: ctx.dev,
    };
    Effect::new(move |_| worker::submit(ctx.engine(), sinks, ctx.request.get()));

    // Pasted images go to the panel last pointed at or focused.
    let paste = window_event_listener(leptos::ev::paste, move |ev| {
        if let Some(f) = first_file(ev.clipboard_data().and_then(|d| d.files())) {
            ev.prevent_default();
            load_file(ctx, ui.paste_side.get_untracked(), f);
        }
    });
    // A link opened in the same tab changes only the fragment.
    let hash = window_event_listener(leptos::ev::hashchange, move |_| {
        open::follow_link(ctx);
    });
    on_cleanup(move || {
        paste.remove();
        hash.remove();
    });

    let link = crate::session::link::parse(&location::fragment());
    let default_model = startup::prepare(ctx, &link);
    spawn_local(startup::start(ctx, link, default_model));

    // `?embed=1`: only the panels, for an <iframe> on another page.
    if is_embed(&location::query()) {
        return view! { <EmbedView/> }.into_any();
    }
    let panels = NodeRef::<leptos::html::Div>::new();
    view! {
        <header class="top">
            <h1>"FeatSim"</h1>
            <p class="tagline">"What a convolutional network finds alike"</p>
        </header>
        <main>
            <Messages/>
            <Toolbar/>
            <SegmentControls/>
            <div class="panels" node_ref=panels>
                <Panel side=Side::Left/>
                <Between/>
                <Panel side=Side::Right/>
                <PairLines container=panels/>
            </div>
            <BlockStrip/>
            <TargetRow/>
            <WhyAlikePanel/>
            <About/>
        </main>
        <StatusBar/>
    }
    .into_any()
}

/// What the page does, and the gallery's credits.
#[component]
fn About() -> impl IntoView {
    let ui = ctx::ctx().ui;
    view! {
        <details class="about">
            <summary>"About FeatSim and the gallery"</summary>
            <p>
                "FeatSim runs an ImageNet-trained ResNet in your browser (WebGPU, or the CPU when there is none). "
                "Point at a cell of the left image: the right image lights up where the network's features at that block "
                "are alike (cosine similarity of the cells' feature vectors). In segmentation mode, paint an object on the left "
                "(or load its mask) and the page marks where it finds the same kind of thing on the right. "
                "Your images and weights never leave this page."
            </p>
            <ul class="credits">
                <For each=move || ui.gallery.get() key=|g| g.file.clone() let:g>
                    <li>
                        <strong>{g.title.clone()}</strong>
                        {format!(" ({}) — {}; {}", g.file, g.source, g.licence)}
                    </li>
                </For>
            </ul>
        </details>
    }
}
