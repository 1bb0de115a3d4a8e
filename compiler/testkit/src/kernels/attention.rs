//! Fused attention samples: plain, with a bias table and an activation,
//! with LePE; keys a multiple of 8 and not, values 6 to 150 wide, query
//! rows in groups of 4 and left over, a strided query, heads interleaved
//! in the output.

use super::{A0, A1, A2, A3, Sample};
use crate::Rng;
use vitc_lower::Attention;
use vitc_lower::{Activation, AttentionGeom, Kernel, Lepe, Loc, View4};

/// Attention over its own arena, the query's last axis strided by 2.
pub(super) fn small(rng: &mut Rng, out: &mut Vec<Sample>) {
    for (n, m, d, dv, with_bias, with_lepe) in [
        (5, 37, 16, 13, true, false),
        (9, 9, 8, 16, false, true),
        (4, 40, 12, 72, false, false),
        (11, 150, 16, 40, true, false),
    ] {
        let (batch, heads) = (2, 3);
        let g = AttentionGeom { batch, heads, n, m, d, dv };
        // q: (b, h, i, e) with q's last axis strided by 2 (interleaved);
        // kt: (b, h, e, j); v: (b, h, j, c) dense; out: (b, i, h, c).
        let q_len = batch * heads * n * d * 2;
        let kt_at = q_len;
        let v_at = kt_at + batch * heads * d * m;
        let out_at = v_at + batch * heads * m * dv;
        let total = out_at + batch * heads * n * dv;
        let view = |at: usize, s: [usize; 4]| View4 { at: Loc::arena(at), strides: s.map(|v| v as isize) };
        let q = view(0, [heads * n * d * 2, n * d * 2, d * 2, 2]);
        let kt = view(kt_at, [heads * d * m, d * m, m, 1]);
        let v = view(v_at, [heads * m * dv, m * dv, dv, 1]);
        let o = view(out_at, [n * heads * dv, dv, heads * dv, 1]);
        let mut w = rng.vec(heads * n * m, -1.0, 1.0);
        let lw = w.len().next_multiple_of(16);
        w.resize(lw, 0.0);
        w.extend(rng.vec(heads * 9 * dv + heads * dv, -0.5, 0.5));
        let lepe = with_lepe.then_some(Lepe {
            grid_h: 3,
            grid_w: 3,
            kh: 3,
            kw: 3,
            pad_h: 1,
            pad_w: 1,
            w: Loc::weights(lw),
            bias: Some(Loc::weights(lw + heads * 9 * dv)),
        });
        let k = Kernel::Attention(Attention {
            geom: g,
            scale: 0.25,
            q,
            kt,
            v,
            bias: with_bias.then_some(Loc::weights(0)),
            lepe,
            out: o,
            act: if with_bias { Activation::HardSwish } else { Activation::None },
        });
        let init = rng.vec(total, -2.0, 2.0);
        out.push(Sample { name: format!("attention n{n} m{m} d{d} dv{dv}"), kernels: vec![k], init, weights: w });
    }
}

/// Attention over the large arena: LeViT-like (bias, HardSwish), DeiT-like
/// (plain), CSWin-like (LePE on a 3 × 4 grid) and wide (d 130, dv 150).
pub(super) fn large(out: &mut Vec<(String, Kernel)>) {
    let view = |at: usize, s: [usize; 4]| View4 { at: Loc::arena(at), strides: s.map(|v| v as isize) };
    for (name, (batch, heads, n, m, d, dv), bias, lepe, act) in [
        ("attention_bias", (1, 2, 9, 9, 8, 12), true, false, Activation::HardSwish),
        ("attention_plain", (2, 2, 5, 7, 4, 40), false, false, Activation::None),
        ("attention_lepe", (1, 2, 12, 12, 4, 6), false, true, Activation::None),
        ("attention_wide", (1, 1, 3, 70, 130, 150), true, false, Activation::None),
    ] {
        let g = AttentionGeom { batch, heads, n, m, d, dv };
        // q: (b, h, i, e), kt: (b, h, e, j), v: (b, h, j, c) dense;
        // out: (b, i, h, c) (heads interleaved).
        let q = view(A0, [heads * n * d, n * d, d, 1]);
        let kt = view(A1, [heads * d * m, d * m, m, 1]);
        let v = view(A3, [heads * m * dv, m * dv, dv, 1]);
        let o = view(A2, [n * heads * dv, dv, heads * dv, 1]);
        let lepe = lepe.then(|| Lepe {
            grid_h: 3,
            grid_w: 4,
            kh: 3,
            kw: 3,
            pad_h: 1,
            pad_w: 1,
            w: Loc::weights(8192),
            bias: Some(Loc::weights(12288)),
        });
        out.push((
            name.to_string(),
            Kernel::Attention(Attention {
                geom: g,
                scale: 0.35,
                q,
                kt,
                v,
                bias: bias.then(|| Loc::weights(0)),
                lepe,
                out: o,
                act,
            }),
        ));
    }
}
