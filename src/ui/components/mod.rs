//! The page's components: they show signals and call actions; the numbers come from session
//! and core.

pub mod between;
pub mod block_picker;
pub mod embed;
pub mod file_picker;
pub mod iou_plot;
pub mod messages;
pub mod pair_lines;
pub mod panel;
pub mod readout;
pub mod segment_controls;
pub mod status_bar;
pub mod strip;
pub mod targets;
pub mod toolbar;
pub mod view_picker;
pub mod why;
