//! Gather, Im2col, Pool2d, Conv2d and ConvTranspose2d against the naive
//! implementation.

mod common;

use common::{Rng, check_program};
use vitc_lower::{Activation, Conv2dGeom, Kernel, Loc, PoolKind};
use vitc_lower::{Conv2d, ConvTranspose2d, Gather, Im2col, Pool2d};

/// A window geometry with symmetric padding `p` (plus `extra` at the
/// bottom/right).
#[allow(clippy::too_many_arguments)]
fn geom(
    c: usize,
    h: usize,
    w: usize,
    oc: usize,
    k: usize,
    s: usize,
    p: usize,
    d: usize,
    groups: usize,
    extra: usize,
) -> Conv2dGeom {
    let o = |n: usize| (n + 2 * p + extra - d * (k - 1) - 1) / s + 1;
    Conv2dGeom {
        c,
        h,
        w,
        oc,
        oh: o(h),
        ow: o(w),
        kh: k,
        kw: k,
        stride_h: s,
        stride_w: s,
        pad_top: p,
        pad_left: p,
        dil_h: d,
        dil_w: d,
        groups,
    }
}

fn geoms() -> Vec<Conv2dGeom> {
    vec![
        geom(2, 7, 9, 2, 3, 1, 1, 1, 1, 0),
        geom(3, 8, 8, 3, 3, 2, 1, 1, 1, 0),
        geom(2, 11, 6, 2, 2, 2, 0, 1, 1, 0),
        geom(2, 9, 13, 2, 3, 1, 2, 2, 1, 0),
        geom(1, 12, 12, 1, 5, 1, 2, 1, 1, 1),
        geom(2, 5, 17, 2, 1, 1, 0, 1, 1, 0),
        geom(1, 3, 3, 1, 3, 1, 1, 1, 1, 0),
        geom(2, 14, 14, 2, 7, 1, 3, 1, 1, 0),
    ]
}

#[test]
fn gather() {
    let mut rng = Rng::new(31);
    for (outer, src_axis, inner, indices) in [(3, 5, 1, 7), (2, 4, 5, 3), (2, 6, 8, 6), (1, 9, 19, 4)] {
        let n = outer * src_axis * inner;
        let init = rng.vec(n + outer * indices * inner, -1.0, 1.0);
        let table: Vec<f32> = (0..indices).map(|_| f32::from_bits(rng.below(src_axis) as u32)).collect();
        let k = Kernel::Gather(Gather {
            outer,
            src_axis,
            inner,
            indices,
            table: Loc::weights(0),
            src: Loc::arena(0),
            out: Loc::arena(n),
        });
        check_program(vec![k], &init, &table, 0.0, 0.0);
    }
}

#[test]
fn im2col() {
    let mut rng = Rng::new(32);
    for g in geoms() {
        let n = g.c * g.h * g.w;
        let init = rng.vec(n + g.oh * g.ow * g.c * g.kh * g.kw, -1.0, 1.0);
        let k = Kernel::Im2col(Im2col { geom: g, x: Loc::arena(0), out: Loc::arena(n) });
        check_program(vec![k], &init, &[], 0.0, 0.0);
    }
}

#[test]
fn pool() {
    let mut rng = Rng::new(33);
    for g in geoms() {
        let n = g.c * g.h * g.w;
        let init = rng.vec(n + g.c * g.oh * g.ow, -1.0, 1.0);
        for (kind, cip) in [(PoolKind::Max, false), (PoolKind::Avg, false), (PoolKind::Avg, true)] {
            let k =
                Kernel::Pool2d(Pool2d { kind, geom: g, count_include_pad: cip, x: Loc::arena(0), out: Loc::arena(n) });
            check_program(vec![k], &init, &[], 1e-6, 1e-5);
        }
    }
}

fn conv_case(g: Conv2dGeom, act: Activation, bias: bool, seed: u64) {
    let mut rng = Rng::new(seed);
    let n = g.c * g.h * g.w;
    let init = rng.vec(n + g.oc * g.oh * g.ow, -1.0, 1.0);
    let wlen = g.oc * (g.c / g.groups) * g.kh * g.kw;
    let weights = rng.vec(wlen + g.oc, -1.0, 1.0);
    let k = Kernel::Conv2d(Conv2d {
        geom: g,
        x: Loc::arena(0),
        w: Loc::weights(0),
        bias: bias.then_some(Loc::weights(wlen)),
        out: Loc::arena(n),
        act,
    });
    check_program(vec![k], &init, &weights, 1e-5, 1e-5);
}

#[test]
fn depthwise_conv() {
    for (i, mut g) in geoms().into_iter().enumerate() {
        g.groups = g.c;
        conv_case(g, Activation::None, true, 40 + i as u64);
        conv_case(g, Activation::HardSwish, false, 50 + i as u64);
    }
}

#[test]
fn grouped_and_dense_conv() {
    let cases = [
        geom(4, 7, 9, 6, 3, 1, 1, 1, 2, 0),
        geom(3, 8, 8, 5, 3, 2, 1, 1, 1, 0),
        geom(6, 6, 5, 6, 1, 1, 0, 1, 3, 0),
        geom(2, 9, 9, 4, 3, 1, 1, 1, 2, 1),
    ];
    for (i, g) in cases.into_iter().enumerate() {
        conv_case(g, Activation::Relu, true, 60 + i as u64);
        conv_case(g, Activation::Gelu, false, 70 + i as u64);
    }
}

#[test]
fn conv_transpose() {
    let mut rng = Rng::new(34);
    // (c, oc, in_h, in_w, k, s, p, d, groups); output = (in-1)*s - 2p + d(k-1) + 1.
    for (c, oc, ih, iw, k, s, p, d, groups) in [
        (2, 3, 4, 5, 2, 2, 0, 1, 1),
        (3, 2, 3, 3, 3, 2, 1, 1, 1),
        (4, 4, 5, 4, 4, 2, 1, 1, 2),
        (2, 2, 3, 4, 3, 1, 1, 2, 1),
    ] {
        let oh = (ih - 1) * s + d * (k - 1) + 1 - 2 * p;
        let ow = (iw - 1) * s + d * (k - 1) + 1 - 2 * p;
        let g = Conv2dGeom {
            c,
            h: oh,
            w: ow,
            oc,
            oh: ih,
            ow: iw,
            kh: k,
            kw: k,
            stride_h: s,
            stride_w: s,
            pad_top: p,
            pad_left: p,
            dil_h: d,
            dil_w: d,
            groups,
        };
        let n = c * ih * iw;
        let init = rng.vec(n + oc * oh * ow, -1.0, 1.0);
        let wlen = c * (oc / groups) * k * k;
        let weights = rng.vec(wlen + oc, -1.0, 1.0);
        for bias in [None, Some(Loc::weights(wlen))] {
            let kernel = Kernel::ConvTranspose2d(ConvTranspose2d {
                geom: g,
                x: Loc::arena(0),
                w: Loc::weights(0),
                bias,
                out: Loc::arena(n),
            });
            check_program(vec![kernel], &init, &weights, 1e-5, 1e-5);
        }
    }
}
