//! The engine: the device, the model, the feature cache and the worker's state — what is not
//! reactive (and not `Send`). The worker (`worker`) brings the results up to the request;
//! `explore` and `segment` compute them.

mod explore;
mod probe;
mod segment;
pub mod sinks;
pub mod worker;

use crate::compute::Compute;
use crate::model::ResNet;
use crate::oneshot::ImageFeatures;
use crate::session::cache::FeatureCache;
use crate::session::keys::Keys;
use crate::session::request::Request;
use crate::session::results::PredictedMask;
use crate::session::schedule::{Latest, Tickets};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// Where a model's bytes come from (kept so the model can be rebuilt on another device).
#[derive(Clone)]
pub enum ModelSource {
    /// Served with the page in the streamed layout: the URL of its `X.blocks.json`.
    Blocks(String),
    /// The visitor's file.
    File(web_sys::File),
}

/// Device, model and caches. Reached through `Ctx::engine`.
pub struct Engine {
    compute: RefCell<Compute>,
    /// The model in use and its generation (a new model or device makes a new generation).
    net: RefCell<Option<(u32, Rc<ResNet>)>>,
    generation: Cell<u32>,
    sources: RefCell<Vec<(u32, ModelSource)>>,
    next_id: Cell<u32>,
    /// Model loads: the newest one wins.
    loads: RefCell<Tickets>,
    cache: RefCell<FeatureCache<Rc<ImageFeatures>>>,
    schedule: RefCell<Latest<Request>>,
    keys: RefCell<Keys>,
    /// The last predicted mask at the query's own size, for the download.
    last_mask: RefCell<Option<PredictedMask>>,
}

impl Engine {
    /// An engine on `compute` with no model yet.
    pub fn new(compute: Compute) -> Self {
        probe::watch(&compute.device);
        Engine {
            compute: RefCell::new(compute),
            net: RefCell::new(None),
            generation: Cell::new(0),
            sources: RefCell::new(Vec::new()),
            next_id: Cell::new(1),
            loads: RefCell::new(Tickets::default()),
            // Two panels plus a few recent sizes to switch back to.
            cache: RefCell::new(FeatureCache::new(4)),
            schedule: RefCell::new(Latest::default()),
            keys: RefCell::new(Keys::default()),
            last_mask: RefCell::new(None),
        }
    }

    /// The device in use.
    pub fn compute(&self) -> Compute {
        self.compute.borrow().clone()
    }

    /// Uses `compute` from now on, dropping the model and everything computed on the old one.
    pub fn set_compute(&self, compute: Compute) {
        probe::watch(&compute.device);
        *self.compute.borrow_mut() = compute;
        *self.net.borrow_mut() = None;
        self.cache.borrow_mut().clear();
        self.forget_results();
    }

    /// A fresh id for an image, mask or model.
    pub fn next_id(&self) -> u32 {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        id
    }

    /// Registers a model source under `id`.
    pub fn add_source(&self, id: u32, source: ModelSource) {
        self.sources.borrow_mut().push((id, source));
    }

    /// Forgets a model source that failed to load.
    pub fn remove_source(&self, id: u32) {
        self.sources.borrow_mut().retain(|(i, _)| *i != id);
    }

    /// The source registered under `id`.
    pub fn source(&self, id: u32) -> Option<ModelSource> {
        self.sources
            .borrow()
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, s)| s.clone())
    }

    /// A model load starts: its ticket (every load still running is stale from now on).
    pub fn begin_load(&self) -> u64 {
        self.loads.borrow_mut().take()
    }

    /// Whether the load holding `ticket` is still the newest one.
    pub fn load_is_current(&self, ticket: u64) -> bool {
        self.loads.borrow().is_current(ticket)
    }

    /// Whether a model is on the device.
    pub fn has_model(&self) -> bool {
        self.net.borrow().is_some()
    }

    /// Makes `net` the model in use; returns its generation.
    pub fn install(&self, net: ResNet) -> u32 {
        let generation = self.generation.get() + 1;
        self.generation.set(generation);
        // Free the old model's features before the new ones are made.
        self.cache.borrow_mut().clear();
        *self.net.borrow_mut() = Some((generation, Rc::new(net)));
        self.forget_results();
        generation
    }

    /// The last predicted mask.
    pub fn last_mask(&self) -> Option<PredictedMask> {
        self.last_mask.borrow().clone()
    }

    fn model(&self) -> Option<(u32, Rc<ResNet>)> {
        self.net.borrow().clone()
    }

    fn forget_results(&self) {
        *self.keys.borrow_mut() = Keys::default();
    }

    /// Whether a newer request waits (the running refresh stops early).
    fn superseded(&self) -> bool {
        self.schedule.borrow().superseded()
    }
}
