//! Every shared kernel sample (`vitc_testkit::kernels`) that the PTX
//! backend takes, run kernel by kernel by the PTX interpreter of `sim/`,
//! matches `vitc_lower::reference` (no GPU needed): the generated code is
//! checked for what it computes, not only that it assembles. Samples with
//! GEMM panels the PTX kernels do not read are refused (see `ptxas.rs`).

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

mod sim;

use vitc_backend_ptx::{PtxTarget, compile_ptx};
use vitc_lower::reference;
use vitc_testkit::kernels::{Sample, samples};

fn check(sample: &Sample) -> Result<(), String> {
    let name = &sample.name;
    let program = sample.program();
    let module = compile_ptx(&program, "t", PtxTarget::Sm80).map_err(|e| format!("{name}: {e}"))?;
    let entries = sim::parse(&module.ptx);
    let weights: Vec<u32> = sample.weights.iter().map(|w| w.to_bits()).collect();
    let w = reference::Weights::new(&program.weights)?;
    let mut expected = sample.init.clone();
    let mut mem = sim::Memory { arena: sample.init.clone(), weights };
    for (k, (kernel, info)) in program.kernels.iter().zip(&module.entries).enumerate() {
        let before = expected.clone();
        reference::run_kernel(kernel, &mut expected, &w, 0, kernel.extent())?;
        let written = expected.iter().zip(&before).filter(|(a, b)| a.to_bits() != b.to_bits()).count();
        if written == 0 {
            return Err(format!("{name}: kernel {k}: the reference wrote nothing (the test data is degenerate)"));
        }
        assert_eq!(info.launch.grid[1], 1);
        sim::run(&entries[&info.entry], info.launch.grid[0], info.launch.block, &mut mem);
    }
    let mut worst = (0.0f32, 0usize);
    for (i, (&got, &want)) in mem.arena.iter().zip(&expected).enumerate() {
        if got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()) {
            continue;
        }
        let err = (got - want).abs() / want.abs().max(1.0);
        if err > worst.0 || err.is_nan() {
            worst = (err, i);
        }
    }
    if std::env::var_os("VITC_SIM_VERBOSE").is_some() {
        eprintln!("{name}: worst error {:e}", worst.0);
    }
    let (err, at) = worst;
    if err > 2e-5 || err.is_nan() {
        return Err(format!(
            "{name}: element {at} is {} but the reference gives {} (error {err:e})",
            mem.arena[at], expected[at]
        ));
    }
    Ok(())
}

#[test]
fn every_sample_matches_the_reference() {
    let cases: Vec<Sample> = samples().into_iter().filter(|s| !s.wide_panels()).collect();
    let failures: Vec<String> = cases.iter().filter_map(|s| check(s).err()).collect();
    eprintln!("{} samples simulated, {} mismatches", cases.len(), failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
