//! The ONNX node conformance cases as native programs, for every backend's
//! conformance test: [`prepare`] reads a case, freezes its compile-time
//! operands (integer inputs and small float vectors, as the interpreter's
//! harness does), runs the pipeline and lowers it; [`fill_inputs`] and
//! [`check_outputs`] feed and compare an arena. The backend runs the
//! kernels. [`case_list`] reads `tests/conformance/node.txt` and
//! `native-not-lowered.txt`; [`assert_outcomes`] is the verdict both
//! backends share.

use crate::repo_root;
use std::collections::BTreeMap;
use std::path::Path;
use vitc_driver::Stage;
use vitc_ir::{DType, Tensor};
use vitc_lower::{LowerOptions, Program, lower};

/// A case ready to run natively.
pub struct Case {
    pub program: Program,
    /// The run-time inputs, in the program's input order.
    pub fed: Vec<Tensor>,
    pub expected: Vec<Tensor>,
    /// The program's weights as f32s.
    pub weights: Vec<f32>,
}

/// What a case came to.
pub enum Outcome {
    Passed,
    NotLowered(String),
    Failed(String),
}

/// The case names of a list under `tests/conformance/` (one per line, `#` comments).
pub fn case_list(file: &str) -> Vec<String> {
    let path = repo_root().join("tests/conformance").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines().map(|l| l.split('#').next().unwrap_or("").trim()).filter(|l| !l.is_empty()).map(String::from).collect()
}

/// The conformance harnesses' rule for compile-time operands: integer
/// inputs and small (rank ≤ 1, ≤ 8 elements) float inputs are frozen to
/// their test values; the rest are returned, in order, to be fed at run time.
pub fn freeze_compile_time_inputs(
    summary: &vitc_onnx::ModelSummary,
    inputs: Vec<Tensor>,
) -> (vitc_onnx::LoadOptions, Vec<Tensor>) {
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
    (options, fed)
}

/// Reads, freezes and lowers the case in `dir`: `Err` holds the reason the
/// lowering gave when it does not lower.
pub fn prepare(dir: &Path) -> Result<Case, String> {
    let model = dir.join("model.onnx");
    let summary = vitc_onnx::summarize(&model).map_err(|e| e.to_string())?;
    let set = dir.join("test_data_set_0");
    let read = |prefix: &str, n: usize| -> Vec<Tensor> {
        (0..n)
            .map(|i| {
                let file = set.join(format!("{prefix}_{i}.pb"));
                vitc_onnx::read_tensor_file(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
            })
            .collect()
    };
    let inputs = read("input", summary.inputs.len());
    let expected = read("output", summary.outputs.len());
    let (options, fed) = freeze_compile_time_inputs(&summary, inputs);
    let mut graph = vitc_onnx::load_model_with(&model, &options).unwrap_or_else(|e| panic!("import: {e}"));
    vitc_driver::run_pipeline(&mut graph, Stage::Rewritten).unwrap_or_else(|e| panic!("pipeline: {e}"));
    let program = match lower(&graph, &LowerOptions::default()) {
        Ok(p) if !p.batch.dynamic => p,
        Ok(_) => return Err("symbolic input shape".into()),
        Err(e) => {
            let text = e.to_string();
            return Err(text.rsplit(": ").next().unwrap_or(&text).to_string());
        }
    };
    let weights = program.weights.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    Ok(Case { program, fed, expected, weights })
}

/// A fresh arena (NaN everywhere) with the inputs in their slots, as f32s
/// (bools 0/1, integers exact).
pub fn fill_inputs(case: &Case) -> Result<Vec<f32>, String> {
    let mut arena = vec![f32::NAN; case.program.arena_len];
    for (slot, t) in case.program.inputs.iter().zip(&case.fed) {
        if slot.dtype != t.dtype() {
            return Err(format!("input '{}' is {} but the program says {}", slot.name, t.dtype(), slot.dtype));
        }
        let data: Vec<f32> = t.to_f64_vec().into_iter().map(|v| v as f32).collect();
        arena[slot.offset..slot.offset + slot.len()].copy_from_slice(&data);
    }
    Ok(arena)
}

/// Compares the output slots of `arena` with the expected outputs
/// (`1e-7 + 1e-3·|expected|`, NaN matching NaN; the recorded dtypes must
/// be the ONNX ones).
pub fn check_outputs(case: &Case, arena: &[f32]) -> Result<(), String> {
    for (i, (slot, want)) in case.program.outputs.iter().zip(&case.expected).enumerate() {
        let got = &arena[slot.offset..slot.offset + slot.len()];
        if slot.dtype != want.dtype() {
            return Err(format!("output {i} is {} but the program says {}", want.dtype(), slot.dtype));
        }
        if got.len() != want.len() {
            return Err(format!("output {i}: {} values, expected {}", got.len(), want.len()));
        }
        for (j, (a, b)) in got.iter().zip(want.to_f64_vec()).enumerate() {
            let a = f64::from(*a);
            if !(a == b || (a - b).abs() <= 1e-7 + 1e-3 * b.abs() || (a.is_nan() && b.is_nan())) {
                return Err(format!("output {i} element {j}: {a} but expected {b}"));
            }
        }
    }
    Ok(())
}

/// Prints the tally under `label` and fails unless every lowered case
/// passed and the cases not lowered are exactly `native-not-lowered.txt`.
pub fn assert_outcomes(label: &str, outcomes: &[(String, Outcome)]) {
    let (mut passed, mut failed, mut not_lowered) = (0, Vec::new(), BTreeMap::<&str, Vec<&str>>::new());
    for (case, outcome) in outcomes {
        match outcome {
            Outcome::Passed => passed += 1,
            Outcome::NotLowered(reason) => not_lowered.entry(reason).or_default().push(case),
            Outcome::Failed(why) => failed.push(format!("{case}: {why}")),
        }
    }
    let skipped: usize = not_lowered.values().map(Vec::len).sum();
    println!(
        "{label}: {} allowlisted, {} lowered, {passed} passed, {} failed, {skipped} not lowered",
        outcomes.len(),
        passed + failed.len(),
        failed.len()
    );
    for (reason, list) in &not_lowered {
        println!("  not lowered ({}): {reason}: {}", list.len(), list.join(" "));
    }
    assert!(failed.is_empty(), "{} cases fail in native code:\n{}", failed.len(), failed.join("\n"));
    assert!(passed > 0, "no allowlisted case ran natively");
    let mut unlowered: Vec<String> = not_lowered.into_values().flatten().map(String::from).collect();
    unlowered.sort();
    let mut expected = case_list("native-not-lowered.txt");
    expected.sort();
    assert_eq!(unlowered, expected, "the cases not lowered differ from tests/conformance/native-not-lowered.txt");
}
