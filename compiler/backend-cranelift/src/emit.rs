//! The function-building layer shared by every kernel emitter: the kernel
//! ABI (`f(arena, weights, start, end)`), region addressing, loads and stores
//! with constant byte offsets, f32x4 helpers (constants, min/max, multiply-add,
//! lane shuffles, partial loads) and structured loops whose loop-carried
//! values are explicit block parameters.

use cranelift_codegen::ir::{
    self, AbiParam, Block, ConstantData, ExtFuncData, ExternalName, FuncRef, InstBuilder, MemFlagsData, Signature,
    Type, UserExternalName, Value, condcodes::FloatCC, condcodes::IntCC, types,
};
use cranelift_codegen::isa::{CallConv, TargetFrontendConfig};
use cranelift_frontend::FunctionBuilder;
use vitc_lower::{Loc, Region};

use crate::{Arch, BackendError, Target};

pub(crate) const F32: Type = types::F32;
pub(crate) const F32X4: Type = types::F32X4;
pub(crate) const I32X4: Type = types::I32X4;
pub(crate) const I64: Type = types::I64;

/// Bytes per f32 element.
pub(crate) const EL: i64 = 4;

/// Resolves an imported function name (`powf`) to the index its
/// `UserExternalName` carries (a module `FuncId`).
pub(crate) type Resolve<'r> = dyn FnMut(&str, &Signature) -> Result<u32, BackendError> + 'r;

/// The kernel signature: `void f(float *arena, const float *weights, u64 start, u64 end)`.
pub(crate) fn kernel_signature(call_conv: CallConv) -> Signature {
    let mut sig = Signature::new(call_conv);
    for _ in 0..4 {
        sig.params.push(AbiParam::new(I64));
    }
    sig
}

/// A function under construction plus the kernel's ABI values.
pub(crate) struct Fx<'a, 'r> {
    pub b: FunctionBuilder<'a>,
    pub arena: Value,
    pub weights: Value,
    /// First outer-loop index of the chunk (i64).
    pub start: Value,
    /// One past the last outer-loop index of the chunk (i64).
    pub end: Value,
    pub target: Target,
    call_conv: CallConv,
    frontend: TargetFrontendConfig,
    resolve: &'r mut Resolve<'r>,
    imported: Vec<(String, FuncRef)>,
    /// The first error met while emitting (imports are the only fallible step).
    pub error: Option<BackendError>,
}

/// A loop body: gets the builder, the induction variable and the current
/// loop-carried values, returns the next ones.
pub(crate) type LoopBody<'b, S> = dyn FnMut(&mut S, Value, &[Value]) -> Vec<Value> + 'b;

/// Memory flags of every kernel access: never traps, alignment unknown.
fn mem() -> MemFlagsData {
    MemFlagsData::new().with_notrap()
}

impl<'a, 'r> Fx<'a, 'r> {
    /// Creates the entry block and binds the four parameters.
    pub fn new(
        mut b: FunctionBuilder<'a>,
        target: Target,
        frontend: TargetFrontendConfig,
        resolve: &'r mut Resolve<'r>,
    ) -> Self {
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        let p = b.block_params(entry).to_vec();
        Fx {
            b,
            arena: p[0],
            weights: p[1],
            start: p[2],
            end: p[3],
            target,
            call_conv: frontend.default_call_conv,
            frontend,
            resolve,
            imported: Vec::new(),
            error: None,
        }
    }

