//! How the segmentation threshold trades off: IoU against the threshold over the score map's
//! range, and the score histogram split by the ground truth.

use crate::segment::{Confusion, VOID};

/// IoU at evenly spaced thresholds over a score map's range.
#[derive(Debug, Clone, PartialEq)]
pub struct IouCurve {
    /// The thresholds, ascending, from the map's minimum to its maximum (foreground is
    /// `score > threshold`, as the page and the CLI cut).
    pub thresholds: Vec<f32>,
    /// Foreground IoU at each threshold.
    pub ious: Vec<f64>,
}

impl IouCurve {
    /// The curve of `score` (one value per pixel) against `truth` (class `class` is foreground,
    /// [`VOID`] skipped) at `steps` thresholds (at least 2). Exact: each point is the IoU that
    /// cutting at that threshold gives, counted from the sorted scores in O(n log n).
    pub fn new(score: &[f32], truth: &[u8], class: u8, steps: usize) -> IouCurve {
        assert_eq!(score.len(), truth.len(), "one label per score");
        let steps = steps.max(2);
        let (lo, hi) = range(score);
        let thresholds: Vec<f32> = (0..steps)
            .map(|i| lo + (hi - lo) * i as f32 / (steps - 1) as f32)
            .collect();
        let (mut fg, mut bg) = (Vec::new(), Vec::new());
        for (&s, &t) in score.iter().zip(truth) {
            match t {
                VOID => {}
                t if t == class => fg.push(s),
                _ => bg.push(s),
            }
        }
        fg.sort_by(f32::total_cmp);
        bg.sort_by(f32::total_cmp);
        let above = |v: &[f32], t: f32| (v.len() - v.partition_point(|&x| x <= t)) as u64;
        let ious = thresholds
            .iter()
            .map(|&t| {
                let tp = above(&fg, t);
                Confusion {
                    tp,
                    fp: above(&bg, t),
                    fn_: fg.len() as u64 - tp,
                    tn: 0, // not part of the foreground IoU
                }
                .iou()
            })
            .collect();
        IouCurve { thresholds, ious }
    }

    /// The threshold with the highest IoU (the lowest such on ties) and that IoU.
    pub fn best(&self) -> (f32, f64) {
        let i =
            (0..self.ious.len()).fold(0, |b, i| if self.ious[i] > self.ious[b] { i } else { b });
        (self.thresholds[i], self.ious[i])
    }
}

fn range(values: &[f32]) -> (f32, f32) {
    let (lo, hi) = values
        .iter()
        .filter(|v| v.is_finite())
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    if lo.is_finite() { (lo, hi) } else { (0.0, 0.0) }
}

/// Counts of score values in equal bins over the map's range.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// The lowest score (left edge of the first bin).
    pub lo: f32,
    /// The highest score (right edge of the last bin, which includes it).
    pub hi: f32,
    /// Per bin, the pixels the truth calls foreground (all pixels when there is no truth).
    pub foreground: Vec<u32>,
    /// Per bin, the pixels the truth calls background (empty without a truth).
    pub background: Vec<u32>,
}

impl Histogram {
    /// The histogram of `score` in `bins` bins; with a truth (labels and the foreground class),
    /// split into its foreground and background, [`VOID`] pixels left out.
    pub fn new(score: &[f32], truth: Option<(&[u8], u8)>, bins: usize) -> Histogram {
        let bins = bins.max(1);
        let (lo, hi) = range(score);
        let bin = |v: f32| {
            if hi > lo {
                (((v - lo) / (hi - lo) * bins as f32) as usize).min(bins - 1)
            } else {
                0
            }
        };
        let mut foreground = vec![0; bins];
        let mut background = if truth.is_some() {
            vec![0; bins]
        } else {
            Vec::new()
        };
        for (i, &v) in score.iter().enumerate().filter(|(_, v)| v.is_finite()) {
            match truth {
                None => foreground[bin(v)] += 1,
                Some((labels, _)) if labels[i] == VOID => {}
                Some((labels, class)) if labels[i] == class => foreground[bin(v)] += 1,
                Some(_) => background[bin(v)] += 1,
            }
        }
        Histogram {
            lo,
            hi,
            foreground,
            background,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A smooth score map over a 40×30 image with a blob of class 3 and a void ring.
    fn scene() -> (Vec<f32>, Vec<u8>) {
        let (w, h) = (40, 30);
        let mut score = Vec::new();
        let mut truth = Vec::new();
        for y in 0..h {
            for x in 0..w {
                let d = (((x as f32 - 15.0).powi(2) + (y as f32 - 12.0).powi(2)).sqrt()) / 10.0;
                score.push((1.0 - d) * 0.8 + 0.05 * ((x * 7 + y * 3) % 5) as f32);
                truth.push(match d {
                    d if d < 0.9 => 3,
                    d if d < 1.0 => VOID,
                    _ => 0,
                });
            }
        }
        (score, truth)
    }

    #[test]
    fn the_curve_is_the_iou_cut_one_threshold_at_a_time() {
        let (score, truth) = scene();
        let curve = IouCurve::new(&score, &truth, 3, 57);
        assert_eq!(curve.thresholds.len(), 57);
        for (&t, &iou) in curve.thresholds.iter().zip(&curve.ious) {
            let pred: Vec<bool> = score.iter().map(|&v| v > t).collect();
            let one = Confusion::count(&pred, &truth, 3).iou();
            assert!((one - iou).abs() < 1e-12, "at {t}: {iou} vs {one}");
        }
        let (t, best) = curve.best();
        assert!(
            best > 0.8 && curve.ious.iter().all(|&v| v <= best),
            "{best} at {t}"
        );
        // At the maximum nothing is foreground.
        assert_eq!(*curve.ious.last().unwrap(), 0.0);
    }

    #[test]
    fn histogram_splits_by_truth_and_counts_every_labelled_pixel() {
        let (score, truth) = scene();
        let h = Histogram::new(&score, Some((&truth, 3)), 16);
        let fg: u32 = h.foreground.iter().sum();
        let bg: u32 = h.background.iter().sum();
        assert_eq!(fg as usize, truth.iter().filter(|&&t| t == 3).count());
        assert_eq!(bg as usize, truth.iter().filter(|&&t| t == 0).count());
        let all = Histogram::new(&score, None, 16);
        assert_eq!(all.foreground.iter().sum::<u32>() as usize, score.len());
        assert!(all.background.is_empty());
        assert_eq!(Histogram::new(&[0.5; 4], None, 3).foreground, vec![4, 0, 0]);
    }

    #[test]
    fn a_flat_or_empty_map_has_a_flat_curve() {
        let curve = IouCurve::new(&[0.2; 6], &[1, 1, 0, 0, 0, 0], 1, 5);
        assert!(curve.ious.iter().all(|&v| v == 0.0));
        let empty = IouCurve::new(&[], &[], 1, 3);
        assert_eq!(empty.best(), (0.0, 0.0));
    }
}
