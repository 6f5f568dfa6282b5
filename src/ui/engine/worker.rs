//! The one worker: each new request is submitted here (latest wins, see
//! `session::schedule`); a refresh brings features, heatmaps and segmentation up to it, skipping
//! what is already current (`session::keys`).

use super::sinks::Sinks;
use super::{Engine, explore, segment, targets, views, why};
use crate::compute::{DeviceError, read_vec};
use crate::model::{Block, ResNet};
use crate::oneshot::ImageFeatures;
use crate::session::image::PanelImage;
use crate::session::mode::Mode;
use crate::session::progress::Busy;
use crate::session::request::Request;
use crate::session::side::Side;
use crate::ui::browser::clock::{now_ms, yield_to_browser};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::rc::Rc;

/// Brings the results up to `request`: now when the worker is idle, else after the running
/// refresh (a newer request replaces this one).
pub fn submit(e: Rc<Engine>, sinks: Sinks, request: Request) {
    let Some(first) = e.schedule.borrow_mut().submit(request) else {
        return;
    };
    spawn_local(async move {
        let mut next = Some(first);
        while let Some(r) = next {
            refresh(&e, sinks, &r).await;
            next = e.schedule.borrow_mut().finish();
        }
    });
}

async fn refresh(e: &Engine, sinks: Sinks, r: &Request) {
    let out = sinks.out;
    if r.device == 0 {
        // Nothing runs before the device is up (images and a bundle load meanwhile).
        return;
    }
    let shown: Vec<u32> = r
        .images
        .iter()
        .flatten()
        .chain(&r.targets)
        .map(|i| i.id)
        .collect();
    // Features of images no panel shows any more are freed.
    e.cache.borrow_mut().keep_images(&shown);
    e.baked.borrow_mut().retain(|(id, _)| shown.contains(id));
    let (Some(left), Some(right)) = (&r.images[0], &r.images[1]) else {
        // Nothing to compare yet; results of earlier images must not linger.
        for side in Side::BOTH {
            out.heat[side.index()].set(None);
        }
        out.strip.set(None);
        out.seg.set(None);
        out.pca.set(None);
        out.pairs.set(None);
        out.why.set(None);
        out.row.set(Vec::new());
        e.forget_results();
        return;
    };
    let model = e.model();
    let s = &r.settings;
    let needed = match s.mode {
        Mode::Explore => vec![s.block],
        Mode::Segment => s.method.blocks(s.block),
    };
    let mut feats: Vec<Rc<ImageFeatures>> = Vec::with_capacity(2);
    let mut names = Vec::new();
    for img in [left, right] {
        if img.id == left.id && !feats.is_empty() {
            feats.push(feats[0].clone());
            continue;
        }
        match features(e, sinks, model.as_ref(), img, s.size, &needed).await {
            Ok(Some((f, name))) => {
                feats.push(f);
                names.push(name);
            }
            // Neither baked nor a model to compute them: with a bundle open, ask for the
            // model and come back with the request it brings (else the model is on its way,
            // or an embed waits for its reader).
            Ok(None) => {
                if e.bundle().is_some() {
                    sinks.want_model(needed_note(img, s.size, &needed));
                }
                return;
            }
            Err(err) => return sinks.failed("features", &err),
        }
    }
    if e.superseded() {
        return;
    }
    let generation = model.as_ref().map_or(0, |(g, _)| *g);
    let (lf, rf) = (&feats[0], &feats[1]);
    match s.mode {
        Mode::Explore => {
            let name = names.first().cloned().unwrap_or_default();
            explore::run(e, sinks, r, (generation, &name), [lf, rf]).await;
            if !e.superseded() {
                views::run(e, sinks, r, generation, [lf, rf]).await;
            }
            if !e.superseded() {
                why::run(e, sinks, r, generation, [lf, rf]).await;
            }
            if !e.superseded() && s.view == crate::session::views::View::Heatmap {
                targets::run(e, sinks, r, (generation, model.as_ref()), [lf, rf]).await;
            }
        }
        Mode::Segment => segment::run(e, sinks, r, generation, [lf, rf]).await,
    }
}

