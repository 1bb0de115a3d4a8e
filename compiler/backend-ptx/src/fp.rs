//! The arithmetic the math routines are written against ([`Fp`]), with two
//! realisations: [`crate::emit::Body`] emits PTX instructions, [`Cpu`]
//! evaluates the same sequence in Rust f32. The math routines are therefore
//! tested for accuracy on the CPU, operation for operation as the GPU runs
//! them (`ex2.approx` is the one approximate step: [`Cpu`] rounds `2^x`
//! correctly, the hardware is within 2 ulp).

use crate::emit::{Body, F, P, R};

/// Floating-point and integer operations of one lane.
pub trait Fp {
    /// An f32 value.
    type V: Copy;
    /// An i32 value.
    type I: Copy;
    /// A condition.
    type C: Copy;

    fn c(&mut self, v: f32) -> Self::V;
    fn add(&mut self, a: Self::V, b: Self::V) -> Self::V;
    fn sub(&mut self, a: Self::V, b: Self::V) -> Self::V;
    fn mul(&mut self, a: Self::V, b: Self::V) -> Self::V;
    /// IEEE division, correctly rounded.
    fn div(&mut self, a: Self::V, b: Self::V) -> Self::V;
    /// `a * b + c` with one rounding.
    fn fma(&mut self, a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    fn neg(&mut self, a: Self::V) -> Self::V;
    fn abs(&mut self, a: Self::V) -> Self::V;
    /// Correctly rounded square root.
    fn sqrt(&mut self, a: Self::V) -> Self::V;
    /// Minimum / maximum returning the other operand when one is NaN.
    fn min(&mut self, a: Self::V, b: Self::V) -> Self::V;
    fn max(&mut self, a: Self::V, b: Self::V) -> Self::V;
    /// Minimum / maximum returning NaN when either operand is NaN.
    fn min_nan(&mut self, a: Self::V, b: Self::V) -> Self::V;
    fn max_nan(&mut self, a: Self::V, b: Self::V) -> Self::V;
    /// Round to integer: `mode` is `rni` (nearest even), `rzi` (toward
    /// zero), `rmi` (down) or `rpi` (up).
    fn round(&mut self, a: Self::V, mode: &str) -> Self::V;
    /// `2^a` (`ex2.approx.f32`).
    fn ex2(&mut self, a: Self::V) -> Self::V;
    /// Ordered comparison `cmp` ∈ `lt le gt ge eq`, or `ne`/`neu` (`neu` is
    /// true when either is NaN), or `gtu` (greater or unordered).
    fn cmp(&mut self, cmp: &str, a: Self::V, b: Self::V) -> Self::C;
    fn is_nan(&mut self, a: Self::V) -> Self::C;
    fn and(&mut self, a: Self::C, b: Self::C) -> Self::C;
    fn or(&mut self, a: Self::C, b: Self::C) -> Self::C;
    fn not(&mut self, a: Self::C) -> Self::C;
    /// `c ? a : b`.
    fn sel(&mut self, c: Self::C, a: Self::V, b: Self::V) -> Self::V;
    /// Round to the nearest integer (ties to even), saturating (`cvt.rni.s32.f32`).
    fn to_int(&mut self, a: Self::V) -> Self::I;
    fn int_to_f(&mut self, a: Self::I) -> Self::V;
    fn bits(&mut self, a: Self::V) -> Self::I;
    fn f_of_bits(&mut self, a: Self::I) -> Self::V;
    fn ic(&mut self, v: i32) -> Self::I;
    fn iadd(&mut self, a: Self::I, b: Self::I) -> Self::I;
    fn isub(&mut self, a: Self::I, b: Self::I) -> Self::I;
    fn iand(&mut self, a: Self::I, b: Self::I) -> Self::I;
    /// Arithmetic shift right.
    fn ishr(&mut self, a: Self::I, n: u32) -> Self::I;
    fn ishl(&mut self, a: Self::I, n: u32) -> Self::I;
}

impl Body {
    fn f2(&mut self, op: &str, a: F, b: F) -> F {
        let d = self.f();
        self.ins(format!("{op} {d}, {a}, {b}"));
        d
    }
    fn f1(&mut self, op: &str, a: F) -> F {
        let d = self.f();
        self.ins(format!("{op} {d}, {a}"));
        d
    }
    fn p2(&mut self, op: &str, a: P, b: P) -> P {
        let d = self.p();
        self.ins(format!("{op} {d}, {a}, {b}"));
        d
    }
}

impl Fp for Body {
    type V = F;
    type I = R;
    type C = P;

