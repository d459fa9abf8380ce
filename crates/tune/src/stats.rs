//! Summaries of a sample: median, 99th percentile, and a 95% confidence interval for the
//! median.
//!
//! The interval is the distribution-free one from order statistics (the sample's own
//! values at ranks n/2 ∓ 1.96·√n/2): run times under faults are skewed and multimodal
//! (one election round or two), so no normal approximation is assumed, and nothing random
//! (no bootstrap) enters the numbers.

/// What a sample of one metric came to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    /// Sample size.
    pub n: usize,
    pub median: f64,
    /// Nearest-rank 99th percentile.
    pub p99: f64,
    /// 95% confidence interval of the median; `None` for samples too small to give one
    /// (fewer than 6 values).
    pub median_ci95: Option<(f64, f64)>,
    pub mean: f64,
    /// 95% confidence interval of the mean (normal approximation, mean ± 1.96 standard
    /// errors); `None` for fewer than 2 values. For counts that are mostly 0, where the
    /// median says nothing.
    pub mean_ci95: Option<(f64, f64)>,
}

/// 1.96: the standard normal quantile of a two-sided 95% interval.
const Z_95: f64 = 1.96;

impl Summary {
    /// Summarizes `values`; `None` when there are none.
    pub fn of(values: &[f64]) -> Option<Summary> {
        if values.is_empty() {
            return None;
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        let p99_rank = (n * 99).div_ceil(100).max(1);
        let half_width = Z_95 * (n as f64).sqrt() / 2.0;
        let lower_rank = ((n as f64) / 2.0 - half_width).floor() as i64;
        let upper_rank = (1.0 + (n as f64) / 2.0 + half_width).ceil() as i64;
        let median_ci95 = (lower_rank >= 1 && upper_rank <= n as i64).then(|| {
            (
                sorted[lower_rank as usize - 1],
                sorted[upper_rank as usize - 1],
            )
        });
        let mean = sorted.iter().sum::<f64>() / n as f64;
        let mean_ci95 = (n >= 2).then(|| {
            let variance = sorted
                .iter()
                .map(|value| (value - mean).powi(2))
                .sum::<f64>()
                / (n - 1) as f64;
            let half_width = Z_95 * (variance / n as f64).sqrt();
            (mean - half_width, mean + half_width)
        });
        Some(Summary {
            n,
            median,
            p99: sorted[p99_rank - 1],
            median_ci95,
            mean,
            mean_ci95,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_p99_of_a_known_sample() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        let summary = Summary::of(&values).unwrap();
        assert_eq!(summary.n, 100);
        assert_eq!(summary.median, 50.5);
        assert_eq!(summary.p99, 99.0);
        assert_eq!(summary.mean, 50.5);
        // Ranks 40 and 61 of 100: the textbook interval for n = 100.
        assert_eq!(summary.median_ci95, Some((40.0, 61.0)));
    }

    #[test]
    fn small_samples_have_no_interval() {
        let summary = Summary::of(&[3.0, 1.0, 2.0]).unwrap();
        assert_eq!(summary.median, 2.0);
        assert_eq!(summary.median_ci95, None);
        let (low, high) = summary.mean_ci95.unwrap();
        // Standard deviation 1, three values: 2 ± 1.96 / √3.
        assert!((low - (2.0 - 1.96 / 3f64.sqrt())).abs() < 1e-12, "{low}");
        assert!((high - (2.0 + 1.96 / 3f64.sqrt())).abs() < 1e-12, "{high}");
        assert_eq!(Summary::of(&[]), None);
    }

    #[test]
    fn the_interval_contains_the_median_and_narrows_with_more_seeds() {
        let width = |n: u32| {
            let values: Vec<f64> = (0..n).map(|i| f64::from((i * 7919) % n)).collect();
            let summary = Summary::of(&values).unwrap();
            let (low, high) = summary.median_ci95.unwrap();
            assert!(low <= summary.median && summary.median <= high);
            (high - low) / f64::from(n)
        };
        assert!(width(1000) < width(50));
    }
}
