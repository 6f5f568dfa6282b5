//! Models the picker lists and the one in use.

/// A model the picker lists.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelEntry {
    /// Engine key of its source.
    pub id: u32,
    /// Name from the file (or the file name until it is read).
    pub name: String,
    /// What links call it: `default` or the visitor's file name.
    pub link_name: String,
}

/// The model on the device, as the request names it.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRef {
    /// The entry it was built from.
    pub id: u32,
    /// Changes with every build (a new model, or the same one on another device), so results
    /// of an older build are recognised.
    pub generation: u32,
    /// What links call it.
    pub link_name: String,
    /// Its deepest block (a streamed model grows while its parts arrive, in one generation).
    pub depth: crate::model::Block,
}
