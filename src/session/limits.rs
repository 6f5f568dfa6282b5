//! How many bytes the page reads into memory for each kind of input. The size is checked before
//! reading (a file's size, a response's `Content-Length`) and again as the bytes arrive (a server
//! may send no length, or a wrong one), so an oversized input is refused with a message instead
//! of exhausting wasm32's 4 GiB address space.

/// What is being read; each kind has its own ceiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// A model: FeatSim's `.bpk` or a torchvision `.safetensors`.
    Weights,
    /// A photo for a panel.
    Image,
    /// A mask (painted-object or ground-truth PNG).
    Mask,
    /// A small JSON list (the gallery's manifest).
    List,
}

impl Input {
    /// The most bytes read for this kind of input.
    pub const fn limit(self) -> u64 {
        match self {
            // ResNet-152 in f32 is 241 MB. The page holds the file and the tensors built from it
            // at once (twice the file for f16), inside wasm32's 4 GiB.
            Input::Weights => 1_000_000_000,
            // A 40-megapixel image (`image_io::MAX_PIXELS`) as an uncompressed 24-bit BMP is 120 MB.
            Input::Image => 150_000_000,
            Input::Mask => 50_000_000,
            Input::List => 1_000_000,
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Input::Weights => "weights files",
            Input::Image => "images",
            Input::Mask => "masks",
            Input::List => "lists",
        }
    }
}

/// Refuses `name` of `bytes` bytes if it is over `input`'s limit.
pub fn check(input: Input, name: &str, bytes: u64) -> Result<(), String> {
    if bytes > input.limit() {
        Err(format!(
            "{name} is {}: FeatSim reads {} of up to {}",
            size(bytes),
            input.noun(),
            size(input.limit())
        ))
    } else {
        Ok(())
    }
}

/// The message when the memory for `bytes` bytes of `name` cannot be had.
pub fn out_of_memory(name: &str, bytes: u64) -> String {
    format!(
        "{name}: not enough memory to read {} (close other tabs or use a smaller file)",
        size(bytes)
    )
}

/// A byte count for people, in decimal units as file managers show them: `2.5 GB`, `51.6 MB`.
pub fn size(bytes: u64) -> String {
    const UNITS: [(f64, &str); 3] = [(1e9, "GB"), (1e6, "MB"), (1e3, "kB")];
    let b = bytes as f64;
    UNITS
        .iter()
        .find(|(scale, _)| b >= *scale)
        .map(|(scale, unit)| format!("{:.1} {unit}", b / scale))
        .unwrap_or_else(|| format!("{bytes} bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_a_file_manager() {
        assert_eq!(size(0), "0 bytes");
        assert_eq!(size(999), "999 bytes");
        assert_eq!(size(51_600_000), "51.6 MB");
        assert_eq!(size(2_500_000_000), "2.5 GB");
        assert_eq!(size(u64::MAX), "18446744073.7 GB");
    }

    #[test]
    fn over_the_limit_is_refused_with_both_sizes() {
        assert_eq!(
            check(Input::Weights, "w.bpk", Input::Weights.limit()),
            Ok(())
        );
        assert_eq!(
            check(Input::Weights, "big.bpk", 2_500_000_000),
            Err("big.bpk is 2.5 GB: FeatSim reads weights files of up to 1.0 GB".into())
        );
        // Beyond 4 GiB nothing truncates: the size is a u64 throughout.
        assert!(check(Input::Image, "x.png", 5 << 30).is_err());
        assert!(check(Input::Mask, "m.png", 1 << 20).is_ok());
        assert_eq!(size(Input::Image.limit()), "150.0 MB");
        assert!(check(Input::List, "manifest.json", 2 << 20).is_err());
    }
}
