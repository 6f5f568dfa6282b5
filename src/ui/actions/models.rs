//! Models: loading one (served or the visitor's file) onto the device, and moving to the CPU.

use crate::compute::Compute;
use crate::model::ResNet;
use crate::session::messages::Action;
use crate::session::models::{ModelEntry, ModelRef};
use crate::session::progress::WeightsProgress;

use crate::session::limits::Input;
use crate::ui::browser::clock::{now_ms, yield_to_browser};
use crate::ui::browser::fetch::{SUPERSEDED, fetch_with_progress};
use crate::ui::browser::files::read_file_with_progress;
use crate::ui::ctx::Ctx;
use crate::ui::engine::ModelSource;
use crate::ui::notify;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Registers a model source and lists it in the picker under `name`; returns its id.
pub fn add(ctx: Ctx, source: ModelSource, name: String, link_name: String) -> u32 {
    let id = ctx.engine().next_id();
    ctx.engine().add_source(id, source);
    ctx.ui.models.update(|m| {
        m.push(ModelEntry {
            id,
            name,
            link_name,
        })
    });
    id
}

/// Loads a visitor's weights file as a new model and switches to it; a refused file is removed
/// from the picker again and the previous model stays.
pub fn load_weights_file(ctx: Ctx, file: web_sys::File) {
    let name = file.name();
    let id = add(
        ctx,
        ModelSource::File(file),
        format!("{name} (reading…)"),
        name.clone(),
    );
    spawn_local(async move {
        match load(ctx, id).await {
            Ok(Loaded::Installed) => {}
            // Another model was asked for meanwhile: this one stays listed, to pick again.
            Ok(Loaded::Superseded) => ctx.ui.models.update(|m| {
                if let Some(entry) = m.iter_mut().find(|m| m.id == id) {
                    entry.name = name;
                }
            }),
            Err(err) => {
                notify::error(ctx.out, err);
                ctx.engine().remove_source(id);
                ctx.ui.models.update(|m| m.retain(|x| x.id != id));
            }
        }
    });
}

/// Switches to model `id` (a failure is shown; the previous model stays).
pub fn select(ctx: Ctx, id: u32) {
    if ctx.ui.model.with_untracked(|m| m.as_ref().map(|m| m.id)) == Some(id) {
        return;
    }
    spawn_local(async move {
        if let Err(err) = load(ctx, id).await {
            notify::error(ctx.out, err);
        }
    });
}

/// How a load ended when nothing was wrong with the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loaded {
    /// On the device and in use.
    Installed,
    /// A newer load started before this one finished: it stopped, and the newer one decides.
    Superseded,
}

/// Reads or downloads model `id`, builds it on the engine's device and makes it current. The
/// newest load wins: an older one still running stops at its next step and changes nothing.
/// On failure the previous model stays in use.
pub async fn load(ctx: Ctx, id: u32) -> Result<Loaded, String> {
    let e = ctx.engine();
    let source = e.source(id).ok_or("that model is no longer available")?;
    let ticket = e.begin_load();
    let current = move || ctx.engine().load_is_current(ticket);
    let before = ctx.dev.weights.get_untracked();
    let built = build(ctx, &source, current).await;
    if !current() {
        // Whatever happened, a newer load owns the status and the device now.
        return Ok(Loaded::Superseded);
    }
    match built {
        Ok((net, bytes, millis)) => {
            let name = net.spec().name.clone();
            let file = net.file_summary();
            let generation = e.install(net);
            let mut link_name = String::new();
            ctx.ui.models.update(|m| {
                if let Some(entry) = m.iter_mut().find(|m| m.id == id) {
                    entry.name = name.clone();
                    link_name = entry.link_name.clone();
                }
            });
            // The request follows: the worker computes with the new model.
            ctx.ui.model.set(Some(ModelRef {
                id,
                generation,
                link_name,
            }));
            ctx.dev.weights.set(WeightsProgress::Ready {
                name,
                file,
                bytes,
                millis,
            });
            Ok(Loaded::Installed)
        }
        Err(err) => {
            // A refused visitor file leaves the working model as it was.
            if e.has_model() {
                ctx.dev.weights.set(before);
            } else {
                ctx.dev.weights.set(WeightsProgress::Failed(err.clone()));
            }
            Err(err)
        }
    }
}

/// Reads, verifies and builds a model, asking `current` between steps so that a superseded load
/// lets go of its bytes early (its result is dropped by `load` anyway).
async fn build(
    ctx: Ctx,
    source: &ModelSource,
    current: impl Fn() -> bool + Copy,
) -> Result<(ResNet, usize, f64), String> {
    let t0 = now_ms();
    let progress = |loaded, total| {
        if current() {
            ctx.dev
                .weights
                .set(WeightsProgress::Downloading { loaded, total });
        }
    };
    let (bytes, file_name) = match source {
        ModelSource::Url(url) => (
            fetch_with_progress(url, Input::Weights, progress, current).await?,
            url.clone(),
        ),
        ModelSource::File(f) => (
            read_file_with_progress(f, Input::Weights, progress, current).await?,
            f.name(),
        ),
    };
    let size = bytes.len();
    if !current() {
        return Err(SUPERSEDED.into());
    }
    ctx.dev.weights.set(WeightsProgress::Building);
    // Let the browser paint the new status before the synchronous parse and upload.
    yield_to_browser().await;
    if !current() {
        return Err(SUPERSEDED.into());
    }
    let weights = crate::model::open_weights(bytes, &file_name).map_err(|e| e.to_string())?;
    let device = ctx.engine().compute().device;
    let net = ResNet::new(&weights, &device).map_err(|e| format!("{file_name}: {e}"))?;
    drop(weights);
    net.uploaded()
        .await
        .map_err(|err| format!("uploading the weights failed: {err}"))?;
    Ok((net, size, now_ms() - t0))
}

/// Shows the device in use.
pub fn show_device(ctx: Ctx, compute: &Compute, reason: Option<String>) {
    ctx.dev.description.set(Some(compute.describe()));
    ctx.dev.backend.set(Some(compute.kind));
    ctx.dev.fallback_reason.set(reason);
}

/// Moves to the CPU backend (after a GPU failure) and rebuilds the current model there.
pub fn switch_to_cpu(ctx: Ctx) {
    let cpu = Compute::cpu();
    ctx.engine().set_compute(cpu.clone());
    show_device(
        ctx,
        &cpu,
        Some("switched to the CPU after a GPU failure".into()),
    );
    // Offers to switch are moot now (a lost device reports both its loss and its failed work).
    ctx.out
        .messages
        .update(|m| m.drop_action(Action::SwitchToCpu));
    let id = ctx.ui.model.with_untracked(|m| m.as_ref().map(|m| m.id));
    spawn_local(async move {
        if let Some(id) = id
            && let Err(err) = load(ctx, id).await
        {
            notify::error(ctx.out, err);
        }
    });
}