/// Why the model is needed, for the status line.
fn needed_note(img: &PanelImage, size: u32, blocks: &[Block]) -> String {
    let blocks: Vec<&str> = blocks.iter().map(|b| b.name()).collect();
    format!(
        "{} at {} for {size}² is not in the bundle",
        img.name,
        blocks.join(" and ")
    )
}

/// The features of `img` for `needed` at `size`, and the name of the network they are from:
/// baked ones when they serve, else the model's (cached or computed with progress); `None` when
/// neither is at hand (no model loaded yet).
pub(super) async fn features(
    e: &Engine,
    sinks: Sinks,
    model: Option<&(u32, Rc<ResNet>)>,
    img: &PanelImage,
    size: u32,
    needed: &[Block],
) -> Result<Option<(Rc<ImageFeatures>, String)>, DeviceError> {
    if let Some(b) = e.baked(img.id)
        && b.covers(size, needed)
        && e.baked_fits(&b.network)
    {
        let device = e.compute.borrow().device.clone();
        return Ok(Some((b.features(&device), b.model.clone())));
    }
    let Some((generation, net)) = model else {
        return Ok(None);
    };
    let f = computed(e, sinks, net, *generation, img, size).await?;
    Ok(Some((f, net.spec().name.clone())))
}

/// The model's features of `img` at `size` from the cache, or computed with progress.
async fn computed(
    e: &Engine,
    sinks: Sinks,
    net: &ResNet,
    generation: u32,
    img: &PanelImage,
    size: u32,
) -> Result<Rc<ImageFeatures>, DeviceError> {
    let key = (img.id, size, generation);
    let cached = e.cache.borrow_mut().get(key);
    if let Some(f) = cached {
        // A streamed model grew since: go on from the deepest block computed.
        match f.computed_to() {
            Some(d) if d < net.depth() => {}
            _ => return Ok(f),
        }
        let busy = sinks.out.busy;
        let on = e.compute.borrow().kind;
        let of = net.depth().index() + 1;
        let done = f.computed_to().map_or(0, |d| d.index() + 1);
        busy.set(Some(Busy::features(&img.name, size, on, done, of)));
        yield_to_browser().await;
        let grown = f.extend(net, net.depth());
        let last = grown.get(net.depth()).map(|m| m.cells.clone());
        if let Some(cells) = last
            && let Err(err) = read_vec::<f32, 2, _>(cells.slice([0..1, 0..1])).await
        {
            busy.set(None);
            return Err(err);
        }
        busy.set(None);
        let grown = Rc::new(grown);
        e.cache.borrow_mut().insert(key, grown.clone());
        return Ok(grown);
    }
    let busy = sinks.out.busy;
    let on = e.compute.borrow().kind;
    // A streamed model computes the blocks it has; its next part makes a new generation.
    let depth = net.depth();
    let of = depth.index() + 1;
    busy.set(Some(Busy::features(&img.name, size, on, 0, of)));
    // The CPU backend computes synchronously: let the progress paint first.
    yield_to_browser().await;
    let t0 = now_ms();
    let f = ImageFeatures::compute(net, &img.rgb, size, depth);
    // One value of each block, read in order, tells when that block is done.
    for (i, (_, m)) in f.blocks().enumerate() {
        let probe = read_vec::<f32, 2, _>(m.cells.clone().slice([0..1, 0..1])).await;
        if let Err(err) = probe {
            busy.set(None);
            return Err(err);
        }
        busy.set(Some(Busy::features(&img.name, size, on, i + 1, of)));
    }
    let ms = now_ms() - t0;
    busy.set(None);
    sinks.out.feature_ms.update(|v| {
        v.retain(|(k, _)| *k != (img.id, size));
        v.push(((img.id, size), ms));
    });
    let f = Rc::new(f);
    e.cache.borrow_mut().insert(key, f.clone());
    Ok(f)
}
