//! The shared sample programs (see `common::samples`) on every host target,
//! chunked, against the naive implementation.

mod common;

#[test]
fn samples_on_host() {
    for s in common::samples::samples() {
        eprintln!("{}", s.name);
        common::check_program(s.kernels, &s.init, &s.weights, 2e-5, 2e-5);
    }
}
