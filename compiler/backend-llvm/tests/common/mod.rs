//! Test support: programs compiled with LLVM into an object, linked into a
//! shared library with `cc` and opened with `libloading`, so the tests run
//! exactly the code `vitc compile --backend llvm` ships; comparison with
//! `vitc_lower::reference` (seeded data and `assert_close` come from
//! `vitc-testkit`).

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

use vitc_backend_llvm::{LlvmTarget, compile_object, kernel_symbol};
use vitc_lower::{Kernel, Program, reference};
pub use vitc_testkit::kernels::{chunkings, program};
pub use vitc_testkit::{Rng, assert_close};

/// The kernel ABI.
pub type KernelFn = unsafe extern "C" fn(*mut f32, *const f32, u64, u64);

/// A program compiled for the host, loaded in this process.
pub struct Lib {
    _dir: tempfile::TempDir,
    _lib: libloading::Library,
    fns: Vec<KernelFn>,
}

impl Lib {
    /// Compiles `program` for `target` (which must run on this machine),
    /// links it into a shared library and loads it.
    pub fn new(program: &Program, target: &LlvmTarget) -> Lib {
        let obj = compile_object(program, "t", target).unwrap_or_else(|e| panic!("compile: {e}"));
        let dir = tempfile::tempdir().expect("temp dir");
        let o = dir.path().join("t.o");
        let so = dir.path().join("t.so");
        std::fs::write(&o, obj).expect("write object");
        let out = Command::new("cc").arg("-shared").arg("-o").arg(&so).arg(&o).arg("-lm").output().expect("cc");
        assert!(out.status.success(), "cc: {}", String::from_utf8_lossy(&out.stderr));
        // SAFETY: the library is our own object linked by `cc`: it has no
        // initialisers and defines only the kernels and the weights.
        let lib = unsafe { libloading::Library::new(&so) }.expect("dlopen");
        let fns = (0..program.kernels.len())
            .map(|i| {
                let name = kernel_symbol("t", i);
                // SAFETY: `{prefix}_k{i}` is a function with the kernel ABI
                // `void(float *, const float *, uint64_t, uint64_t)`.
                let f: libloading::Symbol<'_, KernelFn> = unsafe { lib.get(name.as_bytes()) }.expect("symbol");
                *f
            })
            .collect();
        Lib { _dir: dir, _lib: lib, fns }
    }

    /// Runs kernel `k` over `start..end`.
    pub fn run(&self, program: &Program, k: usize, arena: &mut [f32], weights: &[f32], start: usize, end: usize) {
        assert!(arena.len() >= program.arena_len);
        assert!(weights.len() * 4 >= program.weights.len());
        assert!(start <= end && end <= program.kernels[k].extent());
        // SAFETY: the program passed `Program::validate` when compiled, so the
        // kernel touches arena elements below `program.arena_len` and weights
        // below `program.weights.len()` (both checked above) for outer
        // indices within `0..extent` (checked above).
        unsafe { (self.fns[k])(arena.as_mut_ptr(), weights.as_ptr(), start as u64, end as u64) }
    }
}

/// Compiles `kernels` for `target`, runs them in one call each and with
/// several chunkings, compares the arena with the reference executor and
/// checks every chunking is bit-identical to one call.
pub fn check(name: &str, kernels: Vec<Kernel>, init: &[f32], weights: &[f32], target: &LlvmTarget) {
    let prog = program(kernels, init.len(), weights);
    let w = reference::Weights::new(&prog.weights).expect("weights");
    let mut expected = init.to_vec();
    for k in &prog.kernels {
        reference::run_kernel(k, &mut expected, &w, 0, k.extent()).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let lib = Lib::new(&prog, target);
    let mut whole = init.to_vec();
    for (k, kernel) in prog.kernels.iter().enumerate() {
        lib.run(&prog, k, &mut whole, weights, 0, kernel.extent());
    }
    assert_close(&whole, &expected, 2e-5, 2e-5, &format!("{name} on {}", target.name()));
    let mut rng = Rng::new(7);
    for (k, kernel) in prog.kernels.iter().enumerate() {
        for chunks in chunkings(kernel.extent(), &mut rng) {
            let mut arena = init.to_vec();
            for (kk, other) in prog.kernels.iter().enumerate() {
                if kk == k {
                    for &(s, e) in &chunks {
                        lib.run(&prog, kk, &mut arena, weights, s, e);
                    }
                } else {
                    lib.run(&prog, kk, &mut arena, weights, 0, other.extent());
                }
            }
            let same = arena.iter().zip(&whole).all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "{name}: kernel {k} chunked {chunks:?} differs from one call");
        }
    }
}

/// A scratch directory under the target dir.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("llvm").join(name);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}
