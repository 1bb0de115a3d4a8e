//! ONNX node conformance through LLVM: every allowlisted case
//! (`tests/conformance/node.txt`) that the lowering accepts is compiled for
//! the host CPU into its own object (symbol prefix `c{index}`), all objects
//! are linked into one shared library, and each case's kernels run in one
//! and in two chunks and must match the expected outputs
//! (`vitc_testkit::node_cases`, the same preparation and bound as the
//! Cranelift test). The cases not lowered must be exactly those of
//! `tests/conformance/native-not-lowered.txt`.

#![cfg(feature = "llvm")]
#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

use std::process::Command;
use vitc_backend_llvm::{LlvmTarget, compile_object, kernel_symbol};
use vitc_lower::reference;
use vitc_testkit::node_cases::{Case, Outcome, assert_outcomes, case_list, check_outputs, fill_inputs, prepare};
use vitc_testkit::{node_data_dir, require, require_tool};

/// The kernel ABI.
type KernelFn = unsafe extern "C" fn(*mut f32, *const f32, u64, u64);

fn run_case(case: &Case, lib: &libloading::Library, prefix: &str) -> Outcome {
    let fns: Vec<KernelFn> = (0..case.program.kernels.len())
        .map(|k| {
            // SAFETY: `{prefix}_k{k}` is a kernel of this case's program, with
            // the kernel ABI `void(float *, const float *, uint64_t, uint64_t)`.
            *unsafe { lib.get::<KernelFn>(kernel_symbol(prefix, k).as_bytes()) }.unwrap()
        })
        .collect();
    for chunks in [1, 2] {
        let mut arena = match fill_inputs(case) {
            Ok(a) => a,
            Err(e) => return Outcome::Failed(e),
        };
        assert!(case.weights.len() * 4 >= case.program.weights.len());
        for (k, kernel) in case.program.kernels.iter().enumerate() {
            for (s, e) in reference::chunk_ranges(kernel.extent(), chunks) {
                // SAFETY: the program passed `Program::validate` when it was
                // compiled: the kernel touches arena elements below
                // `arena_len` (the arena's length) and the weights (all of
                // them passed) for outer indices within `0..extent`.
                unsafe { fns[k](arena.as_mut_ptr(), case.weights.as_ptr(), s as u64, e as u64) }
            }
        }
        if let Err(e) = check_outputs(case, &arena) {
            return Outcome::Failed(format!("{e} ({chunks} chunks)"));
        }
    }
    Outcome::Passed
}

#[test]
fn allowlisted_node_cases_pass_in_llvm_code() {
    require_tool("cc");
    let data = require(node_data_dir(), "the ONNX node test data");
    let target = LlvmTarget::host().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let names = case_list("node.txt");
    // Prepared and compiled on every core, each case into its own object.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut prepared: Vec<Option<Result<Case, String>>> = (0..names.len()).map(|_| None).collect();
    let mut objects = Vec::new();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (names, data, dir, target) = (&names, &data, dir.path(), &target);
                scope.spawn(move || {
                    let mut done = Vec::new();
                    for (i, name) in names.iter().enumerate().skip(t).step_by(threads) {
                        let case = prepare(&data.join(name));
                        let mut object = None;
                        if let Ok(c) = &case {
                            let bytes = compile_object(&c.program, &format!("c{i}"), target)
                                .unwrap_or_else(|e| panic!("{name}: {e}"));
                            let path = dir.join(format!("c{i}.o"));
                            std::fs::write(&path, bytes).unwrap();
                            object = Some(path);
                        }
                        done.push((i, case, object));
                    }
                    done
                })
            })
            .collect();
        for worker in workers {
            for (i, case, object) in worker.join().unwrap() {
                prepared[i] = Some(case);
                objects.extend(object);
            }
        }
    });
    let so = dir.path().join("cases.so");
    let out = Command::new("cc").arg("-shared").arg("-o").arg(&so).args(&objects).arg("-lm").output().unwrap();
    assert!(out.status.success(), "cc: {}", String::from_utf8_lossy(&out.stderr));
    // SAFETY: the library is our own objects linked by `cc`: no initialisers,
    // only kernels and weights.
    let lib = unsafe { libloading::Library::new(&so) }.unwrap();
    let outcomes: Vec<(String, Outcome)> = names
        .iter()
        .zip(prepared)
        .enumerate()
        .map(|(i, (name, case))| {
            let outcome = match case {
                Some(Ok(case)) => run_case(&case, &lib, &format!("c{i}")),
                Some(Err(reason)) => Outcome::NotLowered(reason),
                None => Outcome::Failed("not prepared".into()),
            };
            (name.clone(), outcome)
        })
        .collect();
    assert_outcomes("native conformance (LLVM)", &outcomes);
}
