//! The metrics a tune reports, each with its unit and how its sample is drawn from a
//! cell's runs: one value per run, or one per event (a failover, a lock hand-over) pooled
//! over every run of the cell.

use crate::metrics::RunMetrics;
use crate::results::CellResults;
use crate::stats::Summary;

/// Which statistic of a sample a chart plots, with its 95% confidence interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Statistic {
    Median,
    Mean,
}

impl Statistic {
    /// The statistic's value and its interval in `summary`.
    pub fn of(self, summary: &Summary) -> (f64, Option<(f64, f64)>) {
        match self {
            Statistic::Median => (summary.median, summary.median_ci95),
            Statistic::Mean => (summary.mean, summary.mean_ci95),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Statistic::Median => "median",
            Statistic::Mean => "mean",
        }
    }
}

/// One reported metric.
pub struct Metric {
    /// File-name-safe key: names its chart (`failover_s.svg`).
    pub key: &'static str,
    pub title: &'static str,
    pub unit: &'static str,
    /// How the sample is made and what it means, for the summary's readers.
    pub explanation: &'static str,
    /// The run's contribution to the sample, in `unit`.
    pub values: fn(&RunMetrics) -> Vec<f64>,
    /// What its chart plots: the median, or (for counts that are mostly 0) the mean.
    pub charted: Statistic,
    /// The axis its chart puts across when the grid has it (else the grid's first): what
    /// the metric is mostly a function of.
    pub chart_across: Option<&'static str>,
}

const US_PER_S: f64 = 1e6;
const US_PER_MS: f64 = 1e3;
const US_PER_MIN: f64 = 60e6;

fn seconds(us: &[u64]) -> Vec<f64> {
    us.iter().map(|&us| us as f64 / US_PER_S).collect()
}

fn per_minute(count: u64, run: &RunMetrics) -> Vec<f64> {
    if run.observed_us == 0 {
        return Vec::new();
    }
    vec![count as f64 * US_PER_MIN / run.observed_us as f64]
}

fn per_thousand_acquisitions(count: u64, run: &RunMetrics) -> Vec<f64> {
    if run.lock_acquisitions == 0 {
        return Vec::new();
    }
    vec![count as f64 * 1000.0 / run.lock_acquisitions as f64]
}