    /// Returns and seals everything; the caller then has a complete function.
    pub fn finish(mut self) -> Result<(), BackendError> {
        self.b.ins().return_(&[]);
        self.b.seal_all_blocks();
        self.b.finalize(self.frontend);
        match self.error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    pub fn is_aarch64(&self) -> bool {
        self.target.arch == Arch::Aarch64
    }

    // ---------------------------------------------------------------- scalars

    pub fn iconst(&mut self, v: i64) -> Value {
        self.b.ins().iconst(I64, v)
    }

    /// `a + c` for an i64 value and a constant.
    pub fn add_imm(&mut self, a: Value, c: i64) -> Value {
        if c == 0 { a } else { self.b.ins().iadd_imm_s(a, c) }
    }

    /// `a * c` for an i64 value and a constant.
    pub fn mul_imm(&mut self, a: Value, c: i64) -> Value {
        match c {
            0 => self.iconst(0),
            1 => a,
            _ => self.b.ins().imul_imm_s(a, c),
        }
    }

    pub fn imin(&mut self, a: Value, b: Value) -> Value {
        self.b.ins().smin(a, b)
    }

    pub fn imax(&mut self, a: Value, b: Value) -> Value {
        self.b.ins().smax(a, b)
    }

    // ---------------------------------------------------------------- memory

    pub fn region(&self, r: Region) -> Value {
        match r {
            Region::Arena => self.arena,
            Region::Weights => self.weights,
        }
    }

    /// The address of a [`Loc`] (its region plus `offset` elements).
    pub fn ptr(&mut self, loc: Loc) -> Value {
        let base = self.region(loc.region);
        self.add_imm(base, loc.offset as i64 * EL)
    }

    /// `ptr + idx * stride_bytes` for a run-time index.
    pub fn index(&mut self, ptr: Value, idx: Value, stride_bytes: i64) -> Value {
        if stride_bytes == 0 {
            return ptr;
        }
        let off = self.mul_imm(idx, stride_bytes);
        self.b.ins().iadd(ptr, off)
    }

    /// Splits a byte offset into an address and an `Offset32` immediate.
    fn addr(&mut self, ptr: Value, off: i64) -> (Value, i32) {
        match i32::try_from(off) {
            Ok(o) => (ptr, o),
            Err(_) => (self.b.ins().iadd_imm_s(ptr, off), 0),
        }
    }

    pub fn load(&mut self, ty: Type, ptr: Value, off: i64) -> Value {
        let (p, o) = self.addr(ptr, off);
        self.b.ins().load(ty, mem(), p, o)
    }

    pub fn store(&mut self, v: Value, ptr: Value, off: i64) {
        let (p, o) = self.addr(ptr, off);
        self.b.ins().store(mem(), v, p, o);
    }

    /// One f32 loaded into lane 0 of a vector (the other lanes are zero).
    pub fn load_lane0(&mut self, ptr: Value, off: i64) -> Value {
        let s = self.load(F32, ptr, off);
        self.b.ins().scalar_to_vector(F32X4, s)
    }

    /// Loads `lanes` (0..=4) consecutive floats; the other lanes are zero.
    pub fn load_partial(&mut self, ptr: Value, off: i64, lanes: usize) -> Value {
        match lanes {
            0 => self.splat(0.0),
            4.. => self.load(F32X4, ptr, off),
            _ => {
                let mut v = self.load_lane0(ptr, off);
                for l in 1..lanes {
                    let s = self.load(F32, ptr, off + l as i64 * EL);
                    v = self.b.ins().insertlane(v, s, l as u8);
                }
                v
            }
        }
    }

    /// Stores the first `lanes` (0..=4) lanes of a vector.
    pub fn store_partial(&mut self, v: Value, ptr: Value, off: i64, lanes: usize) {
        if lanes >= 4 {
            self.store(v, ptr, off);
            return;
        }
        for l in 0..lanes {
            let s = self.b.ins().extractlane(v, l as u8);
            self.store(s, ptr, off + l as i64 * EL);
        }
    }

    /// Four floats at `ptr + off + l * stride` gathered into one vector.
    pub fn gather4(&mut self, ptr: Value, off: i64, stride: i64, lanes: usize) -> Value {
        if stride == EL {
            return self.load_partial(ptr, off, lanes);
        }
        if stride == 0 {
            let s = self.load(F32, ptr, off);
            return self.b.ins().splat(F32X4, s);
        }
        let mut v = self.load_lane0(ptr, off);
        for l in 1..lanes.min(4) {
            let s = self.load(F32, ptr, off + l as i64 * stride);
            v = self.b.ins().insertlane(v, s, l as u8);
        }
        v
    }

    // ---------------------------------------------------------------- vectors

    /// A constant f32x4 with every lane `c`.
    pub fn splat(&mut self, c: f32) -> Value {
        let bytes: Vec<u8> = (0..4).flat_map(|_| c.to_le_bytes()).collect();
        let h = self.b.func.dfg.constants.insert(ConstantData::from(bytes));
        self.b.ins().vconst(F32X4, h)
    }

    /// A constant i32x4 with every lane `c`.
    pub fn splat_i(&mut self, c: i32) -> Value {
        let bytes: Vec<u8> = (0..4).flat_map(|_| c.to_le_bytes()).collect();
        let h = self.b.func.dfg.constants.insert(ConstantData::from(bytes));
        self.b.ins().vconst(I32X4, h)
    }

    /// Reinterprets the bits of a 128-bit vector as another lane type.
    pub fn cast(&mut self, ty: Type, v: Value) -> Value {
        let flags = MemFlagsData::new().with_endianness(ir::Endianness::Little);
        self.b.ins().bitcast(ty, flags, v)
    }

    /// A lane mask (all ones where `a cc b`) as f32x4 bits.
    pub fn mask(&mut self, cc: FloatCC, a: Value, b: Value) -> Value {
        let m = self.b.ins().fcmp(cc, a, b);
        self.cast(F32X4, m)
    }

    /// Lane-wise `mask ? a : b`.
    pub fn select(&mut self, mask: Value, a: Value, b: Value) -> Value {
        self.b.ins().bitselect(mask, a, b)
    }

    /// Lane-wise minimum (`minps`; a NaN in `a` yields `b`).
    pub fn vmin(&mut self, a: Value, b: Value) -> Value {
        if self.is_aarch64() {
            return self.b.ins().fmin(a, b);
        }
        let m = self.mask(FloatCC::LessThan, a, b);
        self.b.ins().bitselect(m, a, b)
    }

    /// Lane-wise maximum (`maxps`; a NaN in `a` yields `b`).
    pub fn vmax(&mut self, a: Value, b: Value) -> Value {
        if self.is_aarch64() {
            return self.b.ins().fmax(a, b);
        }
        let m = self.mask(FloatCC::LessThan, b, a);
        self.b.ins().bitselect(m, a, b)
    }

    /// `a * b + c`, fused when the target has FMA.
    pub fn madd(&mut self, a: Value, b: Value, c: Value) -> Value {
        if self.target.native_fma() {
            self.b.ins().fma(a, b, c)
        } else {
            let p = self.b.ins().fmul(a, b);
            self.b.ins().fadd(p, c)
        }
    }

    /// Lane permutation `out[i] = v[lanes[i]]`.
    pub fn shuffle(&mut self, v: Value, lanes: [u8; 4]) -> Value {
        let bytes: Vec<u8> = lanes.iter().flat_map(|&l| (0..4).map(move |b| l * 4 + b)).collect();
        let imm = self.b.func.dfg.immediates.push(ConstantData::from(bytes));
        let x = self.cast(types::I8X16, v);
        let s = self.b.ins().shuffle(x, x, imm);
        self.cast(F32X4, s)
    }

    // ---------------------------------------------------------------- calls

    /// Calls an imported `float name(float, float)` (e.g. `powf`).
    pub fn call_f32_2(&mut self, name: &str, a: Value, b: Value) -> Value {
        let mut sig = Signature::new(self.call_conv);
        sig.params.push(AbiParam::new(F32));
        sig.params.push(AbiParam::new(F32));
        sig.returns.push(AbiParam::new(F32));
        let fref = match self.imported.iter().find(|(n, _)| n == name) {
            Some((_, f)) => *f,
            None => {
                let index = match (self.resolve)(name, &sig) {
                    Ok(i) => i,
                    Err(e) => {
                        self.error.get_or_insert(e);
                        0
                    }
                };
                let sref = self.b.import_signature(sig);
                let uname = self.b.func.declare_imported_user_function(UserExternalName { namespace: 0, index });
                let f = self.b.import_function(ExtFuncData {
                    name: ExternalName::user(uname),
                    signature: sref,
                    colocated: false,
                    patchable: false,
                });
                self.imported.push((name.to_string(), f));
                f
            }
        };
        let call = self.b.ins().call(fref, &[a, b]);
        self.b.inst_results(call)[0]
    }

    // ---------------------------------------------------------------- loops

    fn block_with_params(&mut self, tys: &[Type]) -> (Block, Vec<Value>) {
        let blk = self.b.create_block();
        let params = tys.iter().map(|&t| self.b.append_block_param(blk, t)).collect();
        (blk, params)
    }

    fn types_of(&self, vals: &[Value]) -> Vec<Type> {
        vals.iter().map(|&v| self.b.func.dfg.value_type(v)).collect()
    }

    /// `for (i = lo; i < hi; i += step)` with run-time bounds (i64, signed),
    /// threading `carried` values through iterations; returns their final
    /// values. The body gets `i` and the current carried values and returns
    /// the next ones.
    pub fn range_loop(
        &mut self,
        lo: Value,
        hi: Value,
        step: i64,
        carried: &[Value],
        body: &mut LoopBody<'_, Self>,
    ) -> Vec<Value> {
        let tys = self.types_of(carried);
        let mut body_tys = vec![I64];
        body_tys.extend(&tys);
        let (body_blk, body_params) = self.block_with_params(&body_tys);
        let (exit_blk, exit_params) = self.block_with_params(&tys);
        let go = self.b.ins().icmp(IntCC::SignedLessThan, lo, hi);
        let mut args: Vec<ir::BlockArg> = vec![lo.into()];
        args.extend(carried.iter().map(|&v| ir::BlockArg::from(v)));
        let exit_args: Vec<ir::BlockArg> = carried.iter().map(|&v| v.into()).collect();
        self.b.ins().brif(go, body_blk, &args, exit_blk, &exit_args);

        self.b.switch_to_block(body_blk);
        let i = body_params[0];
        let next = body(self, i, &body_params[1..]);
        let i2 = self.b.ins().iadd_imm_s(i, step);
        let more = self.b.ins().icmp(IntCC::SignedLessThan, i2, hi);
        let mut args: Vec<ir::BlockArg> = vec![i2.into()];
        args.extend(next.iter().map(|&v| ir::BlockArg::from(v)));
        let exit_args: Vec<ir::BlockArg> = next.iter().map(|&v| v.into()).collect();
        self.b.ins().brif(more, body_blk, &args, exit_blk, &exit_args);

        self.b.switch_to_block(exit_blk);
        exit_params
    }

    /// `for i in 0..n` with a constant trip count (straight-line when
    /// `n == 1`, nothing when `n == 0`).
    pub fn count_loop(&mut self, n: usize, carried: &[Value], body: &mut LoopBody<'_, Self>) -> Vec<Value> {
        match n {
            0 => carried.to_vec(),
            1 => {
                let zero = self.iconst(0);
                body(self, zero, carried)
            }
            _ => {
                let tys = self.types_of(carried);
                let mut body_tys = vec![I64];
                body_tys.extend(&tys);
                let (body_blk, body_params) = self.block_with_params(&body_tys);
                let (exit_blk, exit_params) = self.block_with_params(&tys);
                let zero = self.iconst(0);
                let mut args: Vec<ir::BlockArg> = vec![zero.into()];
                args.extend(carried.iter().map(|&v| ir::BlockArg::from(v)));
                self.b.ins().jump(body_blk, &args);

                self.b.switch_to_block(body_blk);
                let i = body_params[0];
                let next = body(self, i, &body_params[1..]);
                let i2 = self.b.ins().iadd_imm_s(i, 1);
                let more = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, i2, n as i64);
                let mut args: Vec<ir::BlockArg> = vec![i2.into()];
                args.extend(next.iter().map(|&v| ir::BlockArg::from(v)));
                let exit_args: Vec<ir::BlockArg> = next.iter().map(|&v| v.into()).collect();
                self.b.ins().brif(more, body_blk, &args, exit_blk, &exit_args);

                self.b.switch_to_block(exit_blk);
                exit_params
            }
        }
    }

