//! Views of what the network finds alike beyond one heatmap, on the same unit feature maps and
//! the same device: PCA colours, mutual-nearest-neighbour correspondences, the IoU-versus-
//! threshold curve and the channels that make two cells alike.

pub mod buddies;
pub mod iou_curve;
pub mod pca;
pub mod shares;
