//! The function-building layer shared by every kernel emitter, on top of
//! inkwell's builder: the kernel ABI values (`arena`, `weights`, `start`,
//! `end`), region addressing by f32 element index, vector loads and stores
//! (full, one lane, partial), float vector arithmetic with `llvm.fma`,
//! intrinsic calls, and structured loops whose induction variable and
//! loop-carried values are phi nodes.
//!
//! Float values are always vectors (`<w x float>`; a scalar is lane 0 of
//! one), so the tail of a loop runs exactly the instructions of its body
//! and results never depend on how `0..extent` was chunked.

use inkwell::basic_block::BasicBlock;
use inkwell::builder::Builder;
use inkwell::context::Context;
use inkwell::intrinsics::Intrinsic;
use inkwell::module::{Linkage, Module};
use inkwell::types::{BasicTypeEnum, FloatType, IntType, VectorType};
use inkwell::values::{
    BasicMetadataValueEnum, BasicValue, BasicValueEnum, FloatValue, FunctionValue, InstructionValue, IntValue,
    PointerValue, VectorValue,
};
use inkwell::{FloatPredicate, IntPredicate};
use vitc_lower::{Loc, Region};

use crate::LlvmError;

pub(crate) type R<T> = Result<T, LlvmError>;
/// A float vector.
pub(crate) type V<'c> = VectorValue<'c>;
/// An i64.
pub(crate) type I<'c> = IntValue<'c>;
/// A pointer.
pub(crate) type P<'c> = PointerValue<'c>;
/// Loop-carried values.
pub(crate) type Carried<'c> = Vec<BasicValueEnum<'c>>;

/// A loop body: gets the builder, the induction variable and the current
/// loop-carried values, returns the next ones.
pub(crate) type Body<'b, 'a, 'c> = dyn FnMut(&mut Fx<'a, 'c>, I<'c>, &[BasicValueEnum<'c>]) -> R<Carried<'c>> + 'b;

/// What the kernels may assume about the CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Isa {
    /// f32 lanes of the kernels' vectors (16 with AVX-512, 8 with AVX2, else 4).
    pub lanes: u32,
    /// A fused multiply-add instruction exists (`llvm.fma` is one
    /// instruction rather than a libcall).
    pub fma: bool,
    /// aarch64 (32 vector registers, NEON).
    pub aarch64: bool,
}

/// A kernel function under construction.
pub(crate) struct Fx<'a, 'c> {
    pub ctx: &'c Context,
    pub module: &'a Module<'c>,
    pub b: Builder<'c>,
    pub func: FunctionValue<'c>,
    pub arena: P<'c>,
    pub weights: P<'c>,
    /// First outer-loop index of the chunk.
    pub start: I<'c>,
    /// One past the last outer-loop index of the chunk.
    pub end: I<'c>,
    pub isa: Isa,
    entry: BasicBlock<'c>,
}

impl<'a, 'c> Fx<'a, 'c> {
    /// Creates the entry block of `func` (the kernel signature) and binds
    /// its parameters.
    pub fn new(ctx: &'c Context, module: &'a Module<'c>, func: FunctionValue<'c>, isa: Isa) -> R<Self> {
        let entry = ctx.append_basic_block(func, "entry");
        let b = ctx.create_builder();
        b.position_at_end(entry);
        let param = |i: u32| {
            func.get_nth_param(i).ok_or_else(|| LlvmError::Codegen(format!("kernel function lacks parameter {i}")))
        };
        Ok(Fx {
            ctx,
            module,
            b,
            func,
            arena: param(0)?.into_pointer_value(),
            weights: param(1)?.into_pointer_value(),
            start: param(2)?.into_int_value(),
            end: param(3)?.into_int_value(),
            isa,
            entry,
        })
    }

    /// Returns from the kernel.
    pub fn finish(self) -> R<()> {
        self.b.build_return(None)?;
        Ok(())
    }

    // ------------------------------------------------------------- types

