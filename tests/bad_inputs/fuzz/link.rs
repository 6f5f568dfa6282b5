//! The URL fragment codec (`session::link`): whatever a link holds, parsing and applying it
//! leaves valid settings (a size offered, 1–20 matches, an opacity in [0, 1], the pin inside
//! the grid); and every view, gallery name and model name survives the trip through a link.
//!
//! The parser refuses nothing (it skips what it cannot read), so every input counts as
//! accepted; the seeds are fragments the encoder wrote.

use super::{Verdict, apply, cases, fuzz, mutations, property};
use featsim::colormap::{Colormap, Range};
use featsim::model::Block;
use featsim::session::geometry::sizes;
use featsim::session::image::PanelImage;
use featsim::session::link::{self, LinkView};
use featsim::session::mode::Mode;
use featsim::session::models::ModelRef;
use featsim::session::request::Request;
use featsim::session::settings::Settings;
use featsim::session::side::Side;
use proptest::prelude::*;
use proptest::sample::Index;
use std::sync::{Arc, OnceLock};

/// Settings a link may have been opened over: the defaults, and a fine grid pinned far out.
fn starting_points() -> [Settings; 2] {
    let mut fine = Settings::default();
    fine.set_grid(Block::Layer1, 1024);
    fine.pin = Some((Side::Right, (255, 255)));
    [Settings::default(), fine]
}

fn valid(s: &Settings) -> Result<(), String> {
    let grid = s.grid();
    let pin_inside = s.pin.is_none_or(|(_, (r, c))| r < grid && c < grid);
    if !sizes().any(|x| x == s.size)
        || !(1..=20).contains(&s.top_k)
        || !(0.0..=1.0).contains(&s.opacity)
        || !pin_inside
    {
        return Err(format!("invalid settings after a link: {s:?}"));
    }
    Ok(())
}

/// A fragment (any bytes, read as the browser would hand them over: text).
pub(crate) fn check(input: &[u8]) -> Result<Verdict, String> {
    let text = String::from_utf8_lossy(input);
    let view = link::parse(&text);
    for mut s in starting_points() {
        let (old, new) = view.apply(&mut s);
        if new != s.grid() || old == 0 {
            return Err(format!(
                "apply reported grids {old} → {new}, the grid is {}",
                s.grid()
            ));
        }
        valid(&s)?;
    }
    Ok(Verdict::Accepted)
}

fn image(id: u32, gallery: Option<&str>) -> PanelImage {
    PanelImage {
        id,
        name: gallery.unwrap_or("mine.png").to_owned(),
        link: gallery.map(str::to_owned),
        width: 4,
        height: 3,
        url: format!("blob:{id}"),
        rgb: Arc::new(image::RgbImage::new(4, 3)),
        bytes: Arc::from(Vec::new()),
    }
}

/// Fragments the encoder wrote for a few views.
fn seeds() -> Arc<Vec<Vec<u8>>> {
    static SEEDS: OnceLock<Arc<Vec<Vec<u8>>>> = OnceLock::new();
    SEEDS
        .get_or_init(|| {
            let mut out = vec![link::fragment(&Request::default())];
            let mut r = Request {
                images: [Some(image(1, Some("chelsea.png"))), Some(image(2, None))],
                model: Some(ModelRef {
                    id: 3,
                    generation: 1,
                    link_name: "my weights.bpk".into(),
                    depth: Block::Layer4,
                }),
                ..Request::default()
            };
            r.settings.set_grid(Block::Layer3, 512);
            r.settings.pin = Some((Side::Right, (20, 11)));
            r.settings.cmap = Colormap::Magma;
            r.settings.range = Range::Stretch;
            r.settings.top_k = 7;
            r.settings.opacity = 0.4;
            r.settings.mode = Mode::Segment;
            out.push(link::fragment(&r));
            r.images = [
                Some(image(4, Some("Käse 🐈 & co=1%.png"))),
                Some(image(5, Some("motorcycle_right.png"))),
            ];
            r.settings.set_grid(Block::Layer1, 1024);
            r.settings.pin = Some((Side::Left, (255, 0)));
            out.push(link::fragment(&r));
            Arc::new(
                out.into_iter()
                    .flat_map(|f| [f.clone().into_bytes(), format!("#{f}").into_bytes()])
                    .collect(),
            )
        })
        .clone()
}

