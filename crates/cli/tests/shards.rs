//! `lockstep sweep --shard`, `lockstep hunt --shard` and `lockstep merge` of sweeps as a
//! user meets them: shards that merge into exactly what one sweep writes, incomplete or
//! mixed sets of shards refused, and a hunt that keeps to its shard's seeds.

mod common;

use common::{lockstep, scratch, text};
use std::path::{Path, PathBuf};
use std::process::Output;

/// Three nodes and a liveness bound of 1 ms, which `--set liveness.timeout_ms=50` relaxes
/// to one some seeds meet and others miss: the merged results must put failures and
/// passes back in their places, and replay commands must repeat the flag.
fn tight_liveness_scenario(directory: &Path) -> PathBuf {
    let path = directory.join("tight.toml");
    std::fs::write(
        &path,
        "duration_ms = 2000\n[cluster]\nnodes = 3\n[liveness]\ntimeout_ms = 1\n",
    )
    .unwrap();
    path
}

const SET: &str = "liveness.timeout_ms=50";

fn sweep(scenario: &Path, out: &Path, reports: &Path, shard: Option<&str>) -> Output {
    let mut args = vec!["sweep", scenario.to_str().unwrap(), "--seeds", "0..7"];
    args.extend(["--jobs", "2", "--set", SET, "--out", out.to_str().unwrap()]);
    args.extend(["--reports", reports.to_str().unwrap()]);
    if let Some(shard) = shard {
        args.extend(["--shard", shard]);
    }
    lockstep(&args)
}

