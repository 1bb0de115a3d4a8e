//! The LLVM realisation of the element-function layer
//! ([`vitc_lower::elem::Elem`]) on `<w x float>` vectors of any width:
//! masks are `<w x i1>`, integers `<w x i32>`. Rounding is `llvm.roundeven`
//! / `trunc` / `floor` / `ceil`, `pow` calls `powf` lane by lane, and on
//! AVX-512 the reciprocal inside `erf` is a `vrcp14ps` estimate refined by
//! one Newton step; everything else is the shared code of `vitc_lower::elem`.
//!
//! The trait's operations cannot fail, so [`Lanes`] keeps the first
//! builder error and hands back an `undef` vector until [`Fx::elem`]
//! returns the error.

use inkwell::types::VectorType;
use inkwell::values::VectorValue;
use vitc_lower::Activation;
use vitc_lower::elem::{self, Cmp, Elem, RoundMode};

use crate::LlvmError;
use crate::fx::{Fp, Fx, R, V};

/// An [`Elem`] over vectors of `lanes` floats, emitting into `fx`.
pub(crate) struct Lanes<'f, 'a, 'c> {
    pub(crate) fx: &'f Fx<'a, 'c>,
    pub(crate) lanes: u32,
    pub(crate) error: Option<LlvmError>,
}

impl<'a, 'c> Fx<'a, 'c> {
    /// Runs element code on vectors of `lanes` floats.
    pub fn elem<T>(&self, lanes: u32, f: impl FnOnce(&mut Lanes<'_, 'a, 'c>) -> T) -> R<T> {
        let mut e = Lanes { fx: self, lanes, error: None };
        let out = f(&mut e);
        match e.error {
            Some(err) => Err(err),
            None => Ok(out),
        }
    }

    /// `e^x` (the shared `exp`).
    pub fn exp(&self, x: V<'c>) -> R<V<'c>> {
        self.elem(x.get_type().get_size(), |e| elem::math::exp(e, x))
    }

    /// A fused activation.
    pub fn activation(&self, act: Activation, x: V<'c>) -> R<V<'c>> {
        self.elem(x.get_type().get_size(), |e| elem::activation(e, act, x))
    }
}

impl<'c> Lanes<'_, '_, 'c> {
    /// The value of a builder step, or an `undef` of type `like` after
    /// recording the first error.
    fn ok(&mut self, r: R<V<'c>>, like: V<'c>) -> V<'c> {
        match r {
            Ok(v) => v,
            Err(e) => {
                self.error.get_or_insert(e);
                like.get_type().get_undef()
            }
        }
    }

    fn float_undef(&self) -> V<'c> {
        self.fx.vt(self.lanes).get_undef()
    }

    fn int_undef(&self) -> V<'c> {
        self.fx.ctx.i32_type().vec_type(self.lanes).get_undef()
    }

