//! Every `sh` block of `docs/*.md` runs, with this build's `vitc` and the
//! set-up's venv (`.venv`, numpy) first on the PATH, in an empty folder that sits beside `shared/` (the shared models)
//! and `vitc/` (this checkout), as the docs say. Blocks must declare their
//! kind: `sh` blocks are examples and run here, `python` blocks run in
//! `python/tests/test_docs.py`, and `text`, `rust`, `c` and `json` blocks
//! are listings (signatures, formats, diagrams) that do not run.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

use std::path::{Path, PathBuf};
use std::process::Command;
use vitc_testkit::repo_root;

/// The fenced blocks of `text`: (info string, first line number, body).
fn fenced_blocks(text: &str) -> Vec<(String, usize, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(String, usize, String)> = None;
    for (n, line) in text.lines().enumerate() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(info)) => open = Some((info.trim().to_string(), n + 1, String::new())),
            (Some(_), Some(_)) => blocks.push(open.take().unwrap()),
            (Some((_, _, body)), None) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    assert!(open.is_none(), "an unclosed code block");
    blocks
}

fn docs() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo_root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    files
}

/// An empty folder beside `shared/` and `vitc/`, as the docs assume.
fn workplace() -> (tempfile::TempDir, PathBuf) {
    let root = tempfile::tempdir().unwrap();
    let shared = repo_root().join("../shared");
    assert!(shared.join("models").is_dir(), "{} is missing: ../shared must sit beside the checkout", shared.display());
    std::os::unix::fs::symlink(shared.canonicalize().unwrap(), root.path().join("shared")).unwrap();
    std::os::unix::fs::symlink(repo_root().canonicalize().unwrap(), root.path().join("vitc")).unwrap();
    let work = root.path().join("work");
    std::fs::create_dir(&work).unwrap();
    (root, work)
}

#[test]
fn every_block_declares_its_kind() {
    for doc in docs() {
        for (info, line, _) in fenced_blocks(&std::fs::read_to_string(&doc).unwrap()) {
            let known = ["sh", "python", "text", "rust", "c", "json"];
            assert!(
                known.contains(&info.as_str()),
                "{}:{line}: code block kind '{info}' is not one of {known:?}",
                doc.display()
            );
        }
    }
}

#[test]
fn every_sh_example_runs() {
    let vitc_dir = Path::new(env!("CARGO_BIN_EXE_vitc")).parent().unwrap().to_path_buf();
    // `python3` is the set-up's venv (numpy, onnxruntime), as for a user who activated it.
    let venv = repo_root().join(".venv/bin");
    assert!(venv.join("python3").exists(), "{} is missing: run bash .ci/setup", venv.display());
    let path = format!("{}:{}:{}", vitc_dir.display(), venv.display(), std::env::var("PATH").unwrap_or_default());
    let mut ran = 0;
    for doc in docs() {
        for (info, line, body) in fenced_blocks(&std::fs::read_to_string(&doc).unwrap()) {
            if info != "sh" {
                continue;
            }
            let (_root, work) = workplace();
            let out = Command::new("bash")
                .args(["-euo", "pipefail", "-c", &body])
                .current_dir(&work)
                .env("PATH", &path)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}:{line}: the example failed ({}):\n{body}\nstdout: {}\nstderr: {}",
                doc.display(),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            ran += 1;
        }
    }
    // The docs hold shell examples; finding none means the parser broke.
    assert!(ran >= 5, "only {ran} sh examples found in docs/");
}
