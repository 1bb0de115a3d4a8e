//! The catalogue's own checks: unique names, valid programs, and every
//! kernel kind, map op, activation, reduction and pooling kind covered.

use super::*;
use std::collections::BTreeSet;
use vitc_lower::{Activation, BinaryOp, MapOp, PoolKind, ReduceOp, UnaryOp};
use vitc_lower::{
    Attention, Conv2d, ConvTranspose2d, Fill, Gather, Gemm, Im2col, LayerNorm, Map, Pool2d, Reduce, Resample, Softmax,
};

/// An index per [`Kernel`] variant (exhaustive: a new variant must be
/// added here, and so to the catalogue).
fn kind(k: &Kernel) -> usize {
    match k {
        Kernel::Gemm(Gemm { .. }) => 0,
        Kernel::Map(Map { .. }) => 1,
        Kernel::Gather(Gather { .. }) => 2,
        Kernel::Softmax(Softmax { .. }) => 3,
        Kernel::LayerNorm(LayerNorm { .. }) => 4,
        Kernel::Reduce(Reduce { .. }) => 5,
        Kernel::Conv2d(Conv2d { .. }) => 6,
        Kernel::Im2col(Im2col { .. }) => 7,
        Kernel::Pool2d(Pool2d { .. }) => 8,
        Kernel::ConvTranspose2d(ConvTranspose2d { .. }) => 9,
        Kernel::Fill(Fill { .. }) => 10,
        Kernel::Attention(Attention { .. }) => 11,
        Kernel::Resample(Resample { .. }) => 12,
    }
}

/// An index per map op (exhaustive, as [`kind`]).
fn map_op(op: MapOp) -> usize {
    match op {
        MapOp::Unary(u) => match u {
            UnaryOp::Copy => 0,
            UnaryOp::Neg => 1,
            UnaryOp::Abs => 2,
            UnaryOp::Sqrt => 3,
            UnaryOp::Exp => 4,
            UnaryOp::Log => 5,
            UnaryOp::Erf => 6,
            UnaryOp::Tanh => 7,
            UnaryOp::Reciprocal => 8,
            UnaryOp::Trunc => 9,
            UnaryOp::Round => 10,
            UnaryOp::Act(a) => 11 + activation(a),
            UnaryOp::Floor => 50,
            UnaryOp::Ceil => 51,
            UnaryOp::Sign => 52,
            UnaryOp::Sin => 53,
            UnaryOp::Cos => 54,
            UnaryOp::Tan => 55,
            UnaryOp::Asin => 56,
            UnaryOp::Acos => 57,
            UnaryOp::Atan => 58,
            UnaryOp::Sinh => 59,
            UnaryOp::Cosh => 60,
            UnaryOp::Asinh => 61,
            UnaryOp::Acosh => 62,
            UnaryOp::Atanh => 63,
            UnaryOp::IsNaN => 64,
            UnaryOp::IsInf { negative, positive } => 65 + usize::from(negative) * 2 + usize::from(positive),
        },
        MapOp::Binary(b) => match b {
            BinaryOp::Add => 20,
            BinaryOp::Sub => 21,
            BinaryOp::Mul => 22,
            BinaryOp::Div => 23,
            BinaryOp::Pow => 24,
            BinaryOp::Max => 25,
            BinaryOp::Min => 26,
            BinaryOp::Equal => 27,
            BinaryOp::Greater => 28,
            BinaryOp::Less => 29,
            BinaryOp::Mod => 40,
            BinaryOp::Fmod => 41,
        },
        MapOp::MulAdd => 30,
        MapOp::Select => 31,
    }
}

/// An index per activation (exhaustive).
fn activation(a: Activation) -> usize {
    match a {
        Activation::None => 0,
        Activation::Relu => 1,
        Activation::Sigmoid => 2,
        Activation::HardSwish => 3,
        Activation::HardSigmoid { .. } => 4,
        Activation::Gelu => 5,
        Activation::GeluTanh => 6,
    }
}

