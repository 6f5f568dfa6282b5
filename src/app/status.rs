//! The status bar: device in use, weights progress, work in progress and its timing.

use super::state::ctx;
use leptos::prelude::*;

/// Where the weights are.
#[derive(Debug, Clone, PartialEq)]
pub enum WeightsProgress {
    /// Not started.
    Waiting,
    /// Downloading: bytes so far and total when known.
    Downloading {
        /// Bytes received.
        loaded: u64,
        /// Content length, if the server sent it.
        total: Option<u64>,
    },
    /// Verifying and uploading to the device.
    Building,
    /// Usable.
    Ready {
        /// Model name from the file.
        name: String,
        /// File size.
        bytes: usize,
        /// From request to model on the device.
        millis: f64,
    },
    /// Refused or unreachable.
    Failed(String),
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// The bar at the bottom of the page; its `data-*` attributes are what the e2e tests read:
/// `data-backend` (`webgpu`/`cpu`), `data-selftest` (JSON), `data-weights`
/// (`waiting`/`downloading`/`building`/`ready`/`failed`), `data-busy` (`idle` or `busy`).
#[component]
pub fn StatusBar() -> impl IntoView {
    let ctx = ctx();
    let state = ctx.dev;
    let busy = ctx.out.busy;
    let weights_text = move || match state.weights.get() {
        WeightsProgress::Waiting => "weights: waiting for the device".to_string(),
        WeightsProgress::Downloading {
            loaded,
            total: Some(t),
        } => {
            format!("weights: {} / {}", mb(loaded), mb(t))
        }
        WeightsProgress::Downloading {
            loaded,
            total: None,
        } => format!("weights: {}", mb(loaded)),
        WeightsProgress::Building => "weights: verifying and uploading…".into(),
        WeightsProgress::Ready {
            name,
            bytes,
            millis,
        } => {
            format!(
                "{name} · {} loaded in {:.1} s",
                mb(bytes as u64),
                millis / 1000.0
            )
        }
        WeightsProgress::Failed(e) => format!("weights: {e}"),
    };
    let fraction = move || match state.weights.get() {
        WeightsProgress::Downloading {
            loaded,
            total: Some(t),
        } if t > 0 => Some(loaded as f64 / t as f64),
        WeightsProgress::Building | WeightsProgress::Ready { .. } => Some(1.0),
        _ => None,
    };
    let weights_state = move || match state.weights.get() {
        WeightsProgress::Waiting => "waiting",
        WeightsProgress::Downloading { .. } => "downloading",
        WeightsProgress::Building => "building",
        WeightsProgress::Ready { .. } => "ready",
        WeightsProgress::Failed(_) => "failed",
    };
    view! {
        <footer
            id="status"
            class="status"
            role="status"
            aria-live="polite"
            data-backend=move || state.backend_kind.get().unwrap_or("starting")
            data-selftest=move || state.selftest.get().unwrap_or_default()
            data-weights=weights_state
            data-busy=move || if busy.with(Option::is_some) { "busy" } else { "idle" }
        >
            <span class="backend" title=move || state.fallback_reason.get().unwrap_or_default()>
                {move || state.backend.get().unwrap_or_else(|| "starting the device…".into())}
            </span>
            {move || state.fallback_reason.get().map(|r| view! { <span class="note">{r}</span> })}
            <span class="weights">
                <progress
                    max="1"
                    aria-label="weights download"
                    value=move || fraction().map(|f| f.to_string()).unwrap_or_default()
                ></progress>
                <span class="weights-text">{weights_text}</span>
            </span>
            <OfflineBadge/>
            {move || {
                busy.get()
                    .map(|b| {
                        view! {
                            <span class="busy">
                                <progress
                                    max="1"
                                    aria-label="work in progress"
                                    value=b.fraction.map(|f| f.to_string())
                                ></progress>
                                <span class="busy-text">{b.label}</span>
                            </span>
                        }
                    })
            }}
        </footer>
    }
}

/// Whether the page works offline, as the service worker registration (sw-register.js) reports it
/// on `<html data-offline>`: "caching" on a first visit, "ready" once everything is stored.
#[component]
pub fn OfflineBadge() -> impl IntoView {
    use wasm_bindgen::prelude::*;
    let read = || {
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
            .and_then(|e| e.get_attribute("data-offline"))
            .unwrap_or_default()
    };
    let offline = RwSignal::new(read());
    // sw-register.js announces every change with this event; the listener lives as long as the page.
    let on_change = Closure::<dyn Fn()>::new(move || offline.set(read()));
    if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
        let _ = doc.add_event_listener_with_callback(
            "featsim-offline",
            on_change.as_ref().unchecked_ref(),
        );
    }
    on_change.forget();
    let text = move || match offline.get().as_str() {
        "ready" => "✓ available offline",
        "caching" => "saving for offline use…",
        _ => "",
    };
    view! {
        <span id="offline" class="offline" data-state=move || offline.get()>
            {text}
        </span>
    }
}
