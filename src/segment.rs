//! Training-free one-shot segmentation from feature similarity, and its scores.
//!
//! Support image + mask → per-cell mask coverage → prototype (mean of unit cell features weighted by
//! coverage) → cosine with every cell of the query → bilinear upsampling to the query's size →
//! threshold → mask.

use crate::compute::{DeviceError, FromDevice};
use crate::resample::cell_coverage;
use image::GrayImage;

/// Label value that scoring ignores (VOC's object boundaries).
pub const VOID: u8 = 255;

/// Why a segmentation could not be made.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SegmentError {
    /// The support mask marks nothing.
    #[error("the support mask has no foreground: mark the object first")]
    EmptyMask,
    /// The features of a block the recipe reads are not here (a bundle that did not bake it).
    #[error("the features of {0} are not here")]
    MissingBlock(crate::model::Block),
    /// The device failed while computing or reading the map.
    #[error(transparent)]
    Device(#[from] DeviceError),
}

impl FromDevice for SegmentError {
    fn device(&self) -> Option<&DeviceError> {
        match self {
            SegmentError::Device(e) => Some(e),
            SegmentError::EmptyMask | SegmentError::MissingBlock(_) => None,
        }
    }
}

/// How the similarity map becomes a mask.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Threshold {
    /// A fixed cosine value.
    Fixed(f32),
    /// Halfway between the map's minimum and maximum.
    Mid,
    /// Otsu's method on the map's histogram.
    Otsu,
}

impl std::str::FromStr for Threshold {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "mid" => Ok(Threshold::Mid),
            "otsu" => Ok(Threshold::Otsu),
            v => v
                .parse::<f32>()
                .ok()
                .filter(|x| (-1.0..=1.0).contains(x))
                .map(Threshold::Fixed)
                .ok_or_else(|| {
                    format!("threshold '{s}': expected mid, otsu or a number in [-1, 1]")
                }),
        }
    }
}

impl Threshold {
    /// The cut value for `values` (foreground is `value > cut`).
    pub fn value(self, values: &[f32]) -> f32 {
        match self {
            Threshold::Fixed(v) => v,
            Threshold::Mid => {
                let (lo, hi) = min_max(values);
                0.5 * (lo + hi)
            }
            Threshold::Otsu => otsu(values),
        }
    }
}

fn min_max(values: &[f32]) -> (f32, f32) {
    values
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        })
}

/// Otsu's threshold over a 256-bin histogram spanning the values' range.
pub fn otsu(values: &[f32]) -> f32 {
    const BINS: usize = 256;
    let (lo, hi) = min_max(values);
    // A constant map (hi == lo) has no split; an empty one has lo = +inf.
    if hi <= lo || !lo.is_finite() {
        return lo;
    }
    let scale = (BINS - 1) as f32 / (hi - lo);
    let mut hist = [0u64; BINS];
    for &v in values {
        hist[((v - lo) * scale).round() as usize] += 1;
    }
    let total = values.len() as f64;
    let sum_all: f64 = hist
        .iter()
        .enumerate()
        .map(|(i, &n)| i as f64 * n as f64)
        .sum();
    let (mut w0, mut sum0, mut best, mut best_i) = (0.0f64, 0.0f64, -1.0f64, 0usize);
    for (i, &n) in hist.iter().enumerate() {
        w0 += n as f64;
        sum0 += i as f64 * n as f64;
        let w1 = total - w0;
        if w0 == 0.0 || w1 == 0.0 {
            continue;
        }
        let between = w0 * w1 * (sum0 / w0 - (sum_all - sum0) / w1).powi(2);
        if between > best {
            best = between;
            best_i = i;
        }
    }
    // Cut halfway between the last background bin and the next one.
    lo + (best_i as f32 + 0.5) / scale
}

/// A `size`×`size` mask (255 = foreground) with the marked cells of a `grid`×`grid` grid filled:
/// what a user paints on the page, in the form the recipes take.
pub fn mask_from_cells(marked: &[bool], grid: usize, size: u32) -> GrayImage {
    assert_eq!(marked.len(), grid * grid, "one flag per cell");
    let cell = (size as usize).div_ceil(grid);
    GrayImage::from_fn(size, size, |x, y| {
        let (cx, cy) = (
            (x as usize / cell).min(grid - 1),
            (y as usize / cell).min(grid - 1),
        );
        image::Luma([if marked[cy * grid + cx] { 255 } else { 0 }])
    })
}

