//! The composition root the components share: the signals, the one request built from them, and
//! the engine.

use super::engine::Engine;
use super::signals::{Dev, Out, Ui};
use crate::session::request::Request;
use leptos::prelude::*;
use std::rc::Rc;

/// Everything the components share (small and `Copy`).
#[derive(Clone, Copy)]
pub struct Ctx {
    /// The engine (device, model, feature cache, worker); not reactive, not `Send`.
    pub engine: StoredValue<Rc<Engine>, LocalStorage>,
    /// The visitor's choices and files.
    pub ui: Ui,
    /// The worker's results and the messages.
    pub out: Out,
    /// Device and weights status.
    pub dev: Dev,
    /// Everything the worker reads, as one value (and what links are written from).
    pub request: Memo<Request>,
}

impl Ctx {
    /// The engine.
    pub fn engine(&self) -> Rc<Engine> {
        self.engine.get_value()
    }

    /// Grid side of the current block and size.
    pub fn grid(&self) -> usize {
        self.ui.settings.with(|s| s.grid())
    }

    /// Same, without tracking.
    pub fn grid_untracked(&self) -> usize {
        self.ui.settings.with_untracked(|s| s.grid())
    }
}

/// The one place the request is built from the signals.
pub fn request(ui: Ui, dev: Dev) -> Memo<Request> {
    Memo::new(move |_| Request {
        device: dev.device.get(),
        model: ui.model.get(),
        images: ui.images.map(|s| s.get()),
        settings: ui.settings.get(),
        hover: ui.hover.get(),
        painted: ui.painted.get(),
        masks: ui.masks.map(|s| s.get()),
        bundle: ui.bundle.get(),
        targets: ui.targets.with(|t| t.images.clone()),
    })
}

/// The shared context (panics only if a component is used outside the app).
pub fn ctx() -> Ctx {
    expect_context::<Ctx>()
}
