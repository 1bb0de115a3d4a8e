//! The shared kernel samples (`vitc_testkit::kernels`): Cranelift's IR
//! verifier on every target, then every host target, chunked, against the
//! naive implementation and the reference executor. Samples with GEMM
//! panels wider than Cranelift reads must be refused with that reason.

mod common;

use vitc_backend_cranelift::{Target, compile_object, verify};
use vitc_testkit::kernels::samples;

const TARGETS: [&str; 4] = ["x86_64-linux", "x86_64-v2-linux", "x86_64-v3-linux", "aarch64-linux"];

#[test]
fn samples_on_host() {
    for s in samples().into_iter().filter(|s| !s.wide_panels()) {
        eprintln!("{}", s.name);
        common::check_program(s.kernels, &s.init, &s.weights, 2e-5, 2e-5);
    }
}

#[test]
fn samples_pass_the_verifier() {
    for s in samples().into_iter().filter(|s| !s.wide_panels()) {
        let prog = s.program();
        for t in TARGETS {
            let target = Target::parse(t).expect("target");
            verify(&prog, &target).unwrap_or_else(|e| panic!("{}: {t}: {e}", s.name));
        }
    }
}

#[test]
fn wide_panels_are_refused() {
    let wide: Vec<_> = samples().into_iter().filter(|s| s.wide_panels()).collect();
    assert!(!wide.is_empty());
    for s in wide {
        let prog = s.program();
        for t in TARGETS {
            let target = Target::parse(t).expect("target");
            for err in [verify(&prog, &target).err(), compile_object(&prog, "t", &target).err()] {
                let msg = err.map(|e| e.to_string()).unwrap_or_default();
                assert!(msg.contains("packed GEMM panels of 16 columns"), "{}: {t}: {msg:?}", s.name);
            }
        }
    }
}
