//! What a visitor meets when the page's code panics. A panic aborts the wasm module for good, so
//! instead of a page that silently stops answering, a banner says so, with the message (for a
//! bug report) and a button that reloads the page (the view is in the link, so it comes back).

use js_sys::{Function, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element};

/// The banner's id (the e2e tests look for it).
const BANNER: &str = "crashed";

/// Installs the panic hook: the console gets the panic as before, the page a banner.
pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        show(&info.to_string());
    }));
}

/// Puts the banner up. Plain DOM calls only: the reactive runtime was interrupted mid-update and
/// no Rust code runs after this hook returns, so the button's handler is the browser's own
/// `location.reload`, bound in JS.
fn show(message: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Some(doc) = window.document() else {
        return;
    };
    // The first panic is the one worth reporting.
    if doc.get_element_by_id(BANNER).is_some() {
        return;
    }
    let Some(banner) = element(&doc, "div", None) else {
        return;
    };
    banner.set_id(BANNER);
    banner.set_class_name("crashed");
    let _ = banner.set_attribute("role", "alert");
    let title = element(
        &doc,
        "strong",
        Some("FeatSim stopped — reload the page to go on."),
    );
    let detail = element(&doc, "pre", Some(message));
    let button = element(&doc, "button", Some("Reload"));
    if let Some(button) = &button {
        let _ = button.set_attribute("type", "button");
        let location = JsValue::from(window.location());
        if let Some(reload) = Reflect::get(&location, &JsValue::from_str("reload"))
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
        {
            let _ = button.add_event_listener_with_callback("click", &reload.bind0(&location));
        }
    }
    for child in [title, detail, button].into_iter().flatten() {
        let _ = banner.append_child(&child);
    }
    if let Some(body) = doc.body() {
        let _ = body.prepend_with_node_1(&banner);
    }
}

fn element(doc: &Document, tag: &str, text: Option<&str>) -> Option<Element> {
    let el = doc.create_element(tag).ok()?;
    el.set_text_content(text);
    Some(el)
}

/// Test hook: panics, as a bug would. (For the e2e tests: the page must show the banner.)
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn featsim_test_panic() {
    panic!("featsim_test_panic was called");
}
