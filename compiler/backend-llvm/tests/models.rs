//! Whole models through the LLVM backend: every reference export in
//! `../shared/models` (with the egg rewrites, as `vitc compile` does) is
//! lowered, compiled with LLVM for the host CPU, linked by `vitc_link` into
//! a `.so` and run through its C API (`vitc_loader`) with 1 and 2 threads;
//! the output must match ONNX Runtime by the shared rule
//! `max|ours − ref| ≤ 1e-4 · max|ref|`. The dynamic-batch LeViT runs at
//! batches 1, 3 and 16. LeViT is also compiled for aarch64 into a `.a`,
//! linked with `aarch64-linux-gnu-gcc` and run under `qemu-aarch64`.
//! Missing data or tools fail the test, naming what is missing.

#![cfg(feature = "llvm")]
#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use vitc_backend_llvm::{Arch, LlvmTarget, compile_objects};
use vitc_driver::Stage;
use vitc_ir::npy::read_npy;
use vitc_link::{LinkOptions, Target as LinkTarget};
use vitc_loader::ModelLibrary;
use vitc_lower::{LowerOptions, Program, lower};

/// The floats of `file` in the reference models' folder.
fn floats(file: &str) -> Vec<f32> {
    read_npy(&vitc_testkit::model_file(file)).unwrap().to_f64_vec().iter().map(|&v| v as f32).collect()
}

/// Lowers `model` (rewritten graph) for up to `max_batch` images, packing
/// constant GEMM operands in panels of `gemm_nr` columns.
fn program(model: &str, max_batch: usize, gemm_nr: usize) -> Program {
    let onnx = vitc_testkit::model_file(&format!("{model}.onnx"));
    let graph = vitc_driver::load_onnx(&onnx, Stage::Rewritten).unwrap_or_else(|e| panic!("{model}: {e:#}"));
    let mut p = lower(&graph, &LowerOptions { max_batch, gemm_nr, ..Default::default() })
        .unwrap_or_else(|e| panic!("{model}: {e}"));
    p.name = model.to_string();
    p
}

/// Compiles `program` as three objects in parallel (more than this
/// machine's two cores, so a part may hold no attention kernel) and links
/// them into `dir/{prefix}.{ext}`.
fn build(program: &Program, prefix: &str, target: &LlvmTarget, link: LinkTarget, out: &Path) {
    let t = Instant::now();
    let objects = compile_objects(program, prefix, target, 3).unwrap_or_else(|e| panic!("{prefix}: {e}"));
    assert_eq!(objects.len(), 3.min(program.kernels.len()), "{prefix}: one object per part");
    let secs = t.elapsed().as_secs_f64();
    vitc_link::link(program, &objects, &LinkOptions { prefix: prefix.into(), target: link }, out)
        .unwrap_or_else(|e| panic!("{prefix}: link: {e}"));
    eprintln!("{prefix}: {} kernels compiled with LLVM for {} in {secs:.2} s", program.kernels.len(), target.name());
}

/// `max|a − b| ≤ 1e-4 · max|b|`, all finite (printing the relative error).
#[track_caller]
fn assert_matches(what: &str, ours: &[f32], reference: &[f32]) {
    let diff = ours.iter().zip(reference).fold(0.0f64, |m, (a, b)| m.max((f64::from(*a) - f64::from(*b)).abs()));
    let scale = reference.iter().fold(0.0f64, |m, b| m.max(f64::from(*b).abs()));
    eprintln!("{what}: max diff {diff:.3e}, max |ref| {scale:.3}, relative {:.3e}", diff / scale);
    vitc_testkit::assert_within(ours, reference, 1e-4, what);
}

/// One model at batch 1 with 1 and 2 threads, lowered as the driver does
/// for the host (GEMM panels of 16 columns with AVX-512).
fn check_model(model: &str, prefix: &str) {
    // The driver's LLVM backend gives the lowering options, as for `vitc compile`.
    let nr = vitc_driver::Backend::gemm_panel_width(&vitc_driver::Llvm(LlvmTarget::host().unwrap())).unwrap();
    let p = program(model, 1, nr);
    let lib = common::scratch(model).join(format!("{prefix}.so"));
    build(&p, prefix, &LlvmTarget::host().unwrap(), LinkTarget::X86_64Linux, &lib);
    let x = floats(&format!("{model}.input.npy"));
    let expected = floats(&format!("{model}.output.npy"));
    let lib = ModelLibrary::open(&lib, None).unwrap();
    for threads in [1, 2] {
        let mut out = vec![f32::NAN; lib.output_len()];
        lib.context(threads).unwrap().run(&x[..lib.input_len()], &mut out, 1).unwrap();
        assert_matches(&format!("{model} ({threads} threads)"), &out, &expected[..lib.output_len()]);
    }
}