    fn fok(&mut self, r: R<V<'c>>) -> V<'c> {
        let u = self.float_undef();
        self.ok(r, u)
    }

    fn iok(&mut self, r: R<V<'c>>) -> V<'c> {
        let u = self.int_undef();
        self.ok(r, u)
    }

    fn mok(&mut self, r: R<V<'c>>) -> V<'c> {
        let u = self.fx.ctx.bool_type().vec_type(self.lanes).get_undef();
        self.ok(r, u)
    }

    fn int_const(&self, v: i32) -> VectorValue<'c> {
        let s = self.fx.ctx.i32_type().const_int(v as u32 as u64, false);
        VectorType::const_vector(&vec![s; self.lanes as usize])
    }

    fn shift(&mut self, a: V<'c>, n: u32, left: bool) -> V<'c> {
        let amount = self.int_const(n as i32);
        let b = &self.fx.b;
        let r = if left { b.build_left_shift(a, amount, "") } else { b.build_right_shift(a, amount, false, "") };
        self.iok(r.map_err(LlvmError::from))
    }
}

impl<'c> Elem for Lanes<'_, '_, 'c> {
    type V = V<'c>;
    type I = V<'c>;
    type M = V<'c>;

    fn c(&mut self, v: f32) -> V<'c> {
        self.fx.splat_t(v, self.lanes)
    }
    fn add(&mut self, a: V<'c>, b: V<'c>) -> V<'c> {
        let r = self.fx.fadd(a, b);
        self.fok(r)
    }
    fn sub(&mut self, a: V<'c>, b: V<'c>) -> V<'c> {
        let r = self.fx.fsub(a, b);
        self.fok(r)
    }
    fn mul(&mut self, a: V<'c>, b: V<'c>) -> V<'c> {
        let r = self.fx.fmul(a, b);
        self.fok(r)
    }
    fn div(&mut self, a: V<'c>, b: V<'c>) -> V<'c> {
        let r = self.fx.fdiv(a, b);
        self.fok(r)
    }
    fn fma(&mut self, a: V<'c>, b: V<'c>, c: V<'c>) -> V<'c> {
        let r = self.fx.madd(a, b, c);
        self.fok(r)
    }
    fn neg(&mut self, a: V<'c>) -> V<'c> {
        let r = self.fx.fneg(a);
        self.fok(r)
    }
    fn abs(&mut self, a: V<'c>) -> V<'c> {
        let r = self.fx.intr("llvm.fabs", &[a]);
        self.fok(r)
    }
    fn sqrt(&mut self, a: V<'c>) -> V<'c> {
        let r = self.fx.intr("llvm.sqrt", &[a]);
        self.fok(r)
    }
    fn cmp(&mut self, cmp: Cmp, a: V<'c>, b: V<'c>) -> V<'c> {
        let p = match cmp {
            Cmp::Eq => Fp::OEQ,
            Cmp::Ne => Fp::UNE,
            Cmp::Lt => Fp::OLT,
            Cmp::Le => Fp::OLE,
            Cmp::Gt => Fp::OGT,
            Cmp::Ge => Fp::OGE,
            Cmp::Uno => Fp::UNO,
        };
        let r = self.fx.fcmp(p, a, b);
        self.mok(r)
    }
    fn sel(&mut self, m: V<'c>, a: V<'c>, b: V<'c>) -> V<'c> {
        let r = self.fx.select(m, a, b);
        self.ok(r, a)
    }
    fn bits(&mut self, a: V<'c>) -> V<'c> {
        let r = self.fx.as_int(a);
        self.iok(r)
    }
    fn float_of_bits(&mut self, a: V<'c>) -> V<'c> {
        let r = self.fx.as_float(a);
        self.fok(r)
    }
    fn ic(&mut self, v: i32) -> V<'c> {
        self.int_const(v)
    }
    fn iadd(&mut self, a: V<'c>, b: V<'c>) -> V<'c> {
        let r = self.fx.b.build_int_add(a, b, "").map_err(LlvmError::from);
        self.iok(r)
    }
    fn isub(&mut self, a: V<'c>, b: V<'c>) -> V<'c> {
        let r = self.fx.b.build_int_sub(a, b, "").map_err(LlvmError::from);
        self.iok(r)
    }
    fn iand(&mut self, a: V<'c>, b: V<'c>) -> V<'c> {
        let r = self.fx.b.build_and(a, b, "").map_err(LlvmError::from);
        self.iok(r)
    }
    fn ior(&mut self, a: V<'c>, b: V<'c>) -> V<'c> {
        let r = self.fx.b.build_or(a, b, "").map_err(LlvmError::from);
        self.iok(r)
    }
    fn shl(&mut self, a: V<'c>, n: u32) -> V<'c> {
        self.shift(a, n, true)
    }
    fn shr(&mut self, a: V<'c>, n: u32) -> V<'c> {
        self.shift(a, n, false)
    }
    fn i_to_f(&mut self, a: V<'c>) -> V<'c> {
        let t = self.fx.vt(self.lanes);
        let r = self.fx.b.build_signed_int_to_float(a, t, "").map_err(LlvmError::from);
        self.fok(r)
    }
    fn round(&mut self, x: V<'c>, mode: RoundMode) -> V<'c> {
        let name = match mode {
            RoundMode::NearestEven => "llvm.roundeven",
            RoundMode::TowardZero => "llvm.trunc",
            RoundMode::Down => "llvm.floor",
            RoundMode::Up => "llvm.ceil",
        };
        let r = self.fx.intr(name, &[x]);
        self.fok(r)
    }
    fn recip_fast(&mut self, q: V<'c>) -> V<'c> {
        // AVX-512: a 14-bit estimate refined by one Newton step
        // (`r·(2 − q·r)`, about 28 bits), several times the throughput of
        // `vdivps zmm`; elsewhere a division.
        let fx = self.fx;
        if fx.isa.aarch64 || fx.isa.lanes != 16 || self.lanes != 16 {
            let one = self.c(1.0);
            return self.div(one, q);
        }
        let r = fx.x86_rcp14(q);
        let r = self.fok(r);
        let nq = self.neg(q);
        let two = self.c(2.0);
        let e = self.fma(nq, r, two);
        self.mul(r, e)
    }
    fn pow(&mut self, a: V<'c>, b: V<'c>) -> V<'c> {
        let fx = self.fx;
        let mut r = a;
        for l in 0..self.lanes {
            let step = fx
                .lane(a, l)
                .and_then(|x| Ok((x, fx.lane(b, l)?)))
                .and_then(|(x, y)| fx.call_f2("powf", x, y))
                .and_then(|p| fx.insert(r, p, l));
            r = self.fok(step);
        }
        r
    }
}
