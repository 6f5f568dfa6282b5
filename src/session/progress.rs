//! Progress the status bar shows: the weights' and the long work's.

use crate::compute::BackendKind;
use crate::model::Block;

/// Where the weights are.
#[derive(Debug, Clone, PartialEq)]
pub enum WeightsProgress {
    /// Not started.
    Waiting,
    /// An embed waits for its reader before it downloads anything heavy: what to do to start.
    Deferred(String),
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
    /// A streamed model: the blocks up to `ready` work while the rest arrives.
    Partial {
        /// Model name from the manifest.
        name: String,
        /// The deepest block on the device.
        ready: Block,
        /// Bytes of the part in flight so far, and its size.
        part: (u64, u64),
        /// Bytes of every part so far, and of all of them.
        all: (u64, u64),
        /// Why the rest stopped coming, once it has.
        stopped: Option<String>,
    },
    /// No model yet: a bundle's baked features serve the view, and the model loads when something
    /// they lack is asked for.
    Baked {
        /// The network the features were baked with.
        name: String,
        /// The baked blocks.
        blocks: Vec<Block>,
        /// The input size they were baked at.
        size: u32,
    },
    /// Refused or unreachable.
    Failed(String),
}

/// How far one block's weights are, for the block picker and the strip.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BlockState {
    /// On the device.
    Ready,
    /// Its part is arriving: the fraction so far.
    Loading(f64),
    /// Its part comes after the one in flight.
    Queued,
    /// Its part will not come (a refused part; a reload tries again).
    Missing,
    /// Not baked in the open bundle: asking for it loads the model.
    OnDemand,
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

impl BlockState {
    /// `ready`, `loading`, `queued` or `missing` (`data-state` of the strip's thumbnails).
    pub fn name(self) -> &'static str {
        match self {
            BlockState::Ready => "ready",
            BlockState::Loading(_) => "loading",
            BlockState::Queued => "queued",
            BlockState::Missing => "missing",
            BlockState::OnDemand => "on-demand",
        }
    }

    /// What a block's caption adds while its weights are not here.
    pub fn note(self) -> Option<String> {
        match self {
            BlockState::Ready => None,
            BlockState::Loading(f) => Some(format!("weights arriving, {:.0}%", f * 100.0)),
            BlockState::Queued => Some("weights queued".into()),
            BlockState::Missing => Some("weights did not load".into()),
            BlockState::OnDemand => Some("loads the model".into()),
        }
    }
}

