//! The element-wise functions of the kernel level, each once: the fused
//! activations, the unary and binary map functions and [`map`], which
//! applies a [`MapOp`] to its operands. Every backend (and the CPU mirror)
//! runs exactly these sequences of [`Elem`] primitives.
//!
//! NaN follows ONNX Runtime: `Relu`, `Max`, `Min`, the clamps of
//! `HardSigmoid`/`HardSwish` and every transcendental function return NaN
//! for a NaN operand.

use super::{Cmp, Elem, RoundMode, math, trig};
use crate::{Activation, BinaryOp, MapOp, UnaryOp};

/// `min(max(x, 0), 1)`, NaN kept.
fn clamp01<E: Elem + ?Sized>(e: &mut E, x: E::V) -> E::V {
    let x = math::at_least(e, x, 0.0);
    math::at_most(e, x, 1.0)
}

/// A fused activation.
pub fn activation<E: Elem + ?Sized>(e: &mut E, act: Activation, x: E::V) -> E::V {
    match act {
        Activation::None => x,
        Activation::Relu => math::at_least(e, x, 0.0),
        Activation::Sigmoid => math::sigmoid(e, x),
        Activation::HardSwish => {
            // x · clamp(x/6 + 1/2, 0, 1)
            let half = e.c(0.5);
            let h = math::fma_c(e, x, 1.0 / 6.0, half);
            let h = clamp01(e, h);
            e.mul(x, h)
        }
        Activation::HardSigmoid { alpha, beta } => {
            let b = e.c(beta);
            let h = math::fma_c(e, x, alpha, b);
            clamp01(e, h)
        }
        Activation::Gelu => {
            // ½x·(1 + erf(x/√2))
            let s = e.c(std::f32::consts::FRAC_1_SQRT_2);
            let xs = e.mul(x, s);
            let t = math::erf(e, xs);
            let half = e.c(0.5);
            let hx = e.mul(x, half);
            e.fma(hx, t, hx)
        }
        Activation::GeluTanh => {
            // ½x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
            let x2 = e.mul(x, x);
            let one = e.c(1.0);
            let inner = math::fma_c(e, x2, 0.044_715, one);
            let inner = e.mul(inner, x);
            let k = e.c((2.0 / std::f32::consts::PI).sqrt());
            let inner = e.mul(inner, k);
            let t = math::tanh(e, inner);
            let half = e.c(0.5);
            let hx = e.mul(x, half);
            e.fma(hx, t, hx)
        }
    }
}

/// A unary map function.
pub fn unary<E: Elem + ?Sized>(e: &mut E, op: UnaryOp, x: E::V) -> E::V {
    match op {
        UnaryOp::Copy => x,
        UnaryOp::Neg => e.neg(x),
        UnaryOp::Abs => e.abs(x),
        UnaryOp::Sqrt => e.sqrt(x),
        UnaryOp::Exp => math::exp(e, x),
        UnaryOp::Log => math::log(e, x),
        UnaryOp::Erf => math::erf(e, x),
        UnaryOp::Tanh => math::tanh(e, x),
        UnaryOp::Reciprocal => {
            let one = e.c(1.0);
            e.div(one, x)
        }
        UnaryOp::Trunc => e.round(x, RoundMode::TowardZero),
        UnaryOp::Round => e.round(x, RoundMode::NearestEven),
        UnaryOp::Floor => e.round(x, RoundMode::Down),
        UnaryOp::Ceil => e.round(x, RoundMode::Up),
        UnaryOp::Sign => {
            let (zero, one, minus_one) = (e.c(0.0), e.c(1.0), e.c(-1.0));
            let positive = e.cmp(Cmp::Gt, x, zero);
            let negative = e.cmp(Cmp::Lt, x, zero);
            let y = e.sel(negative, minus_one, x);
            e.sel(positive, one, y)
        }
        UnaryOp::Sin => trig::sin(e, x),
        UnaryOp::Cos => trig::cos(e, x),
        UnaryOp::Tan => trig::tan(e, x),
        UnaryOp::Asin => trig::asin(e, x),
        UnaryOp::Acos => trig::acos(e, x),
        UnaryOp::Atan => trig::atan(e, x),
        UnaryOp::Sinh => trig::sinh(e, x),
        UnaryOp::Cosh => trig::cosh(e, x),
        UnaryOp::Asinh => trig::asinh(e, x),
        UnaryOp::Acosh => trig::acosh(e, x),
        UnaryOp::Atanh => trig::atanh(e, x),
        UnaryOp::IsNaN => flag(e, Cmp::Uno, x, x),
        UnaryOp::IsInf { negative, positive } => {
            let (pos, neg) = (e.c(f32::INFINITY), e.c(f32::NEG_INFINITY));
            match (negative, positive) {
                (true, true) => {
                    let a = e.abs(x);
                    flag(e, Cmp::Eq, a, pos)
                }
                (false, true) => flag(e, Cmp::Eq, x, pos),
                (true, false) => flag(e, Cmp::Eq, x, neg),
                (false, false) => e.c(0.0),
            }
        }
        UnaryOp::Act(a) => activation(e, a, x),
    }
}

/// A binary map function.
pub fn binary<E: Elem + ?Sized>(e: &mut E, op: BinaryOp, a: E::V, b: E::V) -> E::V {
    match op {
        BinaryOp::Add => e.add(a, b),
        BinaryOp::Sub => e.sub(a, b),
        BinaryOp::Mul => e.mul(a, b),
        BinaryOp::Div => e.div(a, b),
        BinaryOp::Pow => e.pow(a, b),
        BinaryOp::Max => e.max(a, b),
        BinaryOp::Min => e.min(a, b),
        BinaryOp::Equal => flag(e, Cmp::Eq, a, b),
        BinaryOp::Greater => flag(e, Cmp::Gt, a, b),
        BinaryOp::Less => flag(e, Cmp::Lt, a, b),
        BinaryOp::Mod => math::floor_mod(e, a, b),
        BinaryOp::Fmod => math::fmod(e, a, b),
    }
}

/// `1.0` where the comparison holds, else `0.0`.
fn flag<E: Elem + ?Sized>(e: &mut E, cmp: Cmp, a: E::V, b: E::V) -> E::V {
    let m = e.cmp(cmp, a, b);
    let one = e.c(1.0);
    let zero = e.c(0.0);
    e.sel(m, one, zero)
}

/// A map op over its operands (`args.len() == op.arity()`).
pub fn map<E: Elem + ?Sized>(e: &mut E, op: MapOp, args: &[E::V]) -> E::V {
    match op {
        MapOp::Unary(u) => unary(e, u, args[0]),
        MapOp::Binary(b) => binary(e, b, args[0], args[1]),
        MapOp::MulAdd => {
            let p = e.mul(args[0], args[1]);
            e.add(p, args[2])
        }
        MapOp::Select => {
            // `!= 0` is true for NaN (unordered): a NaN condition selects in1.
            let zero = e.c(0.0);
            let m = e.cmp(Cmp::Ne, args[0], zero);
            e.sel(m, args[1], args[2])
        }
    }
}
