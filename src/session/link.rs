//! Links to a view: the URL fragment (`#model=default&block=layer4&size=512&cell=5,9&…`) carries
//! the model, block, input size, pinned cell, colours, mode and — for gallery images — the
//! images. Opening such a link restores the view. The visitor's own files cannot travel in a
//! link: their panel starts empty (`left=`) and the page says so.
//!
//! The codec reads the [`Request`] and writes into [`Settings`], so a setting a link carries is
//! named once, here.

use super::geometry::{Cell, sizes};
use super::mode::Mode;
use super::request::Request;
use super::settings::Settings;
use super::side::Side;
use super::views::{MAX_PAIRS, PcaScope, View};
use crate::colormap::{Colormap, Range};
use crate::model::Block;
use crate::oneshot::Method;
use crate::segment::Threshold;

/// What a link asks for; `None` fields keep the page's current choices.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct LinkView {
    /// `default` or the file name of the visitor's weights.
    pub model: Option<String>,
    /// The block.
    pub block: Option<Block>,
    /// The input size (one of [`sizes`]).
    pub size: Option<u32>,
    /// The pinned cell and its panel.
    pub pin: Option<(Side, Cell)>,
    /// Colours.
    pub cmap: Option<Colormap>,
    /// Value range.
    pub range: Option<Range>,
    /// Best matches marked, 1..=20.
    pub top_k: Option<usize>,
    /// Overlay opacity, 0..=1.
    pub opacity: Option<f64>,
    /// Explore or segment.
    pub mode: Option<Mode>,
    /// Segmentation's recipe.
    pub method: Option<Method>,
    /// Segmentation's threshold (`rule=fixed&cut=0.17`, `rule=mid`, `rule=otsu`).
    pub threshold: Option<Threshold>,
    /// Explore's picture: heatmap, PCA colours or correspondences.
    pub view: Option<View>,
    /// PCA over both images or each alone.
    pub pca: Option<PcaScope>,
    /// Correspondences drawn, 1..=[`MAX_PAIRS`].
    pub pairs: Option<usize>,
    /// Only the correspondences from the marked object (`within=object`).
    pub pairs_object: Option<bool>,
    /// "Why alike" shown (`why=1`).
    pub why: Option<bool>,
    /// Per side: `Some("")` for "no image" (a visitor's file), `Some(name)` for a gallery file,
    /// an image of the bundle, or a same-origin address (`images/plane.jpg`).
    pub images: [Option<String>; 2],
    /// A baked bundle's folder (`bundle=figs/cat`, `bundle::BundleManifest`).
    pub bundle: Option<String>,
    /// The one-vs-many row's images (gallery files or the open bundle's), in order.
    pub targets: Option<Vec<String>>,
    /// Origins besides the embedding page's that an embed answers (`origins=https://a.example`,
    /// `session::host`).
    pub origins: Vec<String>,
}

/// Percent-encodes as JavaScript's `encodeURIComponent` does.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-decodes as JavaScript's `decodeURIComponent` does; `None` for a malformed escape or
/// bytes that are not UTF-8.
pub fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The fragment (without `#`) for the view `r` shows.
pub fn fragment(r: &Request) -> String {
    let s = &r.settings;
    let model = r.model.as_ref().map_or("default", |m| m.link_name.as_str());
    let mut parts = vec![
        format!("model={}", encode(model)),
        format!("block={}", s.block.name()),
        format!("size={}", s.size),
    ];
    if let Some((side, (row, col))) = s.pin {
        parts.push(format!("cell={row},{col}"));
        parts.push(format!("side={}", side.name()));
    }
    parts.push(format!("cmap={}", s.cmap.name()));
    parts.push(format!("range={}", s.range.name()));
    parts.push(format!("k={}", s.top_k));
    parts.push(format!("opacity={:.2}", s.opacity));
    parts.push(format!("mode={}", s.mode.name()));
    if s.mode == Mode::Segment {
        parts.push(format!("method={}", s.method.name()));
        parts.push(format!("rule={}", super::threshold::rule_name(s.threshold)));
        if let Threshold::Fixed(t) = s.threshold {
            // Rust's shortest form of an f32 reads back as the same f32: a cut picked on the
            // IoU curve comes back exactly.
            parts.push(format!("cut={t}"));
        }
    }
    // The heatmap is the default: links that show it stay as they were before the other views.
    if s.view != View::Heatmap {
        parts.push(format!("view={}", s.view.name()));
    }
    if s.view == View::Pca {
        parts.push(format!("pca={}", s.pca.name()));
    }
    if s.view == View::Pairs {
        parts.push(format!("pairs={}", s.pairs));
        if s.pairs_object {
            parts.push("within=object".into());
        }
    }
    if s.view == View::Heatmap && s.why {
        parts.push("why=1".into());
    }
    if let Some(b) = &r.bundle {
        parts.push(format!("bundle={}", encode(b)));
    }
    for side in Side::BOTH {
        let name = r
            .image(side)
            .and_then(|i| i.link.as_deref())
            .unwrap_or_default();
        parts.push(format!("{}={}", side.name(), encode(name)));
    }
    // Each name encoded on its own, so a comma in one stays inside it.
    let row: Vec<String> = r
        .targets
        .iter()
        .filter_map(|i| i.link.as_deref())
        .map(encode)
        .collect();
    if !row.is_empty() {
        parts.push(format!("targets={}", row.join(",")));
    }
    parts.join("&")
}