#[test]
fn names_are_unique_and_programs_valid() {
    let samples = samples();
    let names: BTreeSet<&str> = samples.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names.len(), samples.len(), "duplicate sample names");
    for s in &samples {
        assert!(!s.kernels.is_empty(), "{}", s.name);
        s.program().validate().unwrap_or_else(|e| panic!("{}: {e}", s.name));
    }
    // The first sample runs two kernels (listings name every kernel).
    assert_eq!(samples[0].kernels.len(), 2);
}

#[test]
fn every_kernel_kind_op_and_activation_is_covered() {
    let samples = samples();
    let kernels: Vec<&Kernel> = samples.iter().flat_map(|s| &s.kernels).collect();
    let kinds: BTreeSet<usize> = kernels.iter().map(|k| kind(k)).collect();
    assert_eq!(kinds.len(), 13, "kernel kinds covered: {kinds:?}");
    let ops: BTreeSet<usize> = kernels
        .iter()
        .filter_map(|k| match k {
            Kernel::Map(Map { op, .. }) => Some(map_op(*op)),
            _ => None,
        })
        .collect();
    let expected: BTreeSet<usize> = maps::map_ops().into_iter().map(map_op).collect();
    assert_eq!(expected.len(), 11 + 7 + 15 + 3 + 12 + 2, "map_ops lists every op");
    assert_eq!(ops, expected);
    let epilogues: BTreeSet<usize> = kernels
        .iter()
        .filter_map(|k| match k {
            Kernel::Gemm(Gemm { act, .. }) => Some(activation(*act)),
            _ => None,
        })
        .collect();
    assert_eq!(epilogues.len(), 7, "every activation as a GEMM epilogue");
    let reductions: BTreeSet<String> = kernels
        .iter()
        .filter_map(|k| match k {
            Kernel::Reduce(Reduce { op, inner, .. }) => Some(format!("{op:?} {}", *inner > 1)),
            _ => None,
        })
        .collect();
    for op in [ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Max, ReduceOp::Min] {
        for strided in [false, true] {
            assert!(reductions.contains(&format!("{op:?} {strided}")), "{op:?} (middle axis: {strided})");
        }
    }
    let pools: BTreeSet<String> = kernels
        .iter()
        .filter_map(|k| match k {
            Kernel::Pool2d(Pool2d { kind, count_include_pad, .. }) => Some(format!("{kind:?} {count_include_pad}")),
            _ => None,
        })
        .collect();
    for p in [(PoolKind::Max, false), (PoolKind::Avg, false), (PoolKind::Avg, true)] {
        assert!(pools.contains(&format!("{:?} {}", p.0, p.1)), "{p:?}");
    }
}

#[test]
fn wide_panels_are_flagged() {
    let samples = samples();
    let wide: Vec<&str> = samples.iter().filter(|s| s.wide_panels()).map(|s| s.name.as_str()).collect();
    assert_eq!(wide.len(), 5, "{wide:?}");
    assert!(wide.iter().all(|n| n.contains("B3") || n.contains("panels of 16")), "{wide:?}");
}

#[test]
fn index_tables_are_in_range() {
    for s in samples() {
        for k in &s.kernels {
            let (at, count, limit) = match k {
                Kernel::Gather(Gather { table, indices, src_axis, .. }) => (table.offset, *indices, *src_axis),
                Kernel::Resample(Resample { index, dst_axis, taps, src_axis, .. }) => {
                    (index.offset, dst_axis * taps, *src_axis)
                }
                _ => continue,
            };
            for i in 0..count {
                let v = s.weights[at + i].to_bits() as usize;
                assert!(v < limit, "{}: index {i} is {v}, not below {limit}", s.name);
            }
        }
    }
}

#[test]
fn chunkings_cover_the_extent_in_order() {
    let mut rng = Rng::new(3);
    for extent in [0, 1, 2, 7, 130] {
        for chunks in chunkings(extent, &mut rng) {
            assert_eq!(chunks.first().map_or(0, |c| c.0), 0);
            assert_eq!(chunks.last().map_or(0, |c| c.1), extent);
            assert!(chunks.windows(2).all(|w| w[0].1 == w[1].0 && w[0].0 <= w[0].1));
        }
    }
}
