//! The host-page API of an embedded FeatSim: `postMessage` between the page that embeds the
//! frame (the host) and the frame. Everything here is plain data and rules; the browser glue is
//! `ui/browser/host.rs`.
//!
//! Host → frame, each an object with a `type`:
//! - `featsim:set` with any of `block` (`"layer3"`), `cell` (`[row, col]`), `side` (`"left"`,
//!   the panel the cell is on; default left), `mode` (`"explore"`/`"segment"`), `cmap`
//!   (`"magma"`…), `left`/`right` (an image of the bundle or gallery, or a same-origin address):
//!   changes that much of the view, as a link would.
//! - `featsim:ping`: the frame answers with `featsim:ready` again.
//!
//! Frame → host: `featsim:ready` (once it shows its first view, and on a ping), `featsim:cell`
//! (a cell was pinned), `featsim:block` (the block changed), `featsim:map` (the values of the
//! pinned map now shown). A message that is not an object with one of these types, or has a
//! field of the wrong kind, is ignored whole.

use super::geometry::Cell;
use super::link::LinkView;
use super::side::Side;
use crate::model::Block;
use serde_json::{Map, Value, json};

/// What the host asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum HostCommand {
    /// Change the view (only the fields given).
    Set(Box<LinkView>),
    /// Say `featsim:ready` again.
    Ping,
}

/// Reads a message the host posted; `None` for anything malformed (ignored, quietly: a host page
/// may post other messages of its own to every frame).
pub fn parse_command(msg: &Value) -> Option<HostCommand> {
    let obj = msg.as_object()?;
    match obj.get("type")?.as_str()? {
        "featsim:ping" => Some(HostCommand::Ping),
        "featsim:set" => parse_set(obj).map(|v| HostCommand::Set(Box::new(v))),
        _ => None,
    }
}

fn parse_set(obj: &Map<String, Value>) -> Option<LinkView> {
    let mut v = LinkView::default();
    let text = |key: &str| -> Option<Option<&str>> {
        match obj.get(key) {
            None => Some(None),
            Some(Value::String(s)) if s.chars().count() <= 300 => Some(Some(s.as_str())),
            Some(_) => None,
        }
    };
    if let Some(b) = text("block")? {
        v.block = Some(b.parse::<Block>().ok()?);
    }
    if let Some(m) = text("mode")? {
        v.mode = Some(m.parse().ok()?);
    }
    if let Some(c) = text("cmap")? {
        v.cmap = Some(c.parse().ok()?);
    }
    if let Some(view) = text("view")? {
        v.view = Some(view.parse().ok()?);
    }
    if let Some(p) = text("pca")? {
        v.pca = Some(p.parse().ok()?);
    }
    if let Some(n) = obj.get("pairs") {
        let n = n
            .as_u64()
            .filter(|n| (1..=super::views::MAX_PAIRS as u64).contains(n))?;
        v.pairs = Some(n as usize);
    }
    if let Some(w) = obj.get("why") {
        v.why = Some(w.as_bool()?);
    }
    if let Some(w) = text("within")? {
        v.pairs_object = Some(match w {
            "object" => true,
            "all" => false,
            _ => return None,
        });
    }
    let side = match text("side")? {
        None | Some("left") => Side::Left,
        Some("right") => Side::Right,
        Some(_) => return None,
    };
    if let Some(cell) = obj.get("cell") {
        v.pin = Some((side, parse_cell(cell)?));
    }
    for s in Side::BOTH {
        if let Some(name) = text(s.name())? {
            if name.is_empty() {
                return None;
            }
            v.images[s.index()] = Some(name.to_owned());
        }
    }
    // Nothing to change is no command either.
    (v != LinkView::default()).then_some(v)
}

fn parse_cell(v: &Value) -> Option<Cell> {
    let a = v.as_array()?;
    let [r, c] = a.as_slice() else {
        return None;
    };
    let n = |x: &Value| x.as_u64().filter(|n| *n < 4096).map(|n| n as usize);
    Some((n(r)?, n(c)?))
}

/// What the frame tells the host.
#[derive(Debug, Clone, PartialEq)]
pub enum FrameEvent {
    /// The first view is up (or a ping was answered): what there is to drive.
    Ready {
        /// The blocks shown without loading anything more.
        blocks: Vec<Block>,
        /// The images a `left`/`right` can name (the bundle's, else the gallery's).
        images: Vec<String>,
        /// The input size.
        size: u32,
        /// The block shown.
        block: Block,
    },
    /// A cell was pinned.
    Cell {
        /// Its panel.
        side: Side,
        /// The cell.
        cell: Cell,
    },
    /// The block shown changed.
    Block(Block),
    /// The pinned map shown now.
    Map {
        /// Its block.
        block: Block,
        /// The panel of the source cell.
        side: Side,
        /// The source cell.
        cell: Cell,
        /// Grid rows and columns of the values.
        rows: usize,
        /// Columns.
        cols: usize,
        /// Cosine similarity per cell of the other panel, row-major.
        values: Vec<f32>,
    },
}

impl FrameEvent {
    /// The message posted to the host.
    pub fn to_json(&self) -> Value {
        match self {
            FrameEvent::Ready {
                blocks,
                images,
                size,
                block,
            } => json!({
                "type": "featsim:ready",
                "blocks": blocks.iter().map(|b| b.name()).collect::<Vec<_>>(),
                "images": images,
                "size": size,
                "block": block.name(),
            }),
            FrameEvent::Cell { side, cell } => json!({
                "type": "featsim:cell",
                "side": side.name(),
                "cell": [cell.0, cell.1],
            }),
            FrameEvent::Block(b) => json!({"type": "featsim:block", "block": b.name()}),
            FrameEvent::Map {
                block,
                side,
                cell,
                rows,
                cols,
                values,
            } => json!({
                "type": "featsim:map",
                "block": block.name(),
                "side": side.name(),
                "cell": [cell.0, cell.1],
                "rows": rows,
                "cols": cols,
                "values": values,
            }),
        }
    }
}