/// Parses a fragment (with or without `#`); unknown or malformed parts are ignored, and of a
/// repeated key the last one counts.
pub fn parse(fragment: &str) -> LinkView {
    let fragment = fragment.trim_start_matches('#');
    let mut v = LinkView::default();
    let mut right = false;
    let (mut rule, mut cut) = (None, None);
    for part in fragment.split('&') {
        let Some((k, raw)) = part.split_once('=') else {
            continue;
        };
        let val = decode(raw).unwrap_or_else(|| raw.to_owned());
        match k {
            "model" => v.model = Some(val),
            "block" => v.block = val.parse().ok(),
            "size" => v.size = val.parse().ok().filter(|s| sizes().any(|x| x == *s)),
            "cell" => {
                v.pin = val.split_once(',').and_then(|(r, c)| {
                    Some((Side::Left, (r.trim().parse().ok()?, c.trim().parse().ok()?)))
                })
            }
            "side" => right = val == "right",
            "cmap" => v.cmap = val.parse().ok(),
            "range" => v.range = val.parse().ok(),
            "k" => v.top_k = val.parse().ok().filter(|k| (1..=20).contains(k)),
            "opacity" => v.opacity = val.parse().ok().filter(|o: &f64| (0.0..=1.0).contains(o)),
            "mode" => v.mode = val.parse().ok(),
            "method" => v.method = val.parse().ok(),
            "rule" => rule = Some(val),
            "cut" => {
                cut = val
                    .parse::<f32>()
                    .ok()
                    .filter(|c| c.is_finite() && c.abs() <= 4.0)
            }
            "view" => v.view = val.parse().ok(),
            "pca" => v.pca = val.parse().ok(),
            "pairs" => v.pairs = val.parse().ok().filter(|n| (1..=MAX_PAIRS).contains(n)),
            "within" => {
                v.pairs_object = match val.as_str() {
                    "object" => Some(true),
                    "all" => Some(false),
                    _ => None,
                }
            }
            "why" => {
                v.why = match val.as_str() {
                    "1" => Some(true),
                    "0" => Some(false),
                    _ => None,
                }
            }
            "left" => v.images[0] = Some(val),
            "right" => v.images[1] = Some(val),
            "bundle" => v.bundle = Some(val).filter(|b| !b.is_empty()),
            "origins" => v.origins = super::address::parse_origins(&val),
            "targets" => {
                v.targets = Some(
                    raw.split(',')
                        .filter_map(decode)
                        .filter(|n| !n.is_empty())
                        .take(super::targets::MAX_TARGETS)
                        .collect(),
                )
            }
            _ => {}
        }
    }
    v.threshold = match rule.as_deref() {
        Some("fixed") => cut.map(Threshold::Fixed),
        Some(r @ ("mid" | "otsu")) => r.parse().ok(),
        _ => None,
    };
    // `side` may come before or after `cell`.
    if right && let Some((side, _)) = v.pin.as_mut() {
        *side = Side::Right;
    }
    v
}

