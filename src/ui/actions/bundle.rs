//! Baked bundles in the page (`crate::bundle`): opening the one a link names (`bundle=figs/cat`),
//! putting its images in the panels with their baked features, and "Download bundle", which
//! bakes the current view from the features already computed.
//!
//! A bundle is checked as a whole before anything of it is shown: its manifest, that it was baked
//! with this page's model (the default model's manifest names the network, 1 kB), then each
//! image's display copy and feature files against their sizes and SHA-256s. A bundle that fails
//! any check is refused with a message, and the page goes on as if it had none: the live model
//! still works.

use super::images::set_image;
use super::models;
use crate::bundle::{self, BundleImage, BundleManifest, Encoding, HostMap};
use crate::image_io;
use crate::session::address;
use crate::session::geometry::sizes;
use crate::session::image::PanelImage;
use crate::session::limits::Input;
use crate::session::progress::WeightsProgress;
use crate::session::side::Side;
use crate::ui::browser::download::object_url;
use crate::ui::browser::fetch::fetch_bytes;
use crate::ui::browser::location;
use crate::ui::ctx::Ctx;
use crate::ui::engine::{Baked, OpenBundle};
use leptos::prelude::*;
use std::rc::Rc;
use std::sync::Arc;

/// Fetches and checks the manifest of the bundle at `address` (as a link gives it) against the
/// page's model; keeps it open for [`show`]. Nothing is shown yet.
pub async fn open(ctx: Ctx, address: &str) -> Result<Rc<OpenBundle>, String> {
    let named = |e: String| format!("bundle {address}: {e}");
    let url = address::bundle_manifest(address, &location::origin()).map_err(named)?;
    let bytes = fetch_bytes(&url, Input::List).await.map_err(named)?;
    let manifest = BundleManifest::parse(&bytes).map_err(|e| named(e.to_string()))?;
    let model = models::default_manifest().await.map_err(named)?;
    if manifest.model.network != model.network {
        return Err(named(format!(
            "it was baked with {} (network {}…), not with this page's model, {} ({}…): bake it \
             again with this page's weights",
            manifest.model.name,
            &manifest.model.network[..12],
            model.model,
            &model.network[..12]
        )));
    }
    if !sizes().any(|s| s == manifest.size) {
        return Err(named(format!(
            "its input size {}² is not one the page offers (224–1024 in steps of 32)",
            manifest.size
        )));
    }
    let open = Rc::new(OpenBundle::new(address.to_owned(), url, manifest));
    ctx.engine().set_bundle(Some(open.clone()));
    Ok(open)
}

/// An image of the open bundle, read and checked: its display copy decoded and its features
/// decoded, ready for a panel.
struct Loaded {
    image: PanelImage,
    baked: Rc<Baked>,
    /// Its mask's file name and PNG bytes, when baked with one.
    mask: Option<(String, Vec<u8>)>,
}

/// Shows the bundle's images named in `names` (per side; `None` leaves a side as it is). Every
/// image is fetched and checked first; if one fails, none is shown and the message says why.
pub async fn show(ctx: Ctx, b: &OpenBundle, names: [Option<&str>; 2]) -> Result<(), String> {
    let mut loaded: [Option<Rc<Loaded>>; 2] = [None, None];
    for side in Side::BOTH {
        let Some(name) = names[side.index()] else {
            continue;
        };
        let same = Side::BOTH
            .iter()
            .take(side.index())
            .find(|s| names[s.index()] == Some(name));
        loaded[side.index()] = Some(match same.and_then(|s| loaded[s.index()].clone()) {
            Some(l) => l,
            None => Rc::new(load(ctx, b, name).await?),
        });
    }
    for side in Side::BOTH {
        if let Some(l) = &loaded[side.index()] {
            ctx.engine().add_baked(l.image.id, l.baked.clone());
            set_image(ctx, side, Some(l.image.clone()));
            // The object on the left, the ground truth on the right.
            if let Some((file, bytes)) = &l.mask {
                super::masks::install_mask(ctx, side, file.clone(), bytes, false)
                    .map_err(|e| format!("bundle {}: {e}", b.address))?;
            }
        }
    }
    ctx.ui.bundle.set(Some(b.address.clone()));
    if !ctx.engine().has_model() {
        ctx.dev.weights.set(WeightsProgress::Baked {
            name: b.manifest.model.name.clone(),
            blocks: b.manifest.parsed_blocks().unwrap_or_default(),
            size: b.manifest.size,
        });
    }
    Ok(())
}

