//! A stand-in for a backend's object, for tests of the runtime and the
//! linking while (and besides) real backends exist: [`program`] is a small
//! hand-built [`Program`] (GEMM, ReLU, GEMM, row mean over a 64 × 64 image),
//! [`c_source`] implements exactly its kernels in C under the contract's
//! symbol names, [`object`] compiles that with the target's C compiler, and
//! [`reference`] computes the expected output in Rust.
//!
//! The two GEMMs are large enough to be split across threads, ReLU and the
//! mean are not, so the schedule alternates parallel and single-chunk steps.

use crate::{LinkError, Target};
use std::fmt::Write as _;
use std::process::Command;
use vitc_lower::{
    Activation, BatchPlan, DType, GEMM_NR, GemmB, IoSlot, Kernel, Loc, MapOp, MemoryStats, Program, ReduceOp, Strided,
    UnaryOp,
};
use vitc_lower::{Gemm, Map, Reduce};

/// Rows and columns of the image (and of both GEMMs).
pub const N: usize = 64;
/// Floats of one input image.
pub const INPUT_LEN: usize = N * N;
/// Floats of one output row.
pub const OUTPUT_LEN: usize = N;

const TMP: usize = N * N;
const OUT: usize = 2 * N * N;

/// The value of weight `i` (both packed matrices, `2 × N × N` floats).
fn weight(i: usize) -> f32 {
    ((i * 37 % 101) as f32 - 50.0) / 400.0
}

/// Element `(kk, j)` of GEMM `g` (0 or 1) in the packed layout of [`GemmB::Packed`].
fn packed_index(g: usize, kk: usize, j: usize) -> usize {
    g * N * N + ((j / GEMM_NR) * N + kk) * GEMM_NR + j % GEMM_NR
}

fn gemm(a: usize, c: usize, b: usize) -> Kernel {
    Kernel::Gemm(Gemm {
        m: N,
        n: N,
        k: N,
        batch: 1,
        a: Loc::arena(a),
        lda: N,
        a_batch_stride: 0,
        b: GemmB::Packed { at: Loc::weights(b), nr: vitc_lower::GEMM_NR, batch_stride: 0 },
        c: Loc::arena(c),
        ldc: N,
        c_batch_stride: 0,
        bias: None,
        bias_batch_stride: 0,
        residual: None,
        act: Activation::None,
    })
}

/// `out = mean_cols(gemm(relu(gemm(x, B0)), B1))` for one `N × N` image `x`.
pub fn program(name: &str, dynamic: bool, max_batch: usize) -> Program {
    let weights: Vec<u8> = (0..2 * N * N).flat_map(|i| weight(i).to_le_bytes()).collect();
    Program {
        name: name.to_string(),
        kernels: vec![
            gemm(0, TMP, 0),
            Kernel::Map(Map {
                op: MapOp::Unary(UnaryOp::Act(Activation::Relu)),
                dims: vec![N, N],
                out: Loc::arena(TMP),
                inputs: vec![Strided { at: Loc::arena(TMP), strides: vec![N as isize, 1] }],
            }),
            gemm(TMP, 0, N * N),
            Kernel::Reduce(Reduce {
                op: ReduceOp::Mean,
                outer: N,
                reduce: N,
                inner: 1,
                src: Loc::arena(0),
                out: Loc::arena(OUT),
            }),
        ],
        arena_len: OUT + N,
        weights,
        inputs: vec![IoSlot { name: "input".into(), dims: vec![1, N, N], offset: 0, dtype: DType::F32 }],
        outputs: vec![IoSlot { name: "output".into(), dims: vec![1, N], offset: OUT, dtype: DType::F32 }],
        batch: BatchPlan { dynamic, max_batch: if dynamic { max_batch } else { 1 } },
        memory: MemoryStats { arena_bytes: (OUT + N) * 4, activation_bytes: (2 * N * N + N) * 4 },
    }
}

