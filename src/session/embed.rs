//! Embedding: whether the page was opened as an embed, and the `<iframe>` snippet for a view.

use super::link::fragment;
use super::mode::Mode;
use super::request::Request;
use super::side::Side;
use super::views::View;

/// Whether a query string (with or without `?`) asks for the embed view (`embed`, `embed=1`,
/// `embed=true`).
pub fn is_embed(query: &str) -> bool {
    query
        .trim_start_matches('?')
        .split('&')
        .any(|p| matches!(p, "embed" | "embed=1" | "embed=true"))
}

/// Escapes text for an HTML attribute value in double quotes.
pub fn attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The `<iframe>` snippet that embeds the view `r` shows, for the page at `base` (its address
/// without query or fragment).
pub fn snippet(base: &str, r: &Request) -> String {
    let src = format!("{base}?embed=1#{}", fragment(r));
    let names: Vec<&str> = Side::BOTH
        .iter()
        .filter_map(|s| r.image(*s).map(|i| i.name.as_str()))
        .collect();
    let mut title = format!("FeatSim: {}", names.join(" vs "));
    if names.len() == 2 && names[0] == names[1] {
        title = format!("FeatSim: {} (self-similarity)", names[0]);
    }
    title.push_str(&format!(" · {}", r.settings.block.name()));
    if let Some((side, (row, col))) = r.settings.pin {
        title.push_str(&format!(", {} cell ({row}, {col})", side.name()));
    }
    format!(
        r#"<iframe src="{}" width="800" height="{}" style="border:0" loading="lazy" title="{}"></iframe>"#,
        attr(&src),
        embed_height(r),
        attr(&title)
    )
}

/// The `<iframe>`'s height in CSS pixels: the panels, and room for the one-vs-many row, "why
/// alike" and the IoU curve when the view has them (an embed scrolls what does not fit).
pub fn embed_height(r: &Request) -> u32 {
    let s = &r.settings;
    let heatmap = s.mode == Mode::Explore && s.view == View::Heatmap;
    let mut h = 420;
    if heatmap && !r.targets.is_empty() {
        h += 170;
    }
    if heatmap && s.why && s.pin.is_some() {
        h += 380;
    }
    if s.mode == Mode::Segment && r.masks[1].is_some() {
        h += 150;
    }
    h
}

#[cfg(test)]
mod tests {
    use super::super::request::tests::image;
    use super::*;

    #[test]
    fn embed_queries() {
        assert!(is_embed("?embed=1"));
        assert!(is_embed("a=b&embed"));
        assert!(!is_embed("?embed=0"));
        assert!(!is_embed(""));
    }

    #[test]
    fn the_snippet_escapes_and_names_the_view() {
        let mut i = image(1, Some("chelsea.png"));
        i.name = "a\"<b>.png".into();
        let r = Request {
            images: [Some(i.clone()), Some(i)],
            ..Request::default()
        };
        let s = snippet("https://x.org/f/", &r);
        assert!(s.starts_with(
            r#"<iframe src="https://x.org/f/?embed=1#model=default&amp;block=layer4"#
        ));
        assert!(s.contains(
            r#"title="FeatSim: a&quot;&lt;b&gt;.png (self-similarity) · layer4, left cell (8, 8)""#
        ));
        assert!(s.contains(r#"height="420""#));
    }

    #[test]
    fn the_embed_grows_for_the_row_and_why_alike() {
        let mut r = Request {
            images: [Some(image(1, None)), Some(image(2, None))],
            ..Request::default()
        };
        assert_eq!(embed_height(&r), 420);
        r.targets = vec![image(3, None)];
        r.settings.why = true;
        assert_eq!(embed_height(&r), 420 + 170 + 380);
        r.settings.pin = None;
        assert_eq!(embed_height(&r), 420 + 170);
        r.settings.view = View::Pca;
        assert_eq!(
            embed_height(&r),
            420,
            "neither is shown beside the PCA colours"
        );
        r.settings.mode = Mode::Segment;
        r.masks[1] = Some(crate::session::image::LoadedMask {
            name: "t.png".into(),
            kind: crate::masks::MaskKind::Binary,
            version: 1,
            labels: std::sync::Arc::new(image::GrayImage::new(4, 3)),
        });
        assert_eq!(
            embed_height(&r),
            420 + 150,
            "the IoU curve under the panels"
        );
    }
}
