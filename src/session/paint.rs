//! Painting the object in segmentation mode: the brush and the painted cells.

use super::geometry::{Cell, remap};

/// A cell counts as painted when at least this fraction of it is object (a loaded support mask
/// turned into cells before the first stroke).
pub const COVERAGE_CUT: f32 = 0.5;

/// The painting brush of segmentation mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Brush {
    /// Erase instead of add.
    pub erase: bool,
    /// Side of the square brush in cells.
    pub size: usize,
}

impl Default for Brush {
    /// Paint, one cell.
    fn default() -> Self {
        Brush {
            erase: false,
            size: 1,
        }
    }
}

/// Cells painted on the left image, on a `grid`×`grid` grid.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Painted {
    /// Grid side the cells refer to.
    pub grid: usize,
    /// One flag per cell, row-major.
    pub cells: Vec<bool>,
}

impl Painted {
    /// Nothing painted on a `grid`×`grid` grid.
    pub fn empty(grid: usize) -> Self {
        Painted {
            grid,
            cells: vec![false; grid * grid],
        }
    }

    /// The cells of a coverage map (fraction of object per cell) at [`COVERAGE_CUT`].
    pub fn from_coverage(coverage: &[f32], grid: usize) -> Self {
        let mut p = Painted::empty(grid);
        for (cell, &v) in p.cells.iter_mut().zip(coverage) {
            *cell = v >= COVERAGE_CUT;
        }
        p
    }

    /// Whether any cell is painted.
    pub fn any(&self) -> bool {
        self.cells.iter().any(|&c| c)
    }

    /// The same marks on another grid (each new cell takes the old cell under its centre).
    pub fn regrid(&self, grid: usize) -> Self {
        if grid == self.grid {
            return self.clone();
        }
        let mut out = Painted::empty(grid);
        for r in 0..grid {
            for c in 0..grid {
                let (or, oc) = (remap(r, grid, self.grid), remap(c, grid, self.grid));
                out.cells[r * grid + c] = self.cells[or * self.grid + oc];
            }
        }
        out
    }

    /// One brush stroke centred on `cell` of a `grid`×`grid` grid (the marks move to that grid
    /// first); the square is cut at the grid's border.
    pub fn stroke(&mut self, (r, c): Cell, brush: Brush, grid: usize) {
        if self.grid != grid {
            *self = self.regrid(grid);
        }
        let size = brush.size.max(1);
        let half = (size - 1) / 2;
        let (r0, c0) = (r.saturating_sub(half), c.saturating_sub(half));
        for rr in r0..(r0 + size).min(grid) {
            for cc in c0..(c0 + size).min(grid) {
                self.cells[rr * grid + cc] = !brush.erase;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(p: &Painted) -> Vec<Cell> {
        (0..p.cells.len())
            .filter(|&i| p.cells[i])
            .map(|i| (i / p.grid, i % p.grid))
            .collect()
    }

    #[test]
    fn a_three_cell_brush_paints_a_square_cut_at_the_border() {
        let mut p = Painted::empty(4);
        let brush = Brush {
            erase: false,
            size: 3,
        };
        p.stroke((1, 1), brush, 4);
        assert_eq!(marked(&p).len(), 9);
        let mut q = Painted::empty(4);
        q.stroke((0, 3), brush, 4);
        assert_eq!(
            marked(&q),
            vec![(0, 2), (0, 3), (1, 2), (1, 3), (2, 2), (2, 3)]
        );
        q.stroke(
            (0, 3),
            Brush {
                erase: true,
                size: 1,
            },
            4,
        );
        assert_eq!(marked(&q), vec![(0, 2), (1, 2), (1, 3), (2, 2), (2, 3)]);
        // An even brush reaches one further down-right than up-left.
        let mut e = Painted::empty(4);
        e.stroke(
            (1, 1),
            Brush {
                erase: false,
                size: 2,
            },
            4,
        );
        assert_eq!(marked(&e), vec![(1, 1), (1, 2), (2, 1), (2, 2)]);
    }

    #[test]
    fn a_stroke_on_another_grid_moves_the_marks_first() {
        let mut p = Painted::empty(2);
        p.cells[0] = true; // top-left quarter
        p.stroke((3, 3), Brush::default(), 4);
        assert_eq!(p.grid, 4);
        assert_eq!(marked(&p), vec![(0, 0), (0, 1), (1, 0), (1, 1), (3, 3)]);
    }

    #[test]
    fn regrid_keeps_marks_over_the_same_place() {
        let mut p = Painted::empty(4);
        p.cells[4 + 2] = true; // (1, 2)
        let q = p.regrid(8);
        assert_eq!(marked(&q), vec![(2, 4), (2, 5), (3, 4), (3, 5)]);
        assert_eq!(q.regrid(4), p);
        assert!(!Painted::empty(3).any());
    }

    #[test]
    fn coverage_is_cut_at_one_half() {
        let p = Painted::from_coverage(&[0.0, 0.49, 0.5, 1.0], 2);
        assert_eq!(p.cells, vec![false, false, true, true]);
        // A short coverage list leaves the rest unpainted.
        assert_eq!(
            Painted::from_coverage(&[1.0], 2).cells,
            vec![true, false, false, false]
        );
    }
}
