//! "Why alike": the channels that carry most of the cosine of the pinned cell and a cell of the
//! other panel (under the pointer, else the best match), and where each is active.

use super::Engine;
use super::sinks::Sinks;
use crate::analysis::shares::WhyAlike;
use crate::compute::read_vec;
use crate::oneshot::ImageFeatures;
use crate::session::geometry::{Cell, clamp_cell};
use crate::session::keys::{HeatKey, WhyKey};
use crate::session::overlay::channel_thumbs;
use crate::session::request::{Request, Shown};
use crate::session::results::{ChannelView, WhyView};
use crate::session::side::Side;
use crate::session::views::View;
use crate::similarity::UnitMap;
use leptos::prelude::*;
use std::rc::Rc;
use std::sync::Arc;

/// Channels listed.
const TOP: usize = 8;

/// Brings "why alike" up to `r` (features of both sides given); nothing while it is not shown.
pub async fn run(
    e: &Engine,
    sinks: Sinks,
    r: &Request,
    generation: u32,
    feats: [&Rc<ImageFeatures>; 2],
) {
    let out = sinks.out;
    let s = &r.settings;
    let clear = || {
        out.why.set(None);
        e.keys.borrow_mut().why = None;
    };
    let Some((source, cell)) = s.pin.filter(|_| s.view == View::Heatmap && s.why) else {
        return clear();
    };
    let target = source.other();
    let grid = s.grid();
    let hovered = r
        .hover
        .filter(|(side, _)| *side == target)
        .map(|(_, c)| clamp_cell(c, grid));
    let shown = Shown {
        source,
        cell,
        pinned: true,
    };
    let Some(heat) = HeatKey::of(r, generation, shown, (0, 0)) else {
        return clear();
    };
    let key = WhyKey {
        heat,
        other: hovered,
    };
    if e.keys.borrow().why.as_ref() == Some(&key) {
        return;
    }
    let (Some(sm), Some(tm)) = (
        feats[source.index()].get(s.block),
        feats[target.index()].get(s.block),
    ) else {
        return clear();
    };
    let at = |m: &UnitMap, (r, c): Cell| r * m.w + c;
    let other = match hovered {
        Some(c) => c,
        None => match best_match(sm, cell, tm).await {
            Ok(c) => c,
            Err(err) => return sinks.failed("why alike", &err),
        },
    };
    let why = match WhyAlike::of(sm, at(sm, cell), tm, at(tm, other), TOP).await {
        Ok(w) => w,
        Err(err) => return sinks.failed("why alike", &err),
    };
    let (left, right) = match source {
        Side::Left => (&why.left_maps, &why.right_maps),
        Side::Right => (&why.right_maps, &why.left_maps),
    };
    let channels = why
        .channels
        .iter()
        .zip(left.iter().zip(right))
        .map(|(c, (l, r))| ChannelView {
            channel: c.channel,
            share: c.share,
            thumbs: channel_thumbs([l, r], s.cmap),
        })
        .collect();
    let grids = match source {
        Side::Left => [(sm.h, sm.w), (tm.h, tm.w)],
        Side::Right => [(tm.h, tm.w), (sm.h, sm.w)],
    };
    out.why.set(Some(Arc::new(WhyView {
        source,
        cell,
        other,
        hovered: hovered.is_some(),
        block: s.block,
        channels_in_block: sm.c,
        cosine: why.cosine,
        grids,
        channels,
    })));
    e.keys.borrow_mut().why = Some(key);
}

/// The cell of `tm` most like cell `cell` of `sm` (the first on ties).
async fn best_match(
    sm: &UnitMap,
    cell: Cell,
    tm: &UnitMap,
) -> Result<Cell, crate::compute::DeviceError> {
    let values = read_vec::<f32, 2, _>(tm.cosine(sm.cell(cell.0, cell.1))).await?;
    let i = (0..values.len()).fold(0, |b, i| if values[i] > values[b] { i } else { b });
    Ok((i / tm.w, i % tm.w))
}
