//! Explore mode: the shown cell's heatmap over the other image, then the block strip.

use super::Engine;
use super::sinks::Sinks;
use crate::heatmap::{Style, for_cell};
use crate::oneshot::ImageFeatures;
use crate::session::geometry::{DISPLAY, STRIP_DISPLAY, remap_cell};
use crate::session::keys::{HeatKey, StripKey};
use crate::session::request::Request;
use crate::session::results::{MapView, Strip, StripItem};
use crate::ui::browser::clock::now_ms;
use leptos::prelude::*;
use std::rc::Rc;
use std::sync::Arc;

/// Brings the heatmap and the strip up to `r` (features of both sides given).
pub async fn run(
    e: &Engine,
    sinks: Sinks,
    r: &Request,
    (generation, model): (u32, &str),
    feats: [&Rc<ImageFeatures>; 2],
) {
    let out = sinks.out;
    let s = &r.settings;
    let Some(shown) = r.shown() else {
        return;
    };
    let (source, cell, pinned) = (shown.source, shown.cell, shown.pinned);
    let target = source.other();
    let (sf, tf) = (feats[source.index()], feats[target.index()]);
    let Some(timg) = r.image(target) else {
        return;
    };
    let dims = timg.display_dims(DISPLAY);
    let Some(key) = HeatKey::of(r, generation, shown, dims) else {
        return;
    };
    let style = |(width, height): (u32, u32)| Style {
        cmap: s.cmap,
        range: s.range,
        width,
        height,
    };
    let current = e.keys.borrow().heat.as_ref() == Some(&key);
    let maps = sf.get(s.block).zip(tf.get(s.block));
    if maps.is_none() {
        // A streamed model whose part for this block has not arrived: the panel's caption says
        // so, and the strip below shows the blocks that are here.
        out.heat[target.index()].set(None);
        out.heat[source.index()].set(None);
        e.keys.borrow_mut().heat = None;
    } else if current {
        // Same map; only whether it is the pin's (a hover became a click) may have changed.
        let heat = out.heat[target.index()];
        if heat.with_untracked(|m| m.as_ref().is_some_and(|m| m.pinned != pinned)) {
            heat.update(|m| {
                if let Some(m) = m {
                    Arc::make_mut(m).pinned = pinned;
                }
            });
        }
    } else if let Some((sm, tm)) = maps {
        let t0 = now_ms();
        match for_cell(sm, cell, tm, style(dims)).await {
            Ok(heat) => {
                out.heat[target.index()].set(Some(Arc::new(MapView {
                    source,
                    cell,
                    block: s.block,
                    size: s.size,
                    image: timg.name.clone(),
                    model: model.to_owned(),
                    heat,
                    millis: now_ms() - t0,
                    pinned,
                })));
                out.heat[source.index()].set(None);
                e.keys.borrow_mut().heat = Some(key.clone());
            }
            Err(err) => return sinks.failed("heatmap", &err),
        }
    }
    if e.superseded() {
        return;
    }
    // The strip: the same spot at every block, small.
    let sdims = timg.display_dims(STRIP_DISPLAY);
    let skey = StripKey {
        heat: HeatKey { dims: sdims, ..key },
        blocks: sf.blocks().map(|(b, _)| b).filter(|b| tf.has(*b)).collect(),
    };
    if e.keys.borrow().strip.as_ref() == Some(&skey) {
        return;
    }
    let grid = s.grid();
    let mut items = Vec::with_capacity(4);
    for (b, sm) in sf.blocks() {
        let Some(tm) = tf.get(b) else {
            continue;
        };
        let c = remap_cell(cell, grid, b.grid(s.size as usize));
        match for_cell(sm, c, tm, style(sdims)).await {
            Ok(heat) => items.push(StripItem {
                block: b,
                cell: c,
                heat,
            }),
            Err(err) => return sinks.failed("block strip", &err),
        }
        if e.superseded() {
            return;
        }
    }
    out.strip.set(Some(Arc::new(Strip {
        source,
        target,
        items,
    })));
    e.keys.borrow_mut().strip = Some(skey);
}
