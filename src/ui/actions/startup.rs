//! The page's start: restore a link, load the gallery, bring up the device, prove it computes,
//! then load the default weights. Also what a changed fragment does.

use super::images::{gallery_image, same_on_both, set_image};
use super::models;
use super::view::apply_link;
use super::{device_lost, gallery};
use crate::session::gallery::DEFAULT_IMAGE;
use crate::session::link::{self, LinkView};
use crate::session::side::Side;
use crate::ui::browser::{device, location};
use crate::ui::ctx::Ctx;
use crate::ui::engine::ModelSource;
use crate::ui::notify;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// URL of the embedded default model's manifest (streamed block by block), relative to the page
/// so sub-path hosting works.
const DEFAULT_WEIGHTS: &str = "weights/blocks/resnet50-imagenet.blocks.json";

/// Restores the link, brings up the device and loads the default model.
pub async fn start(ctx: Ctx) {
    let link = follow_link(ctx);

    let (compute, reason) = device::acquire_device().await;
    models::show_device(ctx, &compute, reason);
    match crate::selftest::run(&compute.device).await {
        Ok(r) => ctx.dev.selftest.set(serde_json::to_string(&r).ok()),
        Err(e) => notify::error(ctx.out, format!("device self-test failed: {e}")),
    }
    device_lost::watch(ctx, &compute);
    ctx.engine().set_compute(compute);
    let id = models::add(
        ctx,
        ModelSource::Blocks(DEFAULT_WEIGHTS.into()),
        "ResNet-50 (embedded)".into(),
        "default".into(),
    );
    if let Err(err) = models::load(ctx, id).await {
        notify::error(ctx.out, err);
    }
    if let Some(m) = link.model.filter(|m| m != "default") {
        notify::info(
            ctx.out,
            format!(
                "This link was made with the weights file “{m}”. Load it with “Load weights…” to see the same view."
            ),
        );
    }
}

/// Applies the current fragment's view and opens its images (they decode while the device
/// starts); returns what the link asked for.
pub fn follow_link(ctx: Ctx) -> LinkView {
    let v = link::parse(&location::fragment());
    apply_link(ctx, &v);
    spawn_local(open_images(ctx, v.images.clone()));
    v
}

/// Opens the images a link names (`None`: the default; `Some("")`: none — a visitor's file).
async fn open_images(ctx: Ctx, wanted: [Option<String>; 2]) {
    let manifest = gallery::manifest(ctx).await;
    let known = |f: &str| manifest.iter().any(|g| g.file == f);
    let mut names: [Option<String>; 2] = [None, None];
    let mut own = Vec::new();
    for side in Side::BOTH {
        names[side.index()] = match &wanted[side.index()] {
            None => known(DEFAULT_IMAGE).then(|| DEFAULT_IMAGE.to_owned()),
            Some(n) if n.is_empty() => {
                if ctx.ui.images[side.index()].with_untracked(Option::is_some) {
                    set_image(ctx, side, None);
                }
                own.push(side.name());
                None
            }
            Some(n) if known(n) => Some(n.clone()),
            Some(n) => {
                notify::error(ctx.out, format!("“{n}” is not in the gallery."));
                None
            }
        };
    }
    if !own.is_empty() {
        let many = own.len() > 1;
        notify::info(
            ctx.out,
            format!(
                "This link's {} image{} the visitor's own file{}: open {} to see the same view.",
                own.join(" and "),
                if many { "s were" } else { " was" },
                if many { "s" } else { "" },
                if many { "them" } else { "it" },
            ),
        );
    }
    // A panel that already shows the wanted gallery image keeps it (and its features).
    let shows = |side: Side, f: &String| {
        ctx.ui.images[side.index()]
            .with_untracked(|i| i.as_ref().and_then(|i| i.gallery.as_ref()) == Some(f))
    };
    let [mut l, mut r] = names;
    if l.as_ref().is_some_and(|f| shows(Side::Left, f)) {
        l = None;
    }
    if r.as_ref().is_some_and(|f| shows(Side::Right, f)) {
        r = None;
    }
    if let Some(l) = &l
        && let Err(err) = gallery_image(ctx, Side::Left, l.clone()).await
    {
        notify::error(ctx.out, err);
    }
    if let Some(r) = r {
        // One image on both sides is decoded once and shares its features.
        if shows(Side::Left, &r) {
            same_on_both(ctx, Side::Left);
        } else if let Err(err) = gallery_image(ctx, Side::Right, r).await {
            notify::error(ctx.out, err);
        }
    }
}
