//! Heatmap colours: perceptual colormaps (from `colorous`) and the value range they span.

/// A colormap the user can pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Colormap {
    /// Perceptually uniform blue–green–yellow (default).
    #[default]
    Viridis,
    /// Black–purple–yellow.
    Magma,
    /// Black–red–yellow.
    Inferno,
    /// Rainbow-like but smooth.
    Turbo,
    /// Black to white.
    Gray,
}

impl Colormap {
    /// All colormaps.
    pub const ALL: [Colormap; 5] = [
        Colormap::Viridis,
        Colormap::Magma,
        Colormap::Inferno,
        Colormap::Turbo,
        Colormap::Gray,
    ];

    /// Lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Colormap::Viridis => "viridis",
            Colormap::Magma => "magma",
            Colormap::Inferno => "inferno",
            Colormap::Turbo => "turbo",
            Colormap::Gray => "gray",
        }
    }

    fn gradient(self) -> colorous::Gradient {
        match self {
            Colormap::Viridis => colorous::VIRIDIS,
            Colormap::Magma => colorous::MAGMA,
            Colormap::Inferno => colorous::INFERNO,
            Colormap::Turbo => colorous::TURBO,
            Colormap::Gray => colorous::GREYS,
        }
    }

    /// The colour of `t` in [0, 1] (clamped).
    pub fn rgb(self, t: f32) -> [u8; 3] {
        let t = f64::from(t.clamp(0.0, 1.0));
        // GREYS runs white → black; flip it so high similarity is bright like the others.
        let t = if self == Colormap::Gray { 1.0 - t } else { t };
        let c = self.gradient().eval_continuous(t);
        [c.r, c.g, c.b]
    }

    /// 256 RGB triples (0–255 as floats), entry `i` = colour of `i / 255`: the table the heatmap
    /// kernels look up.
    pub fn lut(self) -> Vec<f32> {
        (0..256)
            .flat_map(|i| self.rgb(i as f32 / 255.0))
            .map(f32::from)
            .collect()
    }
}

impl std::str::FromStr for Colormap {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Colormap::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| format!("unknown colormap '{s}' (viridis, magma, inferno, turbo, gray)"))
    }
}

/// Which values map to the ends of the colormap.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Range {
    /// Cosine's whole range, [-1, 1]: comparable across clicks.
    #[default]
    Fixed,
    /// The map's own minimum and maximum: shows structure in a flat map.
    Stretch,
}

impl Range {
    /// Both ranges.
    pub const ALL: [Range; 2] = [Range::Fixed, Range::Stretch];

    /// Lowercase name: `fixed` or `stretch`.
    pub fn name(self) -> &'static str {
        match self {
            Range::Fixed => "fixed",
            Range::Stretch => "stretch",
        }
    }

    /// (low, high) for `values`.
    pub fn bounds(self, values: &[f32]) -> (f32, f32) {
        match self {
            Range::Fixed => (-1.0, 1.0),
            Range::Stretch => {
                let lo = values.iter().copied().fold(f32::INFINITY, f32::min);
                let hi = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                if hi > lo {
                    (lo, hi)
                } else {
                    (lo - 1.0, lo + 1.0)
                }
            }
        }
    }
}

impl std::str::FromStr for Range {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Range::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| format!("unknown range '{s}' (fixed, stretch)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_runs_from_one_end_of_the_map_to_the_other() {
        for cmap in Colormap::ALL {
            let lut = cmap.lut();
            assert_eq!(lut.len(), 256 * 3);
            let entry = |i: usize| [lut[3 * i], lut[3 * i + 1], lut[3 * i + 2]].map(|c| c as u8);
            assert_eq!(entry(0), cmap.rgb(0.0), "{}", cmap.name());
            assert_eq!(entry(255), cmap.rgb(1.0), "{}", cmap.name());
        }
        assert_eq!(Range::Fixed.bounds(&[0.2, 0.6]), (-1.0, 1.0));
        // Gray is dark for low, bright for high.
        assert!(Colormap::Gray.rgb(0.0)[0] < Colormap::Gray.rgb(1.0)[0]);
    }

    #[test]
    fn stretch_uses_the_maps_own_range_and_survives_flat_maps() {
        assert_eq!(Range::Stretch.bounds(&[0.2, 0.6, 0.4]), (0.2, 0.6));
        let (lo, hi) = Range::Stretch.bounds(&[0.5, 0.5]);
        assert!(hi > lo);
    }

    #[test]
    fn range_names_round_trip() {
        for r in Range::ALL {
            assert_eq!(r.name().parse::<Range>(), Ok(r));
        }
        assert!("wide".parse::<Range>().is_err());
    }
}
