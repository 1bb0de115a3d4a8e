//! Element-wise ops: unary math and activations, Cast, the broadcast binary
//! ops (arithmetic, Pow, comparisons) and Where.

use crate::broadcast::{zip2, zip3};
use ndarray::ArrayD;
use vitc_ir::{Attrs, DType, OpKind, Tensor};

/// A unary element-wise op (Identity and Cast included).
pub(crate) fn unary(op: OpKind, attrs: &Attrs, x: &Tensor) -> Result<Tensor, String> {
    use OpKind::*;
    match (op, x) {
        (Identity, _) => Ok(x.clone()),
        (Cast, _) => {
            let to = attrs.str_or("to", "")?;
            let dtype = DType::from_name(to).ok_or_else(|| format!("cast target '{to}' is not a supported dtype"))?;
            Ok(cast(x, dtype))
        }
        (Neg, Tensor::I64(a)) => Ok(Tensor::I64(a.mapv(i64::wrapping_neg))),
        (Neg, Tensor::I32(a)) => Ok(Tensor::I32(a.mapv(i32::wrapping_neg))),
        (Abs, Tensor::I64(a)) => Ok(Tensor::I64(a.mapv(i64::wrapping_abs))),
        (Abs, Tensor::I32(a)) => Ok(Tensor::I32(a.mapv(i32::wrapping_abs))),
        (Relu, Tensor::I64(a)) => Ok(Tensor::I64(a.mapv(|v| v.max(0)))),
        (Relu, Tensor::I32(a)) => Ok(Tensor::I32(a.mapv(|v| v.max(0)))),
        (Sign, Tensor::I64(a)) => Ok(Tensor::I64(a.mapv(i64::signum))),
        (Sign, Tensor::I32(a)) => Ok(Tensor::I32(a.mapv(i32::signum))),
        (IsNaN, Tensor::F32(a)) => Ok(Tensor::Bool(a.mapv(f32::is_nan))),
        (IsInf, Tensor::F32(a)) => {
            let negative = attrs.int_or("detect_negative", 1)? != 0;
            let positive = attrs.int_or("detect_positive", 1)? != 0;
            Ok(Tensor::Bool(a.mapv(|v| (positive && v == f32::INFINITY) || (negative && v == f32::NEG_INFINITY))))
        }
        (_, Tensor::F32(a)) => Ok(Tensor::F32(unary_f32(op, attrs, a)?)),
        (_, other) => Err(format!("'{op}' is not defined on {} tensors", other.dtype())),
    }
}

fn unary_f32(op: OpKind, attrs: &Attrs, a: &ArrayD<f32>) -> Result<ArrayD<f32>, String> {
    use OpKind::*;
    Ok(match op {
        Neg => a.mapv(|v| -v),
        Abs => a.mapv(f32::abs),
        Sqrt => a.mapv(f32::sqrt),
        Exp => a.mapv(f32::exp),
        Log => a.mapv(f32::ln),
        Erf => a.mapv(|v| libm::erf(f64::from(v)) as f32),
        Tanh => a.mapv(f32::tanh),
        Reciprocal => a.mapv(|v| 1.0 / v),
        Floor => a.mapv(f32::floor),
        Ceil => a.mapv(f32::ceil),
        Round => a.mapv(f32::round_ties_even),
        Sign => a.mapv(|v| {
            if v > 0.0 {
                1.0
            } else if v < 0.0 {
                -1.0
            } else {
                v
            }
        }),
        Sin => a.mapv(f32::sin),
        Cos => a.mapv(f32::cos),
        Tan => a.mapv(f32::tan),
        Asin => a.mapv(f32::asin),
        Acos => a.mapv(f32::acos),
        Atan => a.mapv(f32::atan),
        Sinh => a.mapv(f32::sinh),
        Cosh => a.mapv(f32::cosh),
        Asinh => a.mapv(f32::asinh),
        Acosh => a.mapv(f32::acosh),
        Atanh => a.mapv(f32::atanh),
        Relu => a.mapv(|v| if v > 0.0 || v.is_nan() { v } else { 0.0 }),
        Sigmoid => a.mapv(sigmoid),
        HardSigmoid => {
            let alpha = attrs.float_or("alpha", 0.2)?;
            let beta = attrs.float_or("beta", 0.5)?;
            a.mapv(|v| (alpha * v + beta).clamp(0.0, 1.0))
        }
        HardSwish => a.mapv(|v| v * ((v + 3.0).clamp(0.0, 6.0) / 6.0)),
        Gelu => match attrs.str_or("approximate", "none")? {
            "none" => a.mapv(|v| {
                let x = f64::from(v);
                (0.5 * x * (1.0 + libm::erf(x * std::f64::consts::FRAC_1_SQRT_2))) as f32
            }),
            "tanh" => a.mapv(|v| {
                let x = f64::from(v);
                let inner = (2.0 / std::f64::consts::PI).sqrt() * (x + 0.044715 * x * x * x);
                (0.5 * x * (1.0 + inner.tanh())) as f32
            }),
            other => return Err(format!("gelu approximate '{other}' is not one of none, tanh")),
        },
        other => return Err(format!("'{other}' is not a unary element-wise op")),
    })
}