impl LinkView {
    /// Writes the link's settings into `s` (not its images or model: the caller loads those).
    /// Returns the old and new grid sides (a change moves marks made on the old grid).
    pub fn apply(&self, s: &mut Settings) -> (usize, usize) {
        let grids = s.set_grid(self.block.unwrap_or(s.block), self.size.unwrap_or(s.size));
        if let Some((side, cell)) = self.pin {
            s.pin_clamped(side, cell);
        }
        if let Some(c) = self.cmap {
            s.cmap = c;
        }
        if let Some(r) = self.range {
            s.range = r;
        }
        if let Some(k) = self.top_k {
            s.top_k = k;
        }
        if let Some(o) = self.opacity {
            s.opacity = o;
        }
        if let Some(m) = self.mode {
            s.mode = m;
        }
        if let Some(m) = self.method {
            s.set_method(m);
        }
        match self.threshold {
            Some(Threshold::Fixed(t)) => s.set_fixed(t),
            Some(t) => s.threshold = t,
            None => {}
        }
        if let Some(v) = self.view {
            s.view = v;
        }
        if let Some(p) = self.pca {
            s.pca = p;
        }
        if let Some(n) = self.pairs {
            s.pairs = n;
        }
        if let Some(o) = self.pairs_object {
            s.pairs_object = o;
        }
        if let Some(w) = self.why {
            s.why = w;
        }
        grids
    }
}

#[cfg(test)]
mod tests {
    use super::super::models::ModelRef;
    use super::super::request::tests::image;
    use super::*;

    #[test]
    fn encoding_matches_encode_uri_component() {
        assert_eq!(encode("chelsea.png"), "chelsea.png");
        assert_eq!(encode("my cat (1).png"), "my%20cat%20(1).png");
        assert_eq!(encode("a&b=c#d"), "a%26b%3Dc%23d");
        assert_eq!(encode("Käse"), "K%C3%A4se");
        assert_eq!(decode("K%C3%A4se").as_deref(), Some("Käse"));
        assert_eq!(decode("100%"), None);
        assert_eq!(decode("%zz"), None);
        assert_eq!(decode("%FF"), None, "not UTF-8");
        assert_eq!(decode("%C3"), None, "cut UTF-8");
        assert_eq!(decode("%E2%82").as_deref(), None);
        assert_eq!(decode("ünïcødé").as_deref(), Some("ünïcødé"));
    }

    #[test]
    fn the_fragment_round_trips() {
        let mut r = Request {
            images: [Some(image(1, Some("chelsea.png"))), Some(image(2, None))],
            model: Some(ModelRef {
                id: 3,
                generation: 1,
                link_name: "my weights.bpk".into(),
                depth: Block::Layer4,
            }),
            bundle: Some("figs/cat".into()),
            ..Request::default()
        };
        r.settings.set_grid(Block::Layer3, 512);
        r.settings.pin = Some((Side::Right, (20, 11)));
        r.settings.cmap = Colormap::Magma;
        r.settings.range = Range::Stretch;
        r.settings.top_k = 7;
        r.settings.opacity = 0.4;
        r.settings.mode = Mode::Segment;
        let f = fragment(&r);
        assert_eq!(
            f,
            "model=my%20weights.bpk&block=layer3&size=512&cell=20,11&side=right&cmap=magma&\
             range=stretch&k=7&opacity=0.40&mode=segment&method=plain&rule=mid&bundle=figs%2Fcat&\
             left=chelsea.png&right="
        );
        let v = parse(&format!("#{f}"));
        assert_eq!(v.targets, None, "no row, no key");
        assert_eq!(v.model.as_deref(), Some("my weights.bpk"));
        assert_eq!(v.images, [Some("chelsea.png".into()), Some(String::new())]);
        assert_eq!(v.bundle.as_deref(), Some("figs/cat"));
        let o = parse("origins=https://a.example,https://b.example:8080,javascript:x");
        assert_eq!(o.origins, ["https://a.example", "https://b.example:8080"]);
        let mut s = Settings::default();
        v.apply(&mut s);
        assert_eq!(s, r.settings);
        // The views and their own settings, written only when they are the one shown.
        r.settings.mode = Mode::Explore;
        for (view, extra) in [
            (View::Pca, "&view=pca&pca=each&"),
            (View::Pairs, "&view=pairs&pairs=35&within=object&"),
            (View::Heatmap, "&why=1&"),
        ] {
            r.settings.view = view;
            r.settings.pca = PcaScope::Each;
            r.settings.pairs = 35;
            r.settings.pairs_object = true;
            r.settings.why = true;
            let f = fragment(&r);
            assert!(f.contains(extra), "{f}");
            let mut s = Settings::default();
            parse(&f).apply(&mut s);
            assert_eq!(s.view, view);
            assert_eq!(s.pca == PcaScope::Each, view == View::Pca, "{f}");
            assert_eq!(s.pairs == 35, view == View::Pairs, "{f}");
            assert_eq!(s.pairs_object, view == View::Pairs, "{f}");
            assert_eq!(s.why, view == View::Heatmap, "{f}");
        }
    }

