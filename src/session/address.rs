//! Addresses a link may carry for the page to fetch: an author's own image beside the page
//! (`left=images/plane.jpg`) and a baked bundle's folder (`bundle=figs/cat`). The page fetches
//! only from its own origin (its CSP says `connect-src 'self'`); an address elsewhere is refused
//! here with a message that says why, before any request.

use crate::bundle::MANIFEST_FILE;

/// `value` as a URL the page may fetch: a path relative to the page (`images/plane.jpg`,
/// `../figs/a.png`), a path from the root (`/figs/a.png`), or an absolute `http(s)` URL on
/// `origin` (`scheme://host[:port]`, as `location.origin` gives it).
pub fn same_origin(value: &str, origin: &str) -> Result<String, String> {
    let shown: String = value.chars().take(120).collect();
    if value.trim().is_empty() {
        return Err("an empty address".into());
    }
    if value.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(format!(
            "“{shown}” is not an address (it has spaces or control characters)"
        ));
    }
    // `//host/x` is `scheme://host/x` with the page's scheme.
    let scheme = origin.split_once("://").map_or("https", |(s, _)| s);
    let absolute = if value.starts_with("//") || value.starts_with("\\\\") {
        format!("{scheme}:{}", value.replace('\\', "/"))
    } else {
        value.to_owned()
    };
    match url_scheme(&absolute) {
        None => Ok(value.to_owned()),
        Some(s) if s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https") => {
            let rest = &absolute[s.len() + 1..];
            let rest = rest.trim_start_matches(['/', '\\']);
            let authority = rest.split(['/', '\\', '?', '#']).next().unwrap_or("");
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            let theirs = format!("{}://{}", s.to_ascii_lowercase(), host.to_ascii_lowercase());
            if theirs == origin.to_ascii_lowercase() {
                Ok(absolute)
            } else {
                Err(format!(
                    "“{shown}” is on another site ({host}): FeatSim fetches only from its own, \
                     {origin}; copy the file beside the page"
                ))
            }
        }
        Some(s) => Err(format!(
            "“{shown}” is a {s}: address; FeatSim fetches only http(s) files from its own site"
        )),
    }
}

/// The URL of the manifest of the bundle at `value` (its folder, or its `bundle.json`).
pub fn bundle_manifest(value: &str, origin: &str) -> Result<String, String> {
    let url = same_origin(value, origin)?;
    if url.ends_with(MANIFEST_FILE) {
        return Ok(url);
    }
    Ok(format!("{}/{MANIFEST_FILE}", url.trim_end_matches('/')))
}

/// The URL of `file` in the folder of the manifest at `manifest_url`.
pub fn beside(manifest_url: &str, file: &str) -> String {
    match manifest_url.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/{file}"),
        None => file.to_owned(),
    }
}

/// The origin of a URL (`scheme://host[:port]`), for the embedder from `document.referrer`;
/// `None` for anything else.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
        return None;
    }
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty() && !host.contains('@')).then(|| {
        format!(
            "{}://{}",
            scheme.to_ascii_lowercase(),
            host.to_ascii_lowercase()
        )
    })
}

/// The fragment's `origins=` list: origins only, others dropped.
pub fn parse_origins(list: &str) -> Vec<String> {
    list.split(',')
        .filter_map(|o| origin_of(o.trim()).filter(|n| n.eq_ignore_ascii_case(o.trim())))
        .collect()
}

/// The scheme of an absolute URL (`https` of `https://…`); `None` for a relative one.
fn url_scheme(s: &str) -> Option<&str> {
    let (scheme, _) = s.split_once(':')?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic() && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)))
        .then_some(scheme)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGIN: &str = "https://blog.example";

    #[test]
    fn relative_root_and_own_absolute_addresses_are_fetched() {
        for ok in [
            "images/plane.jpg",
            "./a.png",
            "../figs/a b.png",
            "/figs/a.png",
            "a.png?v=2",
        ] {
            let ok = ok.replace(' ', "%20");
            assert_eq!(same_origin(&ok, ORIGIN).as_deref(), Ok(ok.as_str()));
        }
        assert_eq!(
            same_origin("HTTPS://Blog.Example/figs/a.png", ORIGIN).as_deref(),
            Ok("HTTPS://Blog.Example/figs/a.png")
        );
        assert_eq!(
            same_origin("//blog.example/a.png", ORIGIN).as_deref(),
            Ok("https://blog.example/a.png")
        );
        // A colon later in a relative path is no scheme.
        assert!(same_origin("figs/12:30.png", ORIGIN).is_ok());
    }

    #[test]
    fn other_sites_and_schemes_are_refused_with_the_reason() {
        for (bad, why) in [
            ("https://evil.example/a.png", "another site (evil.example)"),
            ("http://blog.example/a.png", "another site"),
            (
                "https://blog.example:8443/a.png",
                "another site (blog.example:8443)",
            ),
            (
                "https://blog.example@evil.example/a.png",
                "another site (evil.example)",
            ),
            ("//evil.example/a.png", "another site"),
            ("\\\\evil.example/a.png", "another site"),
            ("https:\\\\evil.example/a.png", "another site"),
            ("javascript:alert(1)", "a javascript: address"),
            ("data:image/png;base64,AAAA", "a data: address"),
            ("blob:https://blog.example/x", "a blob: address"),
            ("", "empty"),
            ("a b.png", "spaces"),
            ("a\nb.png", "control"),
        ] {
            let err = same_origin(bad, ORIGIN).unwrap_err();
            assert!(err.contains(why), "{bad:?}: {err}");
        }
    }

    #[test]
    fn a_bundle_is_its_folder_or_its_manifest() {
        assert_eq!(
            bundle_manifest("figs/cat", ORIGIN).unwrap(),
            "figs/cat/bundle.json"
        );
        assert_eq!(
            bundle_manifest("figs/cat/", ORIGIN).unwrap(),
            "figs/cat/bundle.json"
        );
        assert_eq!(
            bundle_manifest("figs/cat/bundle.json", ORIGIN).unwrap(),
            "figs/cat/bundle.json"
        );
        assert!(bundle_manifest("https://evil.example/b", ORIGIN).is_err());
        assert_eq!(beside("figs/cat/bundle.json", "a.png"), "figs/cat/a.png");
        assert_eq!(beside("bundle.json", "a.png"), "a.png");
    }
}
