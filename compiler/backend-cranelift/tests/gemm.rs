//! GEMM kernels: packed and strided B, batches, bias, residual and
//! activations, every tail shape, chunked calls; plus a throughput print.

mod common;

use common::{Jit, Rng, check_program, host, program};
use vitc_lower::Gemm;
use vitc_lower::{Activation, GEMM_NR, GemmB, Kernel, Loc};

/// Packs a row-major `k × n` matrix into panels of `GEMM_NR` columns.
fn pack(b: &[f32], k: usize, n: usize) -> Vec<f32> {
    let panels = n.div_ceil(GEMM_NR);
    let mut out = vec![0.0; panels * k * GEMM_NR];
    for p in 0..panels {
        for kk in 0..k {
            for jj in 0..GEMM_NR {
                let j = p * GEMM_NR + jj;
                if j < n {
                    out[(p * k + kk) * GEMM_NR + jj] = b[kk * n + j];
                }
            }
        }
    }
    out
}

/// A GEMM over a fresh arena: A at 0 (`batch × m × lda`), C after it,
/// residual after C, strided B after that; packed B, bias in the weights.
#[allow(clippy::too_many_arguments)]
fn case(
    m: usize,
    n: usize,
    k: usize,
    batch: usize,
    packed: bool,
    transposed: bool,
    bias: bool,
    res: bool,
    act: Activation,
) {
    let mut rng = Rng::new((m * 1000 + n * 100 + k * 10 + batch) as u64);
    let lda = k + 3;
    let ldc = n + 2;
    let a_bs = m * lda + 5;
    let c_bs = m * ldc + 1;
    let a_len = batch * a_bs;
    let c_off = a_len;
    let r_off = c_off + batch * c_bs;
    let b_off = r_off + batch * c_bs;
    let b_bs = k * n + 7;
    let arena_len = b_off + batch * b_bs;
    let init = rng.vec(arena_len, -1.0, 1.0);
    let bmat = rng.vec(k * n, -1.0, 1.0);
    let mut weights = pack(&bmat, k, n);
    let bias_off = weights.len().next_multiple_of(16);
    weights.resize(bias_off, 0.0);
    weights.extend(rng.vec(n, -1.0, 1.0));
    let b = if packed {
        GemmB::Packed { at: Loc::weights(0), nr: vitc_lower::GEMM_NR, batch_stride: 0 }
    } else if transposed {
        // B[kk, j] = Bᵀ stored n × k.
        GemmB::Strided { at: Loc::arena(b_off), row_stride: 1, col_stride: k as isize, batch_stride: b_bs as isize }
    } else {
        GemmB::Strided { at: Loc::arena(b_off), row_stride: n as isize, col_stride: 1, batch_stride: b_bs as isize }
    };
    let kernel = Kernel::Gemm(Gemm {
        m,
        n,
        k,
        batch,
        a: Loc::arena(0),
        lda,
        a_batch_stride: a_bs,
        b,
        c: Loc::arena(c_off),
        ldc,
        c_batch_stride: c_bs,
        bias: bias.then_some(Loc::weights(bias_off)),
        bias_batch_stride: 0,
        residual: res.then_some(Loc::arena(r_off)),
        act,
    });
    check_program(vec![kernel], &init, &weights, 1e-5, 1e-5);
}

#[test]
fn packed_shapes() {
    for m in [1, 2, 3, 4, 5, 7, 9, 13] {
        for n in [1, 3, 4, 5, 8, 12, 16, 21] {
            for k in [1, 3, 4, 7, 16] {
                case(m, n, k, 1, true, false, false, false, Activation::None);
            }
        }
    }
}

#[test]
fn strided_shapes_and_batches() {
    for (m, n, k, batch) in [(1, 1, 1, 1), (5, 13, 7, 2), (7, 8, 9, 3), (16, 20, 33, 2), (3, 5, 2, 4)] {
        case(m, n, k, batch, false, false, false, false, Activation::None);
        case(m, n, k, batch, false, true, false, false, Activation::None);
        case(m, n, k, batch, true, false, true, true, Activation::None);
    }
}

