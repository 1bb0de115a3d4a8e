//! ONNX backend node conformance: the test cases generated from the `onnx`
//! Python package (`tests/conformance/generate_node_data.py`), selected by the
//! allowlist `tests/conformance/node.txt`, each run through the ONNX frontend,
//! canonicalisation and the reference interpreter, and compared with the
//! expected outputs (`rtol = 1e-3`, `atol = 1e-7`, the backend suite's own
//! defaults; integer and bool outputs exactly).
//!
//! vitc compiles ahead of time, so axes, shapes, pads and sizes must be known
//! when the model is compiled. Node tests often feed them as graph inputs; the
//! harness therefore freezes integer-typed graph inputs and small rank-0/1
//! float inputs (Resize scales, Range bounds) to their test values
//! (`LoadOptions::frozen_inputs`; the interpreter still computes them, during
//! constant folding), and feeds the other inputs at run time.
//!
//! `VITC_CONFORMANCE_SURVEY=1` runs every generated case instead and prints
//! which pass, to help maintain the allowlist.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

use std::path::Path;
use vitc_driver::Stage;
use vitc_testkit::{node_data_dir, repo_root, require};

/// One allowlist entry: an exact case name or a `prefix*` pattern.
fn matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => pattern == name,
    }
}

fn read_allowlist() -> Vec<String> {
    let path = repo_root().join("tests/conformance/node.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines().map(|l| l.split('#').next().unwrap_or("").trim()).filter(|l| !l.is_empty()).map(String::from).collect()
}

fn close(ours: &vitc_ir::Tensor, expected: &vitc_ir::Tensor) -> Result<(), String> {
    if ours.dtype() != expected.dtype() {
        return Err(format!("dtype {} but expected {}", ours.dtype(), expected.dtype()));
    }
    if ours.dims() != expected.dims() {
        return Err(format!("shape {:?} but expected {:?}", ours.dims(), expected.dims()));
    }
    let exact = expected.dtype() != vitc_ir::DType::F32;
    for (i, (a, b)) in ours.to_f64_vec().iter().zip(expected.to_f64_vec()).enumerate() {
        let ok = if exact {
            *a == b
        } else if b.is_nan() {
            a.is_nan()
        } else if b.is_infinite() {
            *a == b
        } else {
            (a - b).abs() <= 1e-7 + 1e-3 * b.abs()
        };
        if !ok {
            return Err(format!("element {i}: {a} but expected {b}"));
        }
    }
    Ok(())
}

fn run_case(dir: &Path) -> Result<(), String> {
    let model = dir.join("model.onnx");
    let summary = vitc_onnx::summarize(&model).map_err(|e| e.to_string())?;
    let mut sets: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() && p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("test_data_set_")))
        .collect();
    sets.sort();
    if sets.is_empty() {
        return Err("no test_data_set_* directory".into());
    }
    for set in sets {
        let read = |prefix: &str, n: usize| -> Result<Vec<vitc_ir::Tensor>, String> {
            (0..n)
                .map(|i| vitc_onnx::read_tensor_file(&set.join(format!("{prefix}_{i}.pb"))).map_err(|e| e.to_string()))
                .collect()
        };
        let inputs = read("input", summary.inputs.len())?;
        let expected = read("output", summary.outputs.len())?;
        let (options, fed) = vitc_testkit::node_cases::freeze_compile_time_inputs(&summary, inputs);
        let mut graph = vitc_onnx::load_model_with(&model, &options).map_err(|e| e.to_string())?;
        vitc_driver::run_pipeline(&mut graph, Stage::Canonical).map_err(|e| format!("{e:#}"))?;
        let outputs = vitc_interp::run(&graph, &fed).map_err(|e| e.to_string())?;
        for (i, (o, e)) in outputs.iter().zip(&expected).enumerate() {
            close(o, e).map_err(|m| format!("output {i}: {m}"))?;
        }
    }
    Ok(())
}

#[test]
fn allowlisted_node_cases_pass_on_the_interpreter() {
    let data = require(node_data_dir(), "the ONNX node test data");
    let mut cases: Vec<String> = std::fs::read_dir(&data)
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("model.onnx").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    cases.sort();
    let survey = std::env::var("VITC_CONFORMANCE_SURVEY").is_ok();
    let allowlist = read_allowlist();
    let unused: Vec<&String> = allowlist.iter().filter(|p| !cases.iter().any(|c| matches(p, c))).collect();
    let selected: Vec<&String> = cases.iter().filter(|c| survey || allowlist.iter().any(|p| matches(p, c))).collect();
    let mut failures = Vec::new();
    for case in &selected {
        let outcome = std::panic::catch_unwind(|| run_case(&data.join(case)))
            .unwrap_or_else(|_| Err("PANIC (a defect: vitc must not panic)".into()));
        match outcome {
            Ok(()) if survey => println!("PASS {case}"),
            Ok(()) => {}
            Err(e) => {
                if survey {
                    println!("FAIL {case}: {}", e.lines().next().unwrap_or(""));
                }
                failures.push(format!("{case}: {e}"));
            }
        }
    }
    let passed = selected.len() - failures.len();
    println!(
        "conformance: {} cases generated, {} allowlisted, {passed} passed, {} failed",
        cases.len(),
        selected.len(),
        failures.len()
    );
    if survey {
        return;
    }
    assert!(unused.is_empty(), "allowlist entries that match no generated case: {unused:?}");
    assert!(!selected.is_empty(), "the allowlist selects no case");
    assert!(failures.is_empty(), "{} allowlisted cases fail:\n{}", failures.len(), failures.join("\n"));
}