/// Pixel counts of a prediction against a ground truth for one class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Confusion {
    /// Foreground predicted and true.
    pub tp: u64,
    /// Foreground predicted, background true.
    pub fp: u64,
    /// Background predicted, foreground true.
    pub fn_: u64,
    /// Background predicted and true.
    pub tn: u64,
}

impl Confusion {
    /// Counts `pred` (foreground = true) against `truth` (foreground = `truth == class`), skipping
    /// [`VOID`] pixels.
    pub fn count(pred: &[bool], truth: &[u8], class: u8) -> Self {
        assert_eq!(
            pred.len(),
            truth.len(),
            "prediction and ground truth differ in size"
        );
        let mut c = Confusion::default();
        for (&p, &t) in pred.iter().zip(truth) {
            if t == VOID {
                continue;
            }
            match (p, t == class) {
                (true, true) => c.tp += 1,
                (true, false) => c.fp += 1,
                (false, true) => c.fn_ += 1,
                (false, false) => c.tn += 1,
            }
        }
        c
    }

    /// Sums two counts.
    pub fn add(&mut self, o: Confusion) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.fn_ += o.fn_;
        self.tn += o.tn;
    }

    /// Foreground IoU; 0 when there is neither prediction nor truth.
    pub fn iou(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp + self.fn_)
    }

    /// Background IoU.
    pub fn background_iou(&self) -> f64 {
        ratio(self.tn, self.tn + self.fp + self.fn_)
    }

    /// Mean of foreground and background IoU.
    pub fn fb_iou(&self) -> f64 {
        0.5 * (self.iou() + self.background_iou())
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Mask weights for a prototype, refusing an empty mask.
pub fn support_weights(mask: &GrayImage, grid: usize) -> Result<Vec<f32>, SegmentError> {
    let cov = cell_coverage(mask, grid);
    if cov.iter().all(|&c| c <= 0.0) {
        return Err(SegmentError::EmptyMask);
    }
    Ok(cov)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_rules() {
        let v = [0.0, 0.1, 0.2, 0.8, 0.9, 1.0];
        assert_eq!(Threshold::Mid.value(&v), 0.5);
        assert_eq!(Threshold::Fixed(0.3).value(&v), 0.3);
        let t = Threshold::Otsu.value(&v);
        assert!(t > 0.2 && t < 0.8, "otsu splits the two clusters: {t}");
        assert_eq!("mid".parse::<Threshold>(), Ok(Threshold::Mid));
        assert_eq!("0.25".parse::<Threshold>(), Ok(Threshold::Fixed(0.25)));
        assert!("2".parse::<Threshold>().is_err());
        // A constant map has no split; Otsu returns its value rather than NaN.
        assert_eq!(otsu(&[0.4; 5]), 0.4);
    }

    #[test]
    fn iou_on_hand_made_masks() {
        // truth: class 1 in the first three pixels, void in the last.
        let truth = [1, 1, 1, 0, 0, VOID];
        let pred = [true, true, false, true, false, true];
        let c = Confusion::count(&pred, &truth, 1);
        assert_eq!(
            c,
            Confusion {
                tp: 2,
                fp: 1,
                fn_: 1,
                tn: 1
            }
        );
        assert!((c.iou() - 0.5).abs() < 1e-12);
        assert!((c.background_iou() - 1.0 / 3.0).abs() < 1e-12);
        assert!((c.fb_iou() - (0.5 + 1.0 / 3.0) / 2.0).abs() < 1e-12);
    }

    #[test]
    fn empty_mask_is_a_clear_error() {
        let mask = GrayImage::new(10, 10);
        let err = support_weights(&mask, 2).unwrap_err();
        assert_eq!(err, SegmentError::EmptyMask);
        assert_eq!(err.device(), None);
    }

    #[test]
    fn a_device_failure_keeps_its_type_and_its_words() {
        let bad = DeviceError::Data("2 values for 4 cells".into());
        let err = SegmentError::from(bad.clone());
        assert_eq!(err.device(), Some(&bad));
        assert_eq!(
            err.to_string(),
            "the device returned unexpected data: 2 values for 4 cells"
        );
    }

    #[test]
    fn painted_cells_cover_exactly_their_cells() {
        let mask = mask_from_cells(&[true, false, false, true], 2, 64);
        assert_eq!(cell_coverage(&mask, 2), vec![1.0, 0.0, 0.0, 1.0]);
    }
}
