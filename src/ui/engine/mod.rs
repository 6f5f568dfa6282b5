//! The engine: the device, the model, the feature cache and the worker's state — what is not
//! reactive (and not `Send`). The worker (`worker`) brings the results up to the request, with
//! the images' features from `features`; `explore`, `views`, `why`, `targets` and `segment`
//! compute them.

mod explore;
mod features;
mod probe;
mod segment;
pub mod sinks;
mod targets;
mod views;
mod why;
pub mod worker;

use crate::bundle::{BundleManifest, HostMap, load_image_features};
use crate::compute::Compute;
use crate::model::{Block, ResNet};
use crate::oneshot::ImageFeatures;
use crate::session::cache::FeatureCache;
use crate::session::keys::Keys;
use crate::session::request::Request;
use crate::session::results::PredictedMask;
use crate::session::schedule::{Latest, Tickets};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// Features an open bundle baked for one image: kept on the host, and on the device once used.
pub struct Baked {
    /// The network they were computed with (`Weights::network_id`).
    pub network: String,
    /// Its name, for the heatmap's caption.
    pub model: String,
    /// The input size they were computed at.
    pub size: u32,
    /// The decoded unit maps.
    pub maps: Vec<(Block, HostMap)>,
    /// Them on the current device (uploaded on first use; a new device uploads them again).
    on_device: RefCell<Option<Rc<ImageFeatures>>>,
}

impl Baked {
    /// Baked maps of a bundle's image.
    pub fn new(network: String, model: String, size: u32, maps: Vec<(Block, HostMap)>) -> Self {
        Baked {
            network,
            model,
            size,
            maps,
            on_device: RefCell::new(None),
        }
    }

    /// Whether these features serve a request for `blocks` at `size`.
    pub fn covers(&self, size: u32, blocks: &[Block]) -> bool {
        self.size == size && blocks.iter().all(|b| self.maps.iter().any(|(m, _)| m == b))
    }

    /// The blocks baked.
    pub fn blocks(&self) -> Vec<Block> {
        self.maps.iter().map(|(b, _)| *b).collect()
    }

    fn features(&self, device: &burn::tensor::Device) -> Rc<ImageFeatures> {
        self.on_device
            .borrow_mut()
            .get_or_insert_with(|| Rc::new(load_image_features(self.size, &self.maps, device)))
            .clone()
    }
}

/// The bundle a link opened: its checked manifest and where it lives.
pub struct OpenBundle {
    /// Its address as the link gave it (links carry it on).
    pub address: String,
    /// The URL of its `bundle.json`; its files lie beside it.
    pub manifest_url: String,
    /// Its manifest, checked against the page's model.
    pub manifest: BundleManifest,
}

impl OpenBundle {
    /// An opened bundle.
    pub fn new(address: String, manifest_url: String, manifest: BundleManifest) -> Self {
        OpenBundle {
            address,
            manifest_url,
            manifest,
        }
    }
}

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
    /// Baked features of the images shown, by image id.
    baked: RefCell<Vec<(u32, Rc<Baked>)>>,
    /// The network of the model in use, when known (the default model's manifest names it).
    net_network: RefCell<Option<String>>,
    /// The bundle a link opened.
    bundle: RefCell<Option<Rc<OpenBundle>>>,
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
            // Two panels, the one-vs-many row and a few recent sizes to switch back to.
            cache: RefCell::new(FeatureCache::new(4 + crate::session::targets::MAX_TARGETS)),
            schedule: RefCell::new(Latest::default()),
            keys: RefCell::new(Keys::default()),
            last_mask: RefCell::new(None),
            baked: RefCell::new(Vec::new()),
            net_network: RefCell::new(None),
            bundle: RefCell::new(None),
        }
    }

    /// Keeps `bundle` as the open one.
    pub fn set_bundle(&self, bundle: Option<Rc<OpenBundle>>) {
        *self.bundle.borrow_mut() = bundle;
    }

    /// The open bundle.
    pub fn bundle(&self) -> Option<Rc<OpenBundle>> {
        self.bundle.borrow().clone()
    }

    /// The features of image `id` at `size` that hold `blocks`, as the view has them: baked or
    /// computed by the model in use (never computed here).
    pub fn features_of(&self, id: u32, size: u32, blocks: &[Block]) -> Option<Rc<ImageFeatures>> {
        if let Some(b) = self.baked(id)
            && b.covers(size, blocks)
        {
            return Some(b.features(&self.compute.borrow().device));
        }
        let generation = self.net.borrow().as_ref()?.0;
        let f = self.cache.borrow_mut().get((id, size, generation))?;
        f.covers(blocks).then_some(f)
    }

    /// The name and network id of the features shown: the model's in use when its network is
    /// known, else the open bundle's while no model is loaded.
    pub fn network(&self) -> Option<(String, String)> {
        if let Some((_, net)) = self.net.borrow().as_ref() {
            let id = self.net_network.borrow().clone()?;
            return Some((net.spec().name.clone(), id));
        }
        let b = self.bundle()?;
        Some((
            b.manifest.model.name.clone(),
            b.manifest.model.network.clone(),
        ))
    }

    /// Keeps `baked` as the features of image `id` (a bundle's image, now in a panel).
    pub fn add_baked(&self, id: u32, baked: Rc<Baked>) {
        let mut all = self.baked.borrow_mut();
        all.retain(|(i, _)| *i != id);
        all.push((id, baked));
    }

    /// The baked features of image `id`, when it has some.
    pub fn baked(&self, id: u32) -> Option<Rc<Baked>> {
        self.baked
            .borrow()
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, b)| b.clone())
    }

    /// Whether baked features of `network` may stand in for the model in use: no model, or the
    /// same network.
    fn baked_fits(&self, network: &str) -> bool {
        self.net.borrow().is_none() || self.net_network.borrow().as_deref() == Some(network)
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
        for (_, b) in self.baked.borrow().iter() {
            b.on_device.borrow_mut().take();
        }
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

    /// Makes `net` the model in use (of the network `network`, when known); returns its
    /// generation.
    pub fn install(&self, net: ResNet, network: Option<String>) -> u32 {
        *self.net_network.borrow_mut() = network;
        let generation = self.generation.get() + 1;
        self.generation.set(generation);
        // Free the old model's features before the new ones are made.
        self.cache.borrow_mut().clear();
        *self.net.borrow_mut() = Some((generation, Rc::new(net)));
        self.forget_results();
        generation
    }

    /// Replaces the model in use by `net`, the same network grown by more of its stages (a
    /// streamed model's next part): features computed so far stay, and so does the generation;
    /// returns it.
    pub fn grow(&self, net: ResNet) -> u32 {
        let mut slot = self.net.borrow_mut();
        let generation = slot.as_ref().map_or(0, |(g, _)| *g);
        *slot = Some((generation, Rc::new(net)));
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
