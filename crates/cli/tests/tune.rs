//! `lockstep tune` and `lockstep merge` as a user meets them: a grid on shared seeds,
//! shards that merge into exactly what one run writes, and bad input refused.

mod common;

use common::{lockstep, scratch, text};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Three nodes; the leader crashes once the cluster is settled, for longer than any
/// election timeout of the grids below.
fn leader_crash_scenario(directory: &Path) -> PathBuf {
    let path = directory.join("leader-crash.toml");
    std::fs::write(
        &path,
        "name = \"leader-crash\"\nduration_ms = 16000\n[cluster]\nnodes = 3\n[workload]\nclients = 2\n[[faults]]\nat_ms = 7000\nkind = \"crash\"\nnode = \"leader\"\nfor_ms = 8000\n",
    )
    .unwrap();
    path
}

fn results(directory: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(directory.join("results.json")).unwrap()).unwrap()
}

/// The median failover of a cell, from its runs' numbers.
fn median_failover_us(results: &serde_json::Value, cell: usize) -> u64 {
    let mut failovers: Vec<u64> = results["cells"][cell]["runs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|run| run["failover_us"].as_array().unwrap().clone())
        .map(|value| value.as_u64().unwrap())
        .collect();
    failovers.sort_unstable();
    failovers[failovers.len() / 2]
}

#[test]
fn four_shards_merged_are_byte_for_byte_one_unsharded_tune() {
    let directory = scratch("tune-shards");
    let scenario = leader_crash_scenario(&directory);
    let scenario = scenario.to_str().unwrap();
    let grid = [
        "--set",
        "election_timeout_ms=300,3000",
        "--set",
        "lease_ttl_s=2",
        "--seeds",
        "0..6",
    ];
    let whole = directory.join("whole");
    let mut args = vec!["tune", scenario, "--out", whole.to_str().unwrap()];
    args.extend_from_slice(&grid);
    let output = lockstep(&args);
    assert_eq!(
        output.status.code(),
        Some(2),
        "lease_ttl_s without leases: {}",
        text(&output.stderr)
    );
    assert!(
        text(&output.stderr).contains("lease_ttl_s"),
        "{}",
        text(&output.stderr)
    );

    let grid = &grid[..2]
        .iter()
        .chain(&grid[4..])
        .copied()
        .collect::<Vec<_>>();
    let mut args = vec!["tune", scenario, "--out", whole.to_str().unwrap()];
    args.extend_from_slice(grid);
    let output = lockstep(&args);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    // Standard error is not a terminal here: no progress bar.
    assert!(
        !text(&output.stderr).contains("runs/s"),
        "{}",
        text(&output.stderr)
    );
    assert!(text(&output.stdout).contains("2 cells × 6 seeds = 12 runs"));
    for file in ["results.json", "summary.md", "failover_s.svg"] {
        assert!(whole.join(file).is_file(), "{file}");
    }

    let mut shards = Vec::new();
    for index in 0..4 {
        let shard = directory.join(format!("shard-{index}"));
        let flag = format!("{index}/4");
        let mut args = vec![
            "tune",
            scenario,
            "--out",
            shard.to_str().unwrap(),
            "--shard",
            &flag,
        ];
        args.extend_from_slice(grid);
        let output = lockstep(&args);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        shards.push(shard);
    }
    // Shard 0 of 4 holds seeds 0 and 4.
    let seeds: Vec<u64> = results(&shards[0])["cells"][0]["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|run| run["seed"].as_u64().unwrap())
        .collect();
    assert_eq!(seeds, [0, 4]);

    let merged = directory.join("merged");
    let mut args = vec!["merge", "--out", merged.to_str().unwrap()];
    let names: Vec<String> = shards
        .iter()
        .rev()
        .map(|s| s.display().to_string())
        .collect();
    args.extend(names.iter().map(String::as_str));
    let output = lockstep(&args);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        std::fs::read(merged.join("results.json")).unwrap(),
        std::fs::read(whole.join("results.json")).unwrap(),
        "merged shards differ from the unsharded run"
    );

    // Three shards of four are not the whole tune.
    let output = lockstep(&[
        "merge",
        "--out",
        merged.to_str().unwrap(),
        &names[0],
        &names[1],
        &names[2],
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("missing shards: 0/4"),
        "{}",
        text(&output.stderr)
    );
    // The same shard twice is refused.
    let output = lockstep(&["merge", &names[0], &names[0], &names[1], &names[2]]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("are both shard"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn a_longer_election_timeout_gives_a_longer_failover() {
    let directory = scratch("tune-trend");
    let scenario = leader_crash_scenario(&directory);
    let out = directory.join("out");
    let output = lockstep(&[
        "tune",
        scenario.to_str().unwrap(),
        "--set",
        "election_timeout_ms=300,1000,3000",
        "--seeds",
        "0..5",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let results = results(&out);
    let medians: Vec<u64> = (0..3)
        .map(|cell| median_failover_us(&results, cell))
        .collect();
    // A new leader needs at least one election timeout (randomized in [1, 2) timeouts).
    assert!(
        medians[0] >= 300_000 && medians[0] < 1_000_000,
        "{medians:?}"
    );
    assert!(
        medians[1] >= 1_000_000 && medians[1] < 2_500_000,
        "{medians:?}"
    );
    assert!(medians[2] >= 3_000_000, "{medians:?}");
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        summary.contains("| election_timeout_ms | n | median"),
        "{summary}"
    );
}

#[test]
fn bad_grids_and_shards_exit_2_naming_the_flag() {
    let cases: [(&[&str], &str); 5] = [
        (&["--set", "election_timeout_ms=300,300"], "listed twice"),
        (
            &[
                "--set",
                "heartbeat_ms=300",
                "--set",
                "election_timeout_ms=1000",
            ],
            "whole number",
        ),
        (&["--set", "cluster.no_such_field=1,2"], "no_such_field"),
        (&["--shard", "4/4"], "--shard"),
        (&["--set", "cluster.nodes=3,0"], "cluster.nodes"),
    ];
    for (flags, expected) in cases {
        let mut args = vec!["tune", "scenarios/smoke.toml", "--seeds", "0..2"];
        args.extend_from_slice(flags);
        let output = lockstep(&args);
        assert_eq!(output.status.code(), Some(2), "{flags:?}");
        assert!(
            text(&output.stderr).contains(expected),
            "{flags:?}: {}",
            text(&output.stderr)
        );
    }
    let directory = scratch("tune-bad-merge");
    std::fs::write(directory.join("results.json"), "{\n\"header\": 7\n}\n").unwrap();
    let output = lockstep(&["merge", directory.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("line 2"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn a_study_is_the_reading_above_the_generated_tables_with_charts_beside_it() {
    let directory = scratch("tune-study");
    let scenario = leader_crash_scenario(&directory);
    let preface = directory.join("reading.md");
    std::fs::write(&preface, "# A study\n\nShort timeouts fail over sooner.\n").unwrap();
    let study = directory.join("study.md");
    let output = lockstep(&[
        "tune",
        scenario.to_str().unwrap(),
        "--set",
        "election_timeout_ms=300,1000",
        "--seeds",
        "0..2",
        "--out",
        directory.join("study").to_str().unwrap(),
        "--summary",
        study.to_str().unwrap(),
        "--preface",
        preface.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let study = std::fs::read_to_string(&study).unwrap();
    assert!(
        study.starts_with("# A study\n\nShort timeouts fail over sooner.\n"),
        "{study}"
    );
    assert!(study.contains("](study/failover_s.svg)"), "{study}");
    assert!(directory.join("study/failover_s.svg").is_file());
    assert!(!directory.join("study/summary.md").exists());
}

/// On a terminal the progress bar is drawn (and nowhere else: the other tests run with
/// standard error piped and check it stays quiet). The terminal is `script`'s
/// pseudo-terminal, part of util-linux on every Debian-like system; without it there is
/// no terminal to test on, which the test says.
#[test]
fn the_progress_bar_is_drawn_on_a_terminal() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("no `script` here to give lockstep a terminal; progress bar not tested");
        return;
    }
    let directory = scratch("tune-terminal");
    let scenario = leader_crash_scenario(&directory);
    let command = format!(
        "{} tune {} --set election_timeout_ms=300,1000 --seeds 0..3 --out {}",
        env!("CARGO_BIN_EXE_lockstep"),
        scenario.display(),
        directory.join("out").display()
    );
    let typescript = directory.join("typescript");
    let output = Command::new("script")
        .args(["-qfec", &command])
        .arg(&typescript)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let screen = std::fs::read_to_string(&typescript).unwrap();
    assert!(
        screen.contains("2/2 cells · 6/6 runs") && screen.contains("left"),
        "{screen}"
    );
}
