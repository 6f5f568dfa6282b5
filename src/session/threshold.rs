//! The threshold picker over the core's [`Threshold`]: its rules' names and labels.

use crate::segment::Threshold;

/// The rules in picker order, by name (`fixed` stands for a number, as in the CLI).
pub const RULES: [&str; 3] = ["fixed", "mid", "otsu"];

/// The rule's name: `fixed`, `mid` or `otsu` (`#rule`'s values, `data-rule`).
pub fn rule_name(t: Threshold) -> &'static str {
    match t {
        Threshold::Fixed(_) => "fixed",
        Threshold::Mid => "mid",
        Threshold::Otsu => "otsu",
    }
}

/// What the picker shows for a rule name.
pub fn rule_label(name: &str) -> &'static str {
    match name {
        "fixed" => "fixed (slider)",
        "mid" => "midpoint",
        _ => "automatic (Otsu)",
    }
}

/// The threshold a rule name picks; `fixed` takes the slider's value.
pub fn from_rule(name: &str, slider: f32) -> Option<Threshold> {
    match name {
        "fixed" => Some(Threshold::Fixed(slider)),
        other => other.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in RULES {
            let t = from_rule(name, 0.25).unwrap();
            assert_eq!(rule_name(t), name);
        }
        assert_eq!(from_rule("fixed", 0.25), Some(Threshold::Fixed(0.25)));
        assert_eq!(from_rule("nonsense", 0.0), None);
    }
}