/// C source defining `{prefix}_k0..k3` and `{prefix}_weights` for [`program`].
pub fn c_source(prefix: &str) -> String {
    let mut s = format!(
        "/* Hand-written stand-in for a backend object (vitc_link::stub). */\n#include <stdint.h>\n\n\
         #define N {N}\n#define NR {GEMM_NR}\n\n\
         static void gemm(const float *a, const float *b, float *c, uint64_t start, uint64_t end) {{\n\
         \x20   for (uint64_t i = start; i < end; i++)\n\
         \x20       for (int j = 0; j < N; j++) {{\n\
         \x20           float acc = 0.0f;\n\
         \x20           for (int kk = 0; kk < N; kk++) acc += a[i * N + kk] * b[((j / NR) * N + kk) * NR + j % NR];\n\
         \x20           c[i * N + j] = acc;\n\
         \x20       }}\n}}\n\n\
         void {prefix}_k0(float *arena, const float *w, uint64_t start, uint64_t end) {{\n\
         \x20   gemm(arena, w, arena + {TMP}, start, end);\n}}\n\
         void {prefix}_k1(float *arena, const float *w, uint64_t start, uint64_t end) {{\n\
         \x20   (void)w;\n\
         \x20   for (uint64_t i = start * N; i < end * N; i++) arena[{TMP} + i] = arena[{TMP} + i] > 0.0f ? arena[{TMP} + i] : 0.0f;\n}}\n\
         void {prefix}_k2(float *arena, const float *w, uint64_t start, uint64_t end) {{\n\
         \x20   gemm(arena + {TMP}, w + N * N, arena, start, end);\n}}\n\
         void {prefix}_k3(float *arena, const float *w, uint64_t start, uint64_t end) {{\n\
         \x20   (void)w;\n\
         \x20   for (uint64_t i = start; i < end; i++) {{\n\
         \x20       float acc = 0.0f;\n\
         \x20       for (int r = 0; r < N; r++) acc += arena[i * N + r];\n\
         \x20       arena[{OUT} + i] = acc / N;\n\
         \x20   }}\n}}\n\n\
         const float {prefix}_weights[2 * N * N] __attribute__((aligned(64))) = {{\n"
    );
    for i in 0..2 * N * N {
        let _ = write!(s, "{:?}f,{}", weight(i), if i % 8 == 7 { "\n" } else { " " });
    }
    s.push_str("};\n");
    s
}

/// [`c_source`] compiled for `target` (`cc -O2 -fPIC -c`).
pub fn object(prefix: &str, target: Target) -> Result<Vec<u8>, LinkError> {
    let tools = target.toolchain()?;
    let dir = tempfile::tempdir().map_err(LinkError::io(std::env::temp_dir()))?;
    let (src, obj) = (dir.path().join("stub.c"), dir.path().join("stub.o"));
    std::fs::write(&src, c_source(prefix)).map_err(LinkError::io(&src))?;
    let out = Command::new(&tools.cc)
        .args(["-std=c11", "-O2", "-fPIC", "-ffp-contract=off", "-Wall", "-Wextra", "-Werror", "-c"])
        .arg(&src)
        .arg("-o")
        .arg(&obj)
        .output()
        .map_err(LinkError::io(&tools.cc))?;
    if !out.status.success() {
        return Err(LinkError::Tool {
            command: format!("{} -c stub.c", tools.cc.display()),
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        });
    }
    std::fs::read(&obj).map_err(LinkError::io(&obj))
}

/// The expected output of one image, computed as the C stub does.
pub fn reference(image: &[f32]) -> Vec<f32> {
    let gemm = |a: &[f32], g: usize| -> Vec<f32> {
        let mut c = vec![0.0f32; N * N];
        for i in 0..N {
            for j in 0..N {
                c[i * N + j] = (0..N).fold(0.0f32, |acc, kk| acc + a[i * N + kk] * weight(packed_index(g, kk, j)));
            }
        }
        c
    };
    let hidden: Vec<f32> = gemm(image, 0).into_iter().map(|v| if v > 0.0 { v } else { 0.0 }).collect();
    let y = gemm(&hidden, 1);
    (0..N).map(|i| y[i * N..(i + 1) * N].iter().fold(0.0f32, |acc, v| acc + v) / N as f32).collect()
}

/// A deterministic test input of `images` images (values in about ±1).
pub fn input(images: usize) -> Vec<f32> {
    (0..images * INPUT_LEN).map(|i| ((i * 7919 % 2003) as f32 / 1001.5) - 1.0).collect()
}
