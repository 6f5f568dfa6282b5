//! Figures to download as PNG, as drawing steps in canvas pixels: the correspondences over both
//! photos side by side, the IoU curve over the score histogram, and "why alike" with each
//! channel's activity. The layout and every coordinate are decided here; the browser only replays
//! the steps on a canvas (`ui::browser::figure`).

use super::geometry::{Rect, cell_centre_in, pair_colour};
use super::iou_plot::{self, HEIGHT, WIDTH};
use super::results::{PairsView, SegView, WhyView};

/// One drawing step.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Photo `image` (0 = left, 1 = right) stretched over `at`, as the network sees it.
    Photo {
        /// Which photo.
        image: usize,
        /// Where.
        at: Rect,
    },
    /// A `cols`×`rows` RGBA raster, one pixel per cell, blown up over `at` without smoothing.
    Cells {
        /// Raster width.
        cols: u32,
        /// Raster height.
        rows: u32,
        /// Its pixels.
        rgba: Vec<u8>,
        /// Where.
        at: Rect,
    },
    /// A filled rectangle.
    Fill {
        /// Where.
        at: Rect,
        /// CSS colour.
        colour: String,
    },
    /// A rectangle's outline.
    Frame {
        /// Where.
        at: Rect,
        /// CSS colour.
        colour: String,
        /// Line width.
        width: f64,
    },
    /// Connected line segments.
    Line {
        /// The points, in order.
        points: Vec<(f64, f64)>,
        /// CSS colour.
        colour: String,
        /// Line width.
        width: f64,
    },
    /// A filled circle.
    Dot {
        /// Centre.
        at: (f64, f64),
        /// Radius.
        radius: f64,
        /// CSS colour.
        colour: String,
    },
    /// One line of text, its baseline's left end at `at`.
    Text {
        /// Where.
        at: (f64, f64),
        /// What.
        text: String,
        /// Font size in pixels.
        size: f64,
        /// CSS colour.
        colour: String,
    },
}

/// A figure: its size in pixels, its background and the steps that draw it, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// CSS colour under everything.
    pub background: &'static str,
    /// What to draw, first to last.
    pub steps: Vec<Step>,
}

const INK: &str = "#1d1d1f";
const MUTED: &str = "#6b6b70";
const PAPER: &str = "#ffffff";
/// Height of each photo in the correspondences figure.
const PHOTO_HEIGHT: f64 = 512.0;
const GAP: f64 = 24.0;
const CAPTION: f64 = 36.0;

fn rect(left: f64, top: f64, width: f64, height: f64) -> Rect {
    Rect {
        left,
        top,
        width,
        height,
    }
}

/// The figure's corner: cell centres are in figure pixels.
const ORIGIN: Rect = Rect {
    left: 0.0,
    top: 0.0,
    width: 0.0,
    height: 0.0,
};

/// One line of text in `colour`, its baseline's left end at (`x`, `y`).
fn text(x: f64, y: f64, text: String, size: f64, colour: &str) -> Step {
    Step::Text {
        at: (x, y),
        text,
        size,
        colour: colour.into(),
    }
}

/// A photo of `width`×`height` at the figure's photo height (its aspect kept, within 1:4–4:1).
fn photo_width((width, height): (u32, u32)) -> f64 {
    let aspect = f64::from(width.max(1)) / f64::from(height.max(1));
    (PHOTO_HEIGHT * aspect.clamp(0.25, 4.0)).round()
}

/// The first `n` correspondences as lines between the two photos side by side (each
/// `sizes[i]` pixels, drawn 512 pixels high), with a caption naming what is shown.
pub fn pairs(v: &PairsView, n: usize, sizes: [(u32, u32); 2], names: [&str; 2]) -> Figure {
    let left = rect(0.0, 0.0, photo_width(sizes[0]), PHOTO_HEIGHT);
    let right = rect(left.width + GAP, 0.0, photo_width(sizes[1]), PHOTO_HEIGHT);
    let mut steps = vec![
        Step::Photo { image: 0, at: left },
        Step::Photo {
            image: 1,
            at: right,
        },
    ];
    let shown = n.min(v.pairs.len());
    for (i, p) in v.pairs.iter().take(shown).enumerate() {
        let (l, r) = v.cells(p);
        let a = cell_centre_in(l, v.grids[0].1, left, ORIGIN);
        let b = cell_centre_in(r, v.grids[1].1, right, ORIGIN);
        let colour = pair_colour(i);
        steps.push(Step::Line {
            points: vec![a, b],
            colour: colour.clone(),
            width: 2.0,
        });
        for at in [a, b] {
            steps.push(Step::Dot {
                at,
                radius: 4.0,
                colour: colour.clone(),
            });
        }
    }
    steps.push(text(
        0.0,
        PHOTO_HEIGHT + 24.0,
        format!(
            "{} ↔ {} · {} · the {shown} most similar of {} mutual nearest neighbours{}",
            names[0],
            names[1],
            v.block.name(),
            v.pairs.len(),
            if v.object {
                " from the marked object"
            } else {
                ""
            }
        ),
        15.0,
        INK,
    ));
    Figure {
        width: (right.left + right.width) as u32,
        height: (PHOTO_HEIGHT + CAPTION) as u32,
        background: PAPER,
        steps,
    }
}

