//! A failing GPU device: lost (driver reset, tab in the background too long, `device.destroy()`)
//! or raising a WebGPU error no one captured (a validation error in a kernel or a buffer). The page
//! says so and carries on on the CPU, with the same model and view.
//!
//! cubecl-wgpu installs an uncaptured-error handler that panics (its `device_poison.rs`), which in
//! the page is a dead tab; ours replaces it once the device is up.

use super::models::switch_to_cpu;
use crate::compute::Compute;
use crate::session::messages::uncaptured_gpu_error;
use crate::ui::ctx::Ctx;
use crate::ui::notify;
use std::cell::{Cell, RefCell};
use std::sync::Arc;
use wasm_bindgen::prelude::*;

thread_local! {
    /// The GPU device in use, for the test hooks.
    static GPU: RefCell<Option<wgpu::Device>> = const { RefCell::new(None) };
    /// Whether this device has already sent the page to the CPU: its later errors (work still
    /// in flight) change nothing.
    static GAVE_UP: Cell<bool> = const { Cell::new(false) };
}

/// Switches to the CPU when `compute`'s GPU device is lost or reports an uncaptured error.
pub fn watch(ctx: Ctx, compute: &Compute) {
    let Some(device) = compute.gpu.clone() else {
        return;
    };
    GPU.with(|g| *g.borrow_mut() = Some(device.clone()));
    GAVE_UP.with(|g| g.set(false));
    device.set_device_lost_callback(move |reason, message| {
        give_up(
            ctx,
            format!("the GPU device was lost ({reason:?}: {message}); continuing on the CPU"),
        );
    });
    device.on_uncaptured_error(Arc::new(move |error| {
        let (kind, description) = match &error {
            wgpu::Error::Validation { description, .. } => {
                ("validation error", description.clone())
            }
            wgpu::Error::OutOfMemory { .. } => ("out of memory", String::new()),
            wgpu::Error::Internal { description, .. } => ("internal error", description.clone()),
        };
        // The whole text, call site included, is for developers.
        leptos::logging::warn!("uncaptured WebGPU error: {error}");
        give_up(ctx, uncaptured_gpu_error(kind, &description));
    }));
}

/// Says why, once per device, and moves the page to the CPU.
fn give_up(ctx: Ctx, message: String) {
    if GAVE_UP.with(|g| g.replace(true)) {
        return;
    }
    GPU.with(|g| *g.borrow_mut() = None);
    leptos::task::spawn_local(async move {
        notify::error(ctx.out, message);
        switch_to_cpu(ctx);
    });
}

/// Test hook: destroys the GPU device as a driver reset would lose it. Returns whether there was
/// one. (For the e2e tests; harmless otherwise — the page recovers on the CPU.)
#[wasm_bindgen]
pub fn featsim_test_lose_gpu() -> bool {
    GPU.with(|g| g.borrow().as_ref().map(wgpu::Device::destroy).is_some())
}

/// Test hook: makes the GPU device raise a validation error no one captures (a buffer both
/// mappable for reading and usable as storage, which WebGPU forbids), as a kernel the adapter
/// refuses would. Returns whether there was a device.
#[wasm_bindgen]
pub fn featsim_test_gpu_validation_error() -> bool {
    GPU.with(|g| {
        g.borrow()
            .as_ref()
            .map(|d| {
                d.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("featsim test: invalid usage"),
                    size: 16,
                    usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::STORAGE,
                    mapped_at_creation: false,
                })
            })
            .is_some()
    })
}
