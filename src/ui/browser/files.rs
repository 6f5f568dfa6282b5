//! The visitor's files: from file inputs, drops and pastes, read into memory within a size limit
//! checked before the first byte is read.

use super::fetch::read_stream;
use crate::session::limits::Input;

/// The first file of a file list (file inputs, drops, pastes).
pub fn first_file(files: Option<web_sys::FileList>) -> Option<web_sys::File> {
    files.and_then(|f| f.get(0))
}

/// Reads a visitor's file into memory with the same progress reports as a download, stopping
/// when `wanted` says no.
pub async fn read_file_with_progress(
    file: &web_sys::File,
    input: Input,
    progress: impl FnMut(u64, Option<u64>),
    wanted: impl Fn() -> bool,
) -> Result<Vec<u8>, String> {
    // `size()` is an f64: a 5 GB file is 5e9, not a truncated 32-bit count. `read_stream` checks
    // it against the limit before reading.
    let total = file.size().max(0.0) as u64;
    let name = file.name();
    read_stream(&file.stream(), Some(total), &name, input, progress, wanted).await
}

/// Reads a whole (small) file into memory: an image or a mask.
pub async fn read_file(file: &web_sys::File, input: Input) -> Result<Vec<u8>, String> {
    read_file_with_progress(file, input, |_, _| {}, || true).await
}
