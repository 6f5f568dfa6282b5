//! Browser glue: thin wrappers over `web_sys` with no page state (fetching, files, canvases,
//! the clipboard, downloads, the address bar, the clock, the WebGPU adapter, the panic banner,
//! whether the reader is there).

pub mod attention;
pub mod canvas;
pub mod clipboard;
pub mod clock;
pub mod device;
pub mod download;
pub mod fetch;
pub mod figure;
pub mod files;
pub mod location;
pub mod panic;