const KEYS: [&str; 16] = [
    "model", "block", "size", "cell", "side", "cmap", "range", "k", "opacity", "mode", "left",
    "right", "", "x", "%62lock", "#block",
];

const VALUES: [&str; 44] = [
    "",
    "layer0",
    "layer4",
    "layer5",
    "LAYER1",
    "512",
    "511",
    "224",
    "1056",
    "-512",
    "99999999999999999999",
    "1e3",
    "0x200",
    "nan",
    "NaN",
    "inf",
    "-0",
    "0.5",
    "1.0000001",
    "-0.0",
    "2",
    "%",
    "%zz",
    "%C3",
    "%E2%82",
    "%FF",
    "%00",
    "a,b",
    "1,",
    ",1",
    "1,2,3",
    " 3 , 4 ",
    "18446744073709551615,0",
    "5000,18446744073709551615",
    "right",
    "left",
    "segment",
    "magma",
    "stretch",
    "🐈",
    "&",
    "=",
    "%26block%3Dlayer1",
    "%2525",
];

/// One change to a fragment's `key=value` parts.
#[derive(Debug, Clone)]
enum PartEdit {
    Drop(Index),
    Repeat(Index),
    Swap(Index, Index),
    Value(Index, Index),
    Insert(Index, Index, Index),
    Escape(Index),
}

fn part_edit() -> impl Strategy<Value = PartEdit> {
    prop_oneof![
        1 => any::<Index>().prop_map(PartEdit::Drop),
        1 => any::<Index>().prop_map(PartEdit::Repeat),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| PartEdit::Swap(a, b)),
        3 => (any::<Index>(), any::<Index>()).prop_map(|(a, v)| PartEdit::Value(a, v)),
        2 => (any::<Index>(), any::<Index>(), any::<Index>())
            .prop_map(|(a, k, v)| PartEdit::Insert(a, k, v)),
        1 => any::<Index>().prop_map(PartEdit::Escape),
    ]
}

fn edit_parts(fragment: &str, edits: &[PartEdit]) -> String {
    let mut parts: Vec<String> = fragment.split('&').map(str::to_owned).collect();
    for e in edits {
        let n = parts.len();
        let pick = |i: &Index| i.index(n.max(1));
        match e {
            PartEdit::Drop(i) if n > 0 => {
                parts.remove(pick(i));
            }
            PartEdit::Repeat(i) if n > 0 => {
                let p = parts[pick(i)].clone();
                parts.push(p);
            }
            PartEdit::Swap(a, b) if n > 0 => parts.swap(pick(a), pick(b)),
            PartEdit::Value(i, v) if n > 0 => {
                let at = pick(i);
                let key = parts[at].split('=').next().unwrap_or("").to_owned();
                parts[at] = format!("{key}={}", VALUES[v.index(VALUES.len())]);
            }
            PartEdit::Insert(i, k, v) => parts.insert(
                i.index(n + 1),
                format!(
                    "{}={}",
                    KEYS[k.index(KEYS.len())],
                    VALUES[v.index(VALUES.len())]
                ),
            ),
            PartEdit::Escape(i) if n > 0 => {
                let at = pick(i);
                parts[at] = link::encode(&parts[at]);
            }
            _ => {}
        }
    }
    parts.join("&")
}

#[test]
fn fuzz_link() {
    let s = seeds();
    let t = s.clone();
    let strategy = prop_oneof![
        4 => (any::<Index>(), prop::collection::vec(part_edit(), 1..6)).prop_map(move |(i, e)| {
            edit_parts(&String::from_utf8_lossy(&s[i.index(s.len())]), &e).into_bytes()
        }),
        3 => (any::<Index>(), mutations(5)).prop_map(move |(i, m)| {
            let mut b = t[i.index(t.len())].clone();
            apply(&mut b, &m, &t);
            b
        }),
        1 => any::<String>().prop_map(String::into_bytes),
    ];
    fuzz("link", "link", "txt", cases(), strategy, check);
}

