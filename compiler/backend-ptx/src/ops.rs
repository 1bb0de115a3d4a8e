//! The element-wise functions of the kernel level ([`Activation`],
//! [`UnaryOp`], [`BinaryOp`], [`MapOp`]) over [`Fp`], written to follow
//! `vitc_lower::reference` operation for operation (same roundings, same
//! NaN behaviour) except where a transcendental function is approximated.

use crate::fp::Fp;
use crate::math;
use vitc_lower::{Activation, BinaryOp, MapOp, UnaryOp};

/// An activation applied to one value.
pub fn activate<E: Fp>(e: &mut E, act: Activation, x: E::V) -> E::V {
    match act {
        Activation::None => x,
        Activation::Relu => {
            // x when x > 0 or NaN, else 0.
            let zero = e.c(0.0);
            let keep = e.cmp("gtu", x, zero);
            e.sel(keep, x, zero)
        }
        Activation::Sigmoid => math::sigmoid(e, x),
        Activation::HardSwish => {
            let three = e.c(3.0);
            let t = e.add(x, three);
            let zero = e.c(0.0);
            let six = e.c(6.0);
            let t = e.max_nan(t, zero);
            let t = e.min_nan(t, six);
            let t = e.div(t, six);
            e.mul(x, t)
        }
        Activation::HardSigmoid { alpha, beta } => {
            let a = e.c(alpha);
            let b = e.c(beta);
            let t = e.mul(a, x);
            let t = e.add(t, b);
            let zero = e.c(0.0);
            let one = e.c(1.0);
            let t = e.max_nan(t, zero);
            e.min_nan(t, one)
        }
        Activation::Gelu => {
            let c = e.c(std::f32::consts::FRAC_1_SQRT_2);
            let t = e.mul(x, c);
            let t = math::erf(e, t);
            let one = e.c(1.0);
            let t = e.add(one, t);
            let half = e.c(0.5);
            let hx = e.mul(half, x);
            e.mul(hx, t)
        }
        Activation::GeluTanh => {
            let c = e.c((2.0 / std::f32::consts::PI).sqrt());
            let k = e.c(0.044715);
            let t = e.mul(k, x);
            let t = e.mul(t, x);
            let t = e.mul(t, x);
            let t = e.add(x, t);
            let t = e.mul(c, t);
            let t = math::tanh(e, t);
            let one = e.c(1.0);
            let t = e.add(one, t);
            let half = e.c(0.5);
            let hx = e.mul(half, x);
            e.mul(hx, t)
        }
    }
}

/// A unary map function.
pub fn unary<E: Fp>(e: &mut E, op: UnaryOp, x: E::V) -> E::V {
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
        UnaryOp::Trunc => e.round(x, "rzi"),
        UnaryOp::Round => e.round(x, "rni"),
        UnaryOp::Act(a) => activate(e, a, x),
    }
}

/// A binary map function.
pub fn binary<E: Fp>(e: &mut E, op: BinaryOp, a: E::V, b: E::V) -> E::V {
    match op {
        BinaryOp::Add => e.add(a, b),
        BinaryOp::Sub => e.sub(a, b),
        BinaryOp::Mul => e.mul(a, b),
        BinaryOp::Div => e.div(a, b),
        BinaryOp::Pow => math::pow(e, a, b),
        BinaryOp::Max => e.max(a, b),
        BinaryOp::Min => e.min(a, b),
        BinaryOp::Equal => flag(e, "eq", a, b),
        BinaryOp::Greater => flag(e, "gt", a, b),
        BinaryOp::Less => flag(e, "lt", a, b),
    }
}

/// `1.0` when the ordered comparison holds, else `0.0` (false for NaN).
fn flag<E: Fp>(e: &mut E, cmp: &str, a: E::V, b: E::V) -> E::V {
    let c = e.cmp(cmp, a, b);
    let (one, zero) = (e.c(1.0), e.c(0.0));
    e.sel(c, one, zero)
}

/// A map op over its operands (`vals.len() == op.arity()`).
pub fn map<E: Fp>(e: &mut E, op: MapOp, vals: &[E::V]) -> E::V {
    match op {
        MapOp::Unary(u) => unary(e, u, vals[0]),
        MapOp::Binary(b) => binary(e, b, vals[0], vals[1]),
        MapOp::MulAdd => {
            let p = e.mul(vals[0], vals[1]);
            e.add(p, vals[2])
        }
        MapOp::Select => {
            // A NaN condition is "not equal to zero" and selects in1.
            let zero = e.c(0.0);
            let c = e.cmp("neu", vals[0], zero);
            e.sel(c, vals[1], vals[2])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fp::Cpu;
    use vitc_lower::reference;

    const ACTS: [Activation; 7] = [
        Activation::None,
        Activation::Relu,
        Activation::Sigmoid,
        Activation::HardSwish,
        Activation::HardSigmoid { alpha: 0.2, beta: 0.5 },
        Activation::Gelu,
        Activation::GeluTanh,
    ];

    #[test]
    fn activations_follow_the_reference() {
        for act in ACTS {
            for i in -4000..=4000 {
                let x = i as f32 * 0.003_7;
                let (y, r) = (activate(&mut Cpu, act, x), reference::activate(act, x));
                let tol = 2e-6 * r.abs() + 2e-7;
                assert!((y - r).abs() <= tol, "{act:?}({x}) = {y}, reference {r}");
            }
            let nan = activate(&mut Cpu, act, f32::NAN);
            assert!(nan.is_nan(), "{act:?}(NaN) = {nan}");
        }
    }

    #[test]
    fn unary_and_binary_follow_the_reference() {
        use UnaryOp::*;
        for op in [Copy, Neg, Abs, Sqrt, Exp, Log, Erf, Tanh, Reciprocal, Trunc, Round] {
            for i in 1..=2000 {
                let x = i as f32 * 0.01 - if matches!(op, Sqrt | Log) { 0.0 } else { 10.0 } + 0.005;
                let (y, r) = (unary(&mut Cpu, op, x), reference::unary(op, x));
                assert!((y - r).abs() <= 2e-6 * r.abs().max(1e-3), "{op:?}({x}) = {y}, reference {r}");
            }
        }
        use BinaryOp::*;
        for op in [Add, Sub, Mul, Div, Pow, Max, Min, Equal, Greater, Less] {
            for (a, b) in [(1.5f32, 2.0f32), (-3.0, 3.0), (0.25, -0.5), (7.0, 0.5), (2.0, f32::NAN)] {
                let (y, r) = (binary(&mut Cpu, op, a, b), reference::binary(op, a, b));
                assert!(y == r || (y - r).abs() <= 2e-6 * r.abs() || (y.is_nan() && r.is_nan()), "{op:?}({a}, {b})");
            }
        }
        for c in [0.0f32, -0.0, 1.0, -2.0, f32::NAN] {
            let y = map(&mut Cpu, MapOp::Select, &[c, 1.0, 2.0]);
            assert_eq!(y, if c != 0.0 { 1.0 } else { 2.0 }, "select({c})");
        }
    }
}
