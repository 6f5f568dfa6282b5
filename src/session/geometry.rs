//! Cell geometry: grids over an image, overlay sizes, pointer positions to cells, and cells moved
//! between grids.

/// Long side, in pixels, of the heatmap and mask overlays drawn over a panel.
pub const DISPLAY: u32 = 512;
/// Long side of the thumbnails in the block strip.
pub const STRIP_DISPLAY: u32 = 176;
/// The default model input side.
pub const DEFAULT_SIZE: u32 = 512;

/// A cell of a grid: (row, column).
pub type Cell = (usize, usize);

/// Input sizes offered: multiples of 32 from 224 to 1024.
pub fn sizes() -> impl Iterator<Item = u32> {
    (224..=1024).step_by(32)
}

/// `width`×`height` scaled so the long side is `long` (at least one pixel each way).
pub fn display_dims(width: u32, height: u32, long: u32) -> (u32, u32) {
    let (w, h) = (f64::from(width.max(1)), f64::from(height.max(1)));
    let s = f64::from(long) / w.max(h);
    (
        ((w * s).round() as u32).max(1),
        ((h * s).round() as u32).max(1),
    )
}

/// Index `i` of an `n`-cell axis mapped to the cell under its centre on an `m`-cell axis.
pub fn remap(i: usize, n: usize, m: usize) -> usize {
    (((i as f64 + 0.5) * m as f64 / n.max(1) as f64) as usize).min(m.saturating_sub(1))
}

/// A cell of one grid moved to the cell under its centre on another.
pub fn remap_cell((r, c): Cell, from: usize, to: usize) -> Cell {
    (remap(r, from, to), remap(c, from, to))
}

/// A cell clamped into a `grid`×`grid` grid.
pub fn clamp_cell((r, c): Cell, grid: usize) -> Cell {
    let last = grid.saturating_sub(1);
    (r.min(last), c.min(last))
}

/// The cell under a point given as fractions (`fx`, `fy`) of the stage's width and height;
/// `None` outside [0, 1) either way (or for a NaN).
pub fn cell_at(fx: f64, fy: f64, grid: usize) -> Option<Cell> {
    if grid == 0 || !(0.0..1.0).contains(&fx) || !(0.0..1.0).contains(&fy) {
        return None;
    }
    let g = grid as f64;
    Some((
        ((fy * g) as usize).min(grid - 1),
        ((fx * g) as usize).min(grid - 1),
    ))
}

/// `cell` moved by (`dr`, `dc`), kept inside the grid (arrow keys).
pub fn step_cell((r, c): Cell, (dr, dc): (i64, i64), grid: usize) -> Cell {
    let last = grid.max(1) as i64 - 1;
    (
        (r as i64 + dr).clamp(0, last) as usize,
        (c as i64 + dc).clamp(0, last) as usize,
    )
}

/// The centre cell of a grid.
pub fn centre(grid: usize) -> Cell {
    (grid / 2, grid / 2)
}

/// Where a cell-sized box sits on the stage, in percent of its width and height; set through the
/// style properties (CSSOM), which the page's CSP allows where a `style` attribute would not be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellBox {
    /// Left edge.
    pub left: f64,
    /// Top edge.
    pub top: f64,
    /// Width and height.
    pub size: f64,
}

impl CellBox {
    /// A percentage as CSS writes it.
    pub fn pct(v: f64) -> String {
        format!("{v:.4}%")
    }
}

/// The box of cell (`r`, `c`) of a `g`×`g` grid.
pub fn cell_box((r, c): Cell, g: usize) -> CellBox {
    let s = 100.0 / g.max(1) as f64;
    CellBox {
        left: c as f64 * s,
        top: r as f64 * s,
        size: s,
    }
}

/// An SVG path of the grid's inner lines in a `g`×`g` view box.
pub fn grid_path(g: usize) -> String {
    let mut d = String::new();
    for i in 1..g {
        d.push_str(&format!("M{i} 0V{g}M0 {i}H{g}"));
    }
    d
}

/// A rectangle on the page (CSS pixels), as `getBoundingClientRect` gives it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    /// Left edge.
    pub left: f64,
    /// Top edge.
    pub top: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

