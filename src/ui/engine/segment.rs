//! Segmentation mode: the object on the left found on the right, scored against the ground
//! truth when one is loaded.

use super::Engine;
use super::sinks::Sinks;
use crate::analysis::iou_curve::{Histogram, IouCurve};
use crate::masks::class_mask;
use crate::oneshot::{ImageFeatures, predict};
use crate::segment::{Confusion, SegmentError, mask_from_cells};
use crate::session::geometry::DISPLAY;
use crate::session::iou_plot::{CURVE_STEPS, HISTOGRAM_BINS};
use crate::session::keys::SegKey;
use crate::session::overlay::prediction_overlay;
use crate::session::request::{Request, Support};
use crate::session::results::{PredictedMask, SegView, area};
use crate::ui::browser::clock::now_ms;
use leptos::prelude::*;
use std::rc::Rc;
use std::sync::Arc;

/// What the page says while there is nothing to segment.
const PAINT_HINT: &str =
    "Paint the object on the left image (or load its mask) to find it on the right.";

/// Brings the segmentation up to `r` (features of both sides given).
pub async fn run(
    e: &Engine,
    sinks: Sinks,
    r: &Request,
    generation: u32,
    feats: [&Rc<ImageFeatures>; 2],
) {
    let out = sinks.out;
    let s = &r.settings;
    let Some(query) = r.image(crate::session::side::Side::Right) else {
        return;
    };
    let dims = query.display_dims(DISPLAY);
    let Some(support) = r.support() else {
        out.seg.set(None);
        e.keys.borrow_mut().seg = None;
        out.seg_hint.set(Some(PAINT_HINT.into()));
        return;
    };
    let Some(key) = SegKey::of(r, generation, &support, dims) else {
        return;
    };
    if e.keys.borrow().seg.as_ref() == Some(&key) {
        return;
    }
    if !(feats[0].has(s.block) && feats[1].has(s.block)) {
        out.seg.set(None);
        e.keys.borrow_mut().seg = None;
        out.seg_hint.set(Some(format!(
            "Segmentation at {} starts when its weights have arrived.",
            s.block.name()
        )));
        return;
    }
    let support_mask = match &support {
        Support::Mask(m, class) => class_mask(&m.labels, *class),
        Support::Painted(p) => mask_from_cells(&p.cells, p.grid, s.size),
    };
    let t0 = now_ms();
    let pred = predict(
        s.method,
        s.block,
        s.threshold,
        feats[0],
        &support_mask,
        feats[1],
        (query.width as usize, query.height as usize),
    )
    .await;
    let pred = match pred {
        Ok(p) => p,
        Err(SegmentError::EmptyMask) => {
            out.seg.set(None);
            out.seg_hint.set(Some(SegmentError::EmptyMask.to_string()));
            e.keys.borrow_mut().seg = Some(key);
            return;
        }
        Err(err) => return sinks.failed("segmentation", &err),
    };
    let (iou, iou_note, truth) = match r.truth() {
        Some((m, class)) if m.labels.dimensions() == (query.width, query.height) => {
            let c = Confusion::count(&pred.mask, m.labels.as_raw(), class);
            (Some(c.iou()), None, Some((m.labels.as_ref(), class)))
        }
        Some((m, _)) => (
            None,
            Some(format!(
                "the ground truth is {}×{} but the image is {}×{}",
                m.labels.width(),
                m.labels.height(),
                query.width,
                query.height
            )),
            None,
        ),
        None => (None, None, None),
    };
    let curve = truth
        .map(|(labels, class)| IouCurve::new(&pred.score, labels.as_raw(), class, CURVE_STEPS));
    let histogram = Histogram::new(
        &pred.score,
        truth.map(|(labels, class)| (labels.as_raw().as_slice(), class)),
        HISTOGRAM_BINS,
    );
    let rgba = prediction_overlay(&pred.mask, (query.width, query.height), truth, dims);
    out.seg_hint.set(None);
    out.seg.set(Some(Arc::new(SegView {
        width: dims.0,
        height: dims.1,
        rgba,
        cut: pred.cut,
        iou,
        iou_note,
        area: area(&pred.mask),
        millis: now_ms() - t0,
        method: s.method,
        threshold: s.threshold,
        curve,
        histogram,
    })));
    // Kept for the mask download (at the query's own size).
    *e.last_mask.borrow_mut() = Some(PredictedMask {
        width: query.width,
        height: query.height,
        mask: pred.mask,
    });
    e.keys.borrow_mut().seg = Some(key);
}
