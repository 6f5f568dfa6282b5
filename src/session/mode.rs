//! What the page is for at the moment.

/// Explore similarity or segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Cell-to-cell similarity heatmaps.
    #[default]
    Explore,
    /// One-shot segmentation: mark the object on the left, see it found on the right.
    Segment,
}

impl Mode {
    /// Both modes.
    pub const ALL: [Mode; 2] = [Mode::Explore, Mode::Segment];

    /// The name links use: `explore` or `segment`.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Explore => "explore",
            Mode::Segment => "segment",
        }
    }
}

impl std::str::FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mode::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| format!("unknown mode '{s}' (explore, segment)"))
    }
}