fn sigmoid(v: f32) -> f32 {
    if v >= 0.0 {
        1.0 / (1.0 + (-v).exp())
    } else {
        let e = v.exp();
        e / (1.0 + e)
    }
}

/// Converts between dtypes: f32 → int truncates toward zero (saturating,
/// NaN → 0), anything → bool is `!= 0`, bool → number is 0/1.
pub(crate) fn cast(x: &Tensor, to: DType) -> Tensor {
    match (x, to) {
        (t, d) if t.dtype() == d => t.clone(),
        (Tensor::F32(a), DType::I64) => Tensor::I64(a.mapv(|v| v as i64)),
        (Tensor::F32(a), DType::I32) => Tensor::I32(a.mapv(|v| v as i32)),
        (Tensor::F32(a), DType::Bool) => Tensor::Bool(a.mapv(|v| v != 0.0)),
        (Tensor::I64(a), DType::F32) => Tensor::F32(a.mapv(|v| v as f32)),
        (Tensor::I64(a), DType::I32) => Tensor::I32(a.mapv(|v| v as i32)),
        (Tensor::I64(a), DType::Bool) => Tensor::Bool(a.mapv(|v| v != 0)),
        (Tensor::I32(a), DType::F32) => Tensor::F32(a.mapv(|v| v as f32)),
        (Tensor::I32(a), DType::I64) => Tensor::I64(a.mapv(i64::from)),
        (Tensor::I32(a), DType::Bool) => Tensor::Bool(a.mapv(|v| v != 0)),
        (Tensor::Bool(a), DType::F32) => Tensor::F32(a.mapv(|v| f32::from(u8::from(v)))),
        (Tensor::Bool(a), DType::I64) => Tensor::I64(a.mapv(i64::from)),
        (Tensor::Bool(a), DType::I32) => Tensor::I32(a.mapv(i32::from)),
        (t, _) => t.clone(),
    }
}

/// A broadcast binary op.
pub(crate) fn binary(op: OpKind, attrs: &Attrs, a: &Tensor, b: &Tensor) -> Result<Tensor, String> {
    use OpKind::*;
    use Tensor::*;
    let mismatch = || format!("operand dtypes differ: {} and {}", a.dtype(), b.dtype());
    Ok(match op {
        Add | Sub | Mul | Div => match (a, b) {
            (F32(x), F32(y)) => F32(match op {
                Add => zip2(x, y, |p, q| p + q)?,
                Sub => zip2(x, y, |p, q| p - q)?,
                Mul => zip2(x, y, |p, q| p * q)?,
                _ => zip2(x, y, |p, q| p / q)?,
            }),
            (I64(x), I64(y)) => I64(int_arith(op, x, y)?),
            (I32(x), I32(y)) => I32(int_arith(op, x, y)?),
            (F32(_) | I64(_) | I32(_), _) => return Err(mismatch()),
            _ => return Err(format!("'{op}' is not defined on {} tensors", a.dtype())),
        },
        Pow => pow(a, b)?,
        Max | Min => {
            let larger = op == Max;
            match (a, b) {
                (F32(x), F32(y)) => F32(zip2(x, y, |p, q| {
                    if p.is_nan() || q.is_nan() {
                        f32::NAN
                    } else if (p > q) == larger {
                        p
                    } else {
                        q
                    }
                })?),
                (I64(x), I64(y)) => I64(zip2(x, y, |p, q| if larger { p.max(q) } else { p.min(q) })?),
                (I32(x), I32(y)) => I32(zip2(x, y, |p, q| if larger { p.max(q) } else { p.min(q) })?),
                (F32(_) | I64(_) | I32(_), _) => return Err(mismatch()),
                _ => return Err(format!("'{op}' is not defined on {} tensors", a.dtype())),
            }
        }
        Mod => {
            let c_fmod = attrs.int_or("fmod", 0)? != 0;
            match (a, b) {
                (F32(x), F32(y)) => F32(zip2(x, y, |p, q| if c_fmod { p % q } else { floored_rem(p, q, 0.0) })?),
                (I64(x), I64(y)) => I64(int_mod(x, y, c_fmod)?),
                (I32(x), I32(y)) => I32(int_mod(x, y, c_fmod)?),
                (F32(_) | I64(_) | I32(_), _) => return Err(mismatch()),
                _ => return Err(format!("'mod' is not defined on {} tensors", a.dtype())),
            }
        }
        Equal | Less | Greater => Bool(match (a, b) {
            (F32(x), F32(y)) => compare(op, x, y)?,
            (I64(x), I64(y)) => compare(op, x, y)?,
            (I32(x), I32(y)) => compare(op, x, y)?,
            (Bool(x), Bool(y)) => compare(op, x, y)?,
            _ => return Err(mismatch()),
        }),
        other => return Err(format!("'{other}' is not a binary element-wise op")),
    })
}

