//! Window samples: gather, im2col, max and average pooling (with and
//! without padded taps counted, global), convolutions (dense, depthwise,
//! strided, dilated, large windows, every epilogue), transposed
//! convolution, and resampling of a middle and of the last axis.

use super::{A0, A2, Sample};
use crate::Rng;
use vitc_lower::{Activation, Conv2dGeom, Kernel, Loc, PoolKind};
use vitc_lower::{Conv2d, ConvTranspose2d, Fill, Gather, Im2col, Pool2d, Resample};

/// A square window geometry: `c` channels of `hw × hw`, `oc` outputs,
/// `k × k` taps, stride `s`, padding `p`, `groups` groups.
fn square(c: usize, hw: usize, k: usize, s: usize, p: usize, groups: usize, oc: usize) -> Conv2dGeom {
    let o = (hw + 2 * p - k) / s + 1;
    Conv2dGeom {
        c,
        h: hw,
        w: hw,
        oc,
        oh: o,
        ow: o,
        kh: k,
        kw: k,
        stride_h: s,
        stride_w: s,
        pad_top: p,
        pad_left: p,
        dil_h: 1,
        dil_w: 1,
        groups,
    }
}

/// Every window kernel over one 5000-float arena, weights after an index
/// table.
pub(super) fn small(rng: &mut Rng, out: &mut Vec<Sample>) {
    let dw = square(3, 9, 3, 1, 1, 3, 3);
    let big = square(2, 21, 3, 1, 1, 2, 2);
    let dil = Conv2dGeom { dil_h: 2, dil_w: 2, oh: 17, ow: 17, ..square(2, 21, 3, 1, 0, 2, 4) };
    let s2 = square(2, 10, 3, 2, 1, 1, 4);
    let mut w: Vec<f32> = [2u32, 0, 3, 3, 1].iter().map(|&i| f32::from_bits(i)).collect();
    w.resize(8, 0.0);
    w.extend(rng.vec(200, -1.0, 1.0));
    // 2 channels of 8 × 8 to 3 of 4 × 4 through 2 × 2 taps, stride 2.
    let transposed = square(2, 8, 2, 2, 0, 1, 3);
    let kernels = vec![
        Kernel::Gather(Gather {
            outer: 2,
            src_axis: 4,
            inner: 3,
            indices: 5,
            table: Loc::weights(0),
            src: Loc::arena(0),
            out: Loc::arena(500),
        }),
        Kernel::Im2col(Im2col { geom: s2, x: Loc::arena(0), out: Loc::arena(600) }),
        Kernel::Pool2d(Pool2d {
            kind: PoolKind::Max,
            geom: dw,
            count_include_pad: false,
            x: Loc::arena(0),
            out: Loc::arena(1200),
        }),
        Kernel::Pool2d(Pool2d {
            kind: PoolKind::Avg,
            geom: s2,
            count_include_pad: false,
            x: Loc::arena(0),
            out: Loc::arena(1300),
        }),
        Kernel::Conv2d(Conv2d {
            geom: dw,
            x: Loc::arena(0),
            w: Loc::weights(8),
            bias: Some(Loc::weights(100)),
            out: Loc::arena(1400),
            act: Activation::HardSwish,
        }),
        Kernel::Conv2d(Conv2d {
            geom: s2,
            x: Loc::arena(0),
            w: Loc::weights(8),
            bias: None,
            out: Loc::arena(1700),
            act: Activation::None,
        }),
        Kernel::Conv2d(Conv2d {
            geom: big,
            x: Loc::arena(0),
            w: Loc::weights(8),
            bias: Some(Loc::weights(100)),
            out: Loc::arena(2000),
            act: Activation::Gelu,
        }),
        Kernel::Conv2d(Conv2d {
            geom: dil,
            x: Loc::arena(0),
            w: Loc::weights(8),
            bias: None,
            out: Loc::arena(2900),
            act: Activation::None,
        }),
        Kernel::Pool2d(Pool2d {
            kind: PoolKind::Avg,
            geom: big,
            count_include_pad: true,
            x: Loc::arena(0),
            out: Loc::arena(4100),
        }),
        Kernel::ConvTranspose2d(ConvTranspose2d {
            geom: transposed,
            x: Loc::arena(0),
            w: Loc::weights(8),
            bias: Some(Loc::weights(150)),
            out: Loc::arena(1800),
        }),
    ];
    out.push(Sample { name: "windows".into(), kernels, init: rng.vec(5000, -1.0, 1.0), weights: w });
}