    /// Runs `then` when `cond` is non-zero, `otherwise` when it is zero.
    pub fn if_else(&mut self, cond: Value, then: &mut dyn FnMut(&mut Self), otherwise: &mut dyn FnMut(&mut Self)) {
        let then_blk = self.b.create_block();
        let else_blk = self.b.create_block();
        let join = self.b.create_block();
        self.b.ins().brif(cond, then_blk, &[], else_blk, &[]);
        self.b.switch_to_block(then_blk);
        then(self);
        self.b.ins().jump(join, &[]);
        self.b.switch_to_block(else_blk);
        otherwise(self);
        self.b.ins().jump(join, &[]);
        self.b.switch_to_block(join);
    }

    /// An f32x4 lane mask (all ones or all zeros) from a scalar condition
    /// (an `icmp` result).
    pub fn lane_mask(&mut self, cond: Value) -> Value {
        let m = self.b.ins().bmask(types::I32, cond);
        let v = self.b.ins().splat(I32X4, m);
        self.cast(F32X4, v)
    }

    /// Runs `then` when the i64 condition value `cond` is non-zero.
    pub fn if_then(&mut self, cond: Value, then: &mut dyn FnMut(&mut Self)) {
        let then_blk = self.b.create_block();
        let join = self.b.create_block();
        self.b.ins().brif(cond, then_blk, &[], join, &[]);
        self.b.switch_to_block(then_blk);
        then(self);
        self.b.ins().jump(join, &[]);
        self.b.switch_to_block(join);
    }
}
