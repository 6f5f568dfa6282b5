//! The web page (wasm32 only): a Leptos CSR app over the same core as the CLI.
//!
//! `state` holds the signals, `engine` the device, model, images and feature cache and the one
//! worker that computes; the components (`controls`, `panel`, `strip`, `segment_mode`,
//! `errors`, `status`, `embed`) only show state and change it. Numbers come from the core.

pub mod bench;
mod boot;
mod cache;
mod canvas;
mod controls;
mod device_lost;
mod embed;
mod engine;
mod errors;
mod export;
mod fetch;
mod gallery;
mod images;
mod link;
mod panel;
mod segment_mode;
mod state;
mod status;
mod strip;
mod weights_file;

use crate::compute::{BackendKind, Compute};
use engine::{Engine, ModelSource};
use leptos::prelude::*;
use leptos::task::spawn_local;
use state::{AppState, Ctx, ModelEntry, Out, Side, Ui};
use status::{StatusBar, WeightsProgress};
use std::rc::Rc;

/// URL of the embedded default model, relative to the page so sub-path hosting works.
const DEFAULT_WEIGHTS: &str = "weights/resnet50-imagenet.bpk";
/// The gallery image both panels start with (self-similarity needs one forward pass).
const DEFAULT_IMAGE: &str = "chelsea.png";

/// Mounts the app on `<body>`; panics are logged to the console rather than lost.
pub fn mount() {
    console_error_panic_hook::set_once();
    let _ = console_log::init_with_level(log::Level::Info);
    leptos::mount::mount_to_body(App);
}

/// The page.
#[component]
pub fn App() -> impl IntoView {
    let dev = AppState {
        backend: RwSignal::new(None),
        backend_kind: RwSignal::new(None),
        fallback_reason: RwSignal::new(None),
        selftest: RwSignal::new(None),
        weights: RwSignal::new(WeightsProgress::Waiting),
    };
    let ctx = Ctx {
        // The CPU until the device check picks WebGPU; nothing runs before it.
        engine: StoredValue::new_local(Rc::new(Engine::new(Compute::cpu()))),
        dev,
        ui: Ui::default(),
        out: Out::default(),
    };
    provide_context(ctx);

    // Anything the results depend on wakes the worker (it skips what is already current).
    let ui = ctx.ui;
    Effect::new(move |_| {
        for s in ui.images {
            s.track();
        }
        for m in ui.masks {
            m.track();
        }
        ui.block.track();
        ui.size.track();
        ui.cmap.track();
        ui.range.track();
        ui.mode.track();
        ui.pin.track();
        ui.hover.track();
        ui.painted.track();
        ui.class.track();
        ui.rule.track();
        ui.cut.track();
        ui.method.track();
        ui.model.track();
        engine::kick(ctx);
    });

    // Pasted images go to the panel last pointed at or focused.
    let paste = window_event_listener(leptos::ev::paste, move |ev| {
        let file = images::first_file(ev.clipboard_data().and_then(|d| d.files()));
        if let Some(f) = file {
            ev.prevent_default();
            images::load_file(ctx, ui.paste_side.get_untracked(), f);
        }
    });
    // A link opened in the same tab changes only the fragment.
    let hash = window_event_listener(leptos::ev::hashchange, move |_| {
        let v = link::parse(&link::current());
        link::apply(ctx, &v);
        spawn_local(open_images(ctx, v.images));
    });
    on_cleanup(move || {
        paste.remove();
        hash.remove();
    });

    spawn_local(start(ctx));

    // `?embed=1`: only the panels, for an <iframe> on another page.
    if embed::is_embed() {
        return view! { <embed::EmbedView/> }.into_any();
    }
    view! {
        <header class="top">
            <h1>"FeatSim"</h1>
            <p class="tagline">"What a convolutional network finds alike"</p>
        </header>
        <main>
            <errors::Messages/>
            <controls::Toolbar/>
            <segment_mode::SegmentControls/>
            <div class="panels">
                <panel::Panel side=Side::Left/>
                <panel::Between/>
                <panel::Panel side=Side::Right/>
            </div>
            <strip::BlockStrip/>
            <About/>
        </main>
        <StatusBar/>
    }
    .into_any()
}

