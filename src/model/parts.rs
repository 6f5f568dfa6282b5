//! Which pieces of a network a weights file holds: the stem, each stage, the classifier head.
//!
//! The page needs only the trunk (stem and the four stages); the head (2 M parameters for
//! ImageNet's 1000 classes) lives in a file of its own that `featsim classify` joins to it.

use std::fmt;

/// One piece of a ResNet; every tensor belongs to exactly one, by its name's first segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    /// `conv1`, `bn1`.
    Stem,
    /// `layer1.*`.
    Layer1,
    /// `layer2.*`.
    Layer2,
    /// `layer3.*`.
    Layer3,
    /// `layer4.*`.
    Layer4,
    /// `fc.*`, the classifier.
    Head,
}

impl Part {
    /// All parts, in the order the network runs them.
    pub const ALL: [Part; 6] = [
        Part::Stem,
        Part::Layer1,
        Part::Layer2,
        Part::Layer3,
        Part::Layer4,
        Part::Head,
    ];

    /// The name used in files and messages.
    pub fn name(self) -> &'static str {
        match self {
            Part::Stem => "stem",
            Part::Layer1 => "layer1",
            Part::Layer2 => "layer2",
            Part::Layer3 => "layer3",
            Part::Layer4 => "layer4",
            Part::Head => "head",
        }
    }

    /// The part a tensor belongs to, by its (torchvision-style) name; `None` for a name that is
    /// no part of a ResNet.
    pub fn of_tensor(name: &str) -> Option<Part> {
        match name.split('.').next()? {
            "conv1" | "bn1" => Some(Part::Stem),
            "layer1" => Some(Part::Layer1),
            "layer2" => Some(Part::Layer2),
            "layer3" => Some(Part::Layer3),
            "layer4" => Some(Part::Layer4),
            "fc" => Some(Part::Head),
            _ => None,
        }
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// A set of [`Part`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parts(u8);

impl Parts {
    /// The stem and the four stages: what features need.
    pub const TRUNK: Parts = Parts(0b01_1111);
    /// The classifier alone.
    pub const HEAD: Parts = Parts(0b10_0000);
    /// The whole network.
    pub const ALL: Parts = Parts(0b11_1111);

    /// The set of `parts`.
    pub const fn of(parts: &[Part]) -> Parts {
        let mut bits = 0;
        let mut i = 0;
        while i < parts.len() {
            bits |= parts[i].bit();
            i += 1;
        }
        Parts(bits)
    }

    /// Whether `part` is in the set.
    pub fn contains(self, part: Part) -> bool {
        self.0 & part.bit() != 0
    }

    /// Whether every part of `other` is in the set.
    pub fn includes(self, other: Parts) -> bool {
        self.0 & other.0 == other.0
    }

    /// Both sets together.
    pub fn union(self, other: Parts) -> Parts {
        Parts(self.0 | other.0)
    }

    /// The parts in network order.
    pub fn iter(self) -> impl Iterator<Item = Part> {
        Part::ALL.into_iter().filter(move |p| self.contains(*p))
    }

    /// Parses the stored form (`stem,layer1,…`); `None` for an empty list, an unknown or a
    /// repeated name.
    pub fn parse(s: &str) -> Option<Parts> {
        let mut set = Parts(0);
        for name in s.split(',') {
            let part = Part::ALL.into_iter().find(|p| p.name() == name)?;
            if set.contains(part) {
                return None;
            }
            set.0 |= part.bit();
        }
        (set.0 != 0).then_some(set)
    }

    /// The stored form: names in network order, comma-separated.
    pub fn to_stored(self) -> String {
        self.iter().map(Part::name).collect::<Vec<_>>().join(",")
    }
}

/// How people read a set: "trunk", "trunk + head", "classifier head", or the parts' names.
impl fmt::Display for Parts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Parts::ALL => f.write_str("trunk + head"),
            Parts::TRUNK => f.write_str("trunk"),
            Parts::HEAD => f.write_str("classifier head"),
            other => f.write_str(&other.iter().map(Part::name).collect::<Vec<_>>().join(" + ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tensor_name_has_one_part() {
        assert_eq!(Part::of_tensor("conv1.weight"), Some(Part::Stem));
        assert_eq!(Part::of_tensor("bn1.running_var"), Some(Part::Stem));
        assert_eq!(
            Part::of_tensor("layer3.5.downsample.0.weight"),
            Some(Part::Layer3)
        );
        assert_eq!(Part::of_tensor("fc.bias"), Some(Part::Head));
        assert_eq!(Part::of_tensor("layer10.0.conv1.weight"), None);
        assert_eq!(Part::of_tensor(""), None);
    }

    #[test]
    fn the_stored_form_round_trips_and_refuses_junk() {
        for set in [Parts::TRUNK, Parts::HEAD, Parts::ALL, Parts(0b00_0110)] {
            assert_eq!(Parts::parse(&set.to_stored()), Some(set), "{set}");
        }
        assert_eq!(Parts::TRUNK.to_stored(), "stem,layer1,layer2,layer3,layer4");
        for junk in ["", "stem,", "stem,stem", "Stem", "layer5", ",head"] {
            assert_eq!(Parts::parse(junk), None, "{junk:?}");
        }
        assert_eq!(Parts(0b00_0110).to_string(), "layer1 + layer2");
        assert!(Parts::ALL.includes(Parts::TRUNK) && !Parts::TRUNK.includes(Parts::ALL));
        assert_eq!(Parts::TRUNK.union(Parts::HEAD), Parts::ALL);
    }
}
