//! Whether the reader is there: an embed does nothing heavy until its frame is on screen, and a
//! live embed (no bundle) waits for the reader to ask before it downloads the model.

use js_sys::{Array, Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{IntersectionObserver, IntersectionObserverEntry};

/// Resolves once the page's root element is on screen (in a frame: once the frame is scrolled
/// into the top page's view). Where the browser cannot tell, at once.
pub async fn visible() {
    let promise = Promise::new(&mut |resolve: Function, _| {
        let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        else {
            let _ = resolve.call0(&JsValue::NULL);
            return;
        };
        let done = resolve.clone();
        let seen = Closure::<dyn FnMut(Array, IntersectionObserver)>::new(
            move |entries: Array, observer: IntersectionObserver| {
                let on_screen = entries.iter().any(|e| {
                    e.dyn_into::<IntersectionObserverEntry>()
                        .is_ok_and(|e| e.is_intersecting())
                });
                if on_screen {
                    observer.disconnect();
                    let _ = done.call0(&JsValue::NULL);
                }
            },
        );
        match IntersectionObserver::new(seen.as_ref().unchecked_ref()) {
            Ok(observer) => {
                observer.observe(&root);
                // Lives until the page goes: it fires once more at most.
                seen.forget();
            }
            Err(_) => {
                let _ = resolve.call0(&JsValue::NULL);
            }
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Resolves on the reader's first click, tap or key press in the page.
pub async fn first_gesture() {
    let promise = Promise::new(&mut |resolve: Function, _| {
        let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
            let _ = resolve.call0(&JsValue::NULL);
            return;
        };
        let opts = web_sys::AddEventListenerOptions::new();
        opts.set_once(true);
        opts.set_capture(true);
        for event in ["pointerdown", "keydown"] {
            let _ = doc.add_event_listener_with_callback_and_add_event_listener_options(
                event, &resolve, &opts,
            );
        }
    });
    let _ = JsFuture::from(promise).await;
}
