//! The shared sample programs (see `common::samples`): Cranelift's IR
//! verifier on every target, then every host target, chunked, against the
//! naive implementation.

mod common;

#[test]
fn samples_on_host() {
    for s in common::samples::samples() {
        eprintln!("{}", s.name);
        common::check_program(s.kernels, &s.init, &s.weights, 2e-5, 2e-5);
    }
}

#[test]
fn samples_pass_the_verifier() {
    for s in common::samples::samples() {
        let prog = common::program(s.kernels, s.init.len(), &s.weights);
        for t in ["x86_64-linux", "x86_64-v2-linux", "x86_64-v3-linux", "aarch64-linux"] {
            let target = vitc_backend_cranelift::Target::parse(t).expect("target");
            vitc_backend_cranelift::verify(&prog, &target).unwrap_or_else(|e| panic!("{}: {t}: {e}", s.name));
        }
    }
}
