//! The PTX realisation of the element-function layer
//! ([`vitc_lower::elem::Elem`]): one `.f32` register per value, predicates
//! as masks. Rounding, `max`/`min` (`max.NaN.f32`) are native instructions;
//! everything else (`exp`, `erf`, `pow`, the activations) is the shared
//! code of `vitc_lower::elem`.

use vitc_lower::elem::{Cmp, Elem, RoundMode};

use crate::emit::{Body, F, P, R};

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
}

impl Elem for Body {
    type V = F;
    type I = R;
    type M = P;

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
    fn cmp(&mut self, cmp: Cmp, a: F, b: F) -> P {
        let op = match cmp {
            Cmp::Eq => "eq",
            Cmp::Ne => "neu",
            Cmp::Lt => "lt",
            Cmp::Le => "le",
            Cmp::Gt => "gt",
            Cmp::Ge => "ge",
            Cmp::Uno => "nan",
        };
        self.setp(&format!("{op}.f32"), a, b)
    }
    fn sel(&mut self, m: P, a: F, b: F) -> F {
        let d = self.f();
        self.ins(format!("selp.f32 {d}, {a}, {b}, {m}"));
        d
    }
    fn bits(&mut self, a: F) -> R {
        let d = self.r();
        self.ins(format!("mov.b32 {d}, {a}"));
        d
    }
    fn float_of_bits(&mut self, a: R) -> F {
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
    fn ior(&mut self, a: R, b: R) -> R {
        self.rop("or.b32", a, b)
    }
    fn shl(&mut self, a: R, n: u32) -> R {
        self.rop("shl.b32", a, n)
    }
    fn shr(&mut self, a: R, n: u32) -> R {
        self.rop("shr.u32", a, n)
    }
    fn i_to_f(&mut self, a: R) -> F {
        let d = self.f();
        self.ins(format!("cvt.rn.f32.s32 {d}, {a}"));
        d
    }
    fn round(&mut self, a: F, mode: RoundMode) -> F {
        let m = match mode {
            RoundMode::NearestEven => "rni",
            RoundMode::TowardZero => "rzi",
            RoundMode::Down => "rmi",
            RoundMode::Up => "rpi",
        };
        self.f1(&format!("cvt.{m}.f32.f32"), a)
    }
    fn max(&mut self, a: F, b: F) -> F {
        self.f2("max.NaN.f32", a, b)
    }
    fn min(&mut self, a: F, b: F) -> F {
        self.f2("min.NaN.f32", a, b)
    }
}
