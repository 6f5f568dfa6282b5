//! The page's address: its fragment, query and base.

fn location() -> Option<web_sys::Location> {
    web_sys::window().map(|w| w.location())
}

/// The current fragment (with its `#`, or empty).
pub fn fragment() -> String {
    location().and_then(|l| l.hash().ok()).unwrap_or_default()
}

/// The current query string (with its `?`, or empty).
pub fn query() -> String {
    location().and_then(|l| l.search().ok()).unwrap_or_default()
}

/// The page's origin (`https://host[:port]`).
pub fn origin() -> String {
    location().and_then(|l| l.origin().ok()).unwrap_or_default()
}

/// The page's address without query or fragment (works under any sub-path).
pub fn base() -> String {
    location()
        .and_then(|l| Some(format!("{}{}", l.origin().ok()?, l.pathname().ok()?)))
        .unwrap_or_default()
}

/// The page's address with its query, without the fragment.
pub fn base_with_query() -> String {
    format!("{}{}", base(), query())
}
