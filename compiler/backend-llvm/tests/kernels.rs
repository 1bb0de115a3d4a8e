//! Every shared kernel sample (`vitc_testkit::kernels`: every kernel kind,
//! op and tail case, GEMM panels of 8 and of 16 columns) compiled with
//! LLVM for the host CPU, the x86-64 baseline (SSE2: 4 lanes, no FMA),
//! `x86-64-v3` (AVX2 + FMA: 8 lanes) and, where the host has AVX-512,
//! `x86-64-v4` (16 lanes), run from a shared library and compared
//! with `vitc_lower::reference`; every chunking must be bit-identical.

#![cfg(feature = "llvm")]
#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

mod common;

use common::check;
use vitc_backend_llvm::{Arch, LlvmTarget};
use vitc_testkit::kernels::samples;

fn targets() -> Vec<LlvmTarget> {
    let mut t = vec![LlvmTarget::host().unwrap()];
    if cfg!(target_arch = "x86_64") {
        t.push(LlvmTarget::with_cpu(Arch::X86_64, "x86-64"));
        t.push(LlvmTarget::with_cpu(Arch::X86_64, "x86-64-v3"));
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f") {
            t.push(LlvmTarget::with_cpu(Arch::X86_64, "x86-64-v4"));
        }
    }
    t
}

#[test]
fn every_sample_matches_the_reference() {
    vitc_testkit::require_tool("cc");
    for target in targets() {
        for s in samples() {
            check(&s.name, s.kernels.clone(), &s.init, &s.weights, &target);
        }
    }
}

#[test]
fn ir_and_asm_listings_name_every_kernel() {
    let s = &samples()[0];
    let prog = common::program(s.kernels.clone(), s.init.len(), &s.weights);
    let t = LlvmTarget::with_cpu(Arch::X86_64, "x86-64-v3");
    let ir = vitc_backend_llvm::emit_llvm_ir(&prog, "m", &t).unwrap();
    let asm = vitc_backend_llvm::emit_asm(&prog, "m", &t).unwrap();
    for i in 0..prog.kernels.len() {
        assert!(ir.contains(&format!("@m_k{i}(")), "{ir}");
        assert!(asm.contains(&format!("m_k{i}:")), "{asm}");
    }
    assert!(asm.contains("ymm"), "x86-64-v3 code uses 256-bit registers");
    let a64 = vitc_backend_llvm::emit_asm(&prog, "m", &LlvmTarget::new(Arch::Aarch64)).unwrap();
    assert!(a64.contains("m_k0:"));
}
