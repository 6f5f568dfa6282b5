//! The correspondences drawn as lines from a left cell to its right buddy, over both panels.
//! Lines follow the panels' layout (resizes, images arriving); hovering one names its pair.
//!
//! Test hooks: `svg.pair-lines line`, `data-pair` (rank from 1), `data-left` and `data-right`
//! (`r,c`), `data-similarity`.

use crate::session::geometry::{Rect, cell_centre_in, pair_colour};
use crate::session::mode::Mode;
use crate::session::views::View;
use crate::ui::ctx::ctx;
use leptos::html::Div;
use leptos::prelude::*;

fn rect_of(el: &web_sys::Element) -> Rect {
    let r = el.get_bounding_client_rect();
    Rect {
        left: r.left(),
        top: r.top(),
        width: r.width(),
        height: r.height(),
    }
}

fn stage(id: &str) -> Option<Rect> {
    let el = web_sys::window()?.document()?.get_element_by_id(id)?;
    Some(rect_of(&el))
}

/// Lines over the element that holds both panels (`container`, positioned).
#[component]
pub fn PairLines(
    /// The element holding both panels; the lines' coordinates are relative to it.
    container: NodeRef<Div>,
) -> impl IntoView {
    let ctx = ctx();
    let settings = ctx.ui.settings;
    // Bumped when the layout may have moved the panels.
    let layout = RwSignal::new(0u32);
    let resize = window_event_listener(leptos::ev::resize, move |_| layout.update(|n| *n += 1));
    on_cleanup(move || resize.remove());
    let lines = move || {
        layout.track();
        ctx.ui.images.iter().for_each(|i| i.track());
        let shown = settings
            .with(|s| (s.mode == Mode::Explore && s.view == View::Pairs).then_some(s.pairs));
        let (Some(n), Some(v)) = (shown, ctx.out.pairs.get()) else {
            return Vec::new();
        };
        let (Some(origin), Some(left), Some(right)) = (
            container.get().map(|c| rect_of(&c)),
            stage("left-stage"),
            stage("right-stage"),
        ) else {
            return Vec::new();
        };
        v.pairs
            .iter()
            .take(n)
            .enumerate()
            .map(|(i, p)| {
                let (l, r) = v.cells(p);
                let (x1, y1) = cell_centre_in(l, v.grids[0].1, left, origin);
                let (x2, y2) = cell_centre_in(r, v.grids[1].1, right, origin);
                view! {
                    <line
                        x1=format!("{x1:.1}")
                        y1=format!("{y1:.1}")
                        x2=format!("{x2:.1}")
                        y2=format!("{y2:.1}")
                        stroke=pair_colour(i)
                        data-pair=(i + 1).to_string()
                        data-left=format!("{},{}", l.0, l.1)
                        data-right=format!("{},{}", r.0, r.1)
                        data-similarity=format!("{:.6}", p.similarity)
                    >
                        <title>
                            {format!(
                                "pair {}: left ({}, {}) ↔ right ({}, {}), cosine {:.3}",
                                i + 1,
                                l.0,
                                l.1,
                                r.0,
                                r.1,
                                p.similarity
                            )}
                        </title>
                    </line>
                }
            })
            .collect::<Vec<_>>()
    };
    // A frame after new pairs arrive the panels have their final size: measure again then.
    Effect::new(move |_| {
        ctx.out.pairs.track();
        request_animation_frame(move || layout.update(|n| *n += 1));
    });
    view! {
        <svg class="pair-lines" aria-label="Correspondences between the panels">
            {lines}
        </svg>
    }
}
