//! The one worker: each new request is submitted here (latest wins, see
//! `session::schedule`); a refresh brings features, heatmaps and segmentation up to it, skipping
//! what is already current (`session::keys`).

use super::sinks::Sinks;
use super::{Engine, explore, segment};
use crate::compute::{DeviceError, read_vec};
use crate::model::ResNet;
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
    let shown: Vec<u32> = r.images.iter().flatten().map(|i| i.id).collect();
    // Features of images no panel shows any more are freed.
    e.cache.borrow_mut().keep_images(&shown);
    let Some((generation, net)) = e.model() else {
        return;
    };
    let (Some(left), Some(right)) = (&r.images[0], &r.images[1]) else {
        // Nothing to compare yet; results of earlier images must not linger.
        for side in Side::BOTH {
            out.heat[side.index()].set(None);
        }
        out.strip.set(None);
        out.seg.set(None);
        e.forget_results();
        return;
    };
    let size = r.settings.size;
    let lf = match features(e, sinks, &net, generation, left, size).await {
        Ok(f) => f,
        Err(err) => return sinks.failed("features", &err),
    };
    let rf = if right.id == left.id {
        lf.clone()
    } else {
        match features(e, sinks, &net, generation, right, size).await {
            Ok(f) => f,
            Err(err) => return sinks.failed("features", &err),
        }
    };
    if e.superseded() {
        return;
    }
    match r.settings.mode {
        Mode::Explore => {
            let model = net.spec().name.clone();
            explore::run(e, sinks, r, (generation, &model), [&lf, &rf]).await
        }
        Mode::Segment => segment::run(e, sinks, r, generation, [&lf, &rf]).await,
    }
}

/// The features of `img` at `size` from the cache, or computed with progress.
async fn features(
    e: &Engine,
    sinks: Sinks,
    net: &ResNet,
    generation: u32,
    img: &PanelImage,
    size: u32,
) -> Result<Rc<ImageFeatures>, DeviceError> {
    let key = (img.id, size, generation);
    if let Some(f) = e.cache.borrow_mut().get(key) {
        return Ok(f);
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
    for (i, m) in f.maps.iter().enumerate() {
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
