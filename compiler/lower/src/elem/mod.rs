//! The element-function layer: every element-wise function of the kernel
//! level ([`crate::UnaryOp`], [`crate::BinaryOp`], [`crate::MapOp`],
//! [`crate::Activation`]) and every polynomial behind them (`exp`, `log`,
//! `erf`, `tanh`, …) written **once**, against the small trait [`Elem`].
//!
//! A backend implements only the trait's primitives (constants, arithmetic,
//! compares, selects, integer bit operations) on its own values: Cranelift
//! on `f32x4`, LLVM on `<4|8|16 x float>`, PTX on one `f32` register per
//! thread. [`Scalar`] is the CPU mirror: it runs the same sequence in Rust
//! `f32`, so the accuracy of every function is tested once, here, against
//! `f64` (`tests/elem_accuracy.rs`), and every backend computes what the
//! mirror computes (up to whether its `fma` is fused).
//!
//! A few primitives have a default written in the other primitives that a
//! backend may replace with a native instruction: [`Elem::round`] (SSE2
//! arithmetic by default), [`Elem::max`]/[`Elem::min`] (NaN-propagating,
//! as ONNX Runtime's `Max`/`Min`/`Relu`), [`Elem::recip_fast`] (a division
//! by default; AVX-512's refined `vrcp14ps` in the LLVM backend) and
//! [`Elem::pow`] (through `exp`/`log` by default; `powf` on the CPUs).
//!
//! [`math`] holds `exp`, `log`, `erf`, `tanh`, `sigmoid`, `pow` and the
//! remainders; [`trig`] the trigonometric and hyperbolic functions and
//! their inverses.
//!
//! Adding an element-wise op is one enum arm in [`crate::kernel`] plus one
//! function in [`ops`] (and the op's frontend and interpreter lines).

pub mod math;
pub mod ops;
mod scalar;
pub mod trig;

pub use ops::{activation, binary, map, unary};
pub use scalar::Scalar;

/// A float comparison, lane by lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    /// `a == b` (false when either is NaN).
    Eq,
    /// `a != b` or either is NaN (unordered or not equal).
    Ne,
    /// `a < b` (false when either is NaN).
    Lt,
    /// `a <= b` (false when either is NaN).
    Le,
    /// `a > b` (false when either is NaN).
    Gt,
    /// `a >= b` (false when either is NaN).
    Ge,
    /// Either operand is NaN.
    Uno,
}

/// How [`Elem::round`] rounds to an integer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoundMode {
    /// To the nearest integer, ties to even.
    NearestEven,
    /// Toward zero (truncation).
    TowardZero,
    /// Toward −∞ (floor).
    Down,
    /// Toward +∞ (ceiling).
    Up,
}

/// The primitives the element functions are written in. `V` holds f32
/// lanes, `I` as many i32 lanes, `M` as many booleans (a lane mask).
/// Every operation is lane-wise; a backend decides how many lanes a value
/// has.
pub trait Elem {
    /// Float lanes.
    type V: Copy;
    /// i32 lanes (bit patterns of floats).
    type I: Copy;
    /// A lane mask.
    type M: Copy;

    /// A constant in every lane.
    fn c(&mut self, v: f32) -> Self::V;
    fn add(&mut self, a: Self::V, b: Self::V) -> Self::V;
    fn sub(&mut self, a: Self::V, b: Self::V) -> Self::V;
    fn mul(&mut self, a: Self::V, b: Self::V) -> Self::V;
    /// IEEE division, correctly rounded.
    fn div(&mut self, a: Self::V, b: Self::V) -> Self::V;
    /// `a·b + c`: one rounding where the target has a fused multiply-add,
    /// two elsewhere (always the same instructions for a given target).
    fn fma(&mut self, a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    fn neg(&mut self, a: Self::V) -> Self::V;
    fn abs(&mut self, a: Self::V) -> Self::V;
    /// Correctly rounded square root.
    fn sqrt(&mut self, a: Self::V) -> Self::V;
    fn cmp(&mut self, cmp: Cmp, a: Self::V, b: Self::V) -> Self::M;
    /// `m ? a : b`.
    fn sel(&mut self, m: Self::M, a: Self::V, b: Self::V) -> Self::V;
    /// The bits of each lane.
    fn bits(&mut self, a: Self::V) -> Self::I;
    /// Floats from their bits.
    fn float_of_bits(&mut self, a: Self::I) -> Self::V;
    /// An i32 constant in every lane.
    fn ic(&mut self, v: i32) -> Self::I;
    /// Wrapping i32 addition.
    fn iadd(&mut self, a: Self::I, b: Self::I) -> Self::I;
    /// Wrapping i32 subtraction.
    fn isub(&mut self, a: Self::I, b: Self::I) -> Self::I;
    fn iand(&mut self, a: Self::I, b: Self::I) -> Self::I;
    fn ior(&mut self, a: Self::I, b: Self::I) -> Self::I;
    fn shl(&mut self, a: Self::I, n: u32) -> Self::I;
    /// Logical (zero-filling) shift right.
    fn shr(&mut self, a: Self::I, n: u32) -> Self::I;
    /// The exact float of each i32 lane (exact below 2^24).
    fn i_to_f(&mut self, a: Self::I) -> Self::V;

    /// Rounds to an integer. The default, [`math::round_by_adds`], uses
    /// only adds and compares (SSE2 has no rounding instruction).
    fn round(&mut self, x: Self::V, mode: RoundMode) -> Self::V {
        math::round_by_adds(self, x, mode)
    }

    /// The larger operand; NaN when either is NaN (ONNX Runtime's `Max`).
    fn max(&mut self, a: Self::V, b: Self::V) -> Self::V {
        let lt = self.cmp(Cmp::Lt, a, b);
        let m = self.sel(lt, b, a);
        let nan = self.cmp(Cmp::Uno, a, b);
        let s = self.add(a, b);
        self.sel(nan, s, m)
    }

    /// The smaller operand; NaN when either is NaN (ONNX Runtime's `Min`).
    fn min(&mut self, a: Self::V, b: Self::V) -> Self::V {
        let gt = self.cmp(Cmp::Gt, a, b);
        let m = self.sel(gt, b, a);
        let nan = self.cmp(Cmp::Uno, a, b);
        let s = self.add(a, b);
        self.sel(nan, s, m)
    }

    /// `1/q` for `q` away from 0 and ∞, to within about one ulp (a
    /// division by default).
    fn recip_fast(&mut self, q: Self::V) -> Self::V {
        let one = self.c(1.0);
        self.div(one, q)
    }

    /// `powf(a, b)` (default: [`math::pow`], through `exp` and `log`).
    fn pow(&mut self, a: Self::V, b: Self::V) -> Self::V {
        math::pow(self, a, b)
    }
}
