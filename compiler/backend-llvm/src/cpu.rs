//! The LLVM realisation of the CPU loop layer
//! ([`vitc_lower::cpu::CpuEmitter`]) on [`Lanes`]: indices are i64 (and
//! conditions i1), addresses `ptr`, loop-carried values phi nodes. Partial
//! vectors use AVX/AVX-512 masked loads and stores where the target has
//! them (see [`Fx::gather`]), a block copy is `llvm.memcpy`, and the
//! element-wise loops are not unrolled here: LLVM's `default<O3>` does it.
//!
//! Like the element primitives, these cannot fail: the first builder
//! error is kept and an `undef` handed back until [`Fx::elem`] returns it.

use inkwell::IntPredicate;
use inkwell::basic_block::BasicBlock;
use inkwell::values::{BasicValue, BasicValueEnum};
use vitc_lower::Loc;
use vitc_lower::cpu::{CpuEmitter, LoopBody};

use crate::LlvmError;
use crate::elem::Lanes;
use crate::fx::{I, P, R, V};

impl<'c> Lanes<'_, '_, 'c> {
    /// The value of a builder step, or `fallback` after recording the
    /// first error.
    fn keep<T>(&mut self, r: R<T>, fallback: T) -> T {
        match r {
            Ok(v) => v,
            Err(e) => {
                self.error.get_or_insert(e);
                fallback
            }
        }
    }

