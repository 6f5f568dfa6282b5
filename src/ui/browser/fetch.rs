//! Downloading with byte progress (the weights are tens of megabytes), within a size limit.

use crate::session::limits::{self, Input};
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStreamDefaultReader, RequestCache, RequestInit, Response};

/// What a read stopped on that is not the bytes' fault.
pub const SUPERSEDED: &str = "superseded by a newer request";

/// Fetches `url` (at most `input`'s limit) into memory, calling `progress(loaded, total)` as chunks
/// arrive (`total` is `None` when the server sends no length). Between chunks it asks `wanted`;
/// when that says no, it stops with [`SUPERSEDED`].
pub async fn fetch_with_progress(
    url: &str,
    input: Input,
    progress: impl FnMut(u64, Option<u64>),
    wanted: impl Fn() -> bool,
) -> Result<Vec<u8>, String> {
    fetch_from(url, RequestCache::Default, input, progress, wanted).await
}

/// [`fetch_with_progress`] past the browser's cache (and asking the server for fresh bytes): a
/// second try at a download that arrived damaged, which the cache would otherwise hand back.
pub async fn refetch_with_progress(
    url: &str,
    input: Input,
    progress: impl FnMut(u64, Option<u64>),
    wanted: impl Fn() -> bool,
) -> Result<Vec<u8>, String> {
    fetch_from(url, RequestCache::Reload, input, progress, wanted).await
}

async fn fetch_from(
    url: &str,
    cache: RequestCache,
    input: Input,
    progress: impl FnMut(u64, Option<u64>),
    wanted: impl Fn() -> bool,
) -> Result<Vec<u8>, String> {
    let window = web_sys::window().ok_or("no window")?;
    let init = RequestInit::new();
    init.set_cache(cache);
    let resp: Response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(|e| format!("could not fetch {url}: {}", js_message(&e)))?
        .dyn_into()
        .map_err(|_| "fetch did not return a Response")?;
    if !resp.ok() {
        return Err(format!("could not fetch {url}: HTTP {}", resp.status()));
    }
    let total = resp
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.parse::<u64>().ok());
    let body = resp
        .body()
        .ok_or_else(|| format!("{url}: empty response"))?;
    read_stream(&body, total, url, input, progress, wanted).await
}

/// Fetches a small file (an image, a list) with no progress to show.
pub async fn fetch_bytes(url: &str, input: Input) -> Result<Vec<u8>, String> {
    fetch_with_progress(url, input, |_, _| {}, || true).await
}

/// Drains a byte stream of `what` (at most `input`'s limit; `total` is what its source declared),
/// calling `progress(loaded, total)` per chunk and stopping when `wanted` says no.
pub async fn read_stream(
    body: &web_sys::ReadableStream,
    total: Option<u64>,
    what: &str,
    input: Input,
    mut progress: impl FnMut(u64, Option<u64>),
    wanted: impl Fn() -> bool,
) -> Result<Vec<u8>, String> {
    if let Some(total) = total {
        limits::check(input, what, total)?;
    }
    let reader: ReadableStreamDefaultReader = body
        .get_reader()
        .dyn_into()
        .map_err(|_| "the body is not a readable stream")?;
    // Stop the transfer too, not only our reading of it.
    let stop = |reason: String| {
        let _ = reader.cancel();
        reason
    };
    let mut out = Vec::new();
    // Fallible: a declared size the memory cannot hold is a message, not an abort. The size is
    // within the limit here, so it fits a usize on wasm32.
    let reserve = total.unwrap_or(0);
    out.try_reserve_exact(usize::try_from(reserve).unwrap_or(usize::MAX))
        .map_err(|_| stop(limits::out_of_memory(what, reserve)))?;
    progress(0, total);
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|e| format!("reading {what} broke off: {}", js_message(&e)))?;
        let done = Reflect::get(&chunk, &JsValue::from_str("done"))
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(true);
        if done {
            break;
        }
        if !wanted() {
            return Err(stop(SUPERSEDED.into()));
        }
        let value =
            Reflect::get(&chunk, &JsValue::from_str("value")).map_err(|_| "bad stream chunk")?;
        let bytes: Uint8Array = value.dyn_into().map_err(|_| "stream chunk is not bytes")?;
        let start = out.len();
        let len = bytes.length() as usize;
        let end = start as u64 + len as u64;
        // The declared length may be missing or wrong: the limit holds for what really arrives.
        limits::check(input, what, end).map_err(stop)?;
        out.try_reserve(len)
            .map_err(|_| stop(limits::out_of_memory(what, end)))?;
        out.resize(start + len, 0);
        bytes.copy_to(&mut out[start..]);
        progress(out.len() as u64, total);
    }
    Ok(out)
}

/// The message of a JS error value.
pub fn js_message(e: &JsValue) -> String {
    Reflect::get(e, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_else(|| format!("{e:?}"))
}