/// Every metric, in the order the summary lists them.
pub const METRICS: &[Metric] = &[
    Metric {
        key: "failover_s",
        title: "Failover time",
        unit: "s",
        explanation: "from a fault that made the leader unreachable (crash, pause, freeze, clog, isolation in a minority) to the first successful write a new leader committed; one value per such fault, pooled over seeds",
        values: |run| seconds(&run.failover_us),
        charted: Statistic::Median,
        chart_across: None,
    },
    Metric {
        key: "election_rounds",
        title: "Election rounds per failover",
        unit: "terms",
        explanation: "per completed failover, the term of the leader at the first successful write minus the term of the leader lost: 0 when the lost leader came back before anyone was elected (a pause shorter than the election timeout), 1 for one election, 2 or more when a round failed (a split vote, or a survivor inside check-quorum's leader lease ignored the candidate); with pre-vote, failed pre-votes take no term",
        values: |run| run.election_rounds.iter().map(|&rounds| rounds as f64).collect(),
        charted: Statistic::Mean,
        chart_across: Some("election_timeout_ms"),
    },
    Metric {
        key: "second_round_share",
        title: "Failovers needing a second election round",
        unit: "share of failovers",
        explanation: "1 for a completed failover that took two or more election rounds, 0 for one that took at most one; the mean column (and the chart) is the share",
        values: |run| {
            run.election_rounds
                .iter()
                .map(|&rounds| if rounds >= 2 { 1.0 } else { 0.0 })
                .collect()
        },
        charted: Statistic::Mean,
        chart_across: Some("election_timeout_ms"),
    },
    Metric {
        key: "write_unavailable_s",
        title: "Write unavailability",
        unit: "s per run",
        explanation: "total time, per run, in stretches during which a write was waiting and none succeeded, counting only stretches longer than 100 ms and three times the run's median write latency (what an ordinary request takes is no outage)",
        values: |run| vec![run.write_unavailable_us as f64 / US_PER_S],
        charted: Statistic::Median,
        chart_across: None,
    },
    Metric {
        key: "read_unavailable_s",
        title: "Linearizable-read unavailability",
        unit: "s per run",
        explanation: "the same, for linearizable reads",
        values: |run| vec![run.read_unavailable_us as f64 / US_PER_S],
        charted: Statistic::Median,
        chart_across: None,
    },
    Metric {
        key: "elections_per_min",
        title: "Leader churn",
        unit: "elections per simulated minute",
        explanation: "leaders elected after the first, per minute of the safety phase",
        values: |run| per_minute(run.elections, run),
        charted: Statistic::Median,
        chart_across: None,
    },
    Metric {
        key: "needless_elections_per_min",
        title: "Needless elections",
        unit: "elections per simulated minute",
        explanation: "elections with no fault under way and none undone within two election timeouts: the cluster flapped on its own",
        values: |run| per_minute(run.needless_elections, run),
        charted: Statistic::Mean,
        chart_across: None,
    },
    Metric {
        key: "handover_s",
        title: "Lock hand-over latency",
        unit: "s",
        explanation: "from the pause of a lock's holder to the next acquisition of that lock by another client; one value per such pause, pooled over seeds",
        values: |run| seconds(&run.handover_us),
        charted: Statistic::Median,
        chart_across: Some("lease_ttl_s"),
    },
    Metric {
        key: "spurious_expiries",
        title: "Spurious lease expiries",
        unit: "per run",
        explanation: "leases expired while their holder was alive and renewing (it sent a keep-alive within the TTL before the expiry that no answer acknowledged)",
        values: |run| vec![run.spurious_lease_expiries as f64],
        charted: Statistic::Mean,
        chart_across: Some("lease_ttl_s"),
    },
    Metric {
        key: "overlapping_per_1000",
        title: "Overlapping lock acquisitions",
        unit: "per 1,000 acquisitions",
        explanation: "acquisitions made while another client still believed it held the same lock (a holder paused past its session's TTL); per run",
        values: |run| per_thousand_acquisitions(run.overlapping_acquisitions, run),
        charted: Statistic::Mean,
        chart_across: Some("lease_ttl_s"),
    },
    Metric {
        key: "lost_writes_per_1000",
        title: "Lost writes to the locked resource",
        unit: "per 1,000 acquisitions",
        explanation: "updates to the lock-protected resource lost to a write based on a stale read, plus writes accepted with a stale token; per run. Fencing must keep this at 0",
        values: |run| per_thousand_acquisitions(run.lost_resource_writes, run),
        charted: Statistic::Mean,
        chart_across: Some("lease_ttl_s"),
    },
    Metric {
        key: "lease_expiry_s",
        title: "Lease expiry after the last renewal",
        unit: "s",
        explanation: "per lease the leader expired, from the send of its last acknowledged grant or keep-alive to the expiry: the TTL plus what the cluster added (leader changes, the lessor's checks, the revoke's commit); pooled over seeds",
        values: |run| seconds(&run.lease_expiry_us),
        charted: Statistic::Median,
        chart_across: Some("lease_ttl_s"),
    },
    Metric {
        key: "lease_expiry_from_promotion_s",
        title: "Lease expiry after a new leader's promotion",
        unit: "s",
        explanation: "per lease expired by a leader promoted after the lease's last acknowledged renewal, from that promotion to the expiry: near TTL + election timeout when a new leader restarts leases in full (no checkpoints), less when it resumes them from a checkpoint",
        values: |run| seconds(&run.lease_expiry_from_promotion_us),
        charted: Statistic::Median,
        chart_across: Some("lease_ttl_s"),
    },
    Metric {
        key: "overlapping_acquisitions",
        title: "Overlapping lock acquisitions",
        unit: "per run",
        explanation: "acquisitions made while another client's critical section on the same lock was still open: what a pause of a holder longer than its session's TTL costs without fencing",
        values: |run| vec![run.overlapping_acquisitions as f64],
        charted: Statistic::Mean,
        chart_across: Some("lease_ttl_s"),
    },
    Metric {
        key: "read_p50_ms",
        title: "Read latency, median",
        unit: "ms",
        explanation: "each run's median latency of successful linearizable reads",
        values: |run| run.read_latency_us.map(|p| p.p50 as f64 / US_PER_MS).into_iter().collect(),
        charted: Statistic::Median,
        chart_across: None,
    },
    Metric {
        key: "read_p99_ms",
        title: "Read latency, p99",
        unit: "ms",
        explanation: "each run's 99th-percentile latency of successful linearizable reads",
        values: |run| run.read_latency_us.map(|p| p.p99 as f64 / US_PER_MS).into_iter().collect(),
        charted: Statistic::Median,
        chart_across: None,
    },
    Metric {
        key: "write_p50_ms",
        title: "Write latency, median",
        unit: "ms",
        explanation: "each run's median latency of successful writes",
        values: |run| run.write_latency_us.map(|p| p.p50 as f64 / US_PER_MS).into_iter().collect(),
        charted: Statistic::Median,
        chart_across: None,
    },
    Metric {
        key: "write_p99_ms",
        title: "Write latency, p99",
        unit: "ms",
        explanation: "each run's 99th-percentile latency of successful writes",
        values: |run| run.write_latency_us.map(|p| p.p99 as f64 / US_PER_MS).into_iter().collect(),
        charted: Statistic::Median,
        chart_across: None,
    },
];

impl Metric {
    /// The metric's sample over a cell's runs, summarized; `None` when no run gave a value.
    pub fn summarize(&self, cell: &CellResults) -> Option<Summary> {
        let values: Vec<f64> = cell.runs.iter().flat_map(self.values).collect();
        Summary::of(&values)
    }
}