    pub fn f32t(&self) -> FloatType<'c> {
        self.ctx.f32_type()
    }

    pub fn i64t(&self) -> IntType<'c> {
        self.ctx.i64_type()
    }

    /// `<lanes x float>`.
    pub fn vt(&self, lanes: u32) -> VectorType<'c> {
        self.ctx.f32_type().vec_type(lanes)
    }

    pub fn w(&self) -> usize {
        self.isa.lanes as usize
    }

    // ------------------------------------------------------------- integers

    pub fn ic(&self, v: i64) -> I<'c> {
        self.i64t().const_int(v as u64, true)
    }

    pub fn i32c(&self, v: u32) -> I<'c> {
        self.ctx.i32_type().const_int(u64::from(v), false)
    }

    pub fn add(&self, a: I<'c>, b: I<'c>) -> R<I<'c>> {
        Ok(self.b.build_int_add(a, b, "")?)
    }

    pub fn sub(&self, a: I<'c>, b: I<'c>) -> R<I<'c>> {
        Ok(self.b.build_int_sub(a, b, "")?)
    }

    pub fn add_c(&self, a: I<'c>, c: i64) -> R<I<'c>> {
        if c == 0 { Ok(a) } else { self.add(a, self.ic(c)) }
    }

    pub fn mul_c(&self, a: I<'c>, c: i64) -> R<I<'c>> {
        match c {
            0 => Ok(self.ic(0)),
            1 => Ok(a),
            _ => Ok(self.b.build_int_mul(a, self.ic(c), "")?),
        }
    }

    /// Unsigned division by a positive constant.
    pub fn udiv_c(&self, a: I<'c>, c: i64) -> R<I<'c>> {
        if c == 1 { Ok(a) } else { Ok(self.b.build_int_unsigned_div(a, self.ic(c), "")?) }
    }

    pub fn urem_c(&self, a: I<'c>, c: i64) -> R<I<'c>> {
        Ok(self.b.build_int_unsigned_rem(a, self.ic(c), "")?)
    }

    pub fn icmp(&self, p: IntPredicate, a: I<'c>, b: I<'c>) -> R<I<'c>> {
        Ok(self.b.build_int_compare(p, a, b, "")?)
    }

    pub fn isel(&self, c: I<'c>, a: I<'c>, b: I<'c>) -> R<I<'c>> {
        Ok(self.b.build_select(c, a, b, "")?.into_int_value())
    }

    pub fn imin(&self, a: I<'c>, b: I<'c>) -> R<I<'c>> {
        let c = self.icmp(IntPredicate::SLT, a, b)?;
        self.isel(c, a, b)
    }

    pub fn imax(&self, a: I<'c>, b: I<'c>) -> R<I<'c>> {
        let c = self.icmp(IntPredicate::SGT, a, b)?;
        self.isel(c, a, b)
    }

    // ------------------------------------------------------------- addresses

    /// `p + idx` f32 elements (4-byte units).
    pub fn gep(&self, p: P<'c>, idx: I<'c>) -> R<P<'c>> {
        // SAFETY: an `i8`/`float` GEP only computes an address (no access);
        // every address the kernels form lies inside the arena or the
        // weights for indices within the kernel's extent, which
        // `Program::validate` verifies before code generation.
        let q = unsafe { self.b.build_gep(self.f32t(), p, &[idx], "")? };
        Ok(q)
    }

    /// `p + c` f32 elements.
    pub fn gep_c(&self, p: P<'c>, c: i64) -> R<P<'c>> {
        if c == 0 { Ok(p) } else { self.gep(p, self.ic(c)) }
    }

    /// `p + idx·stride` f32 elements.
    pub fn gep_s(&self, p: P<'c>, idx: I<'c>, stride: i64) -> R<P<'c>> {
        if stride == 0 {
            return Ok(p);
        }
        let off = self.mul_c(idx, stride)?;
        self.gep(p, off)
    }

    /// The address of a [`Loc`].
    pub fn ptr(&self, loc: Loc) -> R<P<'c>> {
        let base = match loc.region {
            Region::Arena => self.arena,
            Region::Weights => self.weights,
        };
        self.gep_c(base, loc.offset as i64)
    }

    /// A 32-byte aligned stack buffer of `n` floats (allocated in the
    /// entry block, so once per call).
    pub fn stack_buffer(&self, n: usize) -> R<P<'c>> {
        let here = self.b.get_insert_block();
        match self.entry.get_first_instruction() {
            Some(i) => self.b.position_before(&i),
            None => self.b.position_at_end(self.entry),
        }
        let ty = self.f32t().array_type(n as u32);
        let p = self.b.build_alloca(ty, "buf")?;
        if let Some(i) = p.as_instruction() {
            align(i, 32)?;
        }
        if let Some(bb) = here {
            self.b.position_at_end(bb);
        }
        Ok(p)
    }

    // ------------------------------------------------------------- memory

    /// A vector of `lanes` consecutive floats.
    pub fn load_vt(&self, p: P<'c>, lanes: u32) -> R<V<'c>> {
        let v = self.b.build_load(self.vt(lanes), p, "")?;
        if let Some(i) = v.as_instruction_value() {
            align(i, 4)?;
        }
        Ok(v.into_vector_value())
    }

    /// A full vector of consecutive floats.
    pub fn load(&self, p: P<'c>) -> R<V<'c>> {
        self.load_vt(p, self.isa.lanes)
    }

    pub fn load_f(&self, p: P<'c>) -> R<FloatValue<'c>> {
        Ok(self.b.build_load(self.f32t(), p, "")?.into_float_value())
    }

    /// One float broadcast to every lane.
    pub fn load_splat(&self, p: P<'c>) -> R<V<'c>> {
        let s = self.load_f(p)?;
        self.splat_f(s, self.isa.lanes)
    }

    pub fn store(&self, v: V<'c>, p: P<'c>) -> R<()> {
        let i = self.b.build_store(p, v)?;
        align(i, 4)
    }

    pub fn store_f(&self, v: FloatValue<'c>, p: P<'c>) -> R<()> {
        self.b.build_store(p, v)?;
        Ok(())
    }

    /// Lane `l` of a vector.
    pub fn lane(&self, v: V<'c>, l: u32) -> R<FloatValue<'c>> {
        Ok(self.b.build_extract_element(v, self.i32c(l), "")?.into_float_value())
    }

    pub fn insert(&self, v: V<'c>, s: FloatValue<'c>, l: u32) -> R<V<'c>> {
        Ok(self.b.build_insert_element(v, s, self.i32c(l), "")?)
    }

    /// Stores lane 0.
    pub fn store_lane0(&self, v: V<'c>, p: P<'c>) -> R<()> {
        let s = self.lane(v, 0)?;
        self.store_f(s, p)
    }

    /// `n` floats at `p + j·stride` (j < n) into lanes `0..n` of a
    /// `lanes`-wide vector; the other lanes are zero. Stride 1 and a full
    /// vector is one load; stride 0 a broadcast.
    pub fn gather(&self, p: P<'c>, stride: i64, n: usize, lanes: u32) -> R<V<'c>> {
        if n == lanes as usize && stride == 1 {
            return self.load_vt(p, lanes);
        }
        if stride == 0 && n == lanes as usize {
            let s = self.load_f(p)?;
            return self.splat_f(s, lanes);
        }
        if stride == 1 && self.masked_ok(lanes) {
            return self.masked_load(p, n, lanes);
        }
        let mut v = self.vt(lanes).const_zero();
        for j in 0..n {
            let q = self.gep_c(p, j as i64 * stride)?;
            let s = self.load_f(q)?;
            v = self.insert(v, s, j as u32)?;
        }
        Ok(v)
    }

    /// Stores lanes `0..n` to `p + j·stride`.
    pub fn scatter(&self, v: V<'c>, p: P<'c>, stride: i64, n: usize) -> R<()> {
        if n == v.get_type().get_size() as usize && stride == 1 {
            return self.store(v, p);
        }
        if stride == 1 && self.masked_ok(v.get_type().get_size()) {
            return self.masked_store(v, p, n);
        }
        for j in 0..n {
            let q = self.gep_c(p, j as i64 * stride)?;
            let s = self.lane(v, j as u32)?;
            self.store_f(s, q)?;
        }
        Ok(())
    }

    /// Whether partial vectors of `lanes` floats load and store as one
    /// masked instruction (AVX `vmaskmovps`, AVX-512 `{k}` masks) rather
    /// than lane by lane.
    fn masked_ok(&self, lanes: u32) -> bool {
        !self.isa.aarch64 && self.isa.lanes >= 8 && lanes >= 8
    }

    /// The constant mask of lanes `0..n`.
    fn lane_mask(&self, n: usize, lanes: u32) -> VectorValue<'c> {
        let b = self.ctx.bool_type();
        let bits: Vec<IntValue<'c>> = (0..lanes as usize).map(|j| b.const_int(u64::from(j < n), false)).collect();
        VectorType::const_vector(&bits)
    }

    /// Lanes `0..n` loaded from `p` (the others zero, their memory never read).
    fn masked_load(&self, p: P<'c>, n: usize, lanes: u32) -> R<V<'c>> {
        let vt = self.vt(lanes);
        let f = Intrinsic::find("llvm.masked.load")
            .and_then(|i| i.get_declaration(self.module, &[vt.into(), p.get_type().into()]))
            .ok_or_else(|| LlvmError::Codegen("intrinsic llvm.masked.load is not available".into()))?;
        let args = [
            p.into(),
            self.ctx.i32_type().const_int(4, false).into(),
            self.lane_mask(n, lanes).into(),
            vt.const_zero().into(),
        ];
        let call = self.b.build_call(f, &args, "")?;
        call.try_as_basic_value()
            .basic()
            .map(|v| v.into_vector_value())
            .ok_or_else(|| LlvmError::Codegen("llvm.masked.load returned nothing".into()))
    }

    /// Lanes `0..n` of `v` stored to `p` (the memory past them untouched).
    fn masked_store(&self, v: V<'c>, p: P<'c>, n: usize) -> R<()> {
        let lanes = v.get_type().get_size();
        let f = Intrinsic::find("llvm.masked.store")
            .and_then(|i| i.get_declaration(self.module, &[v.get_type().into(), p.get_type().into()]))
            .ok_or_else(|| LlvmError::Codegen("intrinsic llvm.masked.store is not available".into()))?;
        let args =
            [v.into(), p.into(), self.ctx.i32_type().const_int(4, false).into(), self.lane_mask(n, lanes).into()];
        self.b.build_call(f, &args, "")?;
        Ok(())
    }

    // ------------------------------------------------------------- float vectors

    /// A constant vector.
    pub fn splat_t(&self, x: f32, lanes: u32) -> V<'c> {
        let s = self.f32t().const_float(f64::from(x));
        VectorType::const_vector(&vec![s; lanes as usize])
    }

    /// A constant vector of the kernels' width.
    pub fn splat(&self, x: f32) -> V<'c> {
        self.splat_t(x, self.isa.lanes)
    }

    /// A run-time scalar broadcast.
    pub fn splat_f(&self, s: FloatValue<'c>, lanes: u32) -> R<V<'c>> {
        let v = self.vt(lanes).get_undef();
        let v = self.b.build_insert_element(v, s, self.i32c(0), "")?;
        let zeros = self.ctx.i32_type().vec_type(lanes).const_zero();
        Ok(self.b.build_shuffle_vector(v, v, zeros, "")?)
    }

    /// An i1 broadcast to a mask of the kernels' width.
    pub fn splat_bool(&self, ok: I<'c>) -> R<V<'c>> {
        let lanes = self.isa.lanes;
        let bt = self.ctx.bool_type().vec_type(lanes);
        let m = self.b.build_insert_element(bt.get_undef(), ok, self.i32c(0), "")?;
        let zeros = self.ctx.i32_type().vec_type(lanes).const_zero();
        Ok(self.b.build_shuffle_vector(m, m, zeros, "")?)
    }

    /// Lane 0 of `v` in every lane.
    pub fn bcast0(&self, v: V<'c>) -> R<V<'c>> {
        let zeros = self.ctx.i32_type().vec_type(v.get_type().get_size()).const_zero();
        Ok(self.b.build_shuffle_vector(v, v, zeros, "")?)
    }

    /// The vectors laid end to end (all of one width, a power-of-two count).
    pub fn concat(&self, parts: &[V<'c>]) -> R<V<'c>> {
        let mut level = parts.to_vec();
        while level.len() > 1 {
            let n = level[0].get_type().get_size();
            let idx: Vec<u32> = (0..2 * n).collect();
            level = level.chunks(2).map(|p| self.shuffle(p[0], p[1], &idx)).collect::<R<_>>()?;
        }
        level.pop().ok_or_else(|| LlvmError::Invalid("concat of no vectors".into()))
    }

    /// `v` shuffled by constant lane indices (from `v` and `u`).
    pub fn shuffle(&self, v: V<'c>, u: V<'c>, idx: &[u32]) -> R<V<'c>> {
        let m: Vec<IntValue<'c>> = idx.iter().map(|&i| self.i32c(i)).collect();
        Ok(self.b.build_shuffle_vector(v, u, VectorType::const_vector(&m), "")?)
    }

    pub fn fadd(&self, a: V<'c>, b: V<'c>) -> R<V<'c>> {
        Ok(self.b.build_float_add(a, b, "")?)
    }

    pub fn fsub(&self, a: V<'c>, b: V<'c>) -> R<V<'c>> {
        Ok(self.b.build_float_sub(a, b, "")?)
    }

    pub fn fmul(&self, a: V<'c>, b: V<'c>) -> R<V<'c>> {
        Ok(self.b.build_float_mul(a, b, "")?)
    }

    pub fn fdiv(&self, a: V<'c>, b: V<'c>) -> R<V<'c>> {
        Ok(self.b.build_float_div(a, b, "")?)
    }

    pub fn fneg(&self, a: V<'c>) -> R<V<'c>> {
        Ok(self.b.build_float_neg(a, "")?)
    }

    /// `a·b + c`: one `llvm.fma` when the target has FMA, else a multiply
    /// and an add (always the same instructions for a given target).
    pub fn madd(&self, a: V<'c>, b: V<'c>, c: V<'c>) -> R<V<'c>> {
        if self.isa.fma {
            self.intr("llvm.fma", &[a, b, c])
        } else {
            let p = self.fmul(a, b)?;
            self.fadd(p, c)
        }
    }

    /// An overloaded float intrinsic (`llvm.fabs`, `llvm.maxnum`, ...) on
    /// operands of one vector type.
    pub fn intr(&self, name: &str, args: &[V<'c>]) -> R<V<'c>> {
        let ty: BasicTypeEnum<'c> = args[0].get_type().into();
        let f = Intrinsic::find(name)
            .and_then(|i| i.get_declaration(self.module, &[ty]))
            .ok_or_else(|| LlvmError::Codegen(format!("intrinsic {name} is not available")))?;
        let a: Vec<BasicMetadataValueEnum<'c>> = args.iter().map(|&v| v.into()).collect();
        let call = self.b.build_call(f, &a, "")?;
        call.try_as_basic_value()
            .basic()
            .map(|v| v.into_vector_value())
            .ok_or_else(|| LlvmError::Codegen(format!("{name} returned nothing")))
    }

    /// AVX-512's 14-bit reciprocal estimate of a `<16 x float>`
    /// (`vrcp14ps`); only for targets with AVX-512F.
    pub fn x86_rcp14(&self, v: V<'c>) -> R<V<'c>> {
        let name = "llvm.x86.avx512.rcp14.ps.512";
        let f = Intrinsic::find(name)
            .and_then(|i| i.get_declaration(self.module, &[]))
            .ok_or_else(|| LlvmError::Codegen(format!("intrinsic {name} is not available")))?;
        let mask = self.ctx.i16_type().const_all_ones();
        let call = self.b.build_call(f, &[v.into(), v.into(), mask.into()], "")?;
        call.try_as_basic_value()
            .basic()
            .map(|v| v.into_vector_value())
            .ok_or_else(|| LlvmError::Codegen(format!("{name} returned nothing")))
    }

    /// A read prefetch of the cache line at `p` into all cache levels
    /// (never faults, whatever the address).
    pub fn prefetch(&self, p: P<'c>) -> R<()> {
        self.prefetch_to(p, 3)
    }

    /// A read prefetch of the line at `p` with LLVM's locality hint: 3 into
    /// L1 (`prefetcht0`), 2 into L2 (`prefetcht1`), 1 into L3.
    pub fn prefetch_to(&self, p: P<'c>, locality: u64) -> R<()> {
        let ptr: BasicTypeEnum<'c> = p.get_type().into();
        let f = Intrinsic::find("llvm.prefetch")
            .and_then(|i| i.get_declaration(self.module, &[ptr]))
            .ok_or_else(|| LlvmError::Codegen("intrinsic llvm.prefetch is not available".into()))?;
        let i32t = self.ctx.i32_type();
        let args = [
            p.into(),
            i32t.const_int(0, false).into(),
            i32t.const_int(locality.min(3), false).into(),
            i32t.const_int(1, false).into(),
        ];
        self.b.build_call(f, &args, "")?;
        Ok(())
    }

    /// A call of an external `float f(float, float)` (`powf`).
    pub fn call_f2(&self, name: &str, a: FloatValue<'c>, b: FloatValue<'c>) -> R<FloatValue<'c>> {
        let f = match self.module.get_function(name) {
            Some(f) => f,
            None => {
                let t = self.f32t();
                self.module.add_function(name, t.fn_type(&[t.into(), t.into()], false), Some(Linkage::External))
            }
        };
        let call = self.b.build_call(f, &[a.into(), b.into()], "")?;
        call.try_as_basic_value()
            .basic()
            .map(|v| v.into_float_value())
            .ok_or_else(|| LlvmError::Codegen(format!("{name} returned nothing")))
    }

    pub fn fcmp(&self, p: FloatPredicate, a: V<'c>, b: V<'c>) -> R<V<'c>> {
        Ok(self.b.build_float_compare(p, a, b, "")?)
    }

    /// `m ? a : b` lane by lane (`m` a vector of i1).
    pub fn select(&self, m: V<'c>, a: V<'c>, b: V<'c>) -> R<V<'c>> {
        Ok(self.b.build_select(m, a, b, "")?.into_vector_value())
    }

    /// `maxnum` (NaN-ignoring, as `f32::max`).
    pub fn vmax(&self, a: V<'c>, b: V<'c>) -> R<V<'c>> {
        self.intr("llvm.maxnum", &[a, b])
    }

    pub fn vmin(&self, a: V<'c>, b: V<'c>) -> R<V<'c>> {
        self.intr("llvm.minnum", &[a, b])
    }

    /// Reinterprets float lanes as i32 lanes.
    pub fn as_int(&self, v: V<'c>) -> R<V<'c>> {
        let t = self.ctx.i32_type().vec_type(v.get_type().get_size());
        Ok(self.b.build_bit_cast(v, t, "")?.into_vector_value())
    }

    /// Reinterprets i32 lanes as float lanes.
    pub fn as_float(&self, v: V<'c>) -> R<V<'c>> {
        let t = self.vt(v.get_type().get_size());
        Ok(self.b.build_bit_cast(v, t, "")?.into_vector_value())
    }

    /// Horizontal sum of a vector by halving (a fixed tree, so every
    /// caller gets the same rounding), in lane 0 and broadcast.
    pub fn hsum(&self, v: V<'c>) -> R<V<'c>> {
        self.hreduce(v, &mut |fx, a, b| fx.fadd(a, b))
    }

    /// Horizontal reduction by halving with `op`; the result is broadcast.
    pub fn hreduce(&self, v: V<'c>, op: &mut dyn FnMut(&Self, V<'c>, V<'c>) -> R<V<'c>>) -> R<V<'c>> {
        let n = v.get_type().get_size();
        let mut acc = v;
        let mut half = n / 2;
        while half >= 1 {
            let idx: Vec<u32> = (0..n).map(|i| (i + half) % n).collect();
            let s = self.shuffle(acc, acc, &idx)?;
            acc = op(self, acc, s)?;
            half /= 2;
        }
        self.bcast0(acc)
    }

    // ------------------------------------------------------------- control flow

    /// `for i in (lo..hi).step_by(step)` (signed compare `i < hi`) with
    /// loop-carried values; returns their values after the loop.
    pub fn range_loop(
        &mut self,
        lo: I<'c>,
        hi: I<'c>,
        step: i64,
        init: &[BasicValueEnum<'c>],
        body: &mut Body<'_, 'a, 'c>,
    ) -> R<Carried<'c>> {
        let pre = self.cur()?;
        let head = self.ctx.append_basic_block(self.func, "loop");
        let inner = self.ctx.append_basic_block(self.func, "body");
        let exit = self.ctx.append_basic_block(self.func, "exit");
        self.b.build_unconditional_branch(head)?;
        self.b.position_at_end(head);
        let iv = self.b.build_phi(self.i64t(), "i")?;
        iv.add_incoming(&[(&lo, pre)]);
        let mut phis = Vec::with_capacity(init.len());
        for v in init {
            let p = self.b.build_phi(v.get_type(), "")?;
            p.add_incoming(&[(v as &dyn BasicValue<'c>, pre)]);
            phis.push(p);
        }
        let i = iv.as_basic_value().into_int_value();
        let cur: Carried<'c> = phis.iter().map(|p| p.as_basic_value()).collect();
        let go = self.icmp(IntPredicate::SLT, i, hi)?;
        self.b.build_conditional_branch(go, inner, exit)?;
        self.b.position_at_end(inner);
        let next = body(self, i, &cur)?;
        if next.len() != phis.len() {
            return Err(LlvmError::Codegen("loop body returned the wrong number of values".into()));
        }
        let i_next = self.add_c(i, step)?;
        let latch = self.cur()?;
        iv.add_incoming(&[(&i_next, latch)]);
        for (p, v) in phis.iter().zip(&next) {
            p.add_incoming(&[(v as &dyn BasicValue<'c>, latch)]);
        }
        self.b.build_unconditional_branch(head)?;
        self.b.position_at_end(exit);
        Ok(cur)
    }

    /// `for i in 0..n` (a constant trip count).
    pub fn count_loop(&mut self, n: usize, init: &[BasicValueEnum<'c>], body: &mut Body<'_, 'a, 'c>) -> R<Carried<'c>> {
        if n == 0 {
            return Ok(init.to_vec());
        }
        let (lo, hi) = (self.ic(0), self.ic(n as i64));
        self.range_loop(lo, hi, 1, init, body)
    }

    /// `if cond { then }` (`cond` an i1).
    pub fn if_then(&mut self, cond: I<'c>, then: &mut dyn FnMut(&mut Self) -> R<()>) -> R<()> {
        let yes = self.ctx.append_basic_block(self.func, "then");
        let done = self.ctx.append_basic_block(self.func, "endif");
        self.b.build_conditional_branch(cond, yes, done)?;
        self.b.position_at_end(yes);
        then(self)?;
        self.b.build_unconditional_branch(done)?;
        self.b.position_at_end(done);
        Ok(())
    }

    fn cur(&self) -> R<BasicBlock<'c>> {
        self.b.get_insert_block().ok_or_else(|| LlvmError::Codegen("builder has no insertion block".into()))
    }
}

/// Sets the alignment of a load, store or alloca.
fn align(i: InstructionValue<'_>, bytes: u32) -> R<()> {
    i.set_alignment(bytes).map_err(|e| LlvmError::Codegen(format!("alignment: {e}")))
}

/// Float predicates used by the emitters.
pub(crate) use inkwell::FloatPredicate as Fp;
