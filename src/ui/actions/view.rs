//! Changing the view: block and size (which move marks to the new grid) and links.

use crate::model::Block;
use crate::session::link::LinkView;
use crate::ui::ctx::Ctx;
use leptos::prelude::*;

/// Changes block and/or size, moving the pinned cell and the painted marks to the new grid so
/// they stay over the same part of the image.
pub fn set_grid(ctx: Ctx, block: Block, size: u32) {
    let mut grids = (0, 0);
    ctx.ui.settings.update(|s| grids = s.set_grid(block, size));
    after_grid_change(ctx, grids);
}

/// Applies a link's settings (not its images or model: `startup` loads those).
pub fn apply_link(ctx: Ctx, v: &LinkView) {
    let mut grids = (0, 0);
    ctx.ui.settings.update(|s| grids = v.apply(s));
    after_grid_change(ctx, grids);
}

fn after_grid_change(ctx: Ctx, (old, new): (usize, usize)) {
    if old != new {
        ctx.ui.hover.set(None);
        ctx.ui.painted.update(|p| *p = p.regrid(new));
    }
}
