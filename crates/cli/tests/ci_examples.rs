//! The examples in ci/ stay true to the lockstep they ship with: every `lockstep …` command
//! in them parses (its flags as written, plus `--help`), the shard counts agree with the
//! Kubernetes Job and the CI matrix, and the sharded runs they describe, run on a few
//! seeds, merge.

mod common;

use common::{lockstep, repository, scratch, text};

fn read(file: &str) -> String {
    std::fs::read_to_string(repository().join(file))
        .unwrap_or_else(|error| panic!("{file}: {error}"))
}

const EXAMPLES: [&str; 4] = [
    "ci/github-actions/sharded-sweep.yml",
    "ci/kubernetes/sharded-tune.yaml",
    "ci/kubernetes/merge-job.yaml",
    "ci/README.md",
];

/// A line without its indentation, comment mark and YAML list dash.
fn bare(line: &str) -> &str {
    let line = line.trim_start();
    let line = line.strip_prefix('#').unwrap_or(line).trim_start();
    line.strip_prefix("- ").unwrap_or(line).trim_start()
}

/// Every command line that starts with `lockstep `, continuation lines (`\`) joined.
fn commands(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut lines = source.lines();
    while let Some(line) = lines.next() {
        let line = bare(line);
        if !line.starts_with("lockstep ") {
            continue;
        }
        let mut command = line.to_string();
        while command.ends_with('\\') {
            command.pop();
            command.push(' ');
            command.push_str(bare(lines.next().expect("a continued line")));
        }
        found.push(command);
    }
    found
}

/// The words of a command as a POSIX shell splits them (quotes removed), after `lockstep`
/// and up to the first `&&`, `|`, `;` or redirection; an ellipsis (`...`, elided flags in
/// prose) is dropped. `index` stands for the shard index variables.
fn words(command: &str, index: u64) -> Vec<String> {
    let command = command
        .replace("${{ matrix.shard }}", &index.to_string())
        .replace("$JOB_COMPLETION_INDEX", &index.to_string());
    assert!(
        !command.contains('$'),
        "a variable the test does not know: {command}"
    );
    let (mut words, mut word, mut quote, mut in_word) = (Vec::new(), String::new(), None, false);
    for c in command.chars() {
        match (quote, c) {
            (None, '"' | '\'') => (quote, in_word) = (Some(c), true),
            (Some(open), _) if c == open => quote = None,
            (None, ' ') => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                }
                in_word = false;
            }
            _ => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    assert_eq!(
        words.first().map(String::as_str),
        Some("lockstep"),
        "{command}"
    );
    words
        .into_iter()
        .skip(1)
        .take_while(|word| !["&&", "||", "|", ";", ">", ">>"].contains(&word.as_str()))
        .filter(|word| word != "..." && word != "…")
        .collect()
}

/// The value a command gives `flag`.
fn flag_value<'a>(words: &'a [String], flag: &str) -> &'a str {
    let at = words
        .iter()
        .position(|word| word == flag)
        .unwrap_or_else(|| panic!("{flag} in {words:?}"));
    &words[at + 1]
}

/// The command with `flag`'s value replaced (or the flag added).
fn with_flag(mut words: Vec<String>, flag: &str, value: &str) -> Vec<String> {
    match words.iter().position(|word| word == flag) {
        Some(at) => words[at + 1] = value.to_string(),
        None => words.extend([flag.to_string(), value.to_string()]),
    }
    words
}

/// `key: N` in a YAML file.
fn yaml_number(source: &str, key: &str) -> u64 {
    source
        .lines()
        .find_map(|line| line.trim().strip_prefix(&format!("{key}: ")))
        .unwrap_or_else(|| panic!("{key}"))
        .parse()
        .unwrap()
}

#[test]
fn every_lockstep_command_in_the_examples_parses() {
    for file in EXAMPLES {
        let found = commands(&read(file));
        assert!(!found.is_empty(), "{file}: no lockstep command found");
        for command in found {
            let mut args = words(&command, 0);
            args.push("--help".to_string());
            let output = lockstep(&args);
            assert_eq!(
                output.status.code(),
                Some(0),
                "{file}: `{command}` does not parse: {}",
                text(&output.stderr)
            );
        }
    }
    // The test reads the commands it should: merge, and a sharded sweep and tune.
    let all: Vec<String> = EXAMPLES
        .iter()
        .flat_map(|file| commands(&read(file)))
        .collect();
    for needed in ["lockstep merge ", "lockstep sweep ", "lockstep tune "] {
        assert!(
            all.iter().any(|command| command.starts_with(needed)
                && (needed == "lockstep merge " || command.contains("--shard"))),
            "{needed}: {all:?}"
        );
    }
}

