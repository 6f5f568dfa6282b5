//! Messages for the visitor: errors and notes, dismissable, the page keeps working. Also the
//! one place device failures are worded (and offer the CPU when they happen on the GPU).

use crate::compute::BackendKind;

/// How many messages are shown at most (the oldest go first).
pub const MAX_SHOWN: usize = 5;

/// Error or note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Something failed.
    Error,
    /// Something to know.
    Info,
}

impl Kind {
    /// `error` or `info` (the `.message` class and `data-kind`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Error => "error",
            Kind::Info => "info",
        }
    }
}

/// Something the visitor can do from a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Rebuild the model on the CPU backend and go on there.
    SwitchToCpu,
}

/// A dismissable message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Key for dismissal.
    pub id: u32,
    /// Error or note.
    pub kind: Kind,
    /// The text.
    pub text: String,
    /// An offered remedy.
    pub action: Option<Action>,
}

/// The shown messages.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Messages {
    /// Oldest first.
    pub list: Vec<Message>,
    next_id: u32,
}

impl Messages {
    /// Adds a message; the same text twice in a row (e.g. a failing hover) is shown once.
    pub fn push(&mut self, kind: Kind, text: String, action: Option<Action>) {
        if self.list.last().is_some_and(|last| last.text == text) {
            return;
        }
        self.next_id += 1;
        self.list.push(Message {
            id: self.next_id,
            kind,
            text,
            action,
        });
        if self.list.len() > MAX_SHOWN {
            self.list.remove(0);
        }
    }

    /// Removes a message.
    pub fn dismiss(&mut self, id: u32) {
        self.list.retain(|m| m.id != id);
    }

    /// Removes the offers of an action (moot once taken).
    pub fn drop_action(&mut self, action: Action) {
        self.list.retain(|m| m.action != Some(action));
    }
}

/// A device failure as the visitor reads it: on the GPU with the offer of the CPU.
/// (`what` says what failed; this is where the core's `DeviceError` will be worded.)
pub fn device_failure(what: &str, on: Option<BackendKind>) -> (String, Option<Action>) {
    match on {
        Some(BackendKind::Wgpu) => (
            format!("The GPU failed: {what}. The CPU can take over (slower)."),
            Some(Action::SwitchToCpu),
        ),
        _ => (what.to_owned(), None),
    }
}

/// A WebGPU error nobody captured, as the visitor reads it: `kind` ("validation error", "out of
/// memory", "internal error") and the first line of the browser's or wgpu's description, cut to 200 characters
/// (the rest is call-site context for developers, in the console).
pub fn uncaptured_gpu_error(kind: &str, description: &str) -> String {
    // Its own full stop goes: the sentence below ends it.
    let first = description
        .lines()
        .map(|l| l.trim().trim_end_matches('.'))
        .find(|l| !l.is_empty());
    let detail = match first {
        Some(line) if line.chars().count() > 200 => {
            format!(": {}…", line.chars().take(200).collect::<String>())
        }
        Some(line) => format!(": {line}"),
        None => String::new(),
    };
    format!("The GPU failed ({kind}){detail}. Continuing on the CPU.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_are_shown_once_and_the_list_stays_short() {
        let mut m = Messages::default();
        m.push(Kind::Error, "a".into(), None);
        m.push(Kind::Error, "a".into(), None);
        assert_eq!(m.list.len(), 1);
        for i in 0..10 {
            m.push(Kind::Info, format!("n{i}"), None);
        }
        assert_eq!(m.list.len(), MAX_SHOWN);
        assert_eq!(m.list[0].text, "n5");
        let id = m.list[0].id;
        m.dismiss(id);
        assert_eq!(m.list.len(), MAX_SHOWN - 1);
    }

    #[test]
    fn uncaptured_gpu_errors_read_in_one_line() {
        assert_eq!(
            uncaptured_gpu_error(
                "validation error",
                "\n Buffer usages are invalid.\n - While calling CreateBuffer"
            ),
            "The GPU failed (validation error): Buffer usages are invalid. Continuing on the CPU."
        );
        assert_eq!(
            uncaptured_gpu_error("out of memory", ""),
            "The GPU failed (out of memory). Continuing on the CPU."
        );
        let long = uncaptured_gpu_error("internal", &"x".repeat(5000));
        assert!(long.len() < 300 && long.contains("x…"), "{long}");
    }

    #[test]
    fn gpu_failures_offer_the_cpu() {
        let (t, a) = device_failure("heatmap: lost", Some(BackendKind::Wgpu));
        assert_eq!(
            t,
            "The GPU failed: heatmap: lost. The CPU can take over (slower)."
        );
        assert_eq!(a, Some(Action::SwitchToCpu));
        assert_eq!(
            device_failure("x", Some(BackendKind::Cpu)),
            ("x".into(), None)
        );
        let mut m = Messages::default();
        m.push(Kind::Error, t, a);
        m.drop_action(Action::SwitchToCpu);
        assert!(m.list.is_empty());
    }
}
