//! The Cranelift realisation of the CPU loop layer
//! ([`vitc_lower::cpu::CpuEmitter`]) on [`Fx`]: vectors are `f32x4`,
//! indices, conditions and addresses plain values (`i64`; conditions the
//! `i8` of `icmp`), loop-carried values block parameters. Element-wise
//! loops handle four vectors per iteration (two for the costly functions),
//! because Cranelift does not unroll; a block copy is an unrolled vector
//! loop.

use cranelift_codegen::ir::{InstBuilder, Value, condcodes::IntCC, types};
use vitc_lower::Loc;
use vitc_lower::cpu::{CpuEmitter, LoopBody};

use crate::emit::{EL, F32X4, Fx, I64};

impl CpuEmitter for Fx<'_, '_> {
    type Idx = Value;
    type Ptr = Value;
    type Carry = Value;

    fn width(&self) -> usize {
        4
    }
    fn chunk(&mut self) -> (Value, Value) {
        (self.start, self.end)
    }
    fn unroll(&self, expensive: bool) -> usize {
        if expensive { 2 } else { 4 }
    }

    fn idx(&mut self, c: i64) -> Value {
        self.iconst(c)
    }
    fn idx_add(&mut self, a: Value, b: Value) -> Value {
        self.b.ins().iadd(a, b)
    }
    fn idx_sub(&mut self, a: Value, b: Value) -> Value {
        self.b.ins().isub(a, b)
    }
    fn idx_add_c(&mut self, a: Value, c: i64) -> Value {
        self.add_imm(a, c)
    }
    fn idx_mul_c(&mut self, a: Value, c: i64) -> Value {
        self.mul_imm(a, c)
    }
    fn idx_div_c(&mut self, a: Value, c: i64) -> Value {
        if c == 1 { a } else { self.b.ins().udiv_imm_s(a, c) }
    }
    fn below(&mut self, a: Value, n: i64) -> Value {
        self.b.ins().icmp_imm_s(IntCC::UnsignedLessThan, a, n)
    }
    fn both(&mut self, a: Value, b: Value) -> Value {
        self.b.ins().band(a, b)
    }
    fn idx_select(&mut self, cond: Value, a: Value, b: Value) -> Value {
        self.b.ins().select(cond, a, b)
    }
    fn idx_of_cond(&mut self, cond: Value) -> Value {
        self.b.ins().uextend(I64, cond)
    }
    fn mask_of_cond(&mut self, cond: Value) -> Value {
        self.lane_mask(cond)
    }
    fn float_of_idx(&mut self, a: Value) -> Value {
        let f = self.b.ins().fcvt_from_sint(types::F32, a);
        self.b.ins().splat(F32X4, f)
    }

    fn base(&mut self, loc: Loc) -> Value {
        self.ptr(loc)
    }
    fn at(&mut self, p: Value, i: Value, stride: i64) -> Value {
        self.index(p, i, stride * EL)
    }
    fn at_c(&mut self, p: Value, c: i64) -> Value {
        self.add_imm(p, c * EL)
    }
    fn load(&mut self, p: Value, stride: i64, n: usize) -> Value {
        self.gather4(p, 0, stride * EL, n)
    }
    fn load_splat(&mut self, p: Value) -> Value {
        let s = Fx::load(self, types::F32, p, 0);
        self.b.ins().splat(F32X4, s)
    }
    fn store(&mut self, v: Value, p: Value, stride: i64, n: usize) {
        if stride == 1 {
            self.store_partial(v, p, 0, n);
            return;
        }
        for l in 0..n.min(4) {
            let s = self.b.ins().extractlane(v, l as u8);
            Fx::store(self, s, p, l as i64 * stride * EL);
        }
    }
    fn load_index(&mut self, p: Value) -> Value {
        let j = Fx::load(self, types::I32, p, 0);
        self.b.ins().uextend(I64, j)
    }
    fn copy(&mut self, to: Value, from: Value, n: usize) {
        let nv = n / 4;
        let st = Fx::count_loop(self, nv / 4, &[from, to], &mut |fx, _, p| {
            for u in 0..4 {
                let v = Fx::load(fx, F32X4, p[0], 16 * u);
                Fx::store(fx, v, p[1], 16 * u);
            }
            vec![fx.add_imm(p[0], 64), fx.add_imm(p[1], 64)]
        });
        for u in 0..(nv % 4) as i64 {
            let v = Fx::load(self, F32X4, st[0], 16 * u);
            Fx::store(self, v, st[1], 16 * u);
        }
        let base = 16 * (nv % 4) as i64;
        for e in 0..(n % 4) as i64 {
            let s = Fx::load(self, types::F32, st[0], base + e * EL);
            Fx::store(self, s, st[1], base + e * EL);
        }
    }

    fn rotate(&mut self, v: Value, by: usize) -> Value {
        let l = |i: usize| ((i + by) % 4) as u8;
        self.shuffle(v, [l(0), l(1), l(2), l(3)])
    }
    fn broadcast0(&mut self, v: Value) -> Value {
        self.shuffle(v, [0, 0, 0, 0])
    }
    fn max_num(&mut self, a: Value, b: Value) -> Value {
        self.vmax(a, b)
    }
    fn min_num(&mut self, a: Value, b: Value) -> Value {
        self.vmin(a, b)
    }

    fn carry_v(v: Value) -> Value {
        v
    }
    fn carry_idx(i: Value) -> Value {
        i
    }
    fn v_of(c: Value) -> Value {
        c
    }
    fn idx_of(c: Value) -> Value {
        c
    }

    fn range_loop(
        &mut self,
        lo: Value,
        hi: Value,
        step: i64,
        carried: &[Value],
        body: &mut LoopBody<'_, Self>,
    ) -> Vec<Value> {
        Fx::range_loop(self, lo, hi, step, carried, body)
    }
    fn count_loop(&mut self, n: usize, carried: &[Value], body: &mut LoopBody<'_, Self>) -> Vec<Value> {
        Fx::count_loop(self, n, carried, body)
    }
    fn if_else(&mut self, cond: Value, then: &mut dyn FnMut(&mut Self), other: &mut dyn FnMut(&mut Self)) {
        Fx::if_else(self, cond, then, other)
    }
}