#[test]
fn a_renamed_flag_would_be_caught() {
    let mut args = words("lockstep sweep scenarios/smoke.toml --shard-index 0", 0);
    args.push("--help".to_string());
    assert_eq!(lockstep(&args).status.code(), Some(2));
}

#[test]
fn the_kubernetes_job_runs_every_shard_and_the_merge_job_merges_them() {
    let job = read("ci/kubernetes/sharded-tune.yaml");
    assert!(job.contains("completionMode: Indexed"));
    let shards = yaml_number(&job, "completions");
    assert_eq!(yaml_number(&job, "parallelism"), shards);
    let [tune] = &commands(&job)[..] else {
        panic!("one tune command in the Job")
    };
    let [merge] = &commands(&read("ci/kubernetes/merge-job.yaml"))[..] else {
        panic!("one merge command in the merge Job")
    };
    let merge = words(merge, 0);

    // Each pod's shard, run on a few seeds; the shared volume is a scratch directory.
    let volume = scratch("ci-kubernetes");
    let on_volume = |path: &str| {
        volume
            .join(path.trim_start_matches('/'))
            .display()
            .to_string()
    };
    let mut written = Vec::new();
    for index in 0..shards {
        let pod = words(tune, index);
        assert_eq!(flag_value(&pod, "--shard"), format!("{index}/{shards}"));
        let out = flag_value(&pod, "--out").to_string();
        assert!(merge.contains(&out), "the merge Job reads {out}: {merge:?}");
        let pod = with_flag(with_flag(pod, "--seeds", "0..8"), "--jobs", "1");
        let output = lockstep(&with_flag(pod, "--out", &on_volume(&out)));
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        written.push(out);
    }
    let merge: Vec<String> = merge
        .iter()
        .map(|word| {
            if word.starts_with('/') {
                on_volume(word)
            } else {
                word.clone()
            }
        })
        .collect();
    let output = lockstep(&merge);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains(&format!("merged {shards} shards")),
        "{}",
        text(&output.stdout)
    );
    assert_eq!(written.len() as u64, shards);
}

#[test]
fn the_github_matrix_runs_every_shard_and_the_merge_job_merges_its_artifacts() {
    let workflow = read("ci/github-actions/sharded-sweep.yml");
    let matrix = workflow
        .lines()
        .find_map(|line| line.trim().strip_prefix("shard: ["))
        .expect("a shard matrix");
    let shards = matrix.trim_end_matches(']').split(',').count() as u64;
    // The artifacts' names and paths, as the merge job expects them.
    for line in [
        "name: sweep-shard-${{ matrix.shard }}",
        "path: shard/",
        "pattern: sweep-shard-*",
        "path: shards",
    ] {
        assert!(workflow.contains(line), "{line}");
    }
    let found = commands(&workflow);
    let sweep = found
        .iter()
        .find(|command| command.starts_with("lockstep sweep "))
        .expect("a sweep");
    let merge = found
        .iter()
        .find(|command| command.starts_with("lockstep merge "))
        .expect("a merge");

    // A shard's `shard/` is uploaded as sweep-shard-N and downloaded to shards/sweep-shard-N/.
    let runner = scratch("ci-github");
    for index in 0..shards {
        let job = words(sweep, index);
        assert_eq!(flag_value(&job, "--shard"), format!("{index}/{shards}"));
        let artifact = runner.join(format!("shards/sweep-shard-{index}"));
        let mut job = with_flag(with_flag(job, "--seeds", "0..8"), "--jobs", "1");
        for flag in ["--out", "--reports"] {
            let path = flag_value(&job, flag)
                .strip_prefix("shard/")
                .expect("inside the uploaded shard/")
                .to_string();
            job = with_flag(job, flag, &artifact.join(path).display().to_string());
        }
        let output = lockstep(&job);
        assert!(
            matches!(output.status.code(), Some(0 | 1 | 3)),
            "{}",
            text(&output.stderr)
        );
    }
    // The shell expands the glob; the merge writes where the upload step reads.
    let mut args = Vec::new();
    for word in words(merge, 0) {
        if word.contains('*') {
            let (before, after) = word.split_once('*').unwrap();
            for index in 0..shards {
                args.push(
                    runner
                        .join(format!("{before}{index}{after}"))
                        .display()
                        .to_string(),
                );
            }
        } else {
            args.push(word);
        }
    }
    assert_eq!(flag_value(&args, "--out"), "merged");
    assert!(workflow.contains("path: merged/"));
    let merged = runner.join("merged").display().to_string();
    let output = lockstep(&with_flag(args, "--out", &merged));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains(&format!("merged {shards} shards of a sweep: 8 seeds")));
}