/// A view as the page holds it: settings, model, the two panels' images.
#[derive(Debug, Clone)]
struct View {
    block: usize,
    size: usize,
    pin: Option<(bool, usize, usize)>,
    cmap: usize,
    range: bool,
    k: usize,
    opacity: u8,
    segment: bool,
    model: Option<String>,
    images: [Option<Option<String>>; 2],
}

fn view() -> impl Strategy<Value = View> {
    let name = prop::option::of(any::<String>());
    (
        (
            0usize..4,
            0usize..26,
            prop::option::of((any::<bool>(), any::<usize>(), any::<usize>())),
        ),
        (
            0usize..5,
            any::<bool>(),
            1usize..=20,
            0u8..=100,
            any::<bool>(),
        ),
        (
            prop::option::of(any::<String>()),
            prop::option::of(name.clone()),
            prop::option::of(name),
        ),
    )
        .prop_map(
            |((block, size, pin), (cmap, range, k, opacity, segment), (model, left, right))| View {
                block,
                size,
                pin,
                cmap,
                range,
                k,
                opacity,
                segment,
                model,
                images: [left, right],
            },
        )
}

#[test]
fn fuzz_link_round_trip() {
    // Every view survives a link: settings, the model's name, gallery names (any text).
    property("link_round_trip", cases(), view(), |v| {
        let mut r = Request::default();
        let size = sizes().nth(v.size).unwrap();
        r.settings.set_grid(Block::ALL[v.block], size);
        let grid = r.settings.grid();
        r.settings.pin = v.pin.map(|(right, row, col)| {
            let side = if right { Side::Right } else { Side::Left };
            (side, (row % grid, col % grid))
        });
        r.settings.cmap = Colormap::ALL[v.cmap];
        r.settings.range = if v.range {
            Range::Stretch
        } else {
            Range::Fixed
        };
        r.settings.top_k = v.k;
        r.settings.opacity = f64::from(v.opacity) / 100.0;
        r.settings.mode = if v.segment {
            Mode::Segment
        } else {
            Mode::Explore
        };
        r.model = v.model.clone().map(|link_name| ModelRef {
            id: 1,
            generation: 1,
            link_name,
            depth: Block::Layer4,
        });
        for (i, img) in v.images.iter().enumerate() {
            r.images[i] = img.as_ref().map(|g| image(i as u32, g.as_deref()));
        }
        let back: LinkView = link::parse(&link::fragment(&r));
        let mut s = Settings::default();
        back.apply(&mut s);
        let same = s.block == r.settings.block
            && s.size == r.settings.size
            && s.cmap == r.settings.cmap
            && s.range == r.settings.range
            && s.top_k == r.settings.top_k
            && s.opacity == r.settings.opacity
            && s.mode == r.settings.mode
            && (r.settings.pin.is_none() || s.pin == r.settings.pin);
        if !same {
            return Err(format!("{:?} came back as {s:?}", r.settings));
        }
        let model = v.model.as_deref().unwrap_or("default");
        if back.model.as_deref() != Some(model) {
            return Err(format!("model {model:?} came back as {:?}", back.model));
        }
        for (i, img) in v.images.iter().enumerate() {
            // A visitor's own file (no gallery name) travels as an empty name.
            let want = img.as_ref().and_then(|g| g.clone()).unwrap_or_default();
            if back.images[i].as_deref() != Some(want.as_str()) {
                return Err(format!("image {want:?} came back as {:?}", back.images[i]));
            }
        }
        Ok(())
    });
}

#[test]
fn fuzz_link_percent_codec() {
    // Decoding undoes encoding for any text; decoding anything never panics, and what it
    // gives encodes back to something that decodes to it again.
    property(
        "link_percent_codec",
        cases(),
        (any::<String>(), prop::collection::vec(any::<u8>(), 0..64)),
        |(text, junk)| {
            let enc = link::encode(&text);
            if link::decode(&enc).as_deref() != Some(text.as_str()) {
                return Err(format!("{text:?} → {enc:?} does not decode back"));
            }
            let junk = String::from_utf8_lossy(&junk);
            if let Some(d) = link::decode(&junk)
                && link::decode(&link::encode(&d)).as_deref() != Some(d.as_str())
            {
                return Err(format!(
                    "{junk:?} decoded to {d:?}, which does not round-trip"
                ));
            }
            Ok(())
        },
    );
}