    fn c(&mut self, v: f32) -> F {
        self.fconst(v)
    }
    fn add(&mut self, a: F, b: F) -> F {
        self.f2("add.rn.f32", a, b)
    }
    fn sub(&mut self, a: F, b: F) -> F {
        self.f2("sub.rn.f32", a, b)
    }
    fn mul(&mut self, a: F, b: F) -> F {
        self.f2("mul.rn.f32", a, b)
    }
    fn div(&mut self, a: F, b: F) -> F {
        self.f2("div.rn.f32", a, b)
    }
    fn fma(&mut self, a: F, b: F, c: F) -> F {
        let d = self.f();
        self.ins(format!("fma.rn.f32 {d}, {a}, {b}, {c}"));
        d
    }
    fn neg(&mut self, a: F) -> F {
        self.f1("neg.f32", a)
    }
    fn abs(&mut self, a: F) -> F {
        self.f1("abs.f32", a)
    }
    fn sqrt(&mut self, a: F) -> F {
        self.f1("sqrt.rn.f32", a)
    }
    fn min(&mut self, a: F, b: F) -> F {
        self.f2("min.f32", a, b)
    }
    fn max(&mut self, a: F, b: F) -> F {
        self.f2("max.f32", a, b)
    }
    fn min_nan(&mut self, a: F, b: F) -> F {
        self.f2("min.NaN.f32", a, b)
    }
    fn max_nan(&mut self, a: F, b: F) -> F {
        self.f2("max.NaN.f32", a, b)
    }
    fn round(&mut self, a: F, mode: &str) -> F {
        self.f1(&format!("cvt.{mode}.f32.f32"), a)
    }
    fn ex2(&mut self, a: F) -> F {
        self.f1("ex2.approx.f32", a)
    }
    fn cmp(&mut self, cmp: &str, a: F, b: F) -> P {
        self.setp(&format!("{cmp}.f32"), a, b)
    }
    fn is_nan(&mut self, a: F) -> P {
        self.setp("nan.f32", a, a)
    }
    fn and(&mut self, a: P, b: P) -> P {
        self.p2("and.pred", a, b)
    }
    fn or(&mut self, a: P, b: P) -> P {
        self.p2("or.pred", a, b)
    }
    fn not(&mut self, a: P) -> P {
        let d = self.p();
        self.ins(format!("not.pred {d}, {a}"));
        d
    }
    fn sel(&mut self, c: P, a: F, b: F) -> F {
        let d = self.f();
        self.ins(format!("selp.f32 {d}, {a}, {b}, {c}"));
        d
    }
    fn to_int(&mut self, a: F) -> R {
        let d = self.r();
        self.ins(format!("cvt.rni.s32.f32 {d}, {a}"));
        d
    }
    fn int_to_f(&mut self, a: R) -> F {
        let d = self.f();
        self.ins(format!("cvt.rn.f32.s32 {d}, {a}"));
        d
    }
    fn bits(&mut self, a: F) -> R {
        let d = self.r();
        self.ins(format!("mov.b32 {d}, {a}"));
        d
    }
    fn f_of_bits(&mut self, a: R) -> F {
        let d = self.f();
        self.ins(format!("mov.b32 {d}, {a}"));
        d
    }
    fn ic(&mut self, v: i32) -> R {
        self.rconst(v.into())
    }
    fn iadd(&mut self, a: R, b: R) -> R {
        self.rop("add.s32", a, b)
    }
    fn isub(&mut self, a: R, b: R) -> R {
        self.rop("sub.s32", a, b)
    }
    fn iand(&mut self, a: R, b: R) -> R {
        self.rop("and.b32", a, b)
    }
    fn ishr(&mut self, a: R, n: u32) -> R {
        self.rop("shr.s32", a, n)
    }
    fn ishl(&mut self, a: R, n: u32) -> R {
        self.rop("shl.b32", a, n)
    }
}

/// Evaluates [`Fp`] sequences in Rust f32 (the CPU mirror used by tests).
pub struct Cpu;

impl Fp for Cpu {
    type V = f32;
    type I = i32;
    type C = bool;

