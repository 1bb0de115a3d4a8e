//! GEMM micro-benchmark (ignored: a measurement, not a test): every `Gemm`
//! kernel of the lowered LeViT-128S (or `VITC_PROFILE_MODEL`), compiled
//! with LLVM for the host CPU, timed alone on one thread over its whole
//! extent; prints GFLOP/s per shape and two shares: of the AVX2 + FMA peak,
//! 32 FLOP/cycle/core (two 8-lane FMA pipes) at the clock `/proc/cpuinfo`
//! reports (the nominal clock: turbo makes this exceed 100 %), and of this
//! core's FMA peak as measured in the same run by `bench/fma_peak.c` (twelve
//! independent FMA chains as wide as the CPU has: 16 lanes with AVX-512).
//!
//! `cargo test --release -p vitc-backend-llvm --features llvm --test gemm_bench -- --ignored --nocapture`

#![cfg(feature = "llvm")]
#![allow(clippy::unwrap_used)] // a measurement harness: a failure is a failure

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use vitc_backend_llvm::LlvmTarget;
use vitc_driver::Stage;
use vitc_lower::Gemm;
use vitc_lower::{GemmB, Kernel, LowerOptions, lower};

/// The CPU clock in GHz from `/proc/cpuinfo` (first `cpu MHz`).
fn clock_ghz() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("cpu MHz"))?;
    line.split(':').nth(1)?.trim().parse::<f64>().ok().map(|mhz| mhz / 1000.0)
}

/// The target of the benchmark: the host, or `VITC_BENCH_CPU` (an LLVM
/// CPU name such as `x86-64-v3`) on the host's architecture.
fn bench_target() -> LlvmTarget {
    let host = LlvmTarget::host().unwrap();
    match std::env::var("VITC_BENCH_CPU") {
        Ok(cpu) => LlvmTarget::with_cpu(host.arch, &cpu),
        Err(_) => host,
    }
}

/// This core's FMA throughput in GFLOP/s with vectors of `lanes` floats,
/// measured by `bench/fma_peak.c` compiled with `cc`.
fn measured_peak(lanes: u32) -> Option<(f64, u32)> {
    let flags: &[&str] = match (cfg!(target_arch = "x86_64"), lanes) {
        (true, 16) => &["-mavx512f", "-mfma"],
        (true, 8) => &["-mavx2", "-mfma"],
        _ => &[],
    };
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bench/fma_peak.c");
    let exe = common::scratch("fma_peak").join("fma_peak");
    let built = std::process::Command::new("cc").arg("-O2").args(flags).arg(&src).arg("-o").arg(&exe).status();
    if !built.is_ok_and(|s| s.success()) {
        return None;
    }
    let out = std::process::Command::new(&exe).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut words = text.split_whitespace();
    let gflops = words.nth(1)?.parse().ok()?;
    let lanes = words.nth(1)?.parse().ok()?;
    Some((gflops, lanes))
}

/// Batch 1, GEMM panels as the driver packs them for `target`.
fn options_for(target: &LlvmTarget) -> LowerOptions {
    LowerOptions { max_batch: 1, gemm_nr: vitc_backend_llvm::gemm_panel_width(target).unwrap(), ..Default::default() }
}

