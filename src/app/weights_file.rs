//! Weights files the page accepts: [`crate::model::open_weights`] says which and how.

use crate::model::Weights;

/// Parses a weights file by its name's extension (or, failing that, by its first bytes).
pub fn parse(bytes: Vec<u8>, file_name: &str) -> Result<Weights, String> {
    crate::model::open_weights(bytes, file_name).map_err(|e| e.to_string())
}
