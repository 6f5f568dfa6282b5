//! Where a refresh gets an image's features: baked by an open bundle, cached, or computed by the
//! model with progress (a streamed model that grew goes on from the deepest block computed).
//! The worker's panels and the one-vs-many row both ask here.

use super::Engine;
use super::sinks::Sinks;
use crate::compute::{DeviceError, read_vec};
use crate::model::{Block, ResNet};
use crate::oneshot::ImageFeatures;
use crate::session::image::PanelImage;
use crate::session::progress::Busy;
use crate::ui::browser::clock::{now_ms, yield_to_browser};
use leptos::prelude::*;
use std::rc::Rc;

/// The features of `img` for `needed` at `size`, and the name of the network they are from:
/// baked ones when they serve, else the model's (cached or computed with progress); `None` when
/// neither is at hand (no model loaded yet).
pub async fn features(
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
