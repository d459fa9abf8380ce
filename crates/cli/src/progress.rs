//! The progress bar of long runs: drawn on standard error when it is a terminal, in place,
//! a few times a second; nothing at all otherwise, so logs and CI output stay clean.

use std::io::{IsTerminal, Write};
use std::time::Duration;

/// How often the bar is redrawn at most.
const REDRAW_EVERY: Duration = Duration::from_millis(200);

/// Width of the bar itself, in characters.
const BAR_WIDTH: usize = 24;

/// Progress through a grid of cells × seeds.
pub struct Progress {
    total: usize,
    seeds_per_cell: usize,
    done: usize,
    done_per_cell: Vec<usize>,
    interactive: bool,
    drawn_at: Option<Duration>,
}

impl Progress {
    pub fn new(total: usize, cells: usize, seeds_per_cell: usize) -> Progress {
        Progress {
            total,
            seeds_per_cell,
            done: 0,
            done_per_cell: vec![0; cells],
            interactive: std::io::stderr().is_terminal(),
            drawn_at: None,
        }
    }

    /// A run of `cell` finished, `elapsed` after the start.
    pub fn one_done(&mut self, cell: usize, elapsed: Duration) {
        self.done += 1;
        self.done_per_cell[cell] += 1;
        let due = self
            .drawn_at
            .is_none_or(|drawn| elapsed.saturating_sub(drawn) >= REDRAW_EVERY);
        if self.interactive && (due || self.done == self.total) {
            self.drawn_at = Some(elapsed);
            eprint!("\r\x1b[K{}", self.line(elapsed));
            let _ = std::io::stderr().flush();
        }
    }

    /// Ends the bar's line, if one was drawn.
    pub fn finish(&self) {
        if self.interactive && self.drawn_at.is_some() {
            eprintln!();
        }
    }

    /// `[#####-----] 3/18 cells · 812/9000 runs · 21.4 runs/s · 6m12s left`.
    fn line(&self, elapsed: Duration) -> String {
        let cells_done = self
            .done_per_cell
            .iter()
            .filter(|&&done| done == self.seeds_per_cell)
            .count();
        let filled = BAR_WIDTH * self.done / self.total.max(1);
        let rate = self.done as f64 / elapsed.as_secs_f64().max(1e-9);
        let left_s = (self.total - self.done) as f64 / rate.max(1e-9);
        format!(
            "[{}{}] {cells_done}/{} cells · {}/{} runs · {rate:.1} runs/s · {} left",
            "#".repeat(filled),
            "-".repeat(BAR_WIDTH - filled),
            self.done_per_cell.len(),
            self.done,
            self.total,
            minutes_seconds(left_s)
        )
    }
}

/// `6m12s`, or `42s` under a minute.
fn minutes_seconds(seconds: f64) -> String {
    let whole = seconds.round() as u64;
    if whole >= 60 {
        format!("{}m{:02}s", whole / 60, whole % 60)
    } else {
        format!("{whole}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_counts_cells_runs_and_time_left() {
        let mut progress = Progress::new(6, 3, 2);
        progress.interactive = false;
        for cell in [0, 0, 1] {
            progress.one_done(cell, Duration::from_secs(1));
        }
        assert_eq!(
            progress.line(Duration::from_secs(3)),
            "[############------------] 1/3 cells · 3/6 runs · 1.0 runs/s · 3s left"
        );
        assert_eq!(minutes_seconds(372.0), "6m12s");
    }
}
