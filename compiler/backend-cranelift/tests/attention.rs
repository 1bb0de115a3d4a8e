//! The fused attention kernel against the naive implementation: strided
//! operands as the exporters' transposes leave them, key counts that are
//! and are not multiples of the vector blocks, a bias table, activations,
//! LePE taps at the grid edges, and every chunking of the rows.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

mod common;

use common::{Rng, check_program};
use vitc_lower::Attention;
use vitc_lower::{Activation, AttentionGeom, Kernel, Lepe, Loc, View4};

/// Dense strides of `[b, h, r, c]` dims.
fn dense(dims: [usize; 4]) -> [isize; 4] {
    let [_, h, r, c] = dims.map(|d| d as isize);
    [h * r * c, r * c, c, 1]
}

/// Builds one attention kernel over a fresh arena: q is stored as
/// `[b, r, h, e]` (a transposed view, as after a head-splitting reshape),
/// kt and v densely, out densely after them.
fn case(g: AttentionGeom, bias: bool, lepe: Option<(usize, usize, usize)>, act: Activation, seed: u64) {
    let mut rng = Rng::new(seed);
    let q_len = g.batch * g.heads * g.n * g.d;
    let kt_len = g.batch * g.heads * g.d * g.m;
    let v_len = g.batch * g.heads * g.m * g.dv;
    let out_len = g.batch * g.heads * g.n * g.dv;
    let mut init = rng.vec(q_len + kt_len + v_len, -2.0, 2.0);
    init.extend(vec![f32::NAN; out_len]);
    let (hs, ns, ds) = (g.heads as isize, g.n as isize, g.d as isize);
    let q = View4 { at: Loc::arena(0), strides: [ns * hs * ds, ds, hs * ds, 1] };
    let kt = View4 { at: Loc::arena(q_len), strides: dense([g.batch, g.heads, g.d, g.m]) };
    let v = View4 { at: Loc::arena(q_len + kt_len), strides: dense([g.batch, g.heads, g.m, g.dv]) };
    let out = View4 { at: Loc::arena(q_len + kt_len + v_len), strides: dense([g.batch, g.heads, g.n, g.dv]) };
    let mut weights = Vec::new();
    let bias = bias.then(|| {
        weights.extend(rng.vec(g.heads * g.n * g.m, -1.0, 1.0));
        Loc::weights(0)
    });
    let lepe = lepe.map(|(grid_w, k, pad)| {
        let at = weights.len();
        weights.extend(rng.vec(g.heads * k * k * g.dv, -0.5, 0.5));
        let b = weights.len();
        weights.extend(rng.vec(g.heads * g.dv, -0.5, 0.5));
        Lepe {
            grid_h: g.m / grid_w,
            grid_w,
            kh: k,
            kw: k,
            pad_h: pad,
            pad_w: pad,
            w: Loc::weights(at),
            bias: Some(Loc::weights(b)),
        }
    });
    let k = Kernel::Attention(Attention { geom: g, scale: 0.3, q, kt, v, bias, lepe, out, act });
    check_program(vec![k], &init, &weights, 1e-5, 1e-4);
}

fn geom(batch: usize, heads: usize, n: usize, m: usize, d: usize, dv: usize) -> AttentionGeom {
    AttentionGeom { batch, heads, n, m, d, dv }
}

#[test]
fn plain_attention_with_odd_sizes() {
    for (i, g) in [geom(1, 2, 5, 7, 3, 5), geom(2, 3, 4, 16, 8, 8), geom(1, 1, 3, 33, 4, 37), geom(1, 2, 9, 1, 2, 3)]
        .into_iter()
        .enumerate()
    {
        case(g, false, None, Activation::None, 100 + i as u64);
    }
}

#[test]
fn levit_shapes_with_bias_and_hardswish() {
    // LeViT-128S stage 1 (4 heads, 196 keys, d 16, dv 32) and its
    // subsample attention (49 queries against 196 keys).
    case(geom(1, 4, 196, 196, 16, 32), true, None, Activation::HardSwish, 200);
    case(geom(1, 8, 49, 196, 16, 64), true, None, Activation::HardSwish, 201);
}

#[test]
fn cswin_lepe_taps_at_the_edges() {
    // Stripes of 7x2 and 4x4 positions, 3x3 depthwise kernels, padding 1.
    case(geom(3, 2, 14, 14, 4, 6), false, Some((2, 3, 1)), Activation::None, 300);
    case(geom(1, 2, 16, 16, 8, 8), false, Some((4, 3, 1)), Activation::None, 301);
    case(geom(2, 1, 56, 56, 16, 16), false, Some((1, 3, 1)), Activation::None, 302);
}
