//! ONNX node conformance through native code: every allowlisted case
//! (`tests/conformance/node.txt`) that the lowering accepts is compiled for
//! the host with `cranelift-jit` and run, each kernel in one and in two
//! chunks, and must match the expected outputs (`1e-7 + 1e-3·|expected|`).
//! Integer and bool inputs are fed as f32 values (bool as 0/1) and integer
//! and bool outputs read back the same way, as the program carries them
//! (see `vitc_lower::program`); each slot's recorded dtype must be the
//! ONNX one. Cases the lowering rejects are listed by reason and must be
//! exactly those of `tests/conformance/native-not-lowered.txt`.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use vitc_driver::Stage;
use vitc_ir::{DType, Tensor};
use vitc_lower::{LowerOptions, lower, reference};
use vitc_testkit::{node_data_dir, repo_root, require};

/// The case names of a list under `tests/conformance/` (one per line, `#` comments).
fn case_list(file: &str) -> Vec<String> {
    let text = std::fs::read_to_string(repo_root().join("tests/conformance").join(file)).unwrap();
    text.lines().map(|l| l.split('#').next().unwrap_or("").trim()).filter(|l| !l.is_empty()).map(String::from).collect()
}

fn allowlist() -> Vec<String> {
    case_list("node.txt")
}

enum Outcome {
    Passed,
    NotLowered(String),
    Failed(String),
}

fn run_case(dir: &Path) -> Outcome {
    let model = dir.join("model.onnx");
    let summary = vitc_onnx::summarize(&model).unwrap();
    let set = dir.join("test_data_set_0");
    let read = |prefix: &str, n: usize| -> Vec<Tensor> {
        (0..n).map(|i| vitc_onnx::read_tensor_file(&set.join(format!("{prefix}_{i}.pb"))).unwrap()).collect()
    };
    let inputs = read("input", summary.inputs.len());
    let expected = read("output", summary.outputs.len());
    // The same freezing rule as the interpreter's conformance harness.
    let mut options = vitc_onnx::LoadOptions::default();
    let mut fed = Vec::new();
    for (info, t) in summary.inputs.iter().zip(inputs) {
        let shape_like = t.dtype() == DType::F32 && t.dims().len() <= 1 && t.len() <= 8;
        if matches!(t.dtype(), DType::I64 | DType::I32) || shape_like {
            options.frozen_inputs.insert(info.name.clone(), std::sync::Arc::new(t));
        } else {
            fed.push(t);
        }
    }
    let mut graph = vitc_onnx::load_model_with(&model, &options).unwrap();
    vitc_driver::run_pipeline(&mut graph, Stage::Rewritten).unwrap();
    let program = match lower(&graph, &LowerOptions::default()) {
        Ok(p) if !p.batch.dynamic => p,
        Ok(_) => return Outcome::NotLowered("symbolic input shape".into()),
        Err(e) => {
            let text = e.to_string();
            let reason = text.rsplit(": ").next().unwrap_or(&text).to_string();
            return Outcome::NotLowered(reason);
        }
    };
    let weights: Vec<f32> =
        program.weights.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    let jit = common::Jit::new(&program, &common::host());
    for chunks in [1, 2] {
        let mut arena = vec![f32::NAN; program.arena_len];
        for (slot, t) in program.inputs.iter().zip(&fed) {
            if slot.dtype != t.dtype() {
                return Outcome::Failed(format!(
                    "input '{}' is {} but the program says {}",
                    slot.name,
                    t.dtype(),
                    slot.dtype
                ));
            }
            let data: Vec<f32> = t.to_f64_vec().into_iter().map(|v| v as f32).collect();
            arena[slot.offset..slot.offset + slot.len()].copy_from_slice(&data);
        }
        for (k, kernel) in program.kernels.iter().enumerate() {
            for (s, e) in reference::chunk_ranges(kernel.extent(), chunks) {
                jit.run(&program, k, &mut arena, &weights, s, e);
            }
        }
        for (i, (slot, want)) in program.outputs.iter().zip(&expected).enumerate() {
            let got = &arena[slot.offset..slot.offset + slot.len()];
            if slot.dtype != want.dtype() {
                return Outcome::Failed(format!("output {i} is {} but the program says {}", want.dtype(), slot.dtype));
            }
            if got.len() != want.len() {
                return Outcome::Failed(format!("output {i}: {} values, expected {}", got.len(), want.len()));
            }
            for (j, (a, b)) in got.iter().zip(want.to_f64_vec()).enumerate() {
                let a = f64::from(*a);
                if !(a == b || (a - b).abs() <= 1e-7 + 1e-3 * b.abs() || (a.is_nan() && b.is_nan())) {
                    return Outcome::Failed(format!("output {i} element {j}: {a} but expected {b} ({chunks} chunks)"));
                }
            }
        }
    }
    Outcome::Passed
}

#[test]
fn allowlisted_node_cases_pass_in_native_code() {
    let data = require(node_data_dir(), "the ONNX node test data");
    let cases = allowlist();
    let (mut passed, mut failed, mut not_lowered) = (0, Vec::new(), BTreeMap::<String, Vec<String>>::new());
    for case in &cases {
        match std::panic::catch_unwind(|| run_case(&data.join(case))) {
            Ok(Outcome::Passed) => passed += 1,
            Ok(Outcome::NotLowered(reason)) => not_lowered.entry(reason).or_default().push(case.clone()),
            Ok(Outcome::Failed(why)) => failed.push(format!("{case}: {why}")),
            Err(_) => failed.push(format!("{case}: panicked")),
        }
    }
    let skipped: usize = not_lowered.values().map(Vec::len).sum();
    println!(
        "native conformance: {} allowlisted, {} lowered, {passed} passed, {} failed, {skipped} not lowered",
        cases.len(),
        passed + failed.len(),
        failed.len()
    );
    for (reason, list) in &not_lowered {
        println!("  not lowered ({}): {reason}: {}", list.len(), list.join(" "));
    }
    assert!(failed.is_empty(), "{} cases fail in native code:\n{}", failed.len(), failed.join("\n"));
    let mut unlowered: Vec<String> = not_lowered.into_values().flatten().collect();
    unlowered.sort();
    let mut expected = case_list("native-not-lowered.txt");
    expected.sort();
    assert_eq!(unlowered, expected, "the cases not lowered differ from tests/conformance/native-not-lowered.txt");
    assert!(passed > 0, "no allowlisted case ran natively");
}
