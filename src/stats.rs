//! Summary statistics of timings, shared by the page's and the command line's benches.

/// The median of `values`: the middle one, or the mean of the two middle ones for an even count;
/// order does not matter. Empty input gives NaN (there is no middle to report).
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => 0.5 * (v[n / 2 - 1] + v[n / 2]),
    }
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn median_of_odd_even_unsorted_and_empty_input() {
        assert_eq!(median(&[7.0]), 7.0);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&[10.0, -1.0, 5.0, 5.0, 0.5]), 5.0);
        assert!(median(&[]).is_nan());
    }
}
