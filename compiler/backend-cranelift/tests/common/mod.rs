//! Test support: JIT-compiling programs in-process with `cranelift-jit`,
//! straightforward Rust implementations of the kernel contract (`naive`)
//! and comparisons with it and with `vitc_lower::reference` (seeded data
//! and `assert_close` come from `vitc-testkit`).

#![allow(dead_code)]

pub mod naive;

use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{Linkage, default_libcall_names};
use vitc_backend_cranelift::{Target, define_kernels};
use vitc_lower::{Kernel, Program};
pub use vitc_testkit::kernels::{chunkings, program};
pub use vitc_testkit::{Rng, assert_close};

/// The kernel ABI.
pub type KernelFn = unsafe extern "C" fn(*mut f32, *const f32, u64, u64);

extern "C" fn powf_shim(a: f32, b: f32) -> f32 {
    a.powf(b)
}

/// A program compiled for the host in this process.
pub struct Jit {
    _module: JITModule,
    fns: Vec<KernelFn>,
}

impl Jit {
    pub fn new(program: &Program, target: &Target) -> Jit {
        let isa = target.isa(false).expect("isa");
        let mut builder = JITBuilder::with_isa(isa, default_libcall_names());
        builder.symbol("powf", powf_shim as *const u8);
        let mut module = JITModule::new(builder);
        let ids = define_kernels(&mut module, program, "t", target, Linkage::Export).expect("define kernels");
        module.finalize_definitions().expect("finalize");
        let fns = ids
            .iter()
            .map(|&id| {
                let p = module.get_finalized_function(id);
                // SAFETY: `p` is the entry of a function just compiled with the
                // kernel signature `(i64, i64, i64, i64) -> ()` in the host's
                // default calling convention, which is `extern "C"`.
                unsafe { std::mem::transmute::<*const u8, KernelFn>(p) }
            })
            .collect();
        Jit { _module: module, fns }
    }

    /// Runs kernel `k` over `start..end`. Panics unless the arena holds
    /// `program.arena_len` floats (the kernels address it with constant
    /// offsets below that length).
    pub fn run(&self, program: &Program, k: usize, arena: &mut [f32], weights: &[f32], start: usize, end: usize) {
        assert!(arena.len() >= program.arena_len);
        assert!(weights.len() * 4 >= program.weights.len());
        assert!(start <= end && end <= program.kernels[k].extent());
        // SAFETY: the kernel only touches arena elements below
        // `program.arena_len` and weights below `program.weights.len()`
        // (checked above; the test programs are built to respect their own
        // offsets), for outer indices within `0..extent` (checked above).
        unsafe { (self.fns[k])(arena.as_mut_ptr(), weights.as_ptr(), start as u64, end as u64) }
    }

    /// Runs every kernel in order, each in one call.
    pub fn run_all(&self, program: &Program, arena: &mut [f32], weights: &[f32]) {
        for (k, kernel) in program.kernels.iter().enumerate() {
            self.run(program, k, arena, weights, 0, kernel.extent());
        }
    }
}

/// The host target.
pub fn host() -> Target {
    Target::host().expect("host target")
}

/// Targets the host can run: its own features and, on x86-64, the SSE2
/// baseline (no FMA, no AVX).
pub fn host_targets() -> Vec<Target> {
    let h = host();
    let mut v = vec![h];
    if h != Target::X86_64 && cfg!(target_arch = "x86_64") {
        v.push(Target::X86_64);
    }
    v
}

/// Compiles `kernels`, runs them with every chunking on the host targets and
/// compares the arena with `naive::run_program`. The arena starts as
/// `init`. Returns the final arena of the single-call run on the host.
pub fn check_program(kernels: Vec<Kernel>, init: &[f32], weights: &[f32], tol_abs: f32, tol_rel: f32) -> Vec<f32> {
    let prog = program(kernels, init.len(), weights);
    let mut expected = init.to_vec();
    naive::run_program(&prog, &mut expected, weights);
    // The lowering's reference executor (f32, in-order sums) must agree too.
    let mut oracle = init.to_vec();
    let w = vitc_lower::reference::Weights::new(&prog.weights).expect("weights");
    for k in &prog.kernels {
        vitc_lower::reference::run_kernel(k, &mut oracle, &w, 0, k.extent()).expect("reference");
    }
    assert_close(&oracle, &expected, tol_abs.max(1e-6), tol_rel.max(1e-5), "reference vs naive");
    let mut rng = Rng::new(7);
    let mut first = None;
    for target in host_targets() {
        let jit = Jit::new(&prog, &target);
        let mut whole = init.to_vec();
        jit.run_all(&prog, &mut whole, weights);
        assert_close(&whole, &expected, tol_abs, tol_rel, &format!("{target:?}"));
        assert_close(&whole, &oracle, tol_abs.max(1e-6), tol_rel.max(1e-5), &format!("{target:?} vs reference"));
        for (k, kernel) in prog.kernels.iter().enumerate() {
            // Replay the program with kernel k chunked; results must be identical.
            for chunks in chunkings(kernel.extent(), &mut rng) {
                let mut arena = init.to_vec();
                for kk in 0..prog.kernels.len() {
                    if kk == k {
                        for &(s, e) in &chunks {
                            jit.run(&prog, kk, &mut arena, weights, s, e);
                        }
                    } else {
                        jit.run(&prog, kk, &mut arena, weights, 0, prog.kernels[kk].extent());
                    }
                }
                let same = arena.iter().zip(&whole).all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(same, "{target:?}: kernel {k} chunked {chunks:?} differs from one call");
            }
        }
        first.get_or_insert(whole);
    }
    first.unwrap_or_default()
}
