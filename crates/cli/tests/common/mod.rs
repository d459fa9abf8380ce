//! What every test of the `lockstep` binary needs: running it from the repository's root
//! (where the shipped scenarios are), reading its output, and a scratch directory.
//!
//! Each test file is its own crate and uses only some of these.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository's root: where `lockstep` runs, so `scenarios/…` paths resolve.
pub fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs the `lockstep` binary this package builds, from the repository's root.
pub fn lockstep<S: AsRef<OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(args)
        .current_dir(repository())
        .output()
        .expect("the lockstep binary runs")
}

/// Output bytes as text (lossily: a test wants to read it, not to fail on it).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh, empty scratch directory under the target directory.
pub fn scratch(name: &str) -> PathBuf {
    let directory = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&directory);
    std::fs::create_dir_all(&directory).unwrap();
    directory
}
