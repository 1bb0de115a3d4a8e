//! Every catalogue kernel, run by the PTX interpreter of `sim/` on random
//! data, matches `vitc_lower::reference` (no GPU needed): the generated
//! code is checked for what it computes, not only that it assembles.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

mod common;
mod sim;

use common::kernels;
use vitc_backend_ptx::{PtxTarget, compile_ptx};
use vitc_lower::{Kernel, reference};

/// Deterministic values in [-2, 2).
fn noise(n: usize, seed: u64) -> Vec<f32> {
    vitc_testkit::Rng::new(seed).vec(n, -2.0, 2.0)
}

/// Weights: random floats, with valid index tables where the kernel reads some.
fn weights_for(kernel: &Kernel) -> Vec<u32> {
    let mut w: Vec<u32> = noise(kernels::WEIGHTS, 7).into_iter().map(f32::to_bits).collect();
    let (table, count, limit) = match kernel {
        Kernel::Gather { table, indices, src_axis, .. } => (table.offset, *indices, *src_axis),
        Kernel::Resample { index, dst_axis, taps, src_axis, .. } => (index.offset, dst_axis * taps, *src_axis),
        _ => return w,
    };
    for i in 0..count {
        w[table + i] = ((i * 7 + 3) % limit) as u32;
    }
    w
}

fn check(name: &str, kernel: &Kernel) -> Result<(), String> {
    let program = kernels::program(name, kernel.clone());
    let module = compile_ptx(&program, "t", PtxTarget::Sm80).map_err(|e| e.to_string())?;
    let entries = sim::parse(&module.ptx);
    let entry = &entries["t_k0"];
    let launch = module.entries[0].launch;
    let weights = weights_for(kernel);
    let arena = noise(kernels::ARENA, name.len() as u64 + 11);
    let mut expected = arena.clone();
    let initial = arena.clone();
    let bytes: Vec<u8> = weights.iter().flat_map(|w| w.to_le_bytes()).collect();
    let w = reference::Weights::new(&bytes)?;
    reference::run_kernel(kernel, &mut expected, &w, 0, kernel.extent())?;
    let mut mem = sim::Memory { arena, weights };
    assert_eq!(launch.grid[1], 1);
    sim::run(entry, launch.grid[0], launch.block, &mut mem);
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
    let written = expected.iter().zip(&initial).filter(|(a, b)| a.to_bits() != b.to_bits()).count();
    if written == 0 {
        return Err(format!("{name}: the reference wrote nothing (the test data is degenerate)"));
    }
    if std::env::var_os("VITC_SIM_VERBOSE").is_some() {
        eprintln!("{name}: {written} outputs, worst error {:e}", worst.0);
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
fn every_catalogue_kernel_matches_the_reference() {
    let cases = kernels::catalogue();
    let failures: Vec<String> = cases.iter().filter_map(|(name, k)| check(name, k).err()).collect();
    eprintln!("{} kernels simulated, {} mismatches", cases.len(), failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
