//! Where a refresh puts its results.

use crate::ui::notify;
use crate::ui::signals::{Dev, Out};

/// Where a refresh puts its results.
#[derive(Clone, Copy)]
pub struct Sinks {
    /// Results, progress and messages.
    pub out: Out,
    /// Device state (which device failures are worded for).
    pub dev: Dev,
}

impl Sinks {
    /// Reports a failed device operation.
    pub fn device_error(&self, text: impl Into<String>) {
        notify::device_error(self.out, self.dev, text);
    }
}
