//! Models: loading one (served or the visitor's file) onto the device, and moving to the CPU.

use crate::compute::Compute;
use crate::model::{BlockManifest, BlocksError, ResNet};
use crate::session::messages::Action;
use crate::session::models::{ModelEntry, ModelRef};
use crate::session::progress::WeightsProgress;

use crate::session::limits::Input;
use crate::ui::browser::clock::{now_ms, yield_to_browser};
use crate::ui::browser::fetch::{
    SUPERSEDED, fetch_bytes, fetch_with_progress, refetch_with_progress,
};
use crate::ui::browser::files::read_file_with_progress;
use crate::ui::ctx::Ctx;
use crate::ui::engine::ModelSource;
use crate::ui::notify;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// URL of the page's default model's manifest (streamed block by block), relative to the page so
/// sub-path hosting works.
pub const DEFAULT_MODEL: &str = "weights/blocks/resnet50-imagenet.blocks.json";

/// The default model's manifest (1 kB): what a bundle's features are checked against before the
/// model itself is needed.
pub async fn default_manifest() -> Result<BlockManifest, String> {
    let bytes = fetch_bytes(DEFAULT_MODEL, Input::List).await?;
    BlockManifest::parse(&bytes).map_err(|e| format!("{DEFAULT_MODEL}: {e}"))
}

/// Registers the page's default model in the picker (not loaded yet); returns its id.
pub fn add_default(ctx: Ctx) -> u32 {
    add(
        ctx,
        ModelSource::Blocks(DEFAULT_MODEL.into()),
        "ResNet-50 (embedded)".into(),
        "default".into(),
    )
}

/// Loads the default model the first time a view needs it and none is on the device or on its
/// way (a bundle's features lacked what was asked); the status says why.
pub fn load_when_wanted(ctx: Ctx, id: u32) {
    Effect::new(move |_| {
        let Some(why) = ctx.out.model_wanted.get() else {
            return;
        };
        let idle = ctx.dev.weights.with_untracked(|w| {
            matches!(w, WeightsProgress::Waiting | WeightsProgress::Baked { .. })
        });
        if !idle || ctx.engine().has_model() {
            return;
        }
        notify::info(ctx.out, format!("Loading the model: {why}."));
        spawn_local(async move {
            if let Err(err) = load(ctx, id).await {
                notify::error(ctx.out, err);
            }
        });
    });
}

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
    let built = match &source {
        ModelSource::Blocks(url) => return stream(ctx, id, url, current, before).await,
        ModelSource::File(file) => build(ctx, file, current).await,
    };
    if !current() {
        // Whatever happened, a newer load owns the status and the device now.
        return Ok(Loaded::Superseded);
    }
    match built {
        Ok((net, bytes, millis)) => {
            let ready = WeightsProgress::Ready {
                name: net.spec().name.clone(),
                file: net.file_summary(),
                bytes,
                millis,
            };
            make_current(ctx, id, net, None, ready);
            Ok(Loaded::Installed)
        }
        Err(err) => Err(refused(ctx, before, err)),
    }
}

/// Installs `net` as model `id` and shows `progress`; the request follows, so the worker
/// computes with it.
fn make_current(
    ctx: Ctx,
    id: u32,
    net: ResNet,
    network: Option<String>,
    progress: WeightsProgress,
) {
    let name = net.spec().name.clone();
    let depth = net.depth();
    // A streamed model that grew by a part is the same network: what was computed with it
    // stays, and the worker goes on from there.
    let grown = ctx
        .ui
        .model
        .with_untracked(|m| m.as_ref().is_some_and(|m| m.id == id && m.depth < depth));
    let generation = if grown {
        ctx.engine().grow(net)
    } else {
        ctx.engine().install(net, network)
    };
    let mut link_name = String::new();
    ctx.ui.models.update(|m| {
        if let Some(entry) = m.iter_mut().find(|m| m.id == id) {
            entry.name = name.clone();
            link_name = entry.link_name.clone();
        }
    });
    ctx.ui.model.set(Some(ModelRef {
        id,
        generation,
        link_name,
        depth,
    }));
    ctx.dev.weights.set(progress);
}

/// A load failed before any of it was installed: the working model (if any) stays, with its
/// status; returns the message.
fn refused(ctx: Ctx, before: WeightsProgress, err: String) -> String {
    if ctx.engine().has_model() {
        ctx.dev.weights.set(before);
    } else {
        ctx.dev.weights.set(WeightsProgress::Failed(err.clone()));
    }
    err
}

