//! The one worker: each new request is submitted here (latest wins, see
//! `session::schedule`); a refresh brings features, heatmaps and segmentation up to it, skipping
//! what is already current (`session::keys`).

use super::features::features;
use super::sinks::Sinks;
use super::{Engine, explore, segment, targets, views, why};
use crate::model::Block;
use crate::oneshot::ImageFeatures;
use crate::session::image::PanelImage;
use crate::session::mode::Mode;
use crate::session::request::Request;
use crate::session::side::Side;
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
