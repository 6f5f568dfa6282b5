//! The status bar: device in use, weights progress, work in progress and its timing.

use crate::ui::ctx::ctx;
use leptos::prelude::*;

/// The bar at the bottom of the page; its `data-*` attributes are what the e2e tests read:
/// `data-backend` (`webgpu`/`cpu`), `data-selftest` (JSON), `data-weights`
/// (`waiting`/`downloading`/`building`/`ready`/`failed`), `data-busy` (`idle` or `busy`).
#[component]
pub fn StatusBar() -> impl IntoView {
    let ctx = ctx();
    let state = ctx.dev;
    let busy = ctx.out.busy;
    let weights_text = move || state.weights.with(|w| w.text());
    let fraction = move || state.weights.with(|w| w.fraction());
    let weights_state = move || state.weights.with(|w| w.state());
    view! {
        <footer
            id="status"
            class="status"
            role="status"
            aria-live="polite"
            data-backend=move || state.backend.get().map_or("starting", |b| b.slug())
            data-selftest=move || state.selftest.get().unwrap_or_default()
            data-weights=weights_state
            data-busy=move || if busy.with(Option::is_some) { "busy" } else { "idle" }
        >
            <span class="backend" title=move || state.fallback_reason.get().unwrap_or_default()>
                {move || state.description.get().unwrap_or_else(|| "starting the device…".into())}
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
/// on `<html data-offline>`: "caching" while a visit stores everything, "ready" once it has,
/// "failed" with `data-offline-reason` and a Retry button (`#offline-retry`), which asks
/// sw-register.js to try again with a `featsim-offline-retry` event. All the logic is there.
#[component]
pub fn OfflineBadge() -> impl IntoView {
    use wasm_bindgen::prelude::*;
    let root = || {
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
    };
    let read = move |name: &str| {
        root()
            .and_then(|e| e.get_attribute(name))
            .unwrap_or_default()
    };
    let state = move || (read("data-offline"), read("data-offline-reason"));
    let offline = RwSignal::new(state());
    // sw-register.js announces every change with this event; the listener lives as long as the page.
    let on_change = Closure::<dyn Fn()>::new(move || offline.set(state()));
    if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
        let _ = doc.add_event_listener_with_callback(
            "featsim-offline",
            on_change.as_ref().unchecked_ref(),
        );
    }
    on_change.forget();
    let retry = move |_: web_sys::MouseEvent| {
        if let Some(doc) = web_sys::window().and_then(|w| w.document())
            && let Ok(ev) = web_sys::Event::new("featsim-offline-retry")
        {
            let _ = doc.dispatch_event(&ev);
        }
    };
    let failed = move || offline.with(|(s, _)| s == "failed");
    let text = move || {
        offline.with(|(s, reason)| match s.as_str() {
            "ready" => "✓ available offline".to_owned(),
            "caching" => "saving for offline use…".to_owned(),
            "failed" => format!("offline copy failed: {reason}"),
            _ => String::new(),
        })
    };
    view! {
        <span id="offline" class="offline" data-state=move || offline.with(|(s, _)| s.clone())>
            <span class="offline-text">{text}</span>
            {move || {
                failed()
                    .then(|| {
                        view! {
                            <button type="button" class="small" id="offline-retry" on:click=retry>
                                "Retry"
                            </button>
                        }
                    })
            }}
        </span>
    }
}
