//! Where a refresh puts its results.

use crate::compute::FromDevice;
use crate::ui::notify;
use crate::ui::signals::{Dev, Out};
use leptos::prelude::*;
use std::fmt::Display;

/// Where a refresh puts its results.
#[derive(Clone, Copy)]
pub struct Sinks {
    /// Results, progress and messages.
    pub out: Out,
    /// Device state (which device failures are worded for).
    pub dev: Dev,
}

impl Sinks {
    /// Asks for the default model, saying why (the features asked for are not baked; the
    /// refresh comes again with the request the model brings).
    pub fn want_model(&self, why: String) {
        self.out.model_wanted.set(Some(why));
    }

    /// Reports a failed step (`what`: "heatmap", …): a device failure offers the CPU, any other
    /// error is shown as it is. Decided by the error's type, never by its words.
    pub fn failed<E: FromDevice + Display>(&self, what: &str, err: &E) {
        let text = format!("{what}: {err}");
        if err.device().is_some() {
            notify::device_error(self.out, self.dev, text);
        } else {
            notify::error(self.out, text);
        }
    }
}