#[test]
fn levit_128s() {
    if cfg!(target_arch = "x86_64") {
        check_model("levit_128s", "levit");
    }
}

#[test]
fn deit_tiny() {
    if cfg!(target_arch = "x86_64") {
        check_model("deit_tiny_patch16_224", "deit");
    }
}

#[test]
fn cswin_micro() {
    if cfg!(target_arch = "x86_64") {
        check_model("cswin_micro", "cswin");
    }
}

#[test]
fn lvt() {
    if cfg!(target_arch = "x86_64") {
        check_model("lvt", "lvt");
    }
}

#[test]
fn levit_dynamic_batch_1_3_16() {
    if !cfg!(target_arch = "x86_64") {
        return;
    }
    let model = "levit_128s_dynbatch";
    // Panels of 8 columns whatever the host: with AVX-512, 16-lane B
    // vectors are assembled from two panels.
    let p = program(model, 16, vitc_lower::GEMM_NR);
    let lib = common::scratch(model).join("levit_dyn.so");
    build(&p, "levit_dyn", &LlvmTarget::host().unwrap(), LinkTarget::X86_64Linux, &lib);
    let x = floats(&format!("{model}.input_b16.npy"));
    let expected = floats(&format!("{model}.output_b16.npy"));
    let lib = ModelLibrary::open(&lib, None).unwrap();
    let mut ctx = lib.context(2).unwrap();
    for batch in [1, 3, 16] {
        let mut out = vec![f32::NAN; batch * lib.output_len()];
        ctx.run(&x[..batch * lib.input_len()], &mut out, batch).unwrap();
        assert_matches(&format!("{model} batch {batch}"), &out, &expected[..batch * lib.output_len()]);
    }
}

/// LeViT for aarch64 (`generic` + NEON): a static archive linked with the C
/// API test program by `aarch64-linux-gnu-gcc`, run under qemu.
#[test]
fn levit_aarch64_under_qemu() {
    vitc_testkit::require_tool("aarch64-linux-gnu-gcc");
    vitc_testkit::require_tool("qemu-aarch64");
    let model = "levit_128s";
    let p = program(model, 1, vitc_lower::GEMM_NR);
    let dir = common::scratch("levit_aarch64");
    let lib = dir.join("levit.a");
    build(&p, "levit", &LlvmTarget::new(Arch::Aarch64), LinkTarget::Aarch64Linux, &lib);
    let raw = dir.join("input.f32");
    let x = floats(&format!("{model}.input.npy"));
    std::fs::write(&raw, x.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>()).unwrap();
    let exe = dir.join("api_test");
    let out = Command::new("aarch64-linux-gnu-gcc")
        .args(["-std=c11", "-O2", "-include"])
        .arg(lib.with_extension("h"))
        .arg("-DMODEL=levit")
        .arg(vitc_testkit::repo_root().join("runtime/c/tests/api_test.c"))
        .arg(&lib)
        .args(["-lm", "-lpthread", "-static", "-o"])
        .arg(&exe)
        .output()
        .unwrap();
    assert!(out.status.success(), "aarch64 gcc: {}", String::from_utf8_lossy(&out.stderr));
    let t = Instant::now();
    let run = Command::new("qemu-aarch64").arg(&exe).arg(&raw).output().unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "api_test under qemu failed: {stdout}{}", String::from_utf8_lossy(&run.stderr));
    let ours: Vec<f32> = stdout.lines().map(|l| l.trim().parse().unwrap()).collect();
    eprintln!("levit aarch64 under qemu: {:.1} s", t.elapsed().as_secs_f64());
    assert_matches("levit_128s aarch64 (qemu)", &ours, &floats(&format!("{model}.output.npy")));
}
