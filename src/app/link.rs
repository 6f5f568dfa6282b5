//! Links to a view: the URL fragment (`#block=layer4&size=512&cell=5,9&…`) carries the model,
//! block, input size, pinned cell, colours, mode and — for gallery images — the images. Opening
//! such a link restores the view. The visitor's own files cannot travel in a link: their panel
//! starts empty (`left=`) and the page says so.

use super::state::{Ctx, Mode, Side, sizes};
use crate::colormap::{Colormap, Range};
use crate::model::Block;
use leptos::prelude::*;

/// What a link asks for; `None` fields keep the page's defaults.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct LinkView {
    /// `default` or the file name of the visitor's weights.
    pub model: Option<String>,
    /// The block.
    pub block: Option<Block>,
    /// The input size.
    pub size: Option<u32>,
    /// The pinned cell and its panel.
    pub pin: Option<(Side, (usize, usize))>,
    /// Colours.
    pub cmap: Option<Colormap>,
    /// Value range.
    pub range: Option<Range>,
    /// Best matches marked.
    pub top_k: Option<usize>,
    /// Overlay opacity.
    pub opacity: Option<f64>,
    /// Explore or segment.
    pub mode: Option<Mode>,
    /// Per side: `Some("")` for "no image" (a visitor's file), `Some(name)` for a gallery file.
    pub images: [Option<String>; 2],
}

fn enc(s: &str) -> String {
    String::from(js_sys::encode_uri_component(s))
}

fn dec(s: &str) -> String {
    js_sys::decode_uri_component(s)
        .map(String::from)
        .unwrap_or_else(|_| s.to_owned())
}

/// The fragment (without `#`) for the current view.
pub fn fragment(ctx: Ctx) -> String {
    let ui = ctx.ui;
    let model = ui
        .model
        .get_untracked()
        .and_then(|id| ui.models.get_untracked().into_iter().find(|m| m.id == id))
        .map_or_else(|| "default".to_owned(), |m| m.link_name);
    let mut parts = vec![
        format!("model={}", enc(&model)),
        format!("block={}", ui.block.get_untracked().name()),
        format!("size={}", ui.size.get_untracked()),
    ];
    if let Some((side, (r, c))) = ui.pin.get_untracked() {
        parts.push(format!("cell={r},{c}"));
        parts.push(format!("side={}", side.name()));
    }
    parts.push(format!("cmap={}", ui.cmap.get_untracked().name()));
    parts.push(format!(
        "range={}",
        match ui.range.get_untracked() {
            Range::Fixed => "fixed",
            Range::Stretch => "stretch",
        }
    ));
    parts.push(format!("k={}", ui.top_k.get_untracked()));
    parts.push(format!("opacity={:.2}", ui.opacity.get_untracked()));
    parts.push(format!(
        "mode={}",
        match ui.mode.get_untracked() {
            Mode::Explore => "explore",
            Mode::Segment => "segment",
        }
    ));
    for side in Side::BOTH {
        let name = ui.images[side.index()]
            .get_untracked()
            .and_then(|i| i.gallery)
            .unwrap_or_default();
        parts.push(format!("{}={}", side.name(), enc(&name)));
    }
    parts.join("&")
}

/// The page's address with the current view in its fragment.
pub fn url(ctx: Ctx) -> String {
    let loc = web_sys::window().map(|w| w.location());
    let base = loc
        .and_then(|l| {
            Some(format!(
                "{}{}{}",
                l.origin().ok()?,
                l.pathname().ok()?,
                l.search().ok()?
            ))
        })
        .unwrap_or_default();
    format!("{base}#{}", fragment(ctx))
}

/// Parses a fragment (with or without `#`); unknown or malformed parts are ignored.
pub fn parse(fragment: &str) -> LinkView {
    let mut v = LinkView::default();
    for part in fragment.trim_start_matches('#').split('&') {
        let Some((k, raw)) = part.split_once('=') else {
            continue;
        };
        let val = dec(raw);
        match k {
            "model" => v.model = Some(val),
            "block" => v.block = val.parse().ok(),
            "size" => v.size = val.parse().ok().filter(|s| sizes().any(|x| x == *s)),
            "cell" => {
                v.pin = val.split_once(',').and_then(|(r, c)| {
                    Some((Side::Left, (r.trim().parse().ok()?, c.trim().parse().ok()?)))
                })
            }
            "cmap" => v.cmap = val.parse().ok(),
            "range" => {
                v.range = match val.as_str() {
                    "fixed" => Some(Range::Fixed),
                    "stretch" => Some(Range::Stretch),
                    _ => None,
                }
            }
            "k" => v.top_k = val.parse().ok().filter(|k| (1..=20).contains(k)),
            "opacity" => v.opacity = val.parse().ok().filter(|o: &f64| (0.0..=1.0).contains(o)),
            "mode" => {
                v.mode = match val.as_str() {
                    "explore" => Some(Mode::Explore),
                    "segment" => Some(Mode::Segment),
                    _ => None,
                }
            }
            "left" => v.images[0] = Some(val),
            "right" => v.images[1] = Some(val),
            _ => {}
        }
    }
    // `side` may come before or after `cell`.
    if fragment.split('&').any(|p| p == "side=right")
        && let Some((side, _)) = v.pin.as_mut()
    {
        *side = Side::Right;
    }
    v
}

/// Applies a link's settings (not its images or model: the caller loads those).
pub fn apply(ctx: Ctx, v: &LinkView) {
    let ui = ctx.ui;
    let block = v.block.unwrap_or(ui.block.get_untracked());
    let size = v.size.unwrap_or(ui.size.get_untracked());
    ctx.set_grid(block, size);
    if let Some((side, (r, c))) = v.pin {
        let grid = block.grid(size as usize);
        ui.pin.set(Some((side, (r.min(grid - 1), c.min(grid - 1)))));
    }
    if let Some(c) = v.cmap {
        ui.cmap.set(c);
    }
    if let Some(r) = v.range {
        ui.range.set(r);
    }
    if let Some(k) = v.top_k {
        ui.top_k.set(k);
    }
    if let Some(o) = v.opacity {
        ui.opacity.set(o);
    }
    if let Some(m) = v.mode {
        ui.mode.set(m);
    }
}

/// The current location's fragment.
pub fn current() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}
