//! The visitor's files: from file inputs, drops and pastes, read into memory.

use super::fetch::{js_message, read_stream};
use js_sys::Uint8Array;
use wasm_bindgen_futures::JsFuture;

/// The first file of a file list (file inputs, drops, pastes).
pub fn first_file(files: Option<web_sys::FileList>) -> Option<web_sys::File> {
    files.and_then(|f| f.get(0))
}

/// Reads a visitor's file into memory with the same progress reports as a download.
pub async fn read_file_with_progress(
    file: &web_sys::File,
    progress: impl FnMut(u64, Option<u64>),
) -> Result<Vec<u8>, String> {
    let total = file.size() as u64;
    read_stream(&file.stream(), Some(total), &file.name(), progress).await
}

/// Reads a whole file (small ones: images, masks) into memory.
pub async fn read_file(file: &web_sys::File) -> Result<Vec<u8>, String> {
    let buf = JsFuture::from(file.array_buffer())
        .await
        .map_err(|e| format!("could not read {}: {}", file.name(), js_message(&e)))?;
    Ok(Uint8Array::new(&buf).to_vec())
}
