//! Saving bytes as a file, and object URLs for bytes.

use super::fetch::js_message;
use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsCast;

/// A blob of `bytes`.
pub fn blob(bytes: &[u8]) -> Result<web_sys::Blob, String> {
    let parts = Array::of1(&Uint8Array::from(bytes));
    web_sys::Blob::new_with_u8_array_sequence(&parts).map_err(|e| js_message(&e))
}

/// An object URL for `bytes` (an `<img>`'s source); free it with [`revoke`].
pub fn object_url(bytes: &[u8]) -> Result<String, String> {
    web_sys::Url::create_object_url_with_blob(&blob(bytes)?).map_err(|e| js_message(&e))
}

/// Frees an object URL.
pub fn revoke(url: &str) {
    let _ = web_sys::Url::revoke_object_url(url);
}

/// Saves `blob` as `file_name` through a temporary link.
pub fn save(blob: &web_sys::Blob, file_name: &str) -> Result<(), String> {
    let url = web_sys::Url::create_object_url_with_blob(blob).map_err(|e| js_message(&e))?;
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement = doc
        .create_element("a")
        .map_err(|e| js_message(&e))?
        .dyn_into()
        .map_err(|_| "not an anchor")?;
    a.set_href(&url);
    a.set_download(file_name);
    a.click();
    // The download has its own copy once started; free the URL a little later.
    leptos::prelude::set_timeout(move || revoke(&url), std::time::Duration::from_secs(10));
    Ok(())
}