trait Int: Copy + PartialEq {
    const ZERO: Self;
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    fn div(self, o: Self) -> Self;
}

macro_rules! impl_int {
    ($t:ty) => {
        impl Int for $t {
            const ZERO: Self = 0;
            fn add(self, o: Self) -> Self {
                self.wrapping_add(o)
            }
            fn sub(self, o: Self) -> Self {
                self.wrapping_sub(o)
            }
            fn mul(self, o: Self) -> Self {
                self.wrapping_mul(o)
            }
            fn div(self, o: Self) -> Self {
                self.wrapping_div(o)
            }
        }
    };
}
impl_int!(i64);
impl_int!(i32);

/// Integer arithmetic: wrapping, division truncates toward zero (as C and
/// ONNX Runtime do); division by zero is an error.
fn int_arith<T: Int>(op: OpKind, x: &ArrayD<T>, y: &ArrayD<T>) -> Result<ArrayD<T>, String> {
    match op {
        OpKind::Add => zip2(x, y, T::add),
        OpKind::Sub => zip2(x, y, T::sub),
        OpKind::Mul => zip2(x, y, T::mul),
        _ => {
            if y.iter().any(|&v| v == T::ZERO) {
                return Err("integer division by zero".into());
            }
            zip2(x, y, T::div)
        }
    }
}

/// `p % q` (truncated, C's `fmod`) moved into the sign of `q` (floored,
/// Python's `%`).
fn floored_rem<T: Copy + PartialOrd + std::ops::Rem<Output = T> + std::ops::Add<Output = T>>(p: T, q: T, zero: T) -> T {
    let r = p % q;
    if r != zero && ((r < zero) != (q < zero)) { r + q } else { r }
}

/// Integer `Mod`: C's remainder (`fmod = 1`) or the floored one.
fn int_mod<T>(x: &ArrayD<T>, y: &ArrayD<T>, c_fmod: bool) -> Result<ArrayD<T>, String>
where
    T: Int + PartialOrd + std::ops::Rem<Output = T> + std::ops::Add<Output = T>,
{
    if y.iter().any(|&v| v == T::ZERO) {
        return Err("integer modulo by zero".into());
    }
    zip2(x, y, |p, q| if c_fmod { p % q } else { floored_rem(p, q, T::ZERO) })
}

fn compare<T: Copy + PartialOrd>(op: OpKind, x: &ArrayD<T>, y: &ArrayD<T>) -> Result<ArrayD<bool>, String> {
    match op {
        OpKind::Equal => zip2(x, y, |p, q| p == q),
        OpKind::Less => zip2(x, y, |p, q| p < q),
        _ => zip2(x, y, |p, q| p > q),
    }
}

/// `a ** b`, computed in f64 and converted to `a`'s dtype (as numpy does
/// when the exponent is an integer).
fn pow(a: &Tensor, b: &Tensor) -> Result<Tensor, String> {
    use Tensor::*;
    fn pf(x: f64, y: f64) -> f64 {
        x.powf(y)
    }
    Ok(match (a, b) {
        (F32(x), F32(y)) => F32(zip2(x, y, |p, q| pf(f64::from(p), f64::from(q)) as f32)?),
        (F32(x), I64(y)) => F32(zip2(x, y, |p, q| pf(f64::from(p), q as f64) as f32)?),
        (F32(x), I32(y)) => F32(zip2(x, y, |p, q| pf(f64::from(p), f64::from(q)) as f32)?),
        (I64(x), I64(y)) => I64(zip2(x, y, int_pow)?),
        (I64(x), I32(y)) => I64(zip2(x, y, |p, q| int_pow(p, i64::from(q)))?),
        (I32(x), I32(y)) => I32(zip2(x, y, |p, q| int_pow(i64::from(p), i64::from(q)) as i32)?),
        (I32(x), I64(y)) => I32(zip2(x, y, |p, q| int_pow(i64::from(p), q) as i32)?),
        (I64(x), F32(y)) => I64(zip2(x, y, |p, q| pf(p as f64, f64::from(q)) as i64)?),
        (I32(x), F32(y)) => I32(zip2(x, y, |p, q| pf(f64::from(p), f64::from(q)) as i32)?),
        _ => return Err(format!("'pow' is not defined on {} and {} tensors", a.dtype(), b.dtype())),
    })
}