/// Loads a streamed model (`X.blocks.json` and its parts, `model::blocks`): each part is
/// fetched, checked against the manifest and added in run order, and the model is made current
/// after each, so heatmaps come at the blocks already there while the rest arrives.
async fn stream(
    ctx: Ctx,
    id: u32,
    url: &str,
    current: impl Fn() -> bool + Copy,
    before: WeightsProgress,
) -> Result<Loaded, String> {
    let t0 = now_ms();
    let manifest = match fetch_with_progress(url, Input::List, |_, _| {}, current).await {
        Ok(bytes) => BlockManifest::parse(&bytes).map_err(|e| format!("{url}: {e}")),
        Err(err) => Err(err),
    };
    if !current() {
        return Ok(Loaded::Superseded);
    }
    let manifest = manifest.map_err(|err| refused(ctx, before.clone(), err))?;
    let base = url.rsplit_once('/').map_or("", |(dir, _)| dir);
    let total = manifest.total_bytes();
    let device = ctx.engine().compute().device;
    let mut net: Option<ResNet> = None;
    let mut got = 0u64;
    let parts = &manifest.parts;
    for (i, entry) in parts.iter().enumerate() {
        let part_url = if base.is_empty() {
            entry.file.clone()
        } else {
            format!("{base}/{}", entry.file)
        };
        let name = manifest.model.clone();
        let ready = net.as_ref().map(ResNet::depth);
        let progress = |loaded: u64, _| {
            if !current() {
                return;
            }
            ctx.dev.weights.set(match ready {
                None => WeightsProgress::Downloading {
                    loaded: got + loaded,
                    total: Some(total),
                },
                Some(ready) => WeightsProgress::Partial {
                    name: name.clone(),
                    ready,
                    part: (loaded, entry.bytes),
                    all: (got + loaded, total),
                    stopped: None,
                },
            })
        };
        let step = async {
            let bytes = fetch_with_progress(&part_url, Input::Weights, progress, current).await?;
            if !current() {
                return Err(SUPERSEDED.to_string());
            }
            if ready.is_none() {
                ctx.dev.weights.set(WeightsProgress::Building);
            }
            // Let the browser paint the status before the synchronous check and upload.
            yield_to_browser().await;
            let weights = match manifest.open_part(i, bytes) {
                // Damaged on the way or in a cache (hashed names are cached for ever): one more
                // download past every cache, then the part is refused.
                Err(BlocksError::Size { .. } | BlocksError::Sha256(_)) => {
                    let bytes =
                        refetch_with_progress(&part_url, Input::Weights, progress, current).await?;
                    if !current() {
                        return Err(SUPERSEDED.to_string());
                    }
                    yield_to_browser().await;
                    manifest.open_part(i, bytes)
                }
                opened => opened,
            }
            .map_err(|e| e.to_string())?;
            let grown = match &net {
                None => ResNet::partial(&weights, &device),
                Some(n) => n.grow(&weights),
            }
            .map_err(|e| format!("{}: {e}", entry.file))?;
            drop(weights);
            grown
                .uploaded()
                .await
                .map_err(|err| format!("uploading the weights failed: {err}"))?;
            Ok::<_, String>(grown)
        }
        .await;
        if !current() {
            return Ok(Loaded::Superseded);
        }
        let grown = match step {
            Ok(grown) => grown,
            Err(err) => {
                let Some(ready) = ready else {
                    return Err(refused(ctx, before, err));
                };
                // The blocks already here keep working; nothing of the refused part is used.
                ctx.dev.weights.set(WeightsProgress::Partial {
                    name,
                    ready,
                    part: (0, entry.bytes),
                    all: (got, total),
                    stopped: Some(err.clone()),
                });
                return Err(err);
            }
        };
        got += entry.bytes;
        let progress = match parts.get(i + 1) {
            Some(next) => WeightsProgress::Partial {
                name,
                ready: grown.depth(),
                part: (0, next.bytes),
                all: (got, total),
                stopped: None,
            },
            None => WeightsProgress::Ready {
                name,
                file: match parts.len() {
                    1 => grown.file_summary(),
                    n => format!("{}, {n} parts", grown.file_summary()),
                },
                bytes: got as usize,
                millis: now_ms() - t0,
            },
        };
        make_current(
            ctx,
            id,
            grown.clone(),
            Some(manifest.network.clone()),
            progress,
        );
        net = Some(grown);
    }
    Ok(Loaded::Installed)
}

/// Reads, verifies and builds a visitor's model file, asking `current` between steps so that a
/// superseded load lets go of its bytes early (its result is dropped by `load` anyway).
async fn build(
    ctx: Ctx,
    file: &web_sys::File,
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
    let bytes = read_file_with_progress(file, Input::Weights, progress, current).await?;
    let file_name = file.name();
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

/// Marks the device as up (a new one after a GPU failure too): the request follows, so the
/// worker computes on it.
pub fn device_ready(ctx: Ctx) {
    ctx.dev.device.update(|n| *n += 1);
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
    device_ready(ctx);
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