/// The origins the frame talks to: the page that embeds it (when the browser says which) and
/// those an author lists in the fragment (`origins=https://a.example,https://b.example`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hosts {
    /// The embedding page's origin.
    pub embedder: Option<String>,
    /// Origins allowed besides.
    pub allowed: Vec<String>,
}

impl Hosts {
    /// Whether a message from `origin` is listened to.
    pub fn answers(&self, origin: &str) -> bool {
        origin != "null"
            && (self.embedder.as_deref() == Some(origin)
                || self.allowed.iter().any(|a| a == origin))
    }

    /// Where the frame's own messages go (never `*`): the embedder, else the first allowed.
    pub fn target(&self) -> Option<&str> {
        self.embedder
            .as_deref()
            .or_else(|| self.allowed.first().map(String::as_str))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::colormap::Colormap;
    use crate::session::address::{origin_of, parse_origins};
    use crate::session::mode::Mode;

    #[test]
    fn a_set_command_becomes_a_partial_view() {
        let c = parse_command(&json!({
            "type": "featsim:set", "block": "layer3", "cell": [5, 9], "side": "right",
            "mode": "segment", "cmap": "magma", "left": "plane.jpg", "extra": {"ignored": 1}
        }));
        let Some(HostCommand::Set(v)) = c else {
            panic!("{c:?}")
        };
        assert_eq!(v.block, Some(Block::Layer3));
        assert_eq!(v.pin, Some((Side::Right, (5, 9))));
        assert_eq!(v.mode, Some(Mode::Segment));
        assert_eq!(v.cmap, Some(Colormap::Magma));
        assert_eq!(v.images, [Some("plane.jpg".into()), None]);
        assert_eq!(v.size, None);
        let c = parse_command(
            &json!({"type": "featsim:set", "view": "pairs", "pairs": 12, "within": "object", "why": true}),
        );
        let Some(HostCommand::Set(v)) = c else {
            panic!("{c:?}")
        };
        assert_eq!(
            (v.view, v.pairs, v.pairs_object, v.why),
            (
                Some(crate::session::views::View::Pairs),
                Some(12),
                Some(true),
                Some(true)
            )
        );
        assert_eq!(
            parse_command(&json!({"type": "featsim:ping"})),
            Some(HostCommand::Ping)
        );
    }

    #[test]
    fn malformed_messages_are_ignored_whole() {
        for bad in [
            json!(null),
            json!("featsim:set"),
            json!([1, 2]),
            json!({}),
            json!({"type": 3}),
            json!({"type": "featsim:other"}),
            json!({"type": "featsim:set"}),
            json!({"type": "featsim:set", "block": "layer9"}),
            json!({"type": "featsim:set", "block": 3}),
            json!({"type": "featsim:set", "cell": [1]}),
            json!({"type": "featsim:set", "cell": [1, -2]}),
            json!({"type": "featsim:set", "cell": [1, 2.5]}),
            json!({"type": "featsim:set", "cell": [1, 99999]}),
            json!({"type": "featsim:set", "cell": "1,2"}),
            json!({"type": "featsim:set", "cell": [1, 2], "side": "up"}),
            json!({"type": "featsim:set", "mode": "paint"}),
            json!({"type": "featsim:set", "left": ""}),
            json!({"type": "featsim:set", "left": "x".repeat(301)}),
            json!({"type": "featsim:set", "block": "layer3", "cmap": "plaid"}),
            json!({"type": "featsim:set", "view": "tsne"}),
            json!({"type": "featsim:set", "view": "pca", "pca": "all"}),
            json!({"type": "featsim:set", "view": "pairs", "pairs": 0}),
            json!({"type": "featsim:set", "pairs": 101}),
            json!({"type": "featsim:set", "pairs": "5"}),
            json!({"type": "featsim:set", "why": 1}),
            json!({"type": "featsim:set", "within": "mask"}),
        ] {
            assert_eq!(parse_command(&bad), None, "{bad}");
        }
    }

    #[test]
    fn events_say_what_happened() {
        let e = FrameEvent::Map {
            block: Block::Layer4,
            side: Side::Left,
            cell: (1, 2),
            rows: 1,
            cols: 2,
            values: vec![0.5, 1.0],
        };
        assert_eq!(
            e.to_json(),
            json!({"type": "featsim:map", "block": "layer4", "side": "left", "cell": [1, 2],
                   "rows": 1, "cols": 2, "values": [0.5, 1.0]})
        );
        assert_eq!(
            FrameEvent::Block(Block::Layer2).to_json()["type"],
            "featsim:block"
        );
    }

    #[test]
    fn only_the_embedder_and_listed_origins_are_answered() {
        let h = Hosts {
            embedder: origin_of("https://Blog.Example/post/1?x#y"),
            allowed: parse_origins(
                "https://b.example, http://c.example:8080,junk,https://d.example/path",
            ),
        };
        assert_eq!(h.embedder.as_deref(), Some("https://blog.example"));
        assert_eq!(h.allowed, ["https://b.example", "http://c.example:8080"]);
        assert!(h.answers("https://blog.example") && h.answers("http://c.example:8080"));
        for no in [
            "https://evil.example",
            "null",
            "https://blog.example:444",
            "",
        ] {
            assert!(!h.answers(no), "{no}");
        }
        assert_eq!(h.target(), Some("https://blog.example"));
        assert_eq!(Hosts::default().target(), None);
        assert_eq!(origin_of("about:blank"), None);
        assert_eq!(origin_of("https://u@evil.example/"), None);
    }
}
