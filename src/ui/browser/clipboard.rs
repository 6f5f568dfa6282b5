//! Copying text to the clipboard.

/// Writes `text` to the clipboard; whether the browser took it (the caller then says "copied",
/// or asks the visitor to copy it from the box shown).
pub async fn copy_text(text: &str) -> bool {
    let Some(clipboard) = web_sys::window().map(|w| w.navigator().clipboard()) else {
        return false;
    };
    wasm_bindgen_futures::JsFuture::from(clipboard.write_text(text))
        .await
        .is_ok()
}
