//! Progress the status bar shows: the weights' and the long work's.

use crate::compute::BackendKind;

/// Where the weights are.
#[derive(Debug, Clone, PartialEq)]
pub enum WeightsProgress {
    /// Not started.
    Waiting,
    /// Downloading: bytes so far and total when known.
    Downloading {
        /// Bytes received.
        loaded: u64,
        /// Content length, if the server sent it.
        total: Option<u64>,
    },
    /// Verifying and uploading to the device.
    Building,
    /// Usable.
    Ready {
        /// Model name from the file.
        name: String,
        /// How the file stores the model, and which parts it has ("f16, trunk only").
        file: String,
        /// File size.
        bytes: usize,
        /// From request to model on the device.
        millis: f64,
    },
    /// Refused or unreachable.
    Failed(String),
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

impl WeightsProgress {
    /// `waiting`, `downloading`, `building`, `ready` or `failed` (`data-weights`).
    pub fn state(&self) -> &'static str {
        match self {
            WeightsProgress::Waiting => "waiting",
            WeightsProgress::Downloading { .. } => "downloading",
            WeightsProgress::Building => "building",
            WeightsProgress::Ready { .. } => "ready",
            WeightsProgress::Failed(_) => "failed",
        }
    }

    /// The status bar's text.
    pub fn text(&self) -> String {
        match self {
            WeightsProgress::Waiting => "weights: waiting for the device".to_string(),
            WeightsProgress::Downloading {
                loaded,
                total: Some(t),
            } => format!("weights: {} / {}", mb(*loaded), mb(*t)),
            WeightsProgress::Downloading {
                loaded,
                total: None,
            } => format!("weights: {}", mb(*loaded)),
            WeightsProgress::Building => "weights: verifying and uploading…".into(),
            WeightsProgress::Ready {
                name,
                file,
                bytes,
                millis,
            } => format!(
                "{name} · {file} · {} loaded in {:.1} s",
                mb(*bytes as u64),
                millis / 1000.0
            ),
            WeightsProgress::Failed(e) => format!("weights: {e}"),
        }
    }

    /// A few words for the embed bar (empty once ready).
    pub fn short(&self) -> &'static str {
        match self {
            WeightsProgress::Waiting => "starting…",
            WeightsProgress::Downloading { .. } => "loading the model…",
            WeightsProgress::Building => "preparing the model…",
            WeightsProgress::Ready { .. } => "",
            WeightsProgress::Failed(_) => "the model failed to load",
        }
    }

    /// Done so far, 0..=1, when known.
    pub fn fraction(&self) -> Option<f64> {
        match self {
            WeightsProgress::Downloading {
                loaded,
                total: Some(t),
            } if *t > 0 => Some(*loaded as f64 / *t as f64),
            WeightsProgress::Building | WeightsProgress::Ready { .. } => Some(1.0),
            _ => None,
        }
    }
}

/// Long work in progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Busy {
    /// What is being done.
    pub label: String,
    /// Done so far, 0..=1, when known.
    pub fraction: Option<f64>,
}

impl Busy {
    /// Computing an image's features: `done` of the four blocks.
    pub fn features(image: &str, size: u32, on: BackendKind, done: usize) -> Self {
        Busy {
            label: format!("features of {image} at {size}² on {on}: block {done} of 4"),
            fraction: Some(done as f64 / 4.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_progress_reads_well() {
        let d = WeightsProgress::Downloading {
            loaded: 1_500_000,
            total: Some(3_000_000),
        };
        assert_eq!(d.text(), "weights: 1.5 MB / 3.0 MB");
        assert_eq!(d.fraction(), Some(0.5));
        assert_eq!(d.state(), "downloading");
        let z = WeightsProgress::Downloading {
            loaded: 1,
            total: Some(0),
        };
        assert_eq!(z.fraction(), None);
        assert_eq!(WeightsProgress::Waiting.short(), "starting…");
        let r = WeightsProgress::Ready {
            name: "ResNet-50".into(),
            file: "f16, trunk only".into(),
            bytes: 47_470_000,
            millis: 2345.0,
        };
        assert_eq!(
            r.text(),
            "ResNet-50 · f16, trunk only · 47.5 MB loaded in 2.3 s"
        );
        let b = Busy::features("a.png", 512, BackendKind::Cpu, 2);
        assert_eq!(b.label, "features of a.png at 512² on CPU: block 2 of 4");
        assert_eq!(b.fraction, Some(0.5));
    }
}