#[test]
fn epilogues() {
    let acts = [
        Activation::None,
        Activation::Relu,
        Activation::Sigmoid,
        Activation::HardSwish,
        Activation::HardSigmoid { alpha: 0.2, beta: 0.5 },
        Activation::Gelu,
        Activation::GeluTanh,
    ];
    for act in acts {
        case(6, 13, 10, 1, true, false, true, false, act);
        case(6, 13, 10, 2, true, false, true, true, act);
        case(5, 12, 9, 2, false, true, false, true, act);
    }
}

#[test]
fn larger_blocks() {
    // More rows than one L1 block, deep k, several panels.
    case(150, 40, 300, 1, true, false, true, true, Activation::Relu);
    case(70, 24, 20, 2, false, true, false, false, Activation::None);
}

#[test]
fn deep_k_gathers_b() {
    // k·32 bytes exceeds the stack packing limit: B is gathered lane by lane.
    case(6, 11, 4100, 1, false, true, true, false, Activation::None);
}

#[test]
fn in_place_residual() {
    // C and residual are the same buffer (x = x + f(x)·W).
    let (m, n, k) = (9usize, 12usize, 12usize);
    let mut rng = Rng::new(11);
    let init = rng.vec(2 * m * n, -1.0, 1.0);
    let weights = pack(&rng.vec(k * n, -1.0, 1.0), k, n);
    let kernel = Kernel::Gemm(Gemm {
        m,
        n,
        k,
        batch: 1,
        a: Loc::arena(0),
        lda: k,
        a_batch_stride: 0,
        b: GemmB::Packed { at: Loc::weights(0), nr: vitc_lower::GEMM_NR, batch_stride: 0 },
        c: Loc::arena(m * n),
        ldc: n,
        c_batch_stride: 0,
        bias: None,
        bias_batch_stride: 0,
        residual: Some(Loc::arena(m * n)),
        act: Activation::None,
    });
    check_program(vec![kernel], &init, &weights, 1e-5, 1e-5);
}

/// Prints GFLOP/s of a LeViT-sized GEMM (m=196, n=384, k=128, or
/// `GEMM_MNK=m,n,k`); no timing assertion.
#[test]
fn throughput() {
    let (m, n, k) = std::env::var("GEMM_MNK")
        .ok()
        .and_then(|v| {
            let d: Vec<usize> = v.split(',').filter_map(|x| x.parse().ok()).collect();
            (d.len() == 3).then(|| (d[0], d[1], d[2]))
        })
        .unwrap_or((196, 384, 128));
    let mut rng = Rng::new(3);
    let weights = pack(&rng.vec(k * n, -1.0, 1.0), k, n);
    let mut arena = rng.vec(m * k + m * n, -1.0, 1.0);
    for (name, b) in [
        ("packed", GemmB::Packed { at: Loc::weights(0), nr: vitc_lower::GEMM_NR, batch_stride: 0 }),
        ("strided", GemmB::Strided { at: Loc::weights(0), row_stride: n as isize, col_stride: 1, batch_stride: 0 }),
        ("transposed", GemmB::Strided { at: Loc::weights(0), row_stride: 1, col_stride: k as isize, batch_stride: 0 }),
    ] {
        let kernel = Kernel::Gemm(Gemm {
            m,
            n,
            k,
            batch: 1,
            a: Loc::arena(0),
            lda: k,
            a_batch_stride: 0,
            b,
            c: Loc::arena(m * k),
            ldc: n,
            c_batch_stride: 0,
            bias: Some(Loc::weights(0)),
            bias_batch_stride: 0,
            residual: None,
            act: Activation::None,
        });
        let prog = program(vec![kernel], arena.len(), &weights);
        let jit = Jit::new(&prog, &host());
        for _ in 0..20 {
            jit.run(&prog, 0, &mut arena, &weights, 0, m);
        }
        // Best of several batches: the machine may be shared.
        let mut secs = f64::INFINITY;
        for _ in 0..15 {
            let reps = 20;
            let t = std::time::Instant::now();
            for _ in 0..reps {
                jit.run(&prog, 0, &mut arena, &weights, 0, m);
            }
            secs = secs.min(t.elapsed().as_secs_f64() / reps as f64);
        }
        let gflops = 2.0 * (m * n * k) as f64 / secs / 1e9;
        println!("gemm {name} m={m} n={n} k={k}: {:.1} us, {gflops:.1} GFLOP/s (one thread)", secs * 1e6);
    }
}
