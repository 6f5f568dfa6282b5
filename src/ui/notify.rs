//! Telling the visitor: errors and notes go to the message area (and the console). The one
//! place failures become messages.

use super::signals::{Dev, Out};
use crate::session::messages::{Kind, device_failure};
use leptos::prelude::*;

fn push(out: Out, kind: Kind, text: String, action: Option<crate::session::messages::Action>) {
    log::warn!("{}: {text}", kind.name());
    out.messages.update(|m| m.push(kind, text, action));
}

/// Shows an error.
pub fn error(out: Out, text: impl Into<String>) {
    push(out, Kind::Error, text.into(), None);
}

/// Shows a note.
pub fn info(out: Out, text: impl Into<String>) {
    push(out, Kind::Info, text.into(), None);
}

/// Shows an error from a device operation; on WebGPU it offers the CPU instead.
pub fn device_error(out: Out, dev: Dev, text: impl Into<String>) {
    let (text, action) = device_failure(&text.into(), dev.backend.get_untracked());
    push(out, Kind::Error, text, action);
}