/// The centre of cell `cell` of a `g`×`g` grid spread over `stage`, relative to `origin`'s corner
/// (where a line joining two panels' cells starts and ends).
pub fn cell_centre_in(cell: Cell, g: usize, stage: Rect, origin: Rect) -> (f64, f64) {
    let g = g.max(1) as f64;
    (
        stage.left - origin.left + (cell.1 as f64 + 0.5) / g * stage.width,
        stage.top - origin.top + (cell.0 as f64 + 0.5) / g * stage.height,
    )
}

/// The colour of pair `i` of the correspondences: hues a golden angle apart, so neighbours in the
/// list never look alike.
pub fn pair_colour(i: usize) -> String {
    format!("hsl({:.0}, 90%, 60%)", (i as f64 * 137.508) % 360.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_dims_keep_the_aspect_and_never_vanish() {
        assert_eq!(display_dims(1000, 500, 512), (512, 256));
        assert_eq!(display_dims(300, 600, 512), (256, 512));
        assert_eq!(display_dims(10_000, 1, 512), (512, 1));
        assert_eq!(display_dims(0, 0, 512), (512, 512));
    }

    #[test]
    fn remap_takes_the_cell_under_the_centre() {
        // 16 → 32: cell 5 covers 10 and 11; its centre lies in 11.
        assert_eq!(remap(5, 16, 32), 11);
        assert_eq!(remap(11, 32, 16), 5);
        assert_eq!(remap(15, 16, 4), 3);
        assert_eq!(remap(0, 0, 0), 0);
        assert_eq!(remap_cell((20, 11), 32, 16), (10, 5));
    }

    #[test]
    fn pointer_fractions_map_to_cells_and_edges_stay_inside() {
        assert_eq!(cell_at(0.0, 0.0, 16), Some((0, 0)));
        assert_eq!(cell_at(0.999, 0.5, 16), Some((8, 15)));
        assert_eq!(cell_at(1.0, 0.5, 16), None);
        assert_eq!(cell_at(-0.01, 0.5, 16), None);
        assert_eq!(cell_at(f64::NAN, 0.5, 16), None);
        assert_eq!(cell_at(0.5, 0.5, 0), None);
        // Fractions just below 1 with rounding never leave the grid.
        assert_eq!(
            cell_at(1.0 - f64::EPSILON, 1.0 - f64::EPSILON, 7),
            Some((6, 6))
        );
    }

    #[test]
    fn arrow_steps_stop_at_the_border() {
        assert_eq!(step_cell((0, 0), (-1, 0), 16), (0, 0));
        assert_eq!(step_cell((15, 15), (0, 1), 16), (15, 15));
        assert_eq!(step_cell((3, 4), (1, -1), 16), (4, 3));
        assert_eq!(clamp_cell((99, 2), 16), (15, 2));
    }

    #[test]
    fn boxes_and_grid_lines() {
        let b = cell_box((1, 2), 4);
        assert_eq!((b.left, b.top, b.size), (50.0, 25.0, 25.0));
        assert_eq!(CellBox::pct(b.left), "50.0000%");
        assert_eq!(cell_box((0, 0), 0).size, 100.0);
        assert_eq!(grid_path(2), "M1 0V2M0 1H2");
        assert_eq!(grid_path(1), "");
        assert_eq!(sizes().next(), Some(224));
        assert_eq!(sizes().last(), Some(1024));
    }

    #[test]
    fn a_cell_centre_is_placed_relative_to_the_origin() {
        let stage = Rect {
            left: 110.0,
            top: 50.0,
            width: 200.0,
            height: 100.0,
        };
        let origin = Rect {
            left: 10.0,
            top: 20.0,
            width: 1000.0,
            height: 500.0,
        };
        assert_eq!(cell_centre_in((0, 0), 4, stage, origin), (125.0, 42.5));
        assert_eq!(cell_centre_in((3, 1), 4, stage, origin), (175.0, 117.5));
        assert_ne!(pair_colour(0), pair_colour(1));
        assert_eq!(pair_colour(0), "hsl(0, 90%, 60%)");
    }
}
