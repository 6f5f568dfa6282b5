//! The page's start: restore a link (its settings, images and bundle), bring up the device, prove
//! it computes, then load the default model — unless a baked bundle's features serve the view,
//! in which case the model waits until something they lack is asked for. An embed waits until
//! it is on screen, and a live one (no bundle) until its reader clicks. Opening what the link
//! names is `open`'s.

use super::open::open_view;
use super::view::apply_link;
use super::{device_lost, host, models};
use crate::session::embed::is_embed;
use crate::session::link::LinkView;
use crate::session::progress::WeightsProgress;
use crate::ui::browser::clock::sleep;
use crate::ui::browser::{attention, device, location};
use crate::ui::ctx::Ctx;
use crate::ui::notify;
use leptos::prelude::*;

/// What the page sets up before anything loads, in the app's reactive scope: the default model's
/// entry (returned), and what reacts from then on — the offline copy after the model, the model
/// when a bundle lacks something, an embed's host-page API.
pub fn prepare(ctx: Ctx, link: &LinkView) -> u32 {
    offline_copy_after_model(ctx);
    let id = models::add_default(ctx);
    models::load_when_wanted(ctx, id);
    if is_embed(&location::query()) {
        host::listen(ctx, link);
    }
    id
}

/// Restores the link, opens its images (a bundle's with their features) while the device comes
/// up, and loads the default model (`id`) when the view needs it.
pub async fn start(ctx: Ctx, link: LinkView, id: u32) {
    apply_link(ctx, &link);
    let embed = is_embed(&location::query());
    if embed {
        // Nothing heavy for a frame the reader has not scrolled to.
        attention::visible().await;
    }
    let (baked, (compute, reason)) =
        futures::future::join(open_view(ctx, link.clone()), device::acquire_device()).await;
    models::show_device(ctx, &compute, reason);
    // A baked view's first heatmap comes first: the self-test's shaders take a second or two
    // to compile on a software GPU, the model a download anyway.
    if !baked {
        selftest(ctx, &compute.device).await;
    }
    device_lost::watch(ctx, &compute);
    let device = compute.device.clone();
    ctx.engine().set_compute(compute);
    models::device_ready(ctx);
    if baked {
        for _ in 0..200 {
            if ctx
                .out
                .heat
                .iter()
                .any(|h| h.with_untracked(Option::is_some))
            {
                break;
            }
            sleep(50).await;
        }
        selftest(ctx, &device).await;
    } else {
        if embed {
            ctx.dev.weights.set(WeightsProgress::Deferred(
                "click to run ResNet-50 here (a 47.5 MB download)".into(),
            ));
            attention::first_gesture().await;
        }
        if let Err(err) = models::load(ctx, id).await {
            notify::error(ctx.out, err);
        }
    }
    if let Some(m) = link.model.filter(|m| m != "default") {
        notify::info(
            ctx.out,
            format!(
                "This link was made with the weights file “{m}”. Load it with “Load weights…” to see the same view."
            ),
        );
    }
}

/// Proves the device computes known numbers (shown in the status bar's `data-selftest`).
async fn selftest(ctx: Ctx, device: &burn::tensor::Device) {
    match crate::selftest::run(device).await {
        Ok(r) => ctx.dev.selftest.set(serde_json::to_string(&r).ok()),
        Err(e) => notify::error(ctx.out, format!("device self-test failed: {e}")),
    }
}

/// The offline copy (sw-register.js) starts once the model has loaded or failed, or a bundle's
/// features serve the view: its downloads would otherwise share the network with the model's.
fn offline_copy_after_model(ctx: Ctx) {
    let weights = ctx.dev.weights;
    Effect::new(move |announced: Option<bool>| {
        let settled = announced == Some(true) || weights.with(|w| w.settled());
        if settled && announced != Some(true) {
            announce_model_settled();
        }
        settled
    });
}

/// Marks `<html data-model="settled">` and sends `featsim-model-settled` (sw-register.js
/// starts the offline copy on either, whichever it sees first).
fn announce_model_settled() {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Some(root) = doc.document_element() {
        let _ = root.set_attribute("data-model", "settled");
    }
    if let Ok(ev) = web_sys::Event::new("featsim-model-settled") {
        let _ = doc.dispatch_event(&ev);
    }
}
