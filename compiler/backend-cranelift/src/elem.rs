//! The Cranelift realisation of the element-function layer
//! ([`vitc_lower::elem::Elem`]) on `f32x4`: masks are all-ones lanes
//! (`fcmp` bits) used by `bitselect`. Everything else (`exp`, `erf`, the
//! activations, rounding with SSE2 arithmetic) is the shared code of
//! `vitc_lower::elem`; `pow` calls `powf` lane by lane.
//!
//! The SSE2 quirk stays here: Cranelift folds a single-use load into
//! `cmpps`'s memory operand, which must then be 16-byte aligned, and kernel
//! operands are not. A compared operand that comes straight from a load is
//! first moved into a register by adding −0.0 (which changes no value).

use cranelift_codegen::ir::{InstBuilder, InstructionData, Opcode, Value, condcodes::FloatCC, types};
use vitc_lower::elem::{Cmp, Elem};

use crate::emit::{F32X4, Fx, I32X4};

impl Fx<'_, '_> {
    /// `v`, or `v + (−0.0)` when `v` is the direct result of a load (see
    /// the module docs).
    fn in_register(&mut self, v: Value) -> Value {
        let loaded =
            self.b.func.dfg.value_def(v).inst().is_some_and(|i| {
                matches!(self.b.func.dfg.insts[i], InstructionData::Load { opcode: Opcode::Load, .. })
            });
        if !loaded || self.is_aarch64() {
            return v;
        }
        let minus_zero = self.splat(-0.0);
        self.b.ins().fadd(v, minus_zero)
    }

    fn shift_amount(&mut self, n: u32) -> Value {
        self.b.ins().iconst(types::I32, i64::from(n))
    }
}

impl Elem for Fx<'_, '_> {
    type V = Value;
    type I = Value;
    type M = Value;

    fn c(&mut self, v: f32) -> Value {
        self.splat(v)
    }
    fn add(&mut self, a: Value, b: Value) -> Value {
        self.b.ins().fadd(a, b)
    }
    fn sub(&mut self, a: Value, b: Value) -> Value {
        self.b.ins().fsub(a, b)
    }
    fn mul(&mut self, a: Value, b: Value) -> Value {
        self.b.ins().fmul(a, b)
    }
    fn div(&mut self, a: Value, b: Value) -> Value {
        self.b.ins().fdiv(a, b)
    }
    fn fma(&mut self, a: Value, b: Value, c: Value) -> Value {
        self.madd(a, b, c)
    }
    fn neg(&mut self, a: Value) -> Value {
        self.b.ins().fneg(a)
    }
    fn abs(&mut self, a: Value) -> Value {
        self.b.ins().fabs(a)
    }
    fn sqrt(&mut self, a: Value) -> Value {
        self.b.ins().sqrt(a)
    }
    fn cmp(&mut self, cmp: Cmp, a: Value, b: Value) -> Value {
        let a = self.in_register(a);
        let b = self.in_register(b);
        let cc = match cmp {
            Cmp::Eq => FloatCC::Equal,
            Cmp::Ne => FloatCC::NotEqual,
            Cmp::Lt => FloatCC::LessThan,
            Cmp::Le => FloatCC::LessThanOrEqual,
            Cmp::Gt => FloatCC::GreaterThan,
            Cmp::Ge => FloatCC::GreaterThanOrEqual,
            Cmp::Uno => {
                // aarch64 has no unordered vector compare: x != x is NaN.
                let na = self.mask(FloatCC::NotEqual, a, a);
                let nb = self.mask(FloatCC::NotEqual, b, b);
                return self.b.ins().bor(na, nb);
            }
        };
        self.mask(cc, a, b)
    }
    fn sel(&mut self, m: Value, a: Value, b: Value) -> Value {
        self.select(m, a, b)
    }
    fn bits(&mut self, a: Value) -> Value {
        self.cast(I32X4, a)
    }
    fn float_of_bits(&mut self, a: Value) -> Value {
        self.cast(F32X4, a)
    }
    fn ic(&mut self, v: i32) -> Value {
        self.splat_i(v)
    }
    fn iadd(&mut self, a: Value, b: Value) -> Value {
        self.b.ins().iadd(a, b)
    }
    fn isub(&mut self, a: Value, b: Value) -> Value {
        self.b.ins().isub(a, b)
    }
    fn iand(&mut self, a: Value, b: Value) -> Value {
        self.b.ins().band(a, b)
    }
    fn ior(&mut self, a: Value, b: Value) -> Value {
        self.b.ins().bor(a, b)
    }
    fn shl(&mut self, a: Value, n: u32) -> Value {
        let n = self.shift_amount(n);
        self.b.ins().ishl(a, n)
    }
    fn shr(&mut self, a: Value, n: u32) -> Value {
        let n = self.shift_amount(n);
        self.b.ins().ushr(a, n)
    }
    fn i_to_f(&mut self, a: Value) -> Value {
        self.b.ins().fcvt_from_sint(F32X4, a)
    }
    fn pow(&mut self, a: Value, b: Value) -> Value {
        let mut r = a;
        for l in 0..4u8 {
            let xs = self.b.ins().extractlane(a, l);
            let ys = self.b.ins().extractlane(b, l);
            let p = self.call_f32_2("powf", xs, ys);
            r = self.b.ins().insertlane(r, p, l);
        }
        r
    }
}
