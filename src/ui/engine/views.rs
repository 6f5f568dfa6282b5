//! Explore's other pictures: the PCA colours of both grids and their correspondences.

use super::Engine;
use super::sinks::Sinks;
use crate::analysis::buddies::Nearest;
use crate::analysis::pca::Pca;
use crate::compute::DeviceError;
use crate::oneshot::ImageFeatures;
use crate::session::keys::ViewKey;
use crate::session::overlay::pca_sides;
use crate::session::request::Request;
use crate::session::results::{PairsView, PcaSide, PcaView};
use crate::session::views::{PcaScope, View};
use crate::similarity::UnitMap;
use leptos::prelude::*;
use std::rc::Rc;
use std::sync::Arc;

/// Brings the PCA colours or the correspondences up to `r` (features of both sides given).
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
        out.pca.set(None);
        out.pairs.set(None);
        e.keys.borrow_mut().view = None;
    };
    let Some(key) = ViewKey::of(r, generation) else {
        return clear();
    };
    if e.keys.borrow().view.as_ref() == Some(&key) {
        return;
    }
    let (Some(a), Some(b)) = (feats[0].get(s.block), feats[1].get(s.block)) else {
        // A streamed block not here yet: the panel's caption says so.
        return clear();
    };
    match s.view {
        View::Pca => match panel_colours(s.pca, a, b).await {
            Ok(sides) => {
                out.pairs.set(None);
                out.pca.set(Some(Arc::new(PcaView {
                    block: s.block,
                    size: s.size,
                    scope: s.pca,
                    sides,
                })));
            }
            Err(err) => return sinks.failed("PCA colours", &err),
        },
        View::Pairs => match Nearest::of(a, b).await {
            Ok(nearest) => {
                let mut pairs = nearest.mutual();
                // Best buddies of the whole images; with an object, those that start in it.
                let object = key.object.as_ref().and_then(|_| r.support_cells(a.h));
                if let Some(cells) = &object {
                    pairs.retain(|p| cells.get(p.left).copied().unwrap_or(false));
                }
                out.pca.set(None);
                out.pairs.set(Some(Arc::new(PairsView {
                    block: s.block,
                    size: s.size,
                    grids: [(a.h, a.w), (b.h, b.w)],
                    pairs,
                    object: object.is_some(),
                })));
            }
            Err(err) => return sinks.failed("correspondences", &err),
        },
        View::Heatmap => return clear(),
    }
    e.keys.borrow_mut().view = Some(key);
}

/// Both panels' colours: one PCA over both grids, or one per grid.
async fn panel_colours(
    scope: PcaScope,
    a: &UnitMap,
    b: &UnitMap,
) -> Result<[PcaSide; 2], DeviceError> {
    Ok(match scope {
        PcaScope::Joint => pca_sides(&Pca::of(&[a, b]).await?, [(a.h, a.w), (b.h, b.w)]),
        PcaScope::Each => {
            let [l] = pca_sides(&Pca::of(&[a]).await?, [(a.h, a.w)]);
            let [r] = pca_sides(&Pca::of(&[b]).await?, [(b.h, b.w)]);
            [l, r]
        }
    })
}
