//! The `lockstep` binary as a user meets it: output, reports, exit codes, bad input.

mod common;

use common::{lockstep, repository, scratch};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn run_prints_the_seed_first_and_writes_a_report() {
    let reports = scratch("run-report");
    let output = lockstep(&[
        "run",
        "scenarios/smoke.toml",
        "--seed",
        "5",
        "--reports",
        reports.to_str().unwrap(),
    ]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}{}", stderr(&output));
    assert_eq!(text.lines().next(), Some("seed: 5"), "{text}");
    assert!(text.contains("linearizable: ok"), "{text}");
    let directory = reports.join("smoke/5");
    for file in [
        "scenario.toml",
        "history.json",
        "verdict.json",
        "summary.md",
    ] {
        assert!(directory.join(file).is_file(), "missing {file}");
    }
    // The report's scenario replays the run by itself: same history, byte for byte.
    let again = scratch("run-report-replay");
    let replay = lockstep(&[
        "run",
        directory.join("scenario.toml").to_str().unwrap(),
        "--reports",
        again.to_str().unwrap(),
    ]);
    assert_eq!(stdout(&replay).lines().next(), Some("seed: 5"));
    assert_eq!(
        std::fs::read(directory.join("history.json")).unwrap(),
        std::fs::read(again.join("smoke/5/history.json")).unwrap()
    );
}

#[test]
fn two_processes_give_byte_identical_histories() {
    let (a, b) = (scratch("process-a"), scratch("process-b"));
    for reports in [&a, &b] {
        let output = lockstep(&[
            "run",
            "scenarios/crashes.toml",
            "--seed",
            "9",
            "--reports",
            reports.to_str().unwrap(),
        ]);
        assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    }
    let history_a = std::fs::read(a.join("crashes/9/history.json")).unwrap();
    let history_b = std::fs::read(b.join("crashes/9/history.json")).unwrap();
    assert!(history_a.len() > 10_000);
    assert!(
        history_a == history_b,
        "the two processes recorded different histories"
    );
}