/// What the page does, and the gallery's credits.
#[component]
fn About() -> impl IntoView {
    let ui = state::ctx().ui;
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

/// Restores a link, loads the gallery, brings up the device, proves it computes, then loads the
/// default weights.
async fn start(ctx: Ctx) {
    let link = link::parse(&link::current());
    link::apply(ctx, &link);
    let images = link.images.clone();
    // Images decode while the device starts.
    spawn_local(open_images(ctx, images));

    let (compute, reason) = boot::acquire_device().await;
    ctx.dev.backend.set(Some(compute.describe()));
    ctx.dev.backend_kind.set(Some(match compute.kind {
        BackendKind::Wgpu => "webgpu",
        BackendKind::Cpu => "cpu",
    }));
    ctx.dev.fallback_reason.set(reason);
    match crate::selftest::run(&compute.device).await {
        Ok(r) => ctx.dev.selftest.set(serde_json::to_string(&r).ok()),
        Err(e) => errors::error(ctx, format!("device self-test failed: {e}")),
    }
    device_lost::watch(ctx, &compute);
    let e = ctx.engine();
    e.set_compute(compute);
    let id = e.next_id();
    e.add_source(id, ModelSource::Url(DEFAULT_WEIGHTS.into()));
    ctx.ui.models.update(|m| {
        m.push(ModelEntry {
            id,
            name: "ResNet-50 (embedded)".into(),
            link_name: "default".into(),
        })
    });
    if let Err(err) = engine::load_model(ctx, id).await {
        errors::error(ctx, err);
    }
    if let Some(m) = link.model.filter(|m| m != "default") {
        errors::info(
            ctx,
            format!(
                "This link was made with the weights file “{m}”. Load it with “Load weights…” to see the same view."
            ),
        );
    }
}

/// Opens the images a link names (`None`: the default; `Some("")`: none — a visitor's file).
async fn open_images(ctx: Ctx, wanted: [Option<String>; 2]) {
    let manifest = if ctx.ui.gallery.with_untracked(Vec::is_empty) {
        gallery::load_manifest(ctx).await
    } else {
        ctx.ui.gallery.get_untracked()
    };
    let known = |f: &str| manifest.iter().any(|g| g.file == f);
    let mut names: [Option<String>; 2] = [None, None];
    let mut own = Vec::new();
    for side in Side::BOTH {
        let name = match &wanted[side.index()] {
            None => known(DEFAULT_IMAGE).then(|| DEFAULT_IMAGE.to_owned()),
            Some(n) if n.is_empty() => {
                if ctx.ui.images[side.index()].with_untracked(Option::is_some) {
                    images::set_image(ctx, side, None);
                }
                own.push(side.name());
                None
            }
            Some(n) if known(n) => Some(n.clone()),
            Some(n) => {
                errors::error(ctx, format!("“{n}” is not in the gallery."));
                None
            }
        };
        names[side.index()] = name;
    }
    if !own.is_empty() {
        errors::info(
            ctx,
            format!(
                "This link's {} image{} the visitor's own file{}: open {} to see the same view.",
                own.join(" and "),
                if own.len() > 1 { "s were" } else { " was" },
                if own.len() > 1 { "s" } else { "" },
                if own.len() > 1 { "them" } else { "it" },
            ),
        );
    }
    // A panel that already shows the wanted gallery image keeps it (and its features).
    let shows = |side: Side, f: &String| {
        ctx.ui.images[side.index()]
            .with_untracked(|i| i.as_ref().and_then(|i| i.gallery.as_ref()) == Some(f))
    };
    let [mut l, mut r] = names;
    if l.as_ref().is_some_and(|f| shows(Side::Left, f)) {
        l = None;
    }
    if r.as_ref().is_some_and(|f| shows(Side::Right, f)) {
        r = None;
    }
    if let Some(l) = &l
        && let Err(err) = images::gallery_image(ctx, Side::Left, l.clone()).await
    {
        errors::error(ctx, err);
    }
    if let Some(r) = r {
        // One image on both sides is decoded once and shares its features.
        if shows(Side::Left, &r) {
            images::same_on_both(ctx, Side::Left);
        } else if let Err(err) = images::gallery_image(ctx, Side::Right, r).await {
            errors::error(ctx, err);
        }
    }
}