#[test]
fn four_sweep_shards_merged_are_byte_for_byte_one_unsharded_sweep() {
    let directory = scratch("sweep-shards");
    let scenario = tight_liveness_scenario(&directory);
    let reports = directory.join("reports");
    let whole = directory.join("whole");
    let output = sweep(&scenario, &whole, &reports, None);
    let printed = text(&output.stdout);
    assert!(
        printed.contains(&format!("results: {}/results.json", whole.display())),
        "{printed}"
    );
    let whole_json = std::fs::read_to_string(whole.join("results.json")).unwrap();
    assert!(whole_json.starts_with("{\n\"header\": {\n  \"format\": \"lockstep-sweep/1\""));
    assert!(whole_json.contains("\"sets\": [\n    \"liveness.timeout_ms=50\"\n  ]"));
    assert_eq!(whole_json.matches("{\"seed\":").count(), 7, "{whole_json}");
    let summary = std::fs::read_to_string(whole.join("summary.md")).unwrap();
    let failed = whole_json
        .matches("\"failed_checks\":[\"liveness\"],\"exit\":3")
        .count();
    assert!(
        failed > 0 && failed < 7,
        "some seeds pass, some fail: {whole_json}"
    );
    assert_eq!(output.status.code(), Some(3), "{printed}");
    assert!(
        summary.contains(&format!(
            "**{} passed, {failed} failed** of 7 seeds",
            7 - failed
        )),
        "{summary}"
    );
    assert!(
        summary.contains(&format!("run {} --seed ", scenario.display()))
            && summary.contains("--set liveness.timeout_ms=50"),
        "{summary}"
    );

    let mut shards = Vec::new();
    for index in 0..4 {
        let shard = directory.join(format!("shard-{index}"));
        let output = sweep(&scenario, &shard, &reports, Some(&format!("{index}/4")));
        let printed = text(&output.stdout);
        assert!(
            printed.contains(&format!("sweeping tight: shard {index}/4, seeds {index}")),
            "{printed}"
        );
        // Progress lines name the shard (standard error is not a terminal here).
        assert!(
            text(&output.stderr).contains(&format!("shard {index}/4: ")),
            "{}",
            text(&output.stderr)
        );
        shards.push(shard.display().to_string());
    }
    let shard_1 = std::fs::read_to_string(Path::new(&shards[1]).join("results.json")).unwrap();
    assert!(shard_1.contains("\"shard\": {\"index\":1,\"count\":4}"));
    assert!(shard_1.contains("{\"seed\":1,") && shard_1.contains("{\"seed\":5,"));
    assert_eq!(shard_1.matches("{\"seed\":").count(), 2);

    let merged = directory.join("merged");
    let mut args = vec!["merge", "--out", merged.to_str().unwrap()];
    args.extend(shards.iter().rev().map(String::as_str));
    let output = lockstep(&args);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("merged 4 shards of a sweep: 7 seeds"));
    assert_eq!(
        std::fs::read_to_string(merged.join("results.json")).unwrap(),
        whole_json,
        "merged shards differ from the unsharded sweep"
    );
    let merged_summary = std::fs::read_to_string(merged.join("summary.md")).unwrap();
    let body = |summary: &str| summary.lines().skip(3).collect::<Vec<_>>().join("\n");
    assert_eq!(
        body(&merged_summary),
        body(&summary),
        "only the command differs"
    );

    let refused = [
        (
            vec![&shards[0], &shards[1], &shards[3]],
            "missing shards: 2/4",
        ),
        (
            vec![&shards[0], &shards[1], &shards[2], &shards[2], &shards[3]],
            "are both shard 2/4",
        ),
    ];
    for (inputs, expected) in refused {
        let mut args = vec!["merge", "--out", merged.to_str().unwrap()];
        args.extend(inputs.iter().map(|name| name.as_str()));
        let output = lockstep(&args);
        assert_eq!(output.status.code(), Some(2), "{inputs:?}");
        assert!(
            text(&output.stderr).contains(expected),
            "{inputs:?}: {}",
            text(&output.stderr)
        );
    }

    // An unsharded sweep is not a shard, and a tune's shard is not a sweep's.
    let output = lockstep(&["merge", whole.to_str().unwrap(), &shards[0]]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("not a shard"),
        "{}",
        text(&output.stderr)
    );
    let tune = directory.join("tune");
    let output = lockstep(&[
        "tune",
        "scenarios/smoke.toml",
        "--seeds",
        "0..2",
        "--shard",
        "1/4",
        "--out",
        tune.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let output = lockstep(&["merge", &shards[0], tune.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let message = text(&output.stderr);
    assert!(
        message.contains("different kinds")
            && message.contains(&format!(
                "{}/results.json is \"lockstep-sweep/1\"",
                shards[0]
            ))
            && message.contains("\"lockstep-tune/1\""),
        "{message}"
    );
}

#[test]
fn a_sharded_hunt_tries_only_its_shards_seeds() {
    let reports = scratch("hunt-shards");
    let output = lockstep(&[
        "hunt",
        "scenarios/lease-skew.toml",
        "--seeds",
        "10..17",
        "--shard",
        "2/3",
        "--jobs",
        "2",
        "--reports",
        reports.to_str().unwrap(),
    ]);
    let printed = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{printed}");
    assert!(
        printed.contains("hunting in lease-skew: shard 2/3, seeds 12, 15 of 10..17"),
        "{printed}"
    );
    assert!(
        printed.contains("no failure in 2 seeds of shard 2/3 (seeds 12, 15 of 10..17)"),
        "{printed}"
    );

    let output = lockstep(&[
        "hunt",
        "scenarios/lease-skew.toml",
        "--bug",
        "client-deadline-from-receipt",
        "--shard",
        "1/3",
        "--jobs",
        "1",
        "--reports",
        reports.to_str().unwrap(),
    ]);
    let printed = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{printed}");
    let found = printed
        .lines()
        .find(|line| line.starts_with("found a failure in shard 1/3: seed "))
        .unwrap_or_else(|| panic!("{printed}"));
    let seed: u64 = found["found a failure in shard 1/3: seed ".len()..]
        .split(',')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(seed % 3, 1, "{found}");
}

#[test]
fn a_shard_with_no_seeds_or_a_bad_shard_exits_2() {
    for (args, expected) in [
        (["--seeds", "0..2", "--shard", "3/4"], "no seed of 0..2"),
        (["--seeds", "0..2", "--shard", "4/4"], "--shard \"4/4\""),
    ] {
        for command in ["sweep", "hunt"] {
            let mut all = vec![command, "scenarios/smoke.toml"];
            all.extend_from_slice(&args);
            let output = lockstep(&all);
            assert_eq!(output.status.code(), Some(2), "{all:?}");
            assert!(
                text(&output.stderr).contains(expected),
                "{all:?}: {}",
                text(&output.stderr)
            );
        }
    }
}
