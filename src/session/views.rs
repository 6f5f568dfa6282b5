//! What explore mode draws for the pinned cell and the two images: the heatmap, the PCA colours
//! of the features, or the correspondences between the grids.

/// The picture explore mode shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    /// The pinned cell's cosine similarity over the other image.
    #[default]
    Heatmap,
    /// The first three principal components of the features as RGB.
    Pca,
    /// Mutual nearest neighbours ("best buddies") joined across the panels.
    Pairs,
}

/// Whether the PCA is taken over both images together (same colour, same direction) or each
/// image alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PcaScope {
    /// Both images' cells together.
    #[default]
    Joint,
    /// Each image's cells on their own.
    Each,
}

/// Most correspondences drawn at once.
pub const MAX_PAIRS: usize = 100;
/// Correspondences drawn at first.
pub const DEFAULT_PAIRS: usize = 20;

impl View {
    /// Every view, in picker order.
    pub const ALL: [View; 3] = [View::Heatmap, View::Pca, View::Pairs];

    /// The name links and test hooks use.
    pub fn name(self) -> &'static str {
        match self {
            View::Heatmap => "heatmap",
            View::Pca => "pca",
            View::Pairs => "pairs",
        }
    }

    /// What the picker shows.
    pub fn label(self) -> &'static str {
        match self {
            View::Heatmap => "similarity heatmap",
            View::Pca => "PCA colours",
            View::Pairs => "correspondences",
        }
    }
}

impl PcaScope {
    /// Both scopes, in picker order.
    pub const ALL: [PcaScope; 2] = [PcaScope::Joint, PcaScope::Each];

    /// The name links and test hooks use.
    pub fn name(self) -> &'static str {
        match self {
            PcaScope::Joint => "joint",
            PcaScope::Each => "each",
        }
    }

    /// What the picker shows.
    pub fn label(self) -> &'static str {
        match self {
            PcaScope::Joint => "both images together",
            PcaScope::Each => "each image alone",
        }
    }
}

macro_rules! parse_by_name {
    ($t:ty, $what:literal) => {
        impl std::str::FromStr for $t {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <$t>::ALL
                    .into_iter()
                    .find(|v| v.name() == s)
                    .ok_or_else(|| format!(concat!("unknown ", $what, " '{}'"), s))
            }
        }
    };
}
parse_by_name!(View, "view");
parse_by_name!(PcaScope, "PCA scope");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_junk_is_refused() {
        for v in View::ALL {
            assert_eq!(v.name().parse::<View>(), Ok(v));
        }
        for s in PcaScope::ALL {
            assert_eq!(s.name().parse::<PcaScope>(), Ok(s));
        }
        assert!("PCA".parse::<View>().is_err());
        assert!("".parse::<PcaScope>().is_err());
    }
}
