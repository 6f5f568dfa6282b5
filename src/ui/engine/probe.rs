//! Test hook: what the page holds in memory (for tests/e2e/soak.test.mjs), read from outside the
//! reactive tree, hence its own copy of the device handle.

use burn::tensor::Device;
use std::cell::RefCell;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::wasm_bindgen;

thread_local! {
    /// The device in use (set with the engine's).
    static DEVICE: RefCell<Option<Device>> = const { RefCell::new(None) };
}

/// Follows the engine's device.
pub(super) fn watch(device: &Device) {
    DEVICE.with(|d| *d.borrow_mut() = Some(device.clone()));
}

/// Test hook: `{"wasm": bytes of linear memory, "gpu_reserved", "gpu_in_use", "gpu_allocs"}`
/// as JSON; the GPU figures (burn's allocator) are `null` on the CPU.
#[wasm_bindgen]
pub fn featsim_test_memory() -> String {
    let wasm = wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .ok()
        .and_then(|m| m.buffer().dyn_into::<js_sys::ArrayBuffer>().ok())
        .map(|b| b.byte_length());
    let gpu = DEVICE.with(|d| d.borrow().as_ref().and_then(Device::memory_pool_usage));
    serde_json::json!({
        "wasm": wasm,
        "gpu_reserved": gpu.as_ref().map(|u| u.bytes_reserved),
        "gpu_in_use": gpu.as_ref().map(|u| u.bytes_in_use),
        "gpu_allocs": gpu.as_ref().map(|u| u.number_allocs),
    })
    .to_string()
}