/// One image of the bundle for the one-vs-many row, its baked features kept by the engine.
pub async fn load_baked(ctx: Ctx, b: &OpenBundle, name: &str) -> Result<PanelImage, String> {
    let l = load(ctx, b, name).await?;
    ctx.engine().add_baked(l.image.id, l.baked);
    Ok(l.image)
}

/// Fetches, checks and decodes one image of the bundle.
async fn load(ctx: Ctx, b: &OpenBundle, name: &str) -> Result<Loaded, String> {
    let m = &b.manifest;
    let named = |e: String| format!("bundle {}: {e}", b.address);
    let entry: &BundleImage = m
        .image(name)
        .ok_or_else(|| named(format!("it has no image “{name}”")))?;
    let fetch = |file: &str, input: Input| {
        let url = address::beside(&b.manifest_url, file);
        async move { fetch_bytes(&url, input).await }
    };
    let display = fetch(&entry.image.file, Input::Image)
        .await
        .map_err(named)?;
    entry
        .image
        .verify(&display)
        .map_err(|e| named(e.to_string()))?;
    let mut files = Vec::with_capacity(entry.features.len());
    for f in &entry.features {
        files.push(fetch(&f.file, Input::Weights).await.map_err(named)?);
    }
    let maps = bundle::decode_image_features(m, entry, &files).map_err(|e| named(e.to_string()))?;
    drop(files);
    let mask = match &entry.mask {
        Some(f) => {
            let bytes = fetch(&f.file, Input::Mask).await.map_err(named)?;
            f.verify(&bytes).map_err(|e| named(e.to_string()))?;
            Some((f.file.clone(), bytes))
        }
        None => None,
    };
    let rgb =
        image_io::decode(&display).map_err(|e| named(format!("{}: {e}", entry.image.file)))?;
    let (width, height) = rgb.dimensions();
    let image = PanelImage {
        id: ctx.engine().next_id(),
        name: name.to_owned(),
        link: Some(name.to_owned()),
        width,
        height,
        url: object_url(&display)?,
        rgb: Arc::new(rgb),
        bytes: Arc::from(display),
    };
    let baked = Rc::new(Baked::new(
        m.model.network.clone(),
        m.model.name.clone(),
        m.size,
        maps,
    ));
    Ok(Loaded { image, baked, mask })
}

/// The bundle's images for the two panels when a link names none: its first two (or its only
/// one on both sides).
pub fn default_names(m: &BundleManifest) -> [&str; 2] {
    let first = m.images[0].name.as_str();
    [first, m.images.get(1).map_or(first, |i| i.name.as_str())]
}

/// Bakes the current view into a zip of a bundle folder: both panels' images with the features
/// already computed for the block shown and the next finer one (what `best` segmentation reads),
/// as `featsim bake` would write them. `None` when there is nothing to bake yet.
pub async fn bake_view(ctx: Ctx) -> Result<(String, Vec<u8>), String> {
    let e = ctx.engine();
    let r = ctx.request.get_untracked();
    let s = &r.settings;
    let blocks = crate::oneshot::Method::Best.blocks(s.block);
    let mut images = Vec::new();
    for side in Side::BOTH {
        let img = r
            .image(side)
            .ok_or("put an image in both panels first")?
            .clone();
        if images.iter().any(|(i, _): &(PanelImage, _)| i.id == img.id) {
            continue;
        }
        let feats = e
            .features_of(img.id, s.size, &blocks)
            .ok_or("the features of this view are not computed yet: wait for its heatmap")?;
        images.push((img, feats));
    }
    let (name, network) = e
        .network()
        .ok_or("this view's model has no known network id (a visitor's own weights file); bundles need the page's model")?;
    let mut baker = bundle::Baker::new(
        bundle::BundleModel { name, network },
        s.size,
        &blocks,
        Encoding::U8,
    );
    for (img, feats) in &images {
        let mut maps = Vec::with_capacity(blocks.len());
        for b in baker.blocks().to_vec() {
            let map = feats
                .get(b)
                .ok_or_else(|| format!("{b} of {} is not computed", img.name))?;
            maps.push(HostMap::read(map).await.map_err(|e| e.to_string())?);
        }
        let ext = image_io::extension(&img.bytes).unwrap_or("png");
        baker
            .add(
                &img.name,
                (ext, img.bytes.to_vec()),
                (img.width, img.height),
                &maps,
                None,
            )
            .map_err(|e| e.to_string())?;
    }
    let (_, files) = baker.finish().map_err(|e| e.to_string())?;
    let folder = "featsim-bundle";
    Ok((format!("{folder}.zip"), bundle::zip::stored(folder, &files)))
}