impl WeightsProgress {
    /// `waiting`, `downloading`, `building`, `ready` or `failed` (`data-weights`).
    pub fn state(&self) -> &'static str {
        match self {
            WeightsProgress::Waiting => "waiting",
            WeightsProgress::Deferred(_) => "deferred",
            WeightsProgress::Downloading { .. } => "downloading",
            WeightsProgress::Building => "building",
            WeightsProgress::Ready { .. } => "ready",
            WeightsProgress::Partial { .. } => "partial",
            WeightsProgress::Baked { .. } => "baked",
            WeightsProgress::Failed(_) => "failed",
        }
    }

    /// Whether loading has ended, well or not: the page's offline copy starts then, so that its
    /// downloads do not slow the model's.
    pub fn settled(&self) -> bool {
        matches!(
            self,
            WeightsProgress::Ready { .. }
                | WeightsProgress::Baked { .. }
                | WeightsProgress::Failed(_)
                | WeightsProgress::Partial {
                    stopped: Some(_),
                    ..
                }
        )
    }

    /// Where `block`'s weights are (every block is ready once a model is, and while a whole
    /// file loads the page shows nothing per block).
    pub fn block(&self, block: Block) -> BlockState {
        match self {
            WeightsProgress::Partial {
                ready,
                part,
                stopped,
                ..
            } => {
                let in_flight = ready.index() + 1;
                if block <= *ready {
                    BlockState::Ready
                } else if stopped.is_some() {
                    BlockState::Missing
                } else if block.index() == in_flight {
                    BlockState::Loading(if part.1 > 0 {
                        part.0 as f64 / part.1 as f64
                    } else {
                        0.0
                    })
                } else {
                    BlockState::Queued
                }
            }
            WeightsProgress::Baked { blocks, .. } if !blocks.contains(&block) => {
                BlockState::OnDemand
            }
            _ => BlockState::Ready,
        }
    }

    /// The status bar's text.
    pub fn text(&self) -> String {
        match self {
            WeightsProgress::Waiting => "weights: waiting for the device".to_string(),
            WeightsProgress::Deferred(what) => what.clone(),
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
            WeightsProgress::Partial {
                name,
                ready,
                all,
                stopped: None,
                ..
            } => format!(
                "{name} · layer1–{} ready · weights {} / {}",
                ready.name(),
                mb(all.0),
                mb(all.1)
            ),
            WeightsProgress::Partial {
                name,
                ready,
                stopped: Some(why),
                ..
            } => format!(
                "{name} · only layer1–{} ready: {why} (reload to try again)",
                ready.name()
            ),
            WeightsProgress::Baked { name, blocks, size } => format!(
                "{name} · baked features of {} at {size}² · the model loads when another block, \
                 size or image is asked for",
                blocks
                    .iter()
                    .map(|b| b.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            WeightsProgress::Failed(e) => format!("weights: {e}"),
        }
    }

    /// A few words for the embed bar (empty once ready).
    pub fn short(&self) -> String {
        match self {
            WeightsProgress::Deferred(what) => what.clone(),
            WeightsProgress::Waiting => "starting…".into(),
            WeightsProgress::Downloading { .. } => "loading the model…".into(),
            WeightsProgress::Building => "preparing the model…".into(),
            WeightsProgress::Ready { .. } | WeightsProgress::Baked { .. } => "".into(),
            WeightsProgress::Partial { stopped: None, .. } => "loading the deeper blocks…".into(),
            WeightsProgress::Partial { .. } => "deeper blocks failed to load".into(),
            WeightsProgress::Failed(_) => "the model failed to load".into(),
        }
    }

    /// Done so far, 0..=1, when known.
    pub fn fraction(&self) -> Option<f64> {
        match self {
            WeightsProgress::Downloading {
                loaded,
                total: Some(t),
            } if *t > 0 => Some(*loaded as f64 / *t as f64),
            WeightsProgress::Partial { all, .. } if all.1 > 0 => Some(all.0 as f64 / all.1 as f64),
            WeightsProgress::Building
            | WeightsProgress::Ready { .. }
            | WeightsProgress::Baked { .. } => Some(1.0),
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
    /// Computing an image's features: `done` of the `of` blocks the model has.
    pub fn features(image: &str, size: u32, on: BackendKind, done: usize, of: usize) -> Self {
        Busy {
            label: format!("features of {image} at {size}² on {on}: block {done} of {of}"),
            fraction: Some(done as f64 / of.max(1) as f64),
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
        let d = WeightsProgress::Deferred("click to start".into());
        assert_eq!(
            (d.state(), d.short(), d.settled()),
            ("deferred", "click to start".into(), false)
        );
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
        assert_eq!(r.block(Block::Layer4), BlockState::Ready);
        let mut p = WeightsProgress::Partial {
            name: "ResNet-50".into(),
            ready: Block::Layer2,
            part: (3_000_000, 12_000_000),
            all: (6_100_000, 47_500_000),
            stopped: None,
        };
        assert_eq!(p.state(), "partial");
        assert!(r.settled() && !p.settled() && !WeightsProgress::Building.settled());
        assert_eq!(
            p.text(),
            "ResNet-50 · layer1–layer2 ready · weights 6.1 MB / 47.5 MB"
        );
        let states = Block::ALL.map(|b| p.block(b));
        assert_eq!(
            states,
            [
                BlockState::Ready,
                BlockState::Ready,
                BlockState::Loading(0.25),
                BlockState::Queued
            ]
        );
        if let WeightsProgress::Partial { stopped, .. } = &mut p {
            *stopped = Some("layer3: damaged".into());
        }
        assert_eq!(p.block(Block::Layer3), BlockState::Missing);
        assert!(p.settled(), "a stream that stopped starts the offline copy");
        assert_eq!(
            BlockState::Loading(0.426).note().as_deref(),
            Some("weights arriving, 43%")
        );
        assert_eq!(BlockState::Ready.note(), None);
        assert_eq!(
            p.text(),
            "ResNet-50 · only layer1–layer2 ready: layer3: damaged (reload to try again)"
        );
        let k = WeightsProgress::Baked {
            name: "ResNet-50".into(),
            blocks: vec![Block::Layer3, Block::Layer4],
            size: 512,
        };
        assert_eq!(k.state(), "baked");
        assert!(k.settled() && k.short().is_empty());
        assert_eq!(k.block(Block::Layer3), BlockState::Ready);
        assert_eq!(k.block(Block::Layer2), BlockState::OnDemand);
        assert_eq!(
            BlockState::OnDemand.note().as_deref(),
            Some("loads the model")
        );
        assert!(
            k.text()
                .starts_with("ResNet-50 · baked features of layer3, layer4 at 512²")
        );
        let b = Busy::features("a.png", 512, BackendKind::Cpu, 2, 4);
        assert_eq!(b.label, "features of a.png at 512² on CPU: block 2 of 4");
        assert_eq!(b.fraction, Some(0.5));
    }
}