/// Every GEMM of a model (`VITC_PROFILE_MODEL`, default LeViT-128S).
#[test]
#[ignore = "a benchmark; run with --ignored --nocapture"]
fn levit_gemm_shapes() {
    let model = std::env::var("VITC_PROFILE_MODEL").unwrap_or_else(|_| "levit_128s".into());
    let onnx = vitc_testkit::model_file(&format!("{model}.onnx"));
    let graph = vitc_driver::load_onnx(&onnx, Stage::Rewritten).unwrap();
    let target = bench_target();
    let program = lower(&graph, &options_for(&target)).unwrap();
    let lib = common::Lib::new(&program, &target);
    let weights = vitc_testkit::kernels::weights_f32(&program);
    let mut rng = common::Rng::new(3);
    let mut arena = rng.vec(program.arena_len, -1.0, 1.0);
    let ghz = clock_ghz().unwrap_or(f64::NAN);
    let peak = 32.0 * ghz;
    println!("clock {ghz:.2} GHz (/proc/cpuinfo), peak {peak:.1} GFLOP/s per core at 32 FLOP/cycle");
    let lanes = vitc_backend_llvm::describe_target(&target).unwrap().2;
    println!("target {} ({lanes}-lane kernels)", target.name());
    let (measured, lanes) = measured_peak(lanes).unwrap_or((f64::NAN, 0));
    println!("measured FMA peak of this core: {measured:.1} GFLOP/s ({lanes}-lane vectors, bench/fma_peak.c)");
    let (tile_m, tile_n) = vitc_backend_llvm::gemm_tile(&target).unwrap();
    println!("micro-kernel tile {tile_m}x{tile_n}");
    // shape -> (flops, seconds, count)
    let mut by_shape: BTreeMap<String, (f64, f64, usize)> = BTreeMap::new();
    let (mut all_flops, mut all_secs) = (0.0, 0.0);
    for (i, k) in program.kernels.iter().enumerate() {
        let Kernel::Gemm(Gemm { m, n, k: kk, batch, b, bias, act, .. }) = k else { continue };
        let flops = 2.0 * (*m * *n * *kk * *batch) as f64;
        let kind = match b {
            GemmB::Packed { .. } => "packed",
            GemmB::Strided { col_stride: 1, .. } => "rows",
            GemmB::Strided { .. } => "cols",
        };
        // Enough repetitions for ~20 ms, best of 5 rounds.
        let reps = ((2e7 / flops) as usize).clamp(3, 20_000);
        let mut best = f64::INFINITY;
        for _ in 0..5 {
            let t = Instant::now();
            for _ in 0..reps {
                lib.run(&program, i, &mut arena, &weights, 0, k.extent());
            }
            best = best.min(t.elapsed().as_secs_f64() / reps as f64);
        }
        let name = format!(
            "{m}x{n}x{kk} batch {batch} B {kind}{}{}",
            if bias.is_some() { " +bias" } else { "" },
            if *act != vitc_lower::Activation::None { format!(" {act:?}") } else { String::new() }
        );
        let e = by_shape.entry(name).or_insert((0.0, 0.0, 0));
        e.0 += flops;
        e.1 += best;
        e.2 += 1;
        all_flops += flops;
        all_secs += best;
    }
    println!(
        "{:<48} {:>5} {:>10} {:>9} {:>7} {:>10}",
        "shape (m x n x k)", "count", "us/call", "GFLOP/s", "% 32F/c", "% measured"
    );
    for (name, (flops, secs, count)) in &by_shape {
        let gf = flops / secs / 1e9;
        println!(
            "{name:<48} {count:>5} {:>10.1} {gf:>9.1} {:>6.1}% {:>9.1}%",
            secs / *count as f64 * 1e6,
            100.0 * gf / peak,
            100.0 * gf / measured
        );
    }
    let gf = all_flops / all_secs / 1e9;
    println!(
        "all GEMMs of {model}: {:.2} GFLOP in {:.3} ms = {gf:.1} GFLOP/s, {:.1}% of 32 FLOP/cycle at {ghz:.2} GHz, \
         {:.1}% of the measured peak",
        all_flops / 1e9,
        all_secs * 1e3,
        100.0 * gf / peak,
        100.0 * gf / measured
    );
}

/// Time per kernel kind of a whole model run on one thread (ignored: a
/// measurement). `VITC_PROFILE_MODEL` picks the model (default LeViT-128S),
/// `VITC_BENCH_CPU` the target.
#[test]
#[ignore = "a benchmark; run with --ignored --nocapture"]
fn kernel_profile() {
    let model = std::env::var("VITC_PROFILE_MODEL").unwrap_or_else(|_| "levit_128s".into());
    let onnx = vitc_testkit::model_file(&format!("{model}.onnx"));
    let graph = vitc_driver::load_onnx(&onnx, Stage::Rewritten).unwrap();
    let target = bench_target();
    let program = lower(&graph, &options_for(&target)).unwrap();
    let lib = common::Lib::new(&program, &target);
    let weights = vitc_testkit::kernels::weights_f32(&program);
    let mut rng = common::Rng::new(5);
    let mut arena = rng.vec(program.arena_len, -1.0, 1.0);
    let mut best = vec![f64::INFINITY; program.kernels.len()];
    for _ in 0..20 {
        for (i, k) in program.kernels.iter().enumerate() {
            let t = Instant::now();
            lib.run(&program, i, &mut arena, &weights, 0, k.extent());
            best[i] = best[i].min(t.elapsed().as_secs_f64());
        }
    }
    let mut by_kind: BTreeMap<&str, (f64, usize)> = BTreeMap::new();
    for (k, t) in program.kernels.iter().zip(&best) {
        let e = by_kind.entry(k.name()).or_default();
        e.0 += t;
        e.1 += 1;
    }
    let total: f64 = best.iter().sum();
    println!("{model}: {} kernels, sum of best per-kernel times {:.2} ms", program.kernels.len(), total * 1e3);
    for (name, (t, n)) in &by_kind {
        println!("{name:<18} {n:>4} kernels {:>8.3} ms {:>5.1}%", t * 1e3, 100.0 * t / total);
    }
    let mut idx: Vec<usize> = (0..best.len()).collect();
    idx.sort_by(|&a, &b| best[b].total_cmp(&best[a]));
    for &i in idx.iter().take(8) {
        let k = &program.kernels[i];
        let desc = format!("{k:?}");
        println!("k{i:<4} {:>8.3} ms {}", best[i] * 1e3, &desc[..desc.len().min(150)]);
    }
}