/// Scale of the curve figure over the on-page plot's units.
const CURVE_SCALE: f64 = 3.0;
const CURVE_LEFT: f64 = 48.0;
const CURVE_TOP: f64 = 36.0;
const CURVE_BOTTOM: f64 = 40.0;

/// The IoU curve over the score histogram with the cut and the best point, as on the page but
/// three times as large with its axes named; `None` without a curve (no ground truth).
pub fn curve(v: &SegView, query: &str) -> Option<Figure> {
    let c = v.curve.as_ref()?;
    let (w, h) = (WIDTH * CURVE_SCALE, HEIGHT * CURVE_SCALE);
    let at = |x: f64, y: f64| (CURVE_LEFT + x * CURVE_SCALE, CURVE_TOP + y * CURVE_SCALE);
    let mut steps = Vec::new();
    let [fg, bg] = iou_plot::bars(&v.histogram);
    for (bars, colour) in [
        (bg, "rgba(80, 140, 255, 0.3)"),
        (fg, "rgba(255, 122, 0, 0.35)"),
    ] {
        for b in bars {
            let (x, y) = at(b.x, b.y);
            steps.push(Step::Fill {
                at: rect(x, y, b.width * CURVE_SCALE, b.height * CURVE_SCALE),
                colour: colour.into(),
            });
        }
    }
    steps.push(Step::Frame {
        at: rect(CURVE_LEFT, CURVE_TOP, w, h),
        colour: MUTED.into(),
        width: 1.0,
    });
    steps.push(Step::Line {
        points: iou_plot::curve_points(c)
            .into_iter()
            .map(|(x, y)| at(x, y))
            .collect(),
        colour: INK.into(),
        width: 2.5,
    });
    let (lo, hi) = (v.histogram.lo, v.histogram.hi);
    let cut = at(iou_plot::x_of(v.cut, lo, hi), 0.0).0;
    steps.push(Step::Line {
        points: vec![(cut, CURVE_TOP), (cut, CURVE_TOP + h)],
        colour: "#c0392b".into(),
        width: 2.0,
    });
    let (bx, by) = iou_plot::best_point(c);
    steps.push(Step::Dot {
        at: at(bx, by),
        radius: 6.0,
        colour: "#0b63c5".into(),
    });
    let (best, best_iou) = c.best();
    let iou_now = v.iou.map_or(String::new(), |i| format!(" → IoU {i:.3}"));
    steps.extend([
        text(
            CURVE_LEFT,
            24.0,
            format!(
                "IoU against the threshold · {} · {query} · best cut {best:.3} → IoU {best_iou:.3} · cut {:.3}{iou_now}",
                v.method.name(),
                v.cut
            ),
            14.0,
            INK,
        ),
        text(8.0, CURVE_TOP + 12.0, "1".into(), 13.0, MUTED),
        text(8.0, CURVE_TOP + h, "0".into(), 13.0, MUTED),
        text(4.0, CURVE_TOP + h / 2.0, "IoU".into(), 13.0, MUTED),
        text(CURVE_LEFT, CURVE_TOP + h + 20.0, format!("{lo:.3}"), 13.0, MUTED),
        text(
            CURVE_LEFT + w - 48.0,
            CURVE_TOP + h + 20.0,
            format!("{hi:.3}"),
            13.0,
            MUTED,
        ),
        text(
            CURVE_LEFT + w / 2.0 - 140.0,
            CURVE_TOP + h + 20.0,
            "threshold (bars: object / background scores)".into(),
            13.0,
            MUTED,
        ),
    ]);
    Some(Figure {
        width: (CURVE_LEFT + w + 16.0) as u32,
        height: (CURVE_TOP + h + CURVE_BOTTOM) as u32,
        background: PAPER,
        steps,
    })
}

