//! Filetests in the style of Cranelift's: each `tests/filetests/*.vir` file
//! holds the input IR (text form) after a `# pass: NAME` line; the runner
//! applies that pass (`canonicalize`, `rewrite` — the egg mid-end followed by
//! canonicalisation, as the pipeline runs it — or `lower`, printed as the
//! kernel program) and compares the output with the blessed snapshot in
//! `tests/filetests/snapshots/` (`cargo insta review` to bless a change).
//! No Rust string literals, no dependency on `../shared`.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

use std::path::{Path, PathBuf};

use vitc_ir::Weights;

fn filetests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("filetests")
}

/// The pass named by the file's `# pass: NAME` line.
fn pass_of(text: &str, file: &Path) -> String {
    text.lines()
        .find_map(|l| l.trim().strip_prefix("# pass:").map(|p| p.trim().to_string()))
        .unwrap_or_else(|| panic!("{}: no `# pass: NAME` line", file.display()))
}

fn run(file: &Path) -> String {
    let text = std::fs::read_to_string(file).unwrap();
    let pass = pass_of(&text, file);
    let mut graph =
        vitc_ir::text::parse_graph(&text, &Weights::default()).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    vitc_ir::verify::verify(&graph).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    match pass.as_str() {
        "canonicalize" => {
            vitc_canon::canonicalize(&mut graph).unwrap();
            vitc_ir::text::print_graph(&graph).unwrap()
        }
        "rewrite" => {
            vitc_driver::run_pipeline(&mut graph, vitc_driver::Stage::Rewritten).unwrap();
            vitc_ir::text::print_graph(&graph).unwrap()
        }
        "lower" => {
            vitc_driver::run_pipeline(&mut graph, vitc_driver::Stage::Rewritten).unwrap();
            let program = vitc_lower::lower(&graph, &vitc_lower::LowerOptions::default()).unwrap();
            program.validate().unwrap();
            program.to_string()
        }
        other => panic!("{}: unknown pass '{other}' (canonicalize, rewrite, lower)", file.display()),
    }
}

#[test]
fn filetests_match_their_snapshots() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(filetests_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "vir"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "the filetests are missing from {}", filetests_dir().display());
    for file in files {
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        let output = run(&file);
        insta::with_settings!({
            snapshot_path => filetests_dir().join("snapshots"),
            prepend_module_to_snapshot => false,
            input_file => &file,
        }, {
            insta::assert_snapshot!(name, output);
        });
    }
}
