//! Opening what a link names: its bundle (checked whole), the panels' images (the bundle's, the
//! gallery's, or an author's beside the page) and the one-vs-many row. Used at start-up, when the
//! fragment changes, and by the embed's host-page API.

use super::images::{gallery_image, load_bytes, same_on_both, set_image};
use super::view::apply_link;
use super::{bundle, gallery};
use crate::session::address;
use crate::session::gallery::DEFAULT_IMAGE;
use crate::session::limits::Input;
use crate::session::link::{self, LinkView};
use crate::session::side::Side;
use crate::ui::browser::fetch::fetch_bytes;
use crate::ui::browser::location;
use crate::ui::ctx::Ctx;
use crate::ui::notify;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Applies the current fragment's view and opens its images (a changed fragment in an open
/// page).
pub fn follow_link(ctx: Ctx) {
    let v = link::parse(&location::fragment());
    apply_link(ctx, &v);
    spawn_local(async move {
        open_view(ctx, v).await;
    });
}

/// Opens what a link shows: its bundle (checked whole; refused with a message, the page then
/// going on without it) and the images of both panels. Returns whether both panels now have a
/// bundle's baked features.
pub async fn open_view(ctx: Ctx, v: LinkView) -> bool {
    let row = v.targets.clone();
    let baked = open_panels(ctx, v).await;
    // The row fills in after the panels, without holding up their first heatmap.
    if let Some(names) = row {
        spawn_local(super::targets::open_row(ctx, names));
    }
    baked
}

/// [`open_view`]'s bundle and panels.
async fn open_panels(ctx: Ctx, v: LinkView) -> bool {
    let opened = match &v.bundle {
        Some(address)
            if ctx.engine().bundle().map(|b| b.address.clone()).as_ref() != Some(address) =>
        {
            match bundle::open(ctx, address).await {
                Ok(b) => Some(b),
                Err(err) => {
                    notify::error(ctx.out, err);
                    None
                }
            }
        }
        Some(_) => ctx.engine().bundle(),
        // A view without a bundle closes the one open (links made from it no longer name it).
        None => {
            ctx.engine().set_bundle(None);
            ctx.ui.bundle.set(None);
            None
        }
    };
    // Per side: an image of the bundle, or what open_images makes of the link's name.
    let mut wanted = v.images.clone();
    if let Some(b) = &opened {
        let defaults = bundle::default_names(&b.manifest);
        let mut names: [Option<&str>; 2] = [None, None];
        for side in Side::BOTH {
            let i = side.index();
            let name = v.images[i].as_deref().unwrap_or(defaults[i]);
            if b.manifest.image(name).is_some() {
                wanted[i] = None;
                if !shows(ctx, side, name) {
                    names[i] = Some(name);
                }
            }
        }
        if let Err(err) = bundle::show(ctx, b, names).await {
            notify::error(ctx.out, err);
            ctx.engine().set_bundle(None);
            ctx.ui.bundle.set(None);
            wanted = v.images.clone();
        } else if wanted.iter().all(Option::is_none) {
            return true;
        }
    }
    open_images(ctx, wanted).await;
    let baked = |side: Side| {
        ctx.ui.images[side.index()].with_untracked(|i| {
            i.as_ref()
                .is_some_and(|i| ctx.engine().baked(i.id).is_some())
        })
    };
    baked(Side::Left) && baked(Side::Right)
}

/// Whether panel `side` shows the image a link calls `name`.
fn shows(ctx: Ctx, side: Side, name: &str) -> bool {
    ctx.ui.images[side.index()]
        .with_untracked(|i| i.as_ref().and_then(|i| i.link.as_deref()) == Some(name))
}

/// Opens the images a link names per side: `None` leaves the side to the default (the gallery's
/// first photo, unless the bundle filled it), `Some("")` empties it (a visitor's own file, which
/// no link can carry), a gallery file's name opens it, and any other name is fetched as an
/// address on the page's own site (`images/plane.jpg`).
async fn open_images(ctx: Ctx, wanted: [Option<String>; 2]) {
    let manifest = gallery::manifest(ctx).await;
    let known = |f: &str| manifest.iter().any(|g| g.file == f);
    let bundle_open = ctx.ui.bundle.with_untracked(Option::is_some);
    let mut names: [Option<String>; 2] = [None, None];
    let mut own = Vec::new();
    for side in Side::BOTH {
        names[side.index()] = match &wanted[side.index()] {
            None if bundle_open => None,
            None => known(DEFAULT_IMAGE).then(|| DEFAULT_IMAGE.to_owned()),
            Some(n) if n.is_empty() => {
                if ctx.ui.images[side.index()].with_untracked(Option::is_some) {
                    set_image(ctx, side, None);
                }
                own.push(side.name());
                None
            }
            Some(n) => Some(n.clone()),
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
    // A panel that already shows the wanted image keeps it (and its features).
    let [mut l, mut r] = names;
    if l.as_ref().is_some_and(|f| shows(ctx, Side::Left, f)) {
        l = None;
    }
    if r.as_ref().is_some_and(|f| shows(ctx, Side::Right, f)) {
        r = None;
    }
    if let Some(l) = &l {
        open_named(ctx, Side::Left, l, known(l)).await;
    }
    if let Some(r) = r {
        // One image on both sides is decoded once and shares its features.
        if shows(ctx, Side::Left, &r) {
            same_on_both(ctx, Side::Left);
        } else {
            open_named(ctx, Side::Right, &r, known(&r)).await;
        }
    }
}

/// Opens a gallery image, or fetches `name` from the page's own site; a failure is said in the
/// panel and among the messages, and the page goes on.
async fn open_named(ctx: Ctx, side: Side, name: &str, in_gallery: bool) {
    let result = if in_gallery {
        gallery_image(ctx, side, name.to_owned()).await
    } else {
        own_image(ctx, side, name).await
    };
    ctx.out.panel_error[side.index()].set(result.as_ref().err().cloned());
    if let Err(err) = result {
        notify::error(ctx.out, err);
    }
}

/// An author's image beside the page (`left=images/plane.jpg`).
async fn own_image(ctx: Ctx, side: Side, name: &str) -> Result<(), String> {
    let url = address::same_origin(name, &location::origin())?;
    let bytes = fetch_bytes(&url, Input::Image).await.map_err(|e| {
        if e.ends_with("HTTP 404") {
            format!("“{name}” is neither a gallery image nor a file beside the page ({e})")
        } else {
            e
        }
    })?;
    let file = name.rsplit('/').next().unwrap_or(name).to_owned();
    load_bytes(ctx, side, file, bytes, Some(name.to_owned())).await
}
