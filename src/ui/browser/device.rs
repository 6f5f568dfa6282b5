//! Device start-up in the browser: WebGPU when it offers an adapter, else the CPU backend.

use crate::compute::Compute;
use js_sys::{Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The device to use and, when it is the CPU, why WebGPU was not used.
pub async fn acquire_device() -> (Compute, Option<String>) {
    match webgpu_adapter_available().await {
        Ok(name) => match Compute::wgpu().await {
            // wgpu's adapter info is empty in browsers; the browser's own description is not.
            Ok(mut c) => {
                if c.adapter.is_empty() {
                    c.adapter = name;
                }
                (c, None)
            }
            Err(e) => (Compute::cpu(), Some(format!("WebGPU failed to start: {e}"))),
        },
        Err(reason) => (Compute::cpu(), Some(reason)),
    }
}

/// Asks `navigator.gpu` for an adapter first, so a missing one is a message rather than a trap.
/// Returns the adapter's description.
async fn webgpu_adapter_available() -> Result<String, String> {
    let navigator = web_sys::window().ok_or("no window")?.navigator();
    let gpu = Reflect::get(&navigator, &JsValue::from_str("gpu"))
        .map_err(|_| "navigator.gpu unreadable")?;
    if gpu.is_undefined() || gpu.is_null() {
        return Err("this browser has no WebGPU (navigator.gpu is missing)".into());
    }
    let request = Reflect::get(&gpu, &JsValue::from_str("requestAdapter"))
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .ok_or("navigator.gpu.requestAdapter is missing")?;
    let promise: Promise = request
        .call0(&gpu)
        .map_err(|e| format!("requestAdapter threw: {e:?}"))?
        .dyn_into()
        .map_err(|_| "requestAdapter did not return a promise")?;
    let adapter = JsFuture::from(promise)
        .await
        .map_err(|e| format!("requestAdapter failed: {e:?}"))?;
    if adapter.is_null() || adapter.is_undefined() {
        return Err("WebGPU offers no adapter on this machine".into());
    }
    let info = Reflect::get(&adapter, &JsValue::from_str("info")).unwrap_or(JsValue::UNDEFINED);
    let field = |k: &str| {
        Reflect::get(&info, &JsValue::from_str(k))
            .ok()
            .and_then(|v| v.as_string())
            .filter(|s| !s.is_empty())
    };
    let name = field("description").unwrap_or_else(|| {
        [field("vendor"), field("architecture")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ")
    });
    Ok(if name.is_empty() {
        "unnamed adapter".into()
    } else {
        name
    })
}