const THUMB: f64 = 160.0;
const WHY_LABEL: f64 = 200.0;
const WHY_HEAD: f64 = 56.0;
const WHY_ROW: f64 = THUMB + 12.0;

/// "Why alike": the two photos with the two cells framed, then one row per channel (its index,
/// share and activity over each grid).
pub fn why(w: &WhyView, names: [&str; 2]) -> Figure {
    let column = |i: usize| WHY_LABEL + i as f64 * (THUMB + 12.0);
    let top = |row: usize| WHY_HEAD + row as f64 * WHY_ROW;
    let cells = {
        let mut c = [w.cell, w.other];
        if w.source.index() == 1 {
            c.swap(0, 1);
        }
        c
    };
    let carried: f32 = w.channels.iter().map(|c| c.share).sum();
    let mut steps = vec![
        text(
            8.0,
            22.0,
            format!("{} {:?} ↔ {} {:?}", names[0], cells[0], names[1], cells[1]),
            14.0,
            INK,
        ),
        text(
            8.0,
            42.0,
            format!(
                "{} · cosine {:.3}: these {} of {} channels carry {:.3}",
                w.block.name(),
                w.cosine,
                w.channels.len(),
                w.channels_in_block,
                carried
            ),
            14.0,
            INK,
        ),
    ];
    steps.push(text(8.0, top(0) + 24.0, "the photos".into(), 14.0, INK));
    for (i, (&(rows, cols), &(r, c))) in w.grids.iter().zip(&cells).enumerate() {
        let at = rect(column(i), top(0), THUMB, THUMB);
        steps.push(Step::Photo { image: i, at });
        // The cell's box, at least 10 pixels across so that a fine grid's cell still shows.
        let (cx, cy) = cell_centre_in((r, c), cols, at, ORIGIN);
        let side = (THUMB / cols.max(rows).max(1) as f64).max(10.0);
        steps.push(Step::Frame {
            at: rect(cx - side / 2.0, cy - side / 2.0, side, side),
            colour: "#ff2d55".into(),
            width: 2.0,
        });
    }
    for (k, ch) in w.channels.iter().enumerate() {
        let y = top(k + 1);
        steps.push(text(
            8.0,
            y + 24.0,
            format!("channel {}", ch.channel),
            14.0,
            INK,
        ));
        steps.push(text(
            8.0,
            y + 44.0,
            format!("share {:.3}", ch.share),
            13.0,
            MUTED,
        ));
        for (i, (&(rows, cols), thumb)) in w.grids.iter().zip(&ch.thumbs).enumerate() {
            steps.push(Step::Cells {
                cols: cols as u32,
                rows: rows as u32,
                rgba: thumb.clone(),
                at: rect(column(i), y, THUMB, THUMB),
            });
        }
    }
    Figure {
        width: (column(2) - 4.0) as u32,
        height: (top(w.channels.len() + 1)) as u32,
        background: PAPER,
        steps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::buddies::Pair;
    use crate::analysis::iou_curve::{Histogram, IouCurve};
    use crate::model::Block;
    use crate::session::results::ChannelView;
    use crate::session::side::Side;

    fn lines(f: &Figure) -> Vec<&Vec<(f64, f64)>> {
        f.steps
            .iter()
            .filter_map(|s| match s {
                Step::Line { points, .. } => Some(points),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn pair_lines_join_the_cell_centres_on_photos_side_by_side() {
        let v = PairsView {
            block: Block::Layer4,
            size: 512,
            grids: [(16, 16), (16, 16)],
            pairs: vec![
                Pair {
                    left: 0,
                    right: 255,
                    similarity: 0.9,
                },
                Pair {
                    left: 17,
                    right: 18,
                    similarity: 0.8,
                },
                Pair {
                    left: 1,
                    right: 2,
                    similarity: 0.7,
                },
            ],
            object: true,
        };
        // A 2:1 photo beside a square one: 1024 + 24 + 512 wide.
        let f = pairs(&v, 2, [(800, 400), (300, 300)], ["a.jpg", "b.jpg"]);
        assert_eq!((f.width, f.height), (1560, 548));
        let l = lines(&f);
        assert_eq!(l.len(), 2, "only the first n pairs");
        // Left cell (0, 0) over the 1024-wide photo; right cell (15, 15) over the one at 1048.
        assert_eq!(l[0], &vec![(32.0, 16.0), (1048.0 + 496.0, 496.0)]);
        assert_eq!(l[1][0], (96.0, 48.0));
        let caption = f.steps.iter().find_map(|s| match s {
            Step::Text { text, .. } => Some(text.clone()),
            _ => None,
        });
        assert!(
            caption.unwrap().ends_with(
                "the 2 most similar of 3 mutual nearest neighbours from the marked object"
            )
        );
        // Asking for more than there are draws them all.
        assert_eq!(lines(&pairs(&v, 50, [(1, 1), (1, 1)], ["a", "b"])).len(), 3);
    }

    fn seg(curve: Option<IouCurve>) -> SegView {
        SegView {
            width: 4,
            height: 4,
            rgba: Vec::new(),
            cut: 0.5,
            iou: Some(0.8),
            iou_note: None,
            area: 0.3,
            millis: 1.0,
            method: crate::oneshot::Method::Plain,
            threshold: crate::segment::Threshold::Mid,
            curve,
            histogram: Histogram {
                lo: 0.0,
                hi: 1.0,
                foreground: vec![0, 1],
                background: vec![2, 0],
            },
        }
    }

    #[test]
    fn the_curve_figure_is_the_plot_scaled_with_the_cut_where_it_is() {
        assert_eq!(curve(&seg(None), "q.jpg"), None);
        let c = IouCurve {
            thresholds: vec![0.0, 0.5, 1.0],
            ious: vec![0.2, 0.8, 0.0],
        };
        let f = curve(&seg(Some(c)), "q.jpg").unwrap();
        let l = lines(&f);
        // The curve: x from 48 to 48 + 720, IoU 0.8 at 36 + 0.2 × 270.
        let (x, y) = l[0][1];
        assert!(x == 408.0 && (y - 90.0).abs() < 1e-9, "{x}, {y}");
        assert_eq!(l[0].len(), 3);
        // The cut at 0.5 is a vertical line through the middle.
        assert_eq!(l[1], &vec![(408.0, 36.0), (408.0, 306.0)]);
        let fills = f
            .steps
            .iter()
            .filter(|s| matches!(s, Step::Fill { .. }))
            .count();
        assert_eq!(fills, 2, "one bar per non-empty bin");
        let title = match &f.steps[f.steps.len() - 7] {
            Step::Text { text, .. } => text.clone(),
            s => panic!("{s:?}"),
        };
        assert!(title.contains("best cut 0.500 → IoU 0.800"), "{title}");
    }

    #[test]
    fn why_frames_both_cells_and_gives_each_channel_a_row() {
        let w = WhyView {
            source: Side::Right,
            cell: (1, 2),
            other: (3, 0),
            hovered: true,
            block: Block::Layer4,
            channels_in_block: 2048,
            cosine: 0.5,
            grids: [(4, 4), (4, 4)],
            channels: (0..3)
                .map(|i| ChannelView {
                    channel: 100 + i,
                    share: 0.1,
                    thumbs: [vec![0; 64], vec![0; 64]],
                })
                .collect(),
        };
        let f = why(&w, ["l.png", "r.png"]);
        assert_eq!(f.height, (56.0 + 4.0 * 172.0) as u32);
        let frames: Vec<Rect> = f
            .steps
            .iter()
            .filter_map(|s| match s {
                Step::Frame { at, .. } => Some(*at),
                _ => None,
            })
            .collect();
        // The pin is on the right: the left frame is the other cell (3, 0).
        assert_eq!(frames[0], rect(200.0, 56.0 + 120.0, 40.0, 40.0));
        assert_eq!(frames[1], rect(372.0 + 80.0, 56.0 + 40.0, 40.0, 40.0));
        // A 32×32 grid's 5-pixel cell gets a 10-pixel box around its centre.
        let mut fine = w.clone();
        fine.grids = [(32, 32), (32, 32)];
        let small = why(&fine, ["l", "r"])
            .steps
            .into_iter()
            .find_map(|s| match s {
                Step::Frame { at, .. } => Some(at),
                _ => None,
            });
        assert_eq!(
            small,
            Some(rect(200.0 + 2.5 - 5.0, 56.0 + 17.5 - 5.0, 10.0, 10.0))
        );
        let rasters = f
            .steps
            .iter()
            .filter(|s| matches!(s, Step::Cells { .. }))
            .count();
        assert_eq!(rasters, 6);
    }
}
