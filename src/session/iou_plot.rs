//! The IoU-versus-threshold plot in plain numbers: the curve and the score histogram laid out in
//! a box (SVG user units, y down), and a point on the plot back to a threshold.

use crate::analysis::iou_curve::{Histogram, IouCurve};

/// The plot's width in SVG units.
pub const WIDTH: f64 = 240.0;
/// The plot's height in SVG units (IoU 1 at the top, 0 at the bottom).
pub const HEIGHT: f64 = 90.0;
/// Thresholds on the curve.
pub const CURVE_STEPS: usize = 101;
/// Bins of the histogram.
pub const HISTOGRAM_BINS: usize = 40;

/// A histogram bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bar {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

/// Where threshold `t` lies across the plot (the map's range spans the width; clamped).
pub fn x_of(t: f32, lo: f32, hi: f32) -> f64 {
    if hi > lo {
        (f64::from((t - lo) / (hi - lo))).clamp(0.0, 1.0) * WIDTH
    } else {
        0.0
    }
}

/// The threshold at `fx` (0 = left edge, 1 = right edge) of a map ranging over [`lo`, `hi`].
pub fn threshold_at(fx: f64, lo: f32, hi: f32) -> f32 {
    lo + (hi - lo) * fx.clamp(0.0, 1.0) as f32
}

/// The curve's points in plot units, lowest threshold first.
pub fn curve_points(curve: &IouCurve) -> Vec<(f64, f64)> {
    let (lo, hi) = ends(&curve.thresholds);
    curve
        .thresholds
        .iter()
        .zip(&curve.ious)
        .map(|(&t, &iou)| (x_of(t, lo, hi), (1.0 - iou) * HEIGHT))
        .collect()
}

/// The SVG path of the curve (`M x,y L x,y …`).
pub fn curve_path(curve: &IouCurve) -> String {
    curve_points(curve)
        .iter()
        .enumerate()
        .map(|(i, (x, y))| format!("{}{x:.1},{y:.1}", if i == 0 { 'M' } else { 'L' }))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The best point of the curve in plot units.
pub fn best_point(curve: &IouCurve) -> (f64, f64) {
    let (lo, hi) = ends(&curve.thresholds);
    let (t, iou) = curve.best();
    (x_of(t, lo, hi), (1.0 - iou) * HEIGHT)
}

fn ends(thresholds: &[f32]) -> (f32, f32) {
    (
        thresholds.first().copied().unwrap_or(0.0),
        thresholds.last().copied().unwrap_or(0.0),
    )
}

/// The histogram's bars, foreground's and background's, each scaled to its own tallest bin (so a
/// small object's scores show beside a large background), filling the plot's height.
pub fn bars(h: &Histogram) -> [Vec<Bar>; 2] {
    let lay = |counts: &[u32]| {
        let top = counts.iter().copied().max().unwrap_or(0).max(1);
        let width = WIDTH / counts.len().max(1) as f64;
        counts
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, &n)| {
                let height = f64::from(n) / f64::from(top) * HEIGHT;
                Bar {
                    x: i as f64 * width,
                    y: HEIGHT - height,
                    width,
                    height,
                }
            })
            .collect()
    };
    [lay(&h.foreground), lay(&h.background)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_and_positions_invert_each_other() {
        for fx in [0.0, 0.25, 0.5, 1.0] {
            let t = threshold_at(fx, -0.5, 1.5);
            assert!((x_of(t, -0.5, 1.5) / WIDTH - fx).abs() < 1e-6);
        }
        assert_eq!(threshold_at(2.0, 0.0, 1.0), 1.0);
        assert_eq!(x_of(5.0, 0.0, 0.0), 0.0);
    }

    #[test]
    fn the_curve_spans_the_box_and_the_best_point_is_on_it() {
        let curve = IouCurve {
            thresholds: vec![0.0, 0.5, 1.0],
            ious: vec![0.2, 0.8, 0.0],
        };
        assert_eq!(curve_path(&curve), "M0.0,72.0 L120.0,18.0 L240.0,90.0");
        let (x, y) = best_point(&curve);
        assert!(x == 120.0 && (y - 18.0).abs() < 1e-9, "{x}, {y}");
    }

    #[test]
    fn bars_fill_the_height_per_class() {
        let h = Histogram {
            lo: 0.0,
            hi: 1.0,
            foreground: vec![0, 2, 4, 0],
            background: vec![10, 5, 0, 0],
        };
        let [fg, bg] = bars(&h);
        assert_eq!(fg.len(), 2);
        assert_eq!((fg[1].x, fg[1].height, fg[1].y), (120.0, HEIGHT, 0.0));
        assert_eq!(bg[1].height, HEIGHT / 2.0);
        assert_eq!(bg[0].width, WIDTH / 4.0);
    }
}
