//! The host-page API of an embed (`session::host`, protocol there): commands from the page that
//! embeds the frame, and events back to it. Only the embedding page's origin (and those the
//! fragment's `origins=` lists) is listened to and written to; anything else is ignored quietly.

use super::open::open_view;
use super::view::apply_link;
use crate::model::Block;
use crate::session::address::origin_of;
use crate::session::host::{FrameEvent, HostCommand, Hosts, parse_command};
use crate::session::link::LinkView;
use crate::session::progress::WeightsProgress;
use crate::session::side::Side;
use crate::ui::ctx::Ctx;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};

/// Starts listening to the embedding page and telling it what happens, when there is one.
pub fn listen(ctx: Ctx, link: &LinkView) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let framed = window
        .parent()
        .ok()
        .flatten()
        .is_some_and(|p| !js_sys::Object::is(&p, &window));
    let hosts = Rc::new(Hosts {
        embedder: embedder(&window),
        allowed: link.origins.clone(),
    });
    if !framed || hosts.target().is_none() {
        return;
    }
    let from_host = hosts.clone();
    let listener = window_event_listener(leptos::ev::message, move |ev| {
        if !from_host.answers(&ev.origin()) || !from_parent(&ev) {
            return;
        }
        // Host pages post all sorts of things to frames: only FeatSim's commands count.
        let Some(cmd) = js_sys::JSON::stringify(&ev.data())
            .ok()
            .and_then(|s| s.as_string())
            .and_then(|s| serde_json::from_str(&s).ok())
            .and_then(|v| parse_command(&v))
        else {
            return;
        };
        match cmd {
            HostCommand::Ping => post(&from_host, &ready(ctx)),
            HostCommand::Set(mut v) => {
                apply_link(ctx, &v);
                if v.images.iter().any(Option::is_some) {
                    v.bundle = ctx.ui.bundle.get_untracked();
                    spawn_local(async move {
                        open_view(ctx, *v).await;
                    });
                }
            }
        }
    });
    // The listener lives as long as the page.
    std::mem::forget(listener);
    tell(ctx, hosts);
}

/// Posts the events: ready once the first view is up, then each pinned cell, block change and
/// pinned map.
fn tell(ctx: Ctx, hosts: Rc<Hosts>) {
    let settings = ctx.ui.settings;
    let h = hosts.clone();
    Effect::new(move |was: Option<(bool, Option<Block>)>| {
        let up = ctx.out.heat.iter().any(|m| m.with(Option::is_some))
            || ctx
                .dev
                .weights
                .with(|w| matches!(w, WeightsProgress::Deferred(_)));
        let block = settings.with(|s| s.block);
        let (was_up, was_block) = was.unwrap_or((false, None));
        if up && !was_up {
            post(&h, &ready(ctx));
        } else if was_up && was_block != Some(block) {
            post(&h, &FrameEvent::Block(block));
        }
        (up || was_up, Some(block))
    });
    let h = hosts.clone();
    Effect::new(move |was: Option<Option<(Side, (usize, usize))>>| {
        let pin = settings.with(|s| s.pin);
        if let (Some(was), Some((side, cell))) = (was, pin)
            && was != pin
        {
            post(&h, &FrameEvent::Cell { side, cell });
        }
        pin
    });
    Effect::new(move |_| {
        for side in Side::BOTH {
            ctx.out.heat[side.index()].with(|m| {
                if let Some(m) = m.as_ref().filter(|m| m.pinned) {
                    post(
                        &hosts,
                        &FrameEvent::Map {
                            block: m.block,
                            side: m.source,
                            cell: m.cell,
                            rows: m.heat.rows,
                            cols: m.heat.cols,
                            values: m.heat.values.clone(),
                        },
                    );
                }
            });
        }
    });
}

/// What `featsim:ready` says now.
fn ready(ctx: Ctx) -> FrameEvent {
    let (size, block) = ctx.ui.settings.with_untracked(|s| (s.size, s.block));
    let e = ctx.engine();
    let (blocks, images) = match e.bundle() {
        Some(b) => (
            b.manifest.parsed_blocks().unwrap_or_default(),
            b.manifest.images.iter().map(|i| i.name.clone()).collect(),
        ),
        None => (
            Block::ALL.to_vec(),
            ctx.ui
                .gallery
                .with_untracked(|g| g.iter().map(|i| i.file.clone()).collect()),
        ),
    };
    FrameEvent::Ready {
        blocks,
        images,
        size,
        block,
    }
}

/// Posts `event` to the embedding page, at its origin only.
fn post(hosts: &Hosts, event: &FrameEvent) {
    let Some(target) = hosts.target() else {
        return;
    };
    let Some(parent) = web_sys::window().and_then(|w| w.parent().ok().flatten()) else {
        return;
    };
    if let Ok(msg) = js_sys::JSON::parse(&event.to_json().to_string()) {
        let _ = parent.post_message(&msg, target);
    }
}

/// Whether the message came from the window that embeds this one.
fn from_parent(ev: &web_sys::MessageEvent) -> bool {
    let parent = web_sys::window().and_then(|w| w.parent().ok().flatten());
    match (ev.source(), parent) {
        (Some(source), Some(parent)) => js_sys::Object::is(&source, &parent),
        _ => false,
    }
}

/// The embedding page's origin: what the browser lists as this frame's ancestor, else the
/// referrer's.
fn embedder(window: &web_sys::Window) -> Option<String> {
    let location = window.location();
    let ancestors: Option<web_sys::DomStringList> =
        js_sys::Reflect::get(&location, &JsValue::from_str("ancestorOrigins"))
            .ok()
            .and_then(|v| v.dyn_into().ok());
    if let Some(first) = ancestors.and_then(|a| a.item(0)) {
        return origin_of(&first).or(Some(first)).filter(|o| o != "null");
    }
    window
        .document()
        .map(|d| d.referrer())
        .and_then(|r| origin_of(&r))
}
