//! A lost GPU device (driver reset, tab in the background too long, `device.destroy()`): the page
//! says so and carries on on the CPU, with the same model and view.

use super::models::switch_to_cpu;
use crate::compute::Compute;
use crate::ui::ctx::Ctx;
use crate::ui::notify;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

thread_local! {
    /// The GPU device in use, for the test hook.
    static GPU: RefCell<Option<wgpu::Device>> = const { RefCell::new(None) };
}

/// Switches to the CPU when `compute`'s GPU device is lost.
pub fn watch(ctx: Ctx, compute: &Compute) {
    let Some(device) = compute.gpu.clone() else {
        return;
    };
    GPU.with(|g| *g.borrow_mut() = Some(device.clone()));
    device.set_device_lost_callback(move |reason, message| {
        GPU.with(|g| *g.borrow_mut() = None);
        leptos::task::spawn_local(async move {
            notify::error(
                ctx.out,
                format!("the GPU device was lost ({reason:?}: {message}); continuing on the CPU"),
            );
            switch_to_cpu(ctx);
        });
    });
}

/// Test hook: destroys the GPU device as a driver reset would lose it. Returns whether there was
/// one. (For the e2e tests; harmless otherwise — the page recovers on the CPU.)
#[wasm_bindgen]
pub fn featsim_test_lose_gpu() -> bool {
    GPU.with(|g| g.borrow().as_ref().map(wgpu::Device::destroy).is_some())
}