    fn i_undef(&self) -> I<'c> {
        self.fx.i64t().get_undef()
    }

    fn p_undef(&self) -> P<'c> {
        self.fx.ctx.ptr_type(inkwell::AddressSpace::default()).get_undef()
    }

    fn v_undef(&self) -> V<'c> {
        self.fx.vt(self.lanes).get_undef()
    }

    fn keep_i(&mut self, r: R<I<'c>>) -> I<'c> {
        let u = self.i_undef();
        self.keep(r, u)
    }

    fn keep_p(&mut self, r: R<P<'c>>) -> P<'c> {
        let u = self.p_undef();
        self.keep(r, u)
    }

    fn keep_v(&mut self, r: R<V<'c>>) -> V<'c> {
        let u = self.v_undef();
        self.keep(r, u)
    }

    fn block(&self) -> R<BasicBlock<'c>> {
        self.fx.b.get_insert_block().ok_or_else(|| LlvmError::Codegen("builder has no insertion block".into()))
    }

    /// The loop of [`CpuEmitter::range_loop`]: a header with the induction
    /// variable and one phi per carried value.
    fn try_range_loop(
        &mut self,
        lo: I<'c>,
        hi: I<'c>,
        step: i64,
        init: &[BasicValueEnum<'c>],
        body: &mut LoopBody<'_, Self>,
    ) -> R<Vec<BasicValueEnum<'c>>> {
        let fx = self.fx;
        let pre = self.block()?;
        let head = fx.ctx.append_basic_block(fx.func, "loop");
        let inner = fx.ctx.append_basic_block(fx.func, "body");
        let exit = fx.ctx.append_basic_block(fx.func, "exit");
        fx.b.build_unconditional_branch(head)?;
        fx.b.position_at_end(head);
        let iv = fx.b.build_phi(fx.i64t(), "i")?;
        iv.add_incoming(&[(&lo, pre)]);
        let mut phis = Vec::with_capacity(init.len());
        for v in init {
            let p = fx.b.build_phi(v.get_type(), "")?;
            p.add_incoming(&[(v as &dyn BasicValue<'c>, pre)]);
            phis.push(p);
        }
        let i = iv.as_basic_value().into_int_value();
        let cur: Vec<BasicValueEnum<'c>> = phis.iter().map(|p| p.as_basic_value()).collect();
        let go = fx.icmp(IntPredicate::SLT, i, hi)?;
        fx.b.build_conditional_branch(go, inner, exit)?;
        fx.b.position_at_end(inner);
        let next = body(self, i, &cur);
        if next.len() != phis.len() {
            return Err(LlvmError::Codegen("loop body returned the wrong number of values".into()));
        }
        let i_next = fx.add_c(i, step)?;
        let latch = self.block()?;
        iv.add_incoming(&[(&i_next, latch)]);
        for (p, v) in phis.iter().zip(&next) {
            p.add_incoming(&[(v as &dyn BasicValue<'c>, latch)]);
        }
        fx.b.build_unconditional_branch(head)?;
        fx.b.position_at_end(exit);
        Ok(cur)
    }

    fn try_if_else(&mut self, cond: I<'c>, then: &mut dyn FnMut(&mut Self), other: &mut dyn FnMut(&mut Self)) -> R<()> {
        let fx = self.fx;
        let yes = fx.ctx.append_basic_block(fx.func, "then");
        let no = fx.ctx.append_basic_block(fx.func, "else");
        let done = fx.ctx.append_basic_block(fx.func, "endif");
        fx.b.build_conditional_branch(cond, yes, no)?;
        fx.b.position_at_end(yes);
        then(self);
        fx.b.build_unconditional_branch(done)?;
        fx.b.position_at_end(no);
        other(self);
        fx.b.build_unconditional_branch(done)?;
        fx.b.position_at_end(done);
        Ok(())
    }
}

impl<'c> CpuEmitter for Lanes<'_, '_, 'c> {
    type Idx = I<'c>;
    type Ptr = P<'c>;
    type Carry = BasicValueEnum<'c>;

    fn width(&self) -> usize {
        self.lanes as usize
    }
    fn chunk(&mut self) -> (I<'c>, I<'c>) {
        (self.fx.start, self.fx.end)
    }

    fn idx(&mut self, c: i64) -> I<'c> {
        self.fx.ic(c)
    }
    fn idx_add(&mut self, a: I<'c>, b: I<'c>) -> I<'c> {
        let r = self.fx.add(a, b);
        self.keep_i(r)
    }
    fn idx_sub(&mut self, a: I<'c>, b: I<'c>) -> I<'c> {
        let r = self.fx.sub(a, b);
        self.keep_i(r)
    }
    fn idx_add_c(&mut self, a: I<'c>, c: i64) -> I<'c> {
        let r = self.fx.add_c(a, c);
        self.keep_i(r)
    }
    fn idx_mul_c(&mut self, a: I<'c>, c: i64) -> I<'c> {
        let r = self.fx.mul_c(a, c);
        self.keep_i(r)
    }
    fn idx_div_c(&mut self, a: I<'c>, c: i64) -> I<'c> {
        let r = self.fx.udiv_c(a, c);
        self.keep_i(r)
    }
    fn below(&mut self, a: I<'c>, n: i64) -> I<'c> {
        let r = self.fx.icmp(IntPredicate::ULT, a, self.fx.ic(n));
        self.keep_i(r)
    }
    fn both(&mut self, a: I<'c>, b: I<'c>) -> I<'c> {
        let r = self.fx.b.build_and(a, b, "").map_err(LlvmError::from);
        self.keep_i(r)
    }
    fn idx_select(&mut self, cond: I<'c>, a: I<'c>, b: I<'c>) -> I<'c> {
        let r = self.fx.isel(cond, a, b);
        self.keep_i(r)
    }
    fn idx_of_cond(&mut self, cond: I<'c>) -> I<'c> {
        let r = self.fx.b.build_int_z_extend(cond, self.fx.i64t(), "").map_err(LlvmError::from);
        self.keep_i(r)
    }
    fn mask_of_cond(&mut self, cond: I<'c>) -> V<'c> {
        let fx = self.fx;
        let bt = fx.ctx.bool_type().vec_type(self.lanes);
        let zeros = fx.ctx.i32_type().vec_type(self.lanes).const_zero();
        let r =
            fx.b.build_insert_element(bt.get_undef(), cond, fx.i32c(0), "")
                .and_then(|m| fx.b.build_shuffle_vector(m, m, zeros, ""))
                .map_err(LlvmError::from);
        let u = bt.get_undef();
        self.keep(r, u)
    }
    fn float_of_idx(&mut self, a: I<'c>) -> V<'c> {
        let fx = self.fx;
        let r =
            fx.b.build_signed_int_to_float(a, fx.f32t(), "")
                .map_err(LlvmError::from)
                .and_then(|s| fx.splat_f(s, self.lanes));
        self.keep_v(r)
    }

    fn base(&mut self, loc: Loc) -> P<'c> {
        let r = self.fx.ptr(loc);
        self.keep_p(r)
    }
    fn at(&mut self, p: P<'c>, i: I<'c>, stride: i64) -> P<'c> {
        let r = self.fx.gep_s(p, i, stride);
        self.keep_p(r)
    }
    fn at_c(&mut self, p: P<'c>, c: i64) -> P<'c> {
        let r = self.fx.gep_c(p, c);
        self.keep_p(r)
    }
    fn load(&mut self, p: P<'c>, stride: i64, n: usize) -> V<'c> {
        let fx = self.fx;
        let r = if n == 1 {
            fx.load_f(p).and_then(|s| fx.insert(fx.vt(self.lanes).const_zero(), s, 0))
        } else {
            fx.gather(p, stride, n, self.lanes)
        };
        self.keep_v(r)
    }
    fn load_splat(&mut self, p: P<'c>) -> V<'c> {
        let fx = self.fx;
        let r = fx.load_f(p).and_then(|s| fx.splat_f(s, self.lanes));
        self.keep_v(r)
    }
    fn store(&mut self, v: V<'c>, p: P<'c>, stride: i64, n: usize) {
        let r = if n == 1 { self.fx.store_lane0(v, p) } else { self.fx.scatter(v, p, stride, n) };
        self.keep(r, ());
    }
    fn load_index(&mut self, p: P<'c>) -> I<'c> {
        let fx = self.fx;
        let r =
            fx.b.build_load(fx.ctx.i32_type(), p, "")
                .and_then(|j| fx.b.build_int_z_extend(j.into_int_value(), fx.i64t(), ""))
                .map_err(LlvmError::from);
        self.keep_i(r)
    }
    fn copy(&mut self, to: P<'c>, from: P<'c>, n: usize) {
        let fx = self.fx;
        let r = fx.b.build_memcpy(to, 4, from, 4, fx.ic(n as i64 * 4)).map(|_| ()).map_err(LlvmError::from);
        self.keep(r, ());
    }

    fn rotate(&mut self, v: V<'c>, by: usize) -> V<'c> {
        let n = self.lanes;
        let idx: Vec<u32> = (0..n).map(|i| (i + by as u32) % n).collect();
        let r = self.fx.shuffle(v, v, &idx);
        self.keep_v(r)
    }
    fn broadcast0(&mut self, v: V<'c>) -> V<'c> {
        let r = self.fx.bcast0(v);
        self.keep_v(r)
    }
    fn max_num(&mut self, a: V<'c>, b: V<'c>) -> V<'c> {
        let r = self.fx.vmax(a, b);
        self.keep_v(r)
    }
    fn min_num(&mut self, a: V<'c>, b: V<'c>) -> V<'c> {
        let r = self.fx.vmin(a, b);
        self.keep_v(r)
    }

    fn carry_v(v: V<'c>) -> BasicValueEnum<'c> {
        v.into()
    }
    fn carry_idx(i: I<'c>) -> BasicValueEnum<'c> {
        i.into()
    }
    fn v_of(c: BasicValueEnum<'c>) -> V<'c> {
        c.into_vector_value()
    }
    fn idx_of(c: BasicValueEnum<'c>) -> I<'c> {
        c.into_int_value()
    }

    fn range_loop(
        &mut self,
        lo: I<'c>,
        hi: I<'c>,
        step: i64,
        carried: &[BasicValueEnum<'c>],
        body: &mut LoopBody<'_, Self>,
    ) -> Vec<BasicValueEnum<'c>> {
        let r = self.try_range_loop(lo, hi, step, carried, body);
        self.keep(r, carried.to_vec())
    }
    fn count_loop(
        &mut self,
        n: usize,
        carried: &[BasicValueEnum<'c>],
        body: &mut LoopBody<'_, Self>,
    ) -> Vec<BasicValueEnum<'c>> {
        if n == 0 {
            return carried.to_vec();
        }
        let (lo, hi) = (self.fx.ic(0), self.fx.ic(n as i64));
        self.range_loop(lo, hi, 1, carried, body)
    }
    fn if_else(&mut self, cond: I<'c>, then: &mut dyn FnMut(&mut Self), other: &mut dyn FnMut(&mut Self)) {
        let r = self.try_if_else(cond, then, other);
        self.keep(r, ());
    }
}
