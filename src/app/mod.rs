//! The web page (wasm32 only): a Leptos CSR app over the same core as the CLI.

mod boot;
mod fetch;
mod status;

use crate::compute::Compute;
use crate::model::{ResNet, Weights};
use leptos::prelude::*;
use leptos::task::spawn_local;
use status::{StatusBar, WeightsProgress};
use std::cell::RefCell;
use std::rc::Rc;

/// URL of the embedded default model, relative to the page so sub-path hosting works.
const DEFAULT_WEIGHTS: &str = "weights/resnet50-imagenet.bpk";

/// Mounts the app on `<body>`; panics are logged to the console rather than lost.
pub fn mount() {
    console_error_panic_hook::set_once();
    let _ = console_log::init_with_level(log::Level::Info);
    leptos::mount::mount_to_body(App);
}

/// What the page knows about its device and model, shared by the components.
#[derive(Clone, Copy)]
pub struct AppState {
    /// "WebGPU · adapter" or "CPU · …", once the device is up.
    pub backend: RwSignal<Option<String>>,
    /// `webgpu` or `cpu` (for tests and styling).
    pub backend_kind: RwSignal<Option<&'static str>>,
    /// Why WebGPU is not used, when it is not.
    pub fallback_reason: RwSignal<Option<String>>,
    /// JSON of the device self-test (exact small matmul and conv results).
    pub selftest: RwSignal<Option<String>>,
    /// Weights download/parse progress.
    pub weights: RwSignal<WeightsProgress>,
    /// A message for the user when something failed.
    pub error: RwSignal<Option<String>>,
}

/// The page.
#[component]
pub fn App() -> impl IntoView {
    let state = AppState {
        backend: RwSignal::new(None),
        backend_kind: RwSignal::new(None),
        fallback_reason: RwSignal::new(None),
        selftest: RwSignal::new(None),
        weights: RwSignal::new(WeightsProgress::Waiting),
        error: RwSignal::new(None),
    };
    provide_context(state);
    // The model is not `Send`; it lives here, outside the reactive graph.
    let model: Rc<RefCell<Option<ResNet>>> = Rc::new(RefCell::new(None));
    spawn_local(start(state, model));

    view! {
        <header class="top">
            <h1>"FeatSim"</h1>
            <p class="tagline">"What a convolutional network finds alike"</p>
        </header>
        <main>
            <p class="intro">
                "FeatSim runs an ImageNet-trained ResNet in your browser (WebGPU, or the CPU when there is none) "
                "and shows which parts of two images its features find alike."
            </p>
        </main>
        <StatusBar/>
    }
}

/// Brings up the device, proves it computes, then loads the default weights.
async fn start(state: AppState, model: Rc<RefCell<Option<ResNet>>>) {
    let (compute, reason) = boot::acquire_device().await;
    state.backend.set(Some(compute.describe()));
    state.backend_kind.set(Some(match compute.kind {
        crate::compute::BackendKind::Wgpu => "webgpu",
        crate::compute::BackendKind::Cpu => "cpu",
    }));
    state.fallback_reason.set(reason);
    match crate::selftest::run(&compute.device).await {
        Ok(r) => state.selftest.set(serde_json::to_string(&r).ok()),
        Err(e) => state
            .error
            .set(Some(format!("device self-test failed: {e}"))),
    }
    if let Err(e) = load_weights(&state, &compute, &model, DEFAULT_WEIGHTS).await {
        state.weights.set(WeightsProgress::Failed(e.clone()));
        state.error.set(Some(e));
    }
}

/// Downloads (with progress), verifies and builds a model from a `.bpk` URL.
async fn load_weights(
    state: &AppState,
    compute: &Compute,
    model: &Rc<RefCell<Option<ResNet>>>,
    url: &str,
) -> Result<(), String> {
    let t0 = boot::now_ms();
    let bytes = fetch::fetch_with_progress(url, |loaded, total| {
        state
            .weights
            .set(WeightsProgress::Downloading { loaded, total });
    })
    .await?;
    let size = bytes.len();
    state.weights.set(WeightsProgress::Building);
    // Let the browser paint the new status before the synchronous parse and upload.
    boot::yield_to_browser().await;
    let weights = Weights::from_bpk(bytes).map_err(|e| e.to_string())?;
    let net = ResNet::new(&weights, &compute.device).map_err(|e| e.to_string())?;
    net.uploaded().await?;
    let name = net.spec().name.clone();
    *model.borrow_mut() = Some(net);
    state.weights.set(WeightsProgress::Ready {
        name,
        bytes: size,
        millis: boot::now_ms() - t0,
    });
    Ok(())
}