/// Resampling the middle axis (inner 11) and the last axis (inner 1), two
/// taps.
pub(super) fn resample_small(rng: &mut Rng, out: &mut Vec<Sample>) {
    let (outer, src_axis, dst_axis, taps) = (3, 5, 9, 2);
    let mut w: Vec<f32> = (0..dst_axis * taps).map(|i| f32::from_bits(((i * 7) % src_axis) as u32)).collect();
    w.resize(32, 0.0);
    w.extend(rng.vec(dst_axis * taps, 0.0, 1.0));
    let kernels = [11, 1]
        .iter()
        .enumerate()
        .map(|(t, &inner)| {
            Kernel::Resample(Resample {
                outer,
                src_axis,
                inner,
                dst_axis,
                taps,
                index: Loc::weights(0),
                coeff: Loc::weights(32),
                src: Loc::arena(0),
                out: Loc::arena(200 + t * 400),
            })
        })
        .collect();
    out.push(Sample { name: "resample".into(), kernels, init: rng.vec(1000, -1.0, 1.0), weights: w });
}

/// A window geometry over the large arena (`h × w` input, `k × k` taps).
#[allow(clippy::too_many_arguments)]
fn geom(c: usize, h: usize, w: usize, oc: usize, k: usize, stride: usize, pad: usize, groups: usize) -> Conv2dGeom {
    let oh = (h + 2 * pad - k) / stride + 1;
    let ow = (w + 2 * pad - k) / stride + 1;
    Conv2dGeom { h, w, oh, ow, ..square(c, h, k, stride, pad, groups, oc) }
}

/// Single window kernels over the large arena.
pub(super) fn large(out: &mut Vec<(String, Kernel)>) {
    out.push((
        "gather".into(),
        Kernel::Gather(Gather {
            outer: 3,
            src_axis: 10,
            inner: 4,
            indices: 6,
            table: Loc::weights(0),
            src: Loc::arena(A0),
            out: Loc::arena(A2),
        }),
    ));
    out.push((
        "conv2d_3x3".into(),
        Kernel::Conv2d(Conv2d {
            geom: geom(4, 9, 9, 6, 3, 2, 1, 1),
            x: Loc::arena(A0),
            w: Loc::weights(0),
            bias: Some(Loc::weights(1024)),
            out: Loc::arena(A2),
            act: Activation::HardSwish,
        }),
    ));
    out.push((
        "conv2d_depthwise".into(),
        Kernel::Conv2d(Conv2d {
            geom: geom(6, 7, 7, 6, 3, 1, 1, 6),
            x: Loc::arena(A0),
            w: Loc::weights(0),
            bias: None,
            out: Loc::arena(A2),
            act: Activation::None,
        }),
    ));
    out.push((
        "conv2d_large_window".into(),
        Kernel::Conv2d(Conv2d {
            geom: geom(2, 12, 12, 2, 9, 1, 4, 2),
            x: Loc::arena(A0),
            w: Loc::weights(0),
            bias: None,
            out: Loc::arena(A2),
            act: Activation::Relu,
        }),
    ));
    out.push((
        "im2col".into(),
        Kernel::Im2col(Im2col { geom: geom(3, 8, 8, 5, 3, 2, 1, 1), x: Loc::arena(A0), out: Loc::arena(A2) }),
    ));
    for (kind, cip) in [(PoolKind::Max, false), (PoolKind::Avg, false), (PoolKind::Avg, true)] {
        out.push((
            format!("pool_{kind:?}_{cip}"),
            Kernel::Pool2d(Pool2d {
                kind,
                geom: geom(3, 9, 9, 3, 3, 2, 1, 1),
                count_include_pad: cip,
                x: Loc::arena(A0),
                out: Loc::arena(A2),
            }),
        ));
    }
    out.push((
        "pool_global".into(),
        Kernel::Pool2d(Pool2d {
            kind: PoolKind::Avg,
            geom: geom(2, 10, 10, 2, 10, 1, 0, 1),
            count_include_pad: false,
            x: Loc::arena(A0),
            out: Loc::arena(A2),
        }),
    ));
    let mut tg = geom(4, 10, 10, 6, 3, 2, 1, 2);
    (tg.oh, tg.ow) = (5, 5);
    out.push((
        "conv_transpose2d".into(),
        Kernel::ConvTranspose2d(ConvTranspose2d {
            geom: tg,
            x: Loc::arena(A0),
            w: Loc::weights(0),
            bias: Some(Loc::weights(1024)),
            out: Loc::arena(A2),
        }),
    ));
    out.push(("fill".into(), Kernel::Fill(Fill { len: 1000, value: -2.5, out: Loc::arena(A2) })));
    out.push((
        "resample_inner4".into(),
        Kernel::Resample(Resample {
            outer: 3,
            src_axis: 5,
            inner: 4,
            dst_axis: 9,
            taps: 2,
            index: Loc::weights(0),
            coeff: Loc::weights(64),
            src: Loc::arena(A0),
            out: Loc::arena(A2),
        }),
    ));
    out.push((
        "resample_many_taps".into(),
        Kernel::Resample(Resample {
            outer: 2,
            src_axis: 12,
            inner: 3,
            dst_axis: 4,
            taps: 12,
            index: Loc::weights(0),
            coeff: Loc::weights(64),
            src: Loc::arena(A0),
            out: Loc::arena(A2),
        }),
    ));
}