    #[test]
    fn hostile_fragments_change_nothing_they_should_not() {
        let d = Settings::default();
        for junk in [
            "",
            "#",
            "&&&",
            "garbage",
            "=&=&==",
            "block=layer9&size=12345&cmap=plaid&range=wide&mode=paint&k=0&k=99&opacity=2",
            "opacity=NaN&opacity=inf&k=-1&size=-512",
            "view=PCA&view=&pca=both&pairs=0&pairs=101&pairs=-3&pairs=1e3",
            "within=Object&within=&why=true&why=2",
            "cell=99999999999999999999999,1",
            "cell=1&cell=,&cell=a,b&cell=1,2,3",
            "unknown=1&another=%zz&x",
            "%62lock=layer1",
        ] {
            let v = parse(junk);
            let mut s = d.clone();
            v.apply(&mut s);
            assert_eq!(s, d, "{junk:?}");
            assert_eq!(v.model, None);
        }
    }

    #[test]
    fn huge_cells_are_clamped_and_repeated_keys_keep_the_last() {
        let v = parse("cell=5000,18446744073709551615&side=right&block=layer1&block=layer2");
        let mut s = Settings::default();
        v.apply(&mut s);
        assert_eq!(s.block, Block::Layer2);
        assert_eq!(s.pin, Some((Side::Right, (63, 63))));
        // `side` before `cell`, unicode file names, a broken escape kept as written.
        let v = parse("side=right&cell=1,2&left=K%C3%A4se%20%F0%9F%90%88.png&right=50%");
        assert_eq!(v.pin, Some((Side::Right, (1, 2))));
        assert_eq!(v.images[0].as_deref(), Some("Käse 🐈.png"));
        assert_eq!(v.images[1].as_deref(), Some("50%"));
    }

    #[test]
    fn the_row_travels_name_by_name() {
        let r = Request {
            targets: vec![
                image(1, Some("coffee.png")),
                image(2, None),
                image(3, Some("a,b (1).png")),
            ],
            ..Request::default()
        };
        let f = fragment(&r);
        assert!(f.ends_with("&targets=coffee.png,a%2Cb%20(1).png"), "{f}");
        let v = parse(&f);
        assert_eq!(
            v.targets,
            Some(vec!["coffee.png".into(), "a,b (1).png".into()])
        );
        let many = (0..20)
            .map(|i| format!("g{i}.png"))
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(
            parse(&format!("targets={many},%zz,,"))
                .targets
                .unwrap()
                .len(),
            8
        );
        assert_eq!(parse("targets=").targets, Some(vec![]));
    }

    #[test]
    fn a_cut_picked_on_the_curve_comes_back_exactly() {
        let mut r = Request::default();
        r.settings.mode = Mode::Segment;
        r.settings.set_method(Method::Best);
        r.settings.set_fixed(0.168_427);
        let f = fragment(&r);
        assert!(f.contains("&method=best&rule=fixed&cut=0.168427&"), "{f}");
        let mut s = Settings::default();
        parse(&f).apply(&mut s);
        assert_eq!(
            (s.method, s.threshold),
            (Method::Best, Threshold::Fixed(0.168_427))
        );
        // A recipe alone brings its own threshold; junk cuts and rules change nothing.
        let mut s = Settings::default();
        parse("method=best").apply(&mut s);
        assert_eq!(s.threshold, Method::Best.default_threshold());
        for junk in [
            "rule=fixed",
            "rule=fixed&cut=NaN",
            "cut=9&rule=fixed",
            "rule=median",
            "method=worst",
        ] {
            let mut s = Settings::default();
            parse(junk).apply(&mut s);
            assert_eq!(s, Settings::default(), "{junk}");
        }
    }
}