#[test]
fn check_finds_a_flipped_read_and_exits_1() {
    let reports = scratch("check-flipped");
    let run = lockstep(&[
        "run",
        "scenarios/partitions.toml",
        "--seed",
        "3",
        "--reports",
        reports.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", stdout(&run));
    let file = reports.join("partitions/3/history.json");
    let ok = lockstep(&["check", file.to_str().unwrap()]);
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));

    // Change the answer of the first read that saw a value.
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let line = lines
        .iter_mut()
        .find(|line| line.contains(r#""outcome":{"ok":{"op":"get","value":"c"#))
        .expect("a read that saw a value");
    let start = line.find(r#""value":"c"#).unwrap() + r#""value":""#.len();
    let end = start + line[start..].find('"').unwrap();
    line.replace_range(start..end, "flipped");
    std::fs::write(&file, lines.join("\n")).unwrap();

    let timeline = reports.join("flipped.html");
    let flipped = lockstep(&[
        "check",
        reports.join("partitions/3").to_str().unwrap(),
        "--html",
        timeline.to_str().unwrap(),
    ]);
    let text = stdout(&flipped);
    assert_eq!(flipped.status.code(), Some(1), "{text}");
    assert!(text.contains("linearizable: VIOLATION"), "{text}");
    let html = std::fs::read_to_string(&timeline).unwrap();
    assert!(
        html.contains("stuck"),
        "the timeline marks the offending operation"
    );
    assert!(
        html.contains("flipped"),
        "the timeline shows the tampered value"
    );
}

#[test]
fn a_bad_scenario_names_file_line_and_field_and_exits_2() {
    let directory = scratch("bad-scenario");
    let file = directory.join("bad.toml");
    std::fs::write(&file, "duration_ms = 1000\n[cluster]\nnodes = 40\n").unwrap();
    let output = lockstep(&["run", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("bad.toml:3:9: field `cluster.nodes`"),
        "{message}"
    );
    assert!(!message.contains("panicked"), "{message}");
}

#[test]
fn bad_arguments_exit_2_without_panicking() {
    let cases: [&[&str]; 5] = [
        &["sweep", "scenarios/smoke.toml", "--seeds", "9..1"],
        &["run", "scenarios/smoke.toml", "--seed", "minus-one"],
        &["run", "scenarios/no-such-file.toml"],
        &["check", "no/such/history.json"],
        &["frobnicate"],
    ];
    for args in cases {
        let output = lockstep(args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            !stderr(&output).contains("panicked"),
            "{args:?}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn a_malformed_history_names_its_line() {
    let directory = scratch("bad-history");
    let file = directory.join("history.json");
    std::fs::write(&file, "{\"format\":\"lockstep-history/1\",\"scenario\":\"x\",\"seed\":1,\n\"ops\":[\n{\"id\":0}\n]}").unwrap();
    let output = lockstep(&["check", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("history.json:3:"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn sweep_runs_every_seed_and_says_so() {
    let reports = scratch("sweep");
    let output = lockstep(&[
        "sweep",
        "scenarios/crashes.toml",
        "--seeds",
        "0..6",
        "--jobs",
        "2",
        "--reports",
        reports.to_str().unwrap(),
    ]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("all 6 seeds passed"), "{text}");
}

#[test]
fn help_explains_the_commands() {
    let output = lockstep(&["--help"]);
    let text = stdout(&output);
    for word in ["run", "sweep", "check", "Exit codes"] {
        assert!(text.contains(word), "{text}");
    }
}

/// A liveness bound of 1 ms cannot be met: a real failure, with the replay command.
fn impossible_liveness_scenario(test: &str) -> PathBuf {
    let directory = scratch(&format!("{test}-scenario"));
    let file = directory.join("impatient.toml");
    std::fs::write(
        &file,
        "duration_ms = 2000\n[cluster]\nnodes = 3\n[liveness]\ntimeout_ms = 1\n",
    )
    .unwrap();
    file
}

#[test]
fn a_failing_run_prints_the_replay_command_and_exits_3() {
    let file = impossible_liveness_scenario("failing-run");
    let reports = scratch("failing-run-reports");
    let output = lockstep(&[
        "run",
        file.to_str().unwrap(),
        "--seed",
        "4",
        "--reports",
        reports.to_str().unwrap(),
    ]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(3), "{text}");
    assert!(
        text.contains("liveness: FAILED") || text.contains("liveness: VIOLATION"),
        "{text}"
    );
    let replay = text
        .lines()
        .find(|line| line.starts_with("replay: "))
        .expect("a replay line");
    assert!(
        replay.ends_with(&format!("run {} --seed 4", file.display())),
        "{replay}"
    );
}

#[test]
fn a_failing_sweep_lists_each_failing_seed_with_its_replay_command() {
    let file = impossible_liveness_scenario("failing-sweep");
    let reports = scratch("failing-sweep-reports");
    let output = lockstep(&[
        "sweep",
        file.to_str().unwrap(),
        "--seeds",
        "0..3",
        "--reports",
        reports.to_str().unwrap(),
    ]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(3), "{text}");
    for seed in 0..3 {
        assert!(text.contains(&format!("seed {seed} FAILED")), "{text}");
        assert!(text.contains(&format!("--seed {seed}")), "{text}");
        assert!(reports
            .join(format!("impatient/{seed}/history.json"))
            .is_file());
    }
}

/// Porcupine's test data, vendored in the check crate.
fn porcupine(path: &str) -> String {
    format!("crates/check/tests/fixtures/porcupine/{path}")
}

#[test]
fn check_reads_jepsen_and_edn_histories_and_gives_their_verdicts() {
    let linearizable = lockstep(&[
        "check",
        &porcupine("jepsen/etcd_002.log"),
        &porcupine("kv/c01-ok.txt"),
    ]);
    let text = stdout(&linearizable);
    assert_eq!(
        linearizable.status.code(),
        Some(0),
        "{text}{}",
        stderr(&linearizable)
    );
    assert!(
        text.contains("etcd_002.log: register, 77 operations"),
        "{text}"
    );
    assert!(text.contains("c01-ok.txt: kv-append"), "{text}");

    let violation = lockstep(&["check", &porcupine("jepsen/etcd_000.log")]);
    assert_eq!(violation.status.code(), Some(1), "{}", stdout(&violation));
    assert!(stdout(&violation).contains("VIOLATION on partition \"register\""));
}

#[test]
fn the_timeline_of_a_failing_corpus_file_marks_the_ops_that_cannot_be_placed() {
    let directory = scratch("corpus-timeline");
    let timeline = directory.join("etcd_001.html");
    let output = lockstep(&[
        "check",
        &porcupine("jepsen/etcd_001.log"),
        "--html",
        timeline.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let html = std::fs::read_to_string(&timeline).unwrap();
    // The search cannot place op 37 (a read of 4): its bar is outlined and linked.
    assert!(stdout(&output).contains("op 37 (read -> 4)"));
    assert!(html.contains(r#"id="op37" class="op ok stuck""#), "{html}");
    assert!(html.contains(r##"href="#op37""##));
    assert!(html.contains("process 7") && html.contains("line 73"));
    assert!(!html.contains("http://") && !html.contains("https://"));

    let linearizable = directory.join("etcd_002.html");
    let output = lockstep(&[
        "check",
        &porcupine("jepsen/etcd_002.log"),
        "--html",
        linearizable.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output)
        .contains("order found (op ids; all of it with --json): \"register\": 0 1 3 2"));
    let html = std::fs::read_to_string(&linearizable).unwrap();
    assert!(
        html.contains("the order found for register (67 ops)"),
        "{html}"
    );
}

#[test]
fn check_walks_a_folder_and_reports_json() {
    let output = lockstep(&["check", "--json", &porcupine("kv")]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "c01-bad, c10-bad and c50-bad are not linearizable"
    );
    let text = stdout(&output);
    assert_eq!(text.matches("\"model\":\"kv-append\"").count(), 6, "{text}");
    assert_eq!(
        text.matches("\"status\":\"violation\"").count(),
        3,
        "{text}"
    );
}

#[test]
fn check_rejects_a_wrong_model_and_a_malformed_line_with_exit_2() {
    let wrong_model = lockstep(&["check", "--model", "register", &porcupine("kv/c01-ok.txt")]);
    assert_eq!(wrong_model.status.code(), Some(2));
    assert!(
        stderr(&wrong_model).contains("holds a kv-append history"),
        "{}",
        stderr(&wrong_model)
    );

    let directory = scratch("malformed-jepsen");
    let file = directory.join("bad.log");
    std::fs::write(
        &file,
        "INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:ok\t:rea\n",
    )
    .unwrap();
    let malformed = lockstep(&["check", file.to_str().unwrap()]);
    assert_eq!(malformed.status.code(), Some(2));
    let message = stderr(&malformed);
    assert!(message.contains("bad.log:2: expected"), "{message}");
    assert!(!message.contains("panicked"), "{message}");
}

#[test]
fn a_check_that_cannot_finish_in_time_is_undecided_with_exit_4() {
    // 30 concurrent writes of distinct values, then reads of 0, 1 and 0 again: not
    // linearizable, but the search only finds out after trying every subset of the writes
    // (see crates/check/tests/budget_limits.rs).
    let directory = scratch("undecided");
    let mut log = String::new();
    for kind in [":invoke", ":ok"] {
        for value in 0..30 {
            log += &format!("INFO  jepsen.util - {value}\t{kind}\t:write\t{value}\n");
        }
    }
    for value in [0, 1, 0] {
        log += "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n";
        log += &format!("INFO  jepsen.util - 0\t:ok\t:read\t{value}\n");
    }
    let file = directory.join("hard.log");
    std::fs::write(&file, log).unwrap();
    let output = lockstep(&["check", "--timeout", "1s", file.to_str().unwrap()]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(4), "{text}");
    assert!(
        text.contains("UNDECIDED") && text.contains("time limit of 1s"),
        "{text}"
    );
}

#[test]
fn a_reader_that_goes_away_ends_the_output_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(["check", &porcupine("jepsen")])
        .current_dir(repository())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the lockstep binary runs");
    // Close the reading end before anything is written: the first line meets a broken pipe.
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(141), "{}", stderr(&output));
    assert!(!stderr(&output).contains("panicked"), "{}", stderr(&output));
}

#[test]
fn check_reads_edn_lock_histories_against_the_mutex_model() {
    let directory = scratch("mutex");
    let acquire = |process: u64, kind: &str| {
        format!("{{:process {process}, :type :{kind}, :f :acquire, :value nil}}\n")
    };
    let release = |process: u64, kind: &str| {
        format!("{{:process {process}, :type :{kind}, :f :release, :value nil}}\n")
    };

    let ok = directory.join("ok.edn");
    let text = [
        acquire(0, "invoke"),
        acquire(0, "ok"),
        acquire(1, "invoke"),
        acquire(1, "fail"),
        release(0, "invoke"),
        release(0, "ok"),
        acquire(1, "invoke"),
        acquire(1, "ok"),
    ]
    .concat();
    std::fs::write(&ok, text).unwrap();
    let linearizable = lockstep(&["check", ok.to_str().unwrap()]);
    let output = stdout(&linearizable);
    assert_eq!(
        linearizable.status.code(),
        Some(0),
        "{output}{}",
        stderr(&linearizable)
    );
    assert!(output.contains("ok.edn: mutex, 4 operations"), "{output}");

    let double_grant = directory.join("double-grant.edn");
    let text = [
        acquire(0, "invoke"),
        acquire(0, "ok"),
        acquire(1, "invoke"),
        acquire(1, "ok"),
    ]
    .concat();
    std::fs::write(&double_grant, text).unwrap();
    let violation = lockstep(&["check", double_grant.to_str().unwrap()]);
    let output = stdout(&violation);
    assert_eq!(violation.status.code(), Some(1), "{output}");
    assert!(output.contains("VIOLATION"), "{output}");

    let wrong_model = lockstep(&["check", "--model", "register", ok.to_str().unwrap()]);
    assert_eq!(wrong_model.status.code(), Some(2));
    assert!(
        stderr(&wrong_model).contains("holds a mutex history"),
        "{}",
        stderr(&wrong_model)
    );
}

#[test]
fn set_changes_the_run_its_report_and_its_replay_command() {
    let reports = scratch("set-report");
    let output = lockstep(&[
        "run",
        "scenarios/smoke.toml",
        "--seed",
        "1",
        "--set",
        "workload.clients=2",
        "--reports",
        reports.to_str().unwrap(),
    ]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}{}", stderr(&output));
    assert!(text.contains("5 nodes, 2 clients"), "{text}");
    let directory = reports.join("smoke/1");
    let scenario = std::fs::read_to_string(directory.join("scenario.toml")).unwrap();
    assert!(scenario.contains("\nclients = 2\n"), "{scenario}");
    let summary = std::fs::read_to_string(directory.join("summary.md")).unwrap();
    let replay = summary
        .lines()
        .find(|line| line.starts_with("Replay: "))
        .expect("a replay line");
    assert!(
        replay.ends_with("run scenarios/smoke.toml --seed 1 --set workload.clients=2`"),
        "{replay}"
    );
}

#[test]
fn the_replay_command_of_a_failing_run_with_set_reproduces_it() {
    // A liveness bound of 1 ms, set on the command line, cannot be met.
    let reports = scratch("set-failing");
    let output = lockstep(&[
        "run",
        "scenarios/smoke.toml",
        "--seed",
        "4",
        "--set",
        "liveness.timeout_ms=1",
        "--set",
        "duration_ms=3000",
        "--reports",
        reports.to_str().unwrap(),
    ]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(3), "{text}{}", stderr(&output));
    let replay = text
        .lines()
        .find_map(|line| line.strip_prefix("replay: "))
        .expect("a replay line");
    let (_, arguments) = replay.rsplit_once(" run ").expect("a run command");
    assert_eq!(
        arguments,
        "scenarios/smoke.toml --seed 4 --set liveness.timeout_ms=1 --set duration_ms=3000"
    );

    let again = scratch("set-failing-replay");
    let mut args = vec!["run"];
    args.extend(arguments.split(' '));
    args.extend(["--reports", again.to_str().unwrap()]);
    let replayed = lockstep(&args);
    assert_eq!(replayed.status.code(), Some(3), "{}", stdout(&replayed));
    assert_eq!(
        std::fs::read(reports.join("smoke/4/history.json")).unwrap(),
        std::fs::read(again.join("smoke/4/history.json")).unwrap()
    );
}

#[test]
fn an_override_that_changes_nothing_changes_no_byte_of_the_history() {
    let (plain, set) = (scratch("set-noop-plain"), scratch("set-noop-set"));
    for (reports, extra) in [(&plain, None), (&set, Some("cluster.tick_ms=100"))] {
        let mut args = vec!["run", "scenarios/smoke.toml", "--seed", "2"];
        if let Some(extra) = extra {
            args.extend(["--set", extra]);
        }
        args.extend(["--reports", reports.to_str().unwrap()]);
        let output = lockstep(&args);
        assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    }
    assert!(
        std::fs::read(plain.join("smoke/2/history.json")).unwrap()
            == std::fs::read(set.join("smoke/2/history.json")).unwrap(),
        "setting tick_ms to its default changed the history"
    );
}

#[test]
fn a_bad_set_exits_2_and_names_the_flag() {
    let cases: [(&[&str], &str); 5] = [
        (
            &["run", "scenarios/smoke.toml", "--set", "cluster.nodez=3"],
            "error: --set cluster.nodez=3: no field `nodez` in [cluster]; expected one of nodes, tick_ms,",
        ),
        (
            &["run", "scenarios/smoke.toml", "--set", "cluster.nodes=40"],
            "error: --set cluster.nodes=40: field `cluster.nodes`: expected a node count between 1 and 9, found 40",
        ),
        (
            &["run", "scenarios/smoke.toml", "--set", "workload.clients"],
            "error: --set workload.clients: expected FIELD=VALUE",
        ),
        (
            &["sweep", "scenarios/smoke.toml", "--set", "faults[0].at_ms=5"],
            "error: --set faults[0].at_ms=5: [[faults]] entries cannot be set",
        ),
        (
            &["sweep", "scenarios/smoke.toml", "--set", "duration_ms=0"],
            "error: --set duration_ms=0: field `duration_ms`: expected a duration in ms between 1 and",
        ),
    ];
    for (args, expected) in cases {
        let output = lockstep(args);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {message}");
        assert!(message.starts_with(expected), "{args:?}: {message}");
        assert!(!message.contains("panicked"), "{args:?}: {message}");
    }
}

#[test]
fn a_sweep_with_set_repeats_the_flag_in_each_replay_command() {
    let reports = scratch("set-sweep");
    let output = lockstep(&[
        "sweep",
        "scenarios/smoke.toml",
        "--seeds",
        "0..2",
        "--set",
        "liveness.timeout_ms=1",
        "--set",
        "duration_ms=2000",
        "--reports",
        reports.to_str().unwrap(),
    ]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(3), "{text}");
    for seed in 0..2 {
        assert!(
            text.contains(&format!(
                "--seed {seed} --set liveness.timeout_ms=1 --set duration_ms=2000\n"
            )),
            "{text}"
        );
    }
}

#[test]
fn run_and_sweep_help_explain_set() {
    for command in ["run", "sweep"] {
        let output = lockstep(&[command, "--help"]);
        let text = stdout(&output);
        assert!(text.contains("--set <FIELD=VALUE>"), "{text}");
        assert!(text.contains("--set cluster.election_ticks=20"), "{text}");
    }
}

#[test]
fn bug_plants_a_bug_in_the_run_its_report_and_its_replay_command() {
    let reports = scratch("bug-report");
    let output = lockstep(&[
        "run",
        "scenarios/smoke.toml",
        "--seed",
        "1",
        "--bug",
        "unlock-by-name",
        "--bug",
        "lock-no-recheck",
        "--bug",
        "unlock-by-name",
        "--reports",
        reports.to_str().unwrap(),
    ]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}{}", stderr(&output));
    // Right under the header, on a line of its own.
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[1].starts_with("code: lockstep "), "{text}");
    assert!(lines[2].starts_with("running smoke: "), "{text}");
    assert!(
        lines[3].starts_with("planted bugs: lock-no-recheck, unlock-by-name ("),
        "{text}"
    );
    let directory = reports.join("smoke/1");
    let scenario = std::fs::read_to_string(directory.join("scenario.toml")).unwrap();
    assert!(
        scenario.contains("\nbugs = [\"lock-no-recheck\", \"unlock-by-name\"]\n"),
        "{scenario}"
    );
    let summary = std::fs::read_to_string(directory.join("summary.md")).unwrap();
    assert!(
        summary.contains("**Planted bugs: lock-no-recheck, unlock-by-name.**"),
        "{summary}"
    );
    let replay = summary
        .lines()
        .find(|line| line.starts_with("Replay: "))
        .expect("a replay line");
    assert!(
        replay.ends_with(
            "run scenarios/smoke.toml --seed 1 --bug lock-no-recheck --bug unlock-by-name`"
        ),
        "{replay}"
    );

    // The report's scenario plants the bugs by itself.
    let again = scratch("bug-report-replay");
    let replayed = lockstep(&[
        "run",
        directory.join("scenario.toml").to_str().unwrap(),
        "--reports",
        again.to_str().unwrap(),
    ]);
    let text = stdout(&replayed);
    assert!(
        text.contains("\nplanted bugs: lock-no-recheck, unlock-by-name ("),
        "{text}"
    );
    assert_eq!(
        std::fs::read(directory.join("history.json")).unwrap(),
        std::fs::read(again.join("smoke/1/history.json")).unwrap()
    );

    // The correct code says nothing of bugs.
    let correct = lockstep(&[
        "run",
        "scenarios/smoke.toml",
        "--seed",
        "1",
        "--reports",
        scratch("bug-report-none").to_str().unwrap(),
    ]);
    assert!(
        !stdout(&correct).contains("planted"),
        "{}",
        stdout(&correct)
    );
}

#[test]
fn a_sweep_with_bug_says_so_and_repeats_the_flag_in_each_replay_command() {
    let reports = scratch("bug-sweep");
    let output = lockstep(&[
        "sweep",
        "scenarios/smoke.toml",
        "--seeds",
        "0..2",
        "--set",
        "liveness.timeout_ms=1",
        "--set",
        "duration_ms=2000",
        "--bug",
        "promote-no-extend",
        "--reports",
        reports.to_str().unwrap(),
    ]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(3), "{text}");
    assert!(
        text.lines()
            .nth(2)
            .is_some_and(|line| line.starts_with("planted bugs: promote-no-extend (")),
        "{text}"
    );
    for seed in 0..2 {
        assert!(
            text.contains(&format!(
                "--seed {seed} --set liveness.timeout_ms=1 --set duration_ms=2000 --bug promote-no-extend\n"
            )),
            "{text}"
        );
        let scenario =
            std::fs::read_to_string(reports.join(format!("smoke/{seed}/scenario.toml"))).unwrap();
        assert!(
            scenario.contains("\nbugs = [\"promote-no-extend\"]\n"),
            "{scenario}"
        );
    }
}

#[test]
fn an_unknown_bug_exits_2_naming_the_flag_and_the_known_bugs() {
    for command in ["run", "sweep"] {
        let output = lockstep(&[command, "scenarios/smoke.toml", "--bug", "lock-no-rechek"]);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{command}: {message}");
        assert!(
            message.contains("invalid value 'lock-no-rechek' for '--bug <NAME>': no such bug"),
            "{command}: {message}"
        );
        for bug in bugs::Bug::ALL {
            assert!(message.contains(bug.name()), "{command}: {message}");
        }
        assert!(!message.contains("panicked"), "{command}: {message}");
    }
    // Through `--set`, the scenario's own field is named.
    let output = lockstep(&[
        "run",
        "scenarios/smoke.toml",
        "--set",
        r#"bugs=["lock-no-rechek"]"#,
    ]);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert!(
        message.starts_with(
            r#"error: --set bugs=["lock-no-rechek"]: field `bugs`: expected the name of a known bug"#
        ),
        "{message}"
    );
}

#[test]
fn bugs_lists_every_bug_with_its_description_and_source() {
    let output = lockstep(&["bugs"]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}{}", stderr(&output));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), bugs::Bug::ALL.len(), "{text}");
    for (line, bug) in lines.iter().zip(bugs::Bug::ALL) {
        assert!(line.starts_with(&format!("{} ", bug.name())), "{line}");
        assert!(line.contains(bug.description()), "{line}");
        assert!(line.contains(bug.source()), "{line}");
    }
}

#[test]
fn run_and_sweep_help_explain_bug() {
    for command in ["run", "sweep"] {
        let output = lockstep(&[command, "--help"]);
        let text = stdout(&output);
        assert!(text.contains("--bug <NAME>"), "{text}");
        assert!(text.contains("`lockstep bugs` lists the bugs"), "{text}");
    }
    let text = stdout(&lockstep(&["--help"]));
    assert!(text.contains("bugs "), "{text}");
}

#[test]
fn hunt_stops_at_the_first_failing_seed_and_prints_its_replay_command() {
    let reports = scratch("hunt");
    let output = lockstep(&[
        "hunt",
        "scenarios/lease-skew.toml",
        "--bug",
        "client-deadline-from-receipt",
        "--time",
        "60s",
        "--reports",
        reports.to_str().unwrap(),
    ]);
    let printed = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{printed}");
    assert!(printed.contains("found a failure: seed "), "{printed}");
    assert!(printed.contains("lease-belief: VIOLATION"), "{printed}");
    assert!(
        printed.contains("run scenarios/lease-skew.toml --seed ")
            && printed.contains("--bug client-deadline-from-receipt"),
        "{printed}"
    );

    // The correct implementation: nothing to find in three seeds.
    let output = lockstep(&[
        "hunt",
        "scenarios/lease-skew.toml",
        "--seeds",
        "0..3",
        "--reports",
        reports.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).contains("no failure in 3 seeds"));
}

#[test]
fn replay_confirms_a_report_byte_for_byte_and_shows_where_a_changed_one_differs() {
    let reports = scratch("replay");
    let output = lockstep(&[
        "run",
        "scenarios/lock-pause.toml",
        "--seed",
        "4",
        "--reports",
        reports.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let report = reports.join("lock-pause/4");
    let output = lockstep(&["replay", report.to_str().unwrap()]);
    let printed = stdout(&output);
    assert_eq!(
        output.status.code(),
        Some(1),
        "the verdict's code: {printed}"
    );
    assert!(printed.contains("identical: "), "{printed}");
    assert!(
        printed.contains("lock-holders-overlap: VIOLATION"),
        "{printed}"
    );

    let history = report.join("history.json");
    let text = std::fs::read_to_string(&history).unwrap();
    std::fs::write(&history, text.replacen("\"client\":1", "\"client\":9", 1)).unwrap();
    let output = lockstep(&["replay", report.to_str().unwrap()]);
    let printed = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{printed}");
    assert!(
        printed.contains("DIFFERENT: the histories first differ at line "),
        "{printed}"
    );

    let output = lockstep(&["replay", reports.join("nothing-here").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

#[test]
fn explain_tells_a_failure_in_simulated_time_with_its_faults_and_evidence() {
    let reports = scratch("explain");
    let output = lockstep(&[
        "run",
        "scenarios/lock-pause.toml",
        "--seed",
        "4",
        "--reports",
        reports.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let output = lockstep(&["explain", reports.join("lock-pause/4").to_str().unwrap()]);
    let printed = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{printed}");
    for expected in [
        "what failed: lock-holders-overlap: ",
        "leads (term ",
        "fault: pause client ",
        "expired by node ",
        "takes locks/0",
        "leaves its critical section on locks/0",
    ] {
        assert!(printed.contains(expected), "no {expected:?} in:\n{printed}");
    }
    let passing = reports.join("passing");
    let output = lockstep(&[
        "run",
        "scenarios/smoke.toml",
        "--seed",
        "1",
        "--reports",
        passing.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0));
    let output = lockstep(&["explain", passing.join("smoke/1").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).contains("nothing to explain"));
}

#[test]
fn shrink_cuts_a_failing_run_to_a_smaller_scenario_that_still_fails_the_same_check() {
    let reports = scratch("shrink");
    let output = lockstep(&[
        "run",
        "scenarios/lock-pause.toml",
        "--seed",
        "4",
        "--reports",
        reports.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let report = reports.join("lock-pause/4");
    let (first, second) = (reports.join("first"), reports.join("second"));
    let mut written = Vec::new();
    for out in [&first, &second] {
        let output = lockstep(&[
            "shrink",
            report.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        let printed = stdout(&output);
        assert_eq!(output.status.code(), Some(0), "{printed}");
        assert!(printed.contains("kept: dropped fault"), "{printed}");
        // The file is named after the seed it fails on: the report's, or a neighbour's.
        let path = printed
            .lines()
            .find_map(|line| line.strip_prefix("wrote "))
            .unwrap_or_else(|| panic!("no `wrote` line: {printed}"));
        written.push(std::path::PathBuf::from(path));
    }
    let name = |path: &Path| path.file_name().unwrap().to_owned();
    assert_eq!(name(&written[0]), name(&written[1]));
    assert!(
        name(&written[0])
            .to_str()
            .unwrap()
            .starts_with("lock-pause-lock-holders-overlap-"),
        "{:?}",
        written[0]
    );
    let text = std::fs::read_to_string(&written[0]).unwrap();
    assert_eq!(
        text,
        std::fs::read_to_string(&written[1]).unwrap(),
        "shrinking is deterministic"
    );
    assert!(text.starts_with("# Shrunk by `lockstep shrink"), "{text}");
    assert_eq!(text.matches("[[faults]]").count(), 1, "{text}");
    let output = lockstep(&[
        "run",
        written[0].to_str().unwrap(),
        "--reports",
        reports.to_str().unwrap(),
    ]);
    let printed = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{printed}");
    assert!(
        printed.contains("lock-holders-overlap: VIOLATION"),
        "{printed}"
    );
}

#[test]
fn shrink_keeps_quiet_about_the_panics_of_variants_it_rejects() {
    // A member restarted with a wiped disk is sent a commit index past its empty log, and
    // raft-rs panics (as etcd does): many of the variants a shrink of this run tries end
    // that way. They only count as "does not fail the check"; their panic messages (and
    // backtraces) must not bury the shrink's output.
    let reports = scratch("shrink-quiet");
    let output = lockstep(&[
        "run",
        "scenarios/bugs/wiped-disk-rejoin.toml",
        "--seed",
        "0",
        "--bug",
        "wiped-disk-rejoin",
        "--reports",
        reports.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let output = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args([
            "shrink",
            reports.join("wiped-disk-rejoin/0").to_str().unwrap(),
            "--out",
            reports.join("shrunk").to_str().unwrap(),
        ])
        .current_dir(repository())
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("the lockstep binary runs");
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let errors = stderr(&output);
    // madsim names each panicking task on a `context:` line it always prints: proof that
    // variants did panic.
    assert!(
        errors.contains("context: node="),
        "no variant panicked:\n{errors}"
    );
    assert!(
        !errors.contains("panicked at") && !errors.contains("stack backtrace"),
        "{errors}"
    );
    assert!(stdout(&output).contains("wrote "), "{}", stdout(&output));
}
