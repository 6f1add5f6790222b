//! Medians and percentiles of measured durations, and how they are printed.

use std::time::Duration;

/// The `p`-th percentile (0–100) of `samples`, nearest-rank; `None` when there are none.
pub fn percentile(samples: &[Duration], p: f64) -> Option<Duration> {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len().max(1)) - 1).copied()
}

/// The median of `samples` (the mean of the middle two for an even count).
pub fn median(samples: &[Duration]) -> Option<Duration> {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let middle = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(sorted[middle]),
        _ => Some((sorted[middle - 1] + sorted[middle]) / 2),
    }
}

/// Milliseconds with one decimal, e.g. `"123.4 ms"`.
pub fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

/// Every sample in milliseconds, comma-separated, in the order measured.
pub fn all_ms(samples: &[Duration]) -> String {
    samples.iter().map(|d| format!("{:.0}", d.as_secs_f64() * 1000.0)).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millis(values: &[u64]) -> Vec<Duration> {
        values.iter().map(|&v| Duration::from_millis(v)).collect()
    }

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&millis(&[30, 10, 20])), Some(Duration::from_millis(20)));
        assert_eq!(median(&millis(&[40, 10, 20, 30])), Some(Duration::from_millis(25)));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let samples = millis(&(1..=20).collect::<Vec<_>>());
        assert_eq!(percentile(&samples, 50.0), Some(Duration::from_millis(10)));
        assert_eq!(percentile(&samples, 95.0), Some(Duration::from_millis(19)));
        assert_eq!(percentile(&samples, 100.0), Some(Duration::from_millis(20)));
        assert_eq!(percentile(&millis(&[7]), 95.0), Some(Duration::from_millis(7)));
        assert_eq!(percentile(&[], 50.0), None);
    }
}
