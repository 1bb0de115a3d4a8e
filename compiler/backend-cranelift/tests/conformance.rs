//! ONNX node conformance through native code: every allowlisted case
//! (`tests/conformance/node.txt`) that the lowering accepts is compiled for
//! the host with `cranelift-jit` and run, each kernel in one and in two
//! chunks, and must match the expected outputs (`1e-7 + 1e-3·|expected|`;
//! `vitc_testkit::node_cases` prepares and checks the cases). Integer and
//! bool values are f32s in the arena, as the program carries them. Cases the
//! lowering rejects are listed by reason and must be exactly those of
//! `tests/conformance/native-not-lowered.txt`.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

mod common;

use vitc_lower::reference;
use vitc_testkit::node_cases::{Outcome, assert_outcomes, case_list, check_outputs, fill_inputs, prepare};
use vitc_testkit::{node_data_dir, require};

fn run_case(dir: &std::path::Path) -> Outcome {
    let case = match prepare(dir) {
        Ok(case) => case,
        Err(reason) => return Outcome::NotLowered(reason),
    };
    let jit = common::Jit::new(&case.program, &common::host());
    for chunks in [1, 2] {
        let mut arena = match fill_inputs(&case) {
            Ok(a) => a,
            Err(e) => return Outcome::Failed(e),
        };
        for (k, kernel) in case.program.kernels.iter().enumerate() {
            for (s, e) in reference::chunk_ranges(kernel.extent(), chunks) {
                jit.run(&case.program, k, &mut arena, &case.weights, s, e);
            }
        }
        if let Err(e) = check_outputs(&case, &arena) {
            return Outcome::Failed(format!("{e} ({chunks} chunks)"));
        }
    }
    Outcome::Passed
}

#[test]
fn allowlisted_node_cases_pass_in_native_code() {
    let data = require(node_data_dir(), "the ONNX node test data");
    let outcomes: Vec<(String, Outcome)> = case_list("node.txt")
        .into_iter()
        .map(|case| {
            let outcome = std::panic::catch_unwind(|| run_case(&data.join(&case)))
                .unwrap_or_else(|_| Outcome::Failed("panicked".into()));
            (case, outcome)
        })
        .collect();
    assert_outcomes("native conformance (Cranelift)", &outcomes);
}