    fn c(&mut self, v: f32) -> f32 {
        v
    }
    fn add(&mut self, a: f32, b: f32) -> f32 {
        a + b
    }
    fn sub(&mut self, a: f32, b: f32) -> f32 {
        a - b
    }
    fn mul(&mut self, a: f32, b: f32) -> f32 {
        a * b
    }
    fn div(&mut self, a: f32, b: f32) -> f32 {
        a / b
    }
    fn fma(&mut self, a: f32, b: f32, c: f32) -> f32 {
        a.mul_add(b, c)
    }
    fn neg(&mut self, a: f32) -> f32 {
        -a
    }
    fn abs(&mut self, a: f32) -> f32 {
        a.abs()
    }
    fn sqrt(&mut self, a: f32) -> f32 {
        a.sqrt()
    }
    fn min(&mut self, a: f32, b: f32) -> f32 {
        a.min(b)
    }
    fn max(&mut self, a: f32, b: f32) -> f32 {
        a.max(b)
    }
    fn min_nan(&mut self, a: f32, b: f32) -> f32 {
        if a.is_nan() || b.is_nan() { f32::NAN } else { a.min(b) }
    }
    fn max_nan(&mut self, a: f32, b: f32) -> f32 {
        if a.is_nan() || b.is_nan() { f32::NAN } else { a.max(b) }
    }
    fn round(&mut self, a: f32, mode: &str) -> f32 {
        match mode {
            "rzi" => a.trunc(),
            "rmi" => a.floor(),
            "rpi" => a.ceil(),
            _ => a.round_ties_even(),
        }
    }
    fn ex2(&mut self, a: f32) -> f32 {
        (a as f64).exp2() as f32
    }
    fn cmp(&mut self, cmp: &str, a: f32, b: f32) -> bool {
        match cmp {
            "lt" => a < b,
            "le" => a <= b,
            "gt" => a > b,
            "ge" => a >= b,
            "eq" => a == b,
            "ne" => !a.is_nan() && !b.is_nan() && a != b,
            "neu" => a != b,
            "gtu" => !matches!(a.partial_cmp(&b), Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)),
            other => panic!("unknown comparison {other}"),
        }
    }
    fn is_nan(&mut self, a: f32) -> bool {
        a.is_nan()
    }
    fn and(&mut self, a: bool, b: bool) -> bool {
        a && b
    }
    fn or(&mut self, a: bool, b: bool) -> bool {
        a || b
    }
    fn not(&mut self, a: bool) -> bool {
        !a
    }
    fn sel(&mut self, c: bool, a: f32, b: f32) -> f32 {
        if c { a } else { b }
    }
    fn to_int(&mut self, a: f32) -> i32 {
        a.round_ties_even() as i32
    }
    fn int_to_f(&mut self, a: i32) -> f32 {
        a as f32
    }
    fn bits(&mut self, a: f32) -> i32 {
        a.to_bits() as i32
    }
    fn f_of_bits(&mut self, a: i32) -> f32 {
        f32::from_bits(a as u32)
    }
    fn ic(&mut self, v: i32) -> i32 {
        v
    }
    fn iadd(&mut self, a: i32, b: i32) -> i32 {
        a.wrapping_add(b)
    }
    fn isub(&mut self, a: i32, b: i32) -> i32 {
        a.wrapping_sub(b)
    }
    fn iand(&mut self, a: i32, b: i32) -> i32 {
        a & b
    }
    fn ishr(&mut self, a: i32, n: u32) -> i32 {
        a >> n
    }
    fn ishl(&mut self, a: i32, n: u32) -> i32 {
        a << n
    }
}
