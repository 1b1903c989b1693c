//! Summary statistics for benchmark samples: medians of timed batches and
//! latency percentiles. Nearest-rank, so every reported number is one that was
//! actually measured rather than an interpolation between two.

/// The `p`-th percentile (0 < p ≤ 100) of `sorted` by nearest rank: the smallest
/// sample with at least p % of the samples at or below it. `None` when empty.
pub fn percentile<T: Copy + PartialOrd>(sorted: &[T], p: f64) -> Option<T> {
    debug_assert!(p > 0.0 && p <= 100.0, "percentile {p} out of (0, 100]");
    debug_assert!(sorted.windows(2).all(|pair| pair[0] <= pair[1]), "unsorted");
    if sorted.is_empty() {
        return None;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// The median of `samples` (the mean of the middle two for an even count); `None`
/// when empty or when a sample is NaN.
pub fn median(samples: &[f64]) -> Option<f64> {
    if samples.is_empty() || samples.iter().any(|sample| sample.is_nan()) {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    Some(if sorted.len() % 2 == 1 {
        sorted[middle]
    } else {
        (sorted[middle - 1] + sorted[middle]) / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles_are_measured_samples() {
        let samples: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&samples, 50.0), Some(50));
        assert_eq!(percentile(&samples, 99.0), Some(99));
        assert_eq!(percentile(&samples, 100.0), Some(100));
        assert_eq!(percentile(&[7u64], 1.0), Some(7));
        // 3 samples: p50 is rank ceil(1.5) = 2, p99 is rank ceil(2.97) = 3.
        assert_eq!(percentile(&[10u64, 20, 30], 50.0), Some(20));
        assert_eq!(percentile(&[10u64, 20, 30], 99.0), Some(30));
    }

    #[test]
    fn no_percentile_of_nothing() {
        assert_eq!(percentile::<u64>(&[], 50.0), None);
    }

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        // One slow outlier batch does not move it.
        assert_eq!(median(&[1.0, 1.0, 50.0]), Some(1.0));
    }

    #[test]
    fn no_median_of_nothing_or_nan() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[1.0, f64::NAN]), None);
    }
}