fn int_pow(base: i64, exp: i64) -> i64 {
    match u32::try_from(exp) {
        Ok(e) => base.wrapping_pow(e),
        Err(_) => (base as f64).powf(exp as f64) as i64,
    }
}

/// `where(cond, x, y)` with broadcasting.
pub(crate) fn where_(cond: &Tensor, x: &Tensor, y: &Tensor) -> Result<Tensor, String> {
    let Tensor::Bool(c) = cond else {
        return Err(format!("condition must be bool, found {}", cond.dtype()));
    };
    use Tensor::*;
    Ok(match (x, y) {
        (F32(a), F32(b)) => F32(zip3(c, a, b, |k, p, q| if k { p } else { q })?),
        (I64(a), I64(b)) => I64(zip3(c, a, b, |k, p, q| if k { p } else { q })?),
        (I32(a), I32(b)) => I32(zip3(c, a, b, |k, p, q| if k { p } else { q })?),
        (Bool(a), Bool(b)) => Bool(zip3(c, a, b, |k, p, q| if k { p } else { q })?),
        _ => return Err(format!("branch dtypes differ: {} and {}", x.dtype(), y.dtype())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{IxDyn, arr1, arr2};
    use vitc_ir::Attr;

    fn f32s(t: &Tensor) -> Vec<f32> {
        t.as_f32().unwrap().iter().copied().collect()
    }

    #[test]
    fn broadcast_add_of_matrix_and_row() {
        let a = Tensor::F32(arr2(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]).into_dyn());
        let b = Tensor::F32(arr1(&[10.0, 20.0, 30.0]).into_dyn());
        let c = binary(OpKind::Add, &Attrs::new(), &a, &b).unwrap();
        assert_eq!(c.dims(), &[2, 3]);
        assert_eq!(f32s(&c), vec![11.0, 22.0, 33.0, 14.0, 25.0, 36.0]);
    }

    #[test]
    fn erf_matches_tables() {
        // Abramowitz & Stegun table 7.1: erf(0.5)=0.5204998778, erf(1)=0.8427007929, erf(2)=0.9953222650.
        let x = Tensor::F32(arr1(&[0.0, 0.5, 1.0, -1.0, 2.0]).into_dyn());
        let y = f32s(&unary(OpKind::Erf, &Attrs::new(), &x).unwrap());
        let want = [0.0, 0.520_499_9, 0.842_700_8, -0.842_700_8, 0.995_322_3];
        for (g, w) in y.iter().zip(want) {
            assert!((g - w).abs() < 1e-6, "{g} vs {w}");
        }
    }

    #[test]
    fn activations_at_known_points() {
        let x = Tensor::F32(arr1(&[-4.0, -1.0, 0.0, 1.0, 4.0]).into_dyn());
        let hs = f32s(&unary(OpKind::HardSwish, &Attrs::new(), &x).unwrap());
        assert_eq!(hs, vec![0.0, -1.0 / 3.0, 0.0, 2.0 / 3.0, 4.0]);
        let hsig = f32s(&unary(OpKind::HardSigmoid, &Attrs::new(), &x).unwrap());
        for (g, w) in hsig.iter().zip([0.0, 0.3, 0.5, 0.7, 1.0]) {
            assert!((g - w).abs() < 1e-7, "{g} vs {w}");
        }
        let relu = f32s(&unary(OpKind::Relu, &Attrs::new(), &x).unwrap());
        assert_eq!(relu, vec![0.0, 0.0, 0.0, 1.0, 4.0]);
        let sig = f32s(&unary(OpKind::Sigmoid, &Attrs::new(), &x).unwrap());
        assert!((sig[3] - 0.731_058_6).abs() < 1e-7 && sig[2] == 0.5);
        // gelu(1) = 0.5 * (1 + erf(1/sqrt 2)) = 0.8413447
        let g = f32s(&unary(OpKind::Gelu, &Attrs::new(), &x).unwrap());
        assert!((g[3] - 0.841_344_7).abs() < 1e-6);
        let tanh = Attrs::new().with("approximate", Attr::Str("tanh".into()));
        let gt = f32s(&unary(OpKind::Gelu, &tanh, &x).unwrap());
        assert!((gt[3] - 0.841_192).abs() < 1e-5);
    }

    #[test]
    fn cast_truncates_toward_zero() {
        let x = Tensor::F32(arr1(&[-2.7, -0.5, 0.0, 1.9, 3.0]).into_dyn());
        assert_eq!(cast(&x, DType::I64).to_i64_vec(), vec![-2, 0, 0, 1, 3]);
        assert_eq!(cast(&x, DType::Bool).to_i64_vec(), vec![1, 1, 0, 1, 1]);
        let attrs = Attrs::new().with("to", Attr::Str("i32".into()));
        assert_eq!(unary(OpKind::Cast, &attrs, &x).unwrap().dtype(), DType::I32);
    }

    #[test]
    fn pow_with_float_and_int_exponents() {
        let x = Tensor::F32(arr1(&[1.0, 2.0, 3.0]).into_dyn());
        let e = Tensor::F32(arr1(&[4.0, 5.0, 6.0]).into_dyn());
        assert_eq!(f32s(&binary(OpKind::Pow, &Attrs::new(), &x, &e).unwrap()), vec![1.0, 32.0, 729.0]);
        let two = Tensor::I64(ArrayD::from_elem(IxDyn(&[]), 2));
        assert_eq!(f32s(&binary(OpKind::Pow, &Attrs::new(), &x, &two).unwrap()), vec![1.0, 4.0, 9.0]);
    }

    #[test]
    fn integer_division_truncates_and_rejects_zero() {
        let a = Tensor::I64(arr1(&[7, -7, 6]).into_dyn());
        let b = Tensor::I64(arr1(&[2, 2, 3]).into_dyn());
        assert_eq!(binary(OpKind::Div, &Attrs::new(), &a, &b).unwrap().to_i64_vec(), vec![3, -3, 2]);
        let z = Tensor::I64(arr1(&[0]).into_dyn());
        assert!(binary(OpKind::Div, &Attrs::new(), &a, &z).is_err());
    }

    #[test]
    fn comparisons_give_bools_and_where_selects() {
        let a = Tensor::I64(arr1(&[1, 5, 3]).into_dyn());
        let b = Tensor::I64(ArrayD::from_elem(IxDyn(&[]), 3));
        let less = binary(OpKind::Less, &Attrs::new(), &a, &b).unwrap();
        assert_eq!(less.to_i64_vec(), vec![1, 0, 0]);
        let eq = binary(OpKind::Equal, &Attrs::new(), &a, &b).unwrap();
        assert_eq!(eq.to_i64_vec(), vec![0, 0, 1]);
        let gt = binary(OpKind::Greater, &Attrs::new(), &a, &b).unwrap();
        let w = where_(&gt, &a, &Tensor::I64(ArrayD::from_elem(IxDyn(&[]), -1))).unwrap();
        assert_eq!(w.to_i64_vec(), vec![-1, 5, -1]);
        assert!(binary(OpKind::Add, &Attrs::new(), &a, &Tensor::f32_scalar(1.0)).is_err());
    }

    #[test]
    fn mod_floored_and_c_fmod() {
        let a = Tensor::I64(arr1(&[7i64, -7, 7, -7]).into_dyn());
        let b = Tensor::I64(arr1(&[3i64, 3, -3, -3]).into_dyn());
        let floored = binary(OpKind::Mod, &Attrs::new(), &a, &b).unwrap();
        assert_eq!(floored.to_i64_vec(), vec![1, 2, -2, -1]);
        let mut c = Attrs::new();
        c.set("fmod", vitc_ir::Attr::Int(1));
        assert_eq!(binary(OpKind::Mod, &c, &a, &b).unwrap().to_i64_vec(), vec![1, -1, 1, -1]);
        let x = Tensor::F32(arr1(&[5.5f32, -5.5]).into_dyn());
        let y = Tensor::F32(arr1(&[2.0f32, 2.0]).into_dyn());
        assert_eq!(f32s(&binary(OpKind::Mod, &c, &x, &y).unwrap()), vec![1.5, -1.5]);
        assert_eq!(f32s(&binary(OpKind::Mod, &Attrs::new(), &x, &y).unwrap()), vec![1.5, 0.5]);
        let z = Tensor::I64(arr1(&[0i64, 1, 1, 1]).into_dyn());
        assert!(binary(OpKind::Mod, &Attrs::new(), &a, &z).is_err());
    }
}
