//! One source, many targets: the shown cell's heatmap over each image of the row, one after the
//! other (each appears as it is done; a newer request stops the rest).

use super::Engine;
use super::features::features;
use super::sinks::Sinks;
use crate::heatmap::{Style, for_cell};
use crate::model::ResNet;
use crate::oneshot::ImageFeatures;
use crate::session::geometry::STRIP_DISPLAY;
use crate::session::keys::HeatKey;
use crate::session::request::Request;
use crate::session::results::RowItem;
use leptos::prelude::*;
use std::rc::Rc;
use std::sync::Arc;

/// Brings the row up to `r` (the panels' features given; the row's own are computed here).
pub async fn run(
    e: &Engine,
    sinks: Sinks,
    r: &Request,
    (generation, model): (u32, Option<&(u32, Rc<ResNet>)>),
    feats: [&Rc<ImageFeatures>; 2],
) {
    let out = sinks.out;
    let s = &r.settings;
    let clear = || {
        out.row.set(Vec::new());
        e.keys.borrow_mut().row.clear();
    };
    let Some(shown) = r.shown() else {
        return clear();
    };
    let Some(source) = r.image(shown.source) else {
        return clear();
    };
    let Some(sm) = feats[shown.source.index()].get(s.block) else {
        return;
    };
    let Some(panel_key) = HeatKey::of(r, generation, shown, (0, 0)) else {
        return clear();
    };
    // The panel heatmap's inputs, over a row image instead of the other panel.
    let key_of = |id: u32, dims| HeatKey {
        images: (source.id, id),
        dims,
        ..panel_key.clone()
    };
    // What is already current stays; the rest waits its turn.
    let done = e.keys.borrow().row.clone();
    let shown_now = out.row.get_untracked();
    let mut items: Vec<Arc<RowItem>> = r
        .targets
        .iter()
        .map(|img| {
            let key = key_of(img.id, img.display_dims(STRIP_DISPLAY));
            let current = done.iter().any(|(id, k)| *id == img.id && *k == key);
            shown_now
                .iter()
                .find(|i| current && i.id == img.id && i.heat.is_some())
                .cloned()
                .unwrap_or_else(|| {
                    Arc::new(RowItem {
                        id: img.id,
                        name: img.name.clone(),
                        url: img.url.clone(),
                        cell: shown.cell,
                        block: s.block,
                        heat: None,
                    })
                })
        })
        .collect();
    out.row.set(items.clone());
    let mut keys: Vec<(u32, HeatKey)> = done
        .into_iter()
        .filter(|(id, _)| items.iter().any(|i| i.id == *id && i.heat.is_some()))
        .collect();
    for (slot, img) in r.targets.iter().enumerate() {
        if items[slot].heat.is_some() {
            continue;
        }
        let tf = match features(e, sinks, model, img, s.size, &[s.block]).await {
            Ok(Some((f, _))) => f,
            Ok(None) => return,
            Err(err) => return sinks.failed("one-vs-many row", &err),
        };
        let Some(tm) = tf.get(s.block) else {
            continue;
        };
        let dims = img.display_dims(STRIP_DISPLAY);
        let style = Style {
            cmap: s.cmap,
            range: s.range,
            width: dims.0,
            height: dims.1,
        };
        match for_cell(sm, shown.cell, tm, style).await {
            Ok(heat) => {
                items[slot] = Arc::new(RowItem {
                    heat: Some(heat),
                    ..(*items[slot]).clone()
                });
                keys.retain(|(id, _)| *id != img.id);
                keys.push((img.id, key_of(img.id, dims)));
                out.row.set(items.clone());
                e.keys.borrow_mut().row = keys.clone();
            }
            Err(err) => return sinks.failed("one-vs-many row", &err),
        }
        if e.superseded() {
            return;
        }
    }
}
