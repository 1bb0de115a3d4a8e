//! A plain Rust executor of kernel programs: the oracle the backends are
//! tested against. Every kernel is implemented literally from its
//! documentation in [`crate::kernel`], one element at a time, in f32 (sums
//! accumulate in order, `erf` is libm's). Each kernel's extent is split into
//! chunks run one after the other, which checks that chunks are
//! independent. Out-of-range accesses are errors, never panics; the arena
//! starts as NaN so that reading unwritten memory shows in the results.

mod attention;
mod window;

use crate::kernel::{Activation, BinaryOp, GemmB, Kernel, Loc, MapOp, ReduceOp, Region, UnaryOp};
use crate::kernel::{
    Attention, Conv2d, ConvTranspose2d, Fill, Gather, Gemm, Im2col, LayerNorm, Map, Pool2d, Reduce, Resample, Softmax,
};
use crate::program::Program;

/// The weights blob decoded as f32 and as u32 words (same indexing).
pub struct Weights {
    floats: Vec<f32>,
    words: Vec<u32>,
}

impl Weights {
    pub fn new(bytes: &[u8]) -> Result<Weights, String> {
        if !bytes.len().is_multiple_of(4) {
            return Err(format!("the weights blob has {} bytes, not a multiple of 4", bytes.len()));
        }
        let words: Vec<u32> = bytes.chunks_exact(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        Ok(Weights { floats: words.iter().map(|&w| f32::from_bits(w)).collect(), words })
    }
}

/// Reads and writes of one kernel: the arena (read-write) and the weights.
pub(crate) struct Mem<'a> {
    pub arena: &'a mut [f32],
    pub weights: &'a Weights,
}

impl Mem<'_> {
    /// Element `idx` (relative, may be negative) from `loc`.
    pub fn get(&self, loc: Loc, idx: isize) -> Result<f32, String> {
        let data: &[f32] = match loc.region {
            Region::Arena => self.arena,
            Region::Weights => &self.weights.floats,
        };
        usize::try_from(loc.offset as isize + idx)
            .ok()
            .and_then(|p| data.get(p).copied())
            .ok_or_else(|| format!("read of {:?}[{} + {idx}] is out of range", loc.region, loc.offset))
    }

    /// u32 element `idx` of a table in the weights.
    pub fn word(&self, loc: Loc, idx: usize) -> Result<u32, String> {
        if loc.region != Region::Weights {
            return Err("index tables must be in the weights".into());
        }
        self.weights.words.get(loc.offset + idx).copied().ok_or_else(|| format!("table read {idx} is out of range"))
    }

    /// Writes element `idx` from `loc` (arena only).
    pub fn set(&mut self, loc: Loc, idx: usize, value: f32) -> Result<(), String> {
        if loc.region != Region::Arena {
            return Err("kernels may only write the arena".into());
        }
        let slot = self
            .arena
            .get_mut(loc.offset + idx)
            .ok_or_else(|| format!("write at {} is out of range", loc.offset + idx))?;
        *slot = value;
        Ok(())
    }
}

/// `erf`, as every executor of the reference computes it.
pub fn erf(x: f32) -> f32 {
    libm::erff(x)
}

/// An activation applied to one value.
pub fn activate(act: Activation, x: f32) -> f32 {
    match act {
        Activation::None => x,
        Activation::Relu => {
            if x > 0.0 || x.is_nan() {
                x
            } else {
                0.0
            }
        }
        Activation::Sigmoid => {
            if x >= 0.0 {
                1.0 / (1.0 + (-x).exp())
            } else {
                let e = x.exp();
                e / (1.0 + e)
            }
        }
        Activation::HardSwish => x * ((x + 3.0).clamp(0.0, 6.0) / 6.0),
        Activation::HardSigmoid { alpha, beta } => (alpha * x + beta).clamp(0.0, 1.0),
        Activation::Gelu => 0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2)),
        Activation::GeluTanh => {
            let inner = (2.0 / std::f32::consts::PI).sqrt() * (x + 0.044715 * x * x * x);
            0.5 * x * (1.0 + inner.tanh())
        }
    }
}

/// A unary `Map` function.
pub fn unary(op: UnaryOp, x: f32) -> f32 {
    match op {
        UnaryOp::Copy => x,
        UnaryOp::Neg => -x,
        UnaryOp::Abs => x.abs(),
        UnaryOp::Sqrt => x.sqrt(),
        UnaryOp::Exp => x.exp(),
        UnaryOp::Log => x.ln(),
        UnaryOp::Erf => erf(x),
        UnaryOp::Tanh => x.tanh(),
        UnaryOp::Reciprocal => 1.0 / x,
        UnaryOp::Trunc => x.trunc(),
        UnaryOp::Round => x.round_ties_even(),
        UnaryOp::Floor => x.floor(),
        UnaryOp::Ceil => x.ceil(),
        UnaryOp::Sign => {
            if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                x
            }
        }
        UnaryOp::Sin => x.sin(),
        UnaryOp::Cos => x.cos(),
        UnaryOp::Tan => x.tan(),
        UnaryOp::Asin => x.asin(),
        UnaryOp::Acos => x.acos(),
        UnaryOp::Atan => x.atan(),
        UnaryOp::Sinh => x.sinh(),
        UnaryOp::Cosh => x.cosh(),
        UnaryOp::Asinh => x.asinh(),
        UnaryOp::Acosh => x.acosh(),
        UnaryOp::Atanh => x.atanh(),
        UnaryOp::IsNaN => f32::from(u8::from(x.is_nan())),
        UnaryOp::IsInf { negative, positive } => {
            f32::from(u8::from((positive && x == f32::INFINITY) || (negative && x == f32::NEG_INFINITY)))
        }
        UnaryOp::Act(a) => activate(a, x),
    }
}

/// A binary `Map` function.
pub fn binary(op: BinaryOp, a: f32, b: f32) -> f32 {
    match op {
        BinaryOp::Add => a + b,
        BinaryOp::Sub => a - b,
        BinaryOp::Mul => a * b,
        BinaryOp::Div => a / b,
        BinaryOp::Pow => a.powf(b),
        BinaryOp::Max if a.is_nan() || b.is_nan() => f32::NAN,
        BinaryOp::Min if a.is_nan() || b.is_nan() => f32::NAN,
        BinaryOp::Max => a.max(b),
        BinaryOp::Min => a.min(b),
        BinaryOp::Equal => f32::from(u8::from(a == b)),
        BinaryOp::Greater => f32::from(u8::from(a > b)),
        BinaryOp::Less => f32::from(u8::from(a < b)),
        BinaryOp::Mod => {
            let r = a % b;
            if r != 0.0 && (r < 0.0) != (b < 0.0) { r + b } else { r }
        }
        BinaryOp::Fmod => a % b,
    }
}

/// `0..extent` split into `chunks` nearly equal, non-empty ranges.
pub fn chunk_ranges(extent: usize, chunks: usize) -> Vec<(usize, usize)> {
    let chunks = chunks.max(1);
    (0..chunks).map(|i| (i * extent / chunks, (i + 1) * extent / chunks)).filter(|(s, e)| s < e).collect()
}

/// Runs rows `start..end` of the kernel's extent.
pub fn run_kernel(
    kernel: &Kernel,
    arena: &mut [f32],
    weights: &Weights,
    start: usize,
    end: usize,
) -> Result<(), String> {
    let end = end.min(kernel.extent());
    let mut mem = Mem { arena, weights };
    match kernel {
        Kernel::Gemm(Gemm { .. }) => gemm(kernel, &mut mem, start, end),
        Kernel::Map(Map { op, dims, out, inputs }) => {
            if inputs.len() != op.arity() || inputs.iter().any(|i| i.strides.len() != dims.len()) {
                return Err("map operands do not fit the op and dims".into());
            }
            let inner: usize = dims.iter().skip(1).product();
            let mut idx = vec![0usize; dims.len()];
            let mut vals = [0.0f32; 3];
            for i0 in start..end {
                for flat in 0..inner {
                    let mut rest = flat;
                    for d in (1..dims.len()).rev() {
                        idx[d] = rest % dims[d];
                        rest /= dims[d];
                    }
                    if let Some(first) = idx.first_mut() {
                        *first = i0;
                    }
                    for (v, input) in vals.iter_mut().zip(inputs) {
                        let pos: isize = idx.iter().zip(&input.strides).map(|(&i, &s)| i as isize * s).sum();
                        *v = mem.get(input.at, pos)?;
                    }
                    let y = match op {
                        MapOp::Unary(u) => unary(*u, vals[0]),
                        MapOp::Binary(b) => binary(*b, vals[0], vals[1]),
                        MapOp::MulAdd => vals[0] * vals[1] + vals[2],
                        MapOp::Select => {
                            if vals[0] != 0.0 {
                                vals[1]
                            } else {
                                vals[2]
                            }
                        }
                    };
                    mem.set(*out, i0 * inner + flat, y)?;
                }
            }
            Ok(())
        }
        Kernel::Gather(Gather { outer, src_axis, inner, indices, table, src, out }) => {
            let _ = outer;
            for o in start..end {
                for i in 0..*indices {
                    let j = mem.word(*table, i)? as usize;
                    if j >= *src_axis {
                        return Err(format!("gather index {j} is out of range for {src_axis}"));
                    }
                    for e in 0..*inner {
                        let v = mem.get(*src, ((o * src_axis + j) * inner + e) as isize)?;
                        mem.set(*out, (o * indices + i) * inner + e, v)?;
                    }
                }
            }
            Ok(())
        }
        Kernel::Softmax(Softmax { cols, x, out, .. }) => {
            for r in start..end {
                let row: Vec<f32> =
                    (0..*cols).map(|j| mem.get(*x, (r * cols + j) as isize)).collect::<Result<_, _>>()?;
                let max = row.iter().fold(f32::NEG_INFINITY, |m, &v| if v > m || v.is_nan() { v } else { m });
                let exps: Vec<f32> = row.iter().map(|&v| (v - max).exp()).collect();
                let sum: f32 = exps.iter().sum();
                for (j, e) in exps.iter().enumerate() {
                    mem.set(*out, r * cols + j, e / sum)?;
                }
            }
            Ok(())
        }
        Kernel::LayerNorm(LayerNorm { cols, eps, x, scale, bias, out, .. }) => {
            for r in start..end {
                let row: Vec<f32> =
                    (0..*cols).map(|j| mem.get(*x, (r * cols + j) as isize)).collect::<Result<_, _>>()?;
                let n = *cols as f32;
                let mean = row.iter().sum::<f32>() / n;
                let var = row.iter().map(|&v| (v - mean) * (v - mean)).sum::<f32>() / n;
                let inv = 1.0 / (var + eps).sqrt();
                for (j, &v) in row.iter().enumerate() {
                    let b = match bias {
                        Some(b) => mem.get(*b, j as isize)?,
                        None => 0.0,
                    };
                    let y = (v - mean) * inv * mem.get(*scale, j as isize)? + b;
                    mem.set(*out, r * cols + j, y)?;
                }
            }
            Ok(())
        }
        Kernel::Reduce(Reduce { op, reduce, inner, src, out, .. }) => {
            for o in start..end {
                for i in 0..*inner {
                    let mut acc = match op {
                        ReduceOp::Sum | ReduceOp::Mean => 0.0f32,
                        ReduceOp::Max => f32::NEG_INFINITY,
                        ReduceOp::Min => f32::INFINITY,
                    };
                    for r in 0..*reduce {
                        let v = mem.get(*src, ((o * reduce + r) * inner + i) as isize)?;
                        acc = match op {
                            ReduceOp::Sum | ReduceOp::Mean => acc + v,
                            ReduceOp::Max => acc.max(v),
                            ReduceOp::Min => acc.min(v),
                        };
                    }
                    if *op == ReduceOp::Mean {
                        acc /= *reduce as f32;
                    }
                    mem.set(*out, o * inner + i, acc)?;
                }
            }
            Ok(())
        }
        Kernel::Conv2d(Conv2d { .. })
        | Kernel::Im2col(Im2col { .. })
        | Kernel::Pool2d(Pool2d { .. })
        | Kernel::ConvTranspose2d(ConvTranspose2d { .. }) => window::run(kernel, &mut mem, start, end),
        Kernel::Attention(Attention { .. }) => attention::run(kernel, &mut mem, start, end),
        Kernel::Fill(Fill { value, out, .. }) => {
            for i in start..end {
                mem.set(*out, i, *value)?;
            }
            Ok(())
        }
        Kernel::Resample(Resample { src_axis, inner, dst_axis, taps, index, coeff, src, out, .. }) => {
            for o in start..end {
                for i in 0..*dst_axis {
                    for e in 0..*inner {
                        let mut acc = 0.0f32;
                        for t in 0..*taps {
                            let j = mem.word(*index, i * taps + t)? as usize;
                            if j >= *src_axis {
                                return Err(format!("resample index {j} is out of range for {src_axis}"));
                            }
                            let c = mem.get(*coeff, (i * taps + t) as isize)?;
                            acc += c * mem.get(*src, ((o * src_axis + j) * inner + e) as isize)?;
                        }
                        mem.set(*out, (o * dst_axis + i) * inner + e, acc)?;
                    }
                }
            }
            Ok(())
        }
    }
}

/// `C[b] = act(A[b] · B[b] + bias + residual[b])`, rows `start..end` of
/// the flattened `batch · m`.
fn gemm(kernel: &Kernel, mem: &mut Mem<'_>, start: usize, end: usize) -> Result<(), String> {
    let Kernel::Gemm(Gemm {
        m,
        n,
        k,
        a,
        lda,
        a_batch_stride,
        b,
        c,
        ldc,
        c_batch_stride,
        bias,
        bias_batch_stride,
        residual,
        act,
        ..
    }) = kernel
    else {
        return Err("not a gemm".into());
    };
    let (m, n, k) = (*m, *n, *k);
    let mut acc = vec![0.0f32; n];
    for r in start..end {
        let (bi, i) = (r / m, r % m);
        acc.iter_mut().for_each(|v| *v = 0.0);
        for kk in 0..k {
            let av = mem.get(*a, (bi * a_batch_stride + i * lda + kk) as isize)?;
            for (j, sum) in acc.iter_mut().enumerate() {
                let bv = match b {
                    GemmB::Packed { at, nr, batch_stride } => {
                        mem.get(*at, (bi * batch_stride + ((j / nr) * k + kk) * nr + j % nr) as isize)?
                    }
                    GemmB::Strided { at, row_stride, col_stride, batch_stride } => {
                        mem.get(*at, bi as isize * batch_stride + kk as isize * row_stride + j as isize * col_stride)?
                    }
                };
                *sum += av * bv;
            }
        }
        for (j, &sum) in acc.iter().enumerate() {
            let at = bi * c_batch_stride + i * ldc + j;
            let mut v = sum;
            if let Some(bias) = bias {
                v += mem.get(*bias, (bi * bias_batch_stride + j) as isize)?;
            }
            if let Some(res) = residual {
                v += mem.get(*res, at as isize)?;
            }
            mem.set(*c, at, activate(*act, v))?;
        }
    }
    Ok(())
}

/// Runs a program for one image (dynamic batch) or one call (static), each
/// kernel's extent split into `chunks`. Returns the outputs in order.
pub fn execute(program: &Program, inputs: &[&[f32]], chunks: usize) -> Result<Vec<Vec<f32>>, String> {
    if inputs.len() != program.inputs.len() {
        return Err(format!("{} inputs given, the program takes {}", inputs.len(), program.inputs.len()));
    }
    execute_with(program, &Weights::new(&program.weights)?, inputs, chunks)
}

/// [`execute`] with the weights decoded already.
pub fn execute_with(
    program: &Program,
    weights: &Weights,
    inputs: &[&[f32]],
    chunks: usize,
) -> Result<Vec<Vec<f32>>, String> {
    if inputs.len() != program.inputs.len() {
        return Err(format!("{} inputs given, the program takes {}", inputs.len(), program.inputs.len()));
    }
    let mut arena = vec![f32::NAN; program.arena_len];
    for (slot, data) in program.inputs.iter().zip(inputs) {
        if data.len() != slot.len() {
            return Err(format!("input '{}' has {} values, expected {}", slot.name, data.len(), slot.len()));
        }
        arena
            .get_mut(slot.offset..slot.offset + slot.len())
            .ok_or_else(|| format!("input '{}' lies outside the arena", slot.name))?
            .copy_from_slice(data);
    }
    for (i, kernel) in program.kernels.iter().enumerate() {
        for (s, e) in chunk_ranges(kernel.extent(), chunks) {
            run_kernel(kernel, &mut arena, weights, s, e)
                .map_err(|m| format!("kernel {i} ({}): {m}", kernel.name()))?;
        }
    }
    program
        .outputs
        .iter()
        .map(|slot| {
            arena
                .get(slot.offset..slot.offset + slot.len())
                .map(<[f32]>::to_vec)
                .ok_or_else(|| format!("output '{}' lies outside the arena", slot.name))
        })
        .collect()
}

/// Runs `batch` images: each input holds `batch` images back to back; each
/// output comes back the same way. A static program takes `batch == 1`.
pub fn execute_batch(
    program: &Program,
    inputs: &[&[f32]],
    batch: usize,
    chunks: usize,
) -> Result<Vec<Vec<f32>>, String> {
    if !program.batch.dynamic {
        if batch != 1 {
            return Err(format!("the program has a static batch; {batch} calls requested at once"));
        }
        return execute(program, inputs, chunks);
    }
    if batch > program.batch.max_batch {
        return Err(format!("batch {batch} exceeds the program's max_batch {}", program.batch.max_batch));
    }
    let weights = Weights::new(&program.weights)?;
    let mut outputs: Vec<Vec<f32>> = program.outputs.iter().map(|s| Vec::with_capacity(s.len() * batch)).collect();
    for b in 0..batch {
        let images: Vec<&[f32]> = program
            .inputs
            .iter()
            .zip(inputs)
            .map(|(slot, data)| {
                data.get(b * slot.len()..(b + 1) * slot.len())
                    .ok_or_else(|| format!("input '{}' holds fewer than {batch} images", slot.name))
            })
            .collect::<Result<_, _>>()?;
        for (out, y) in outputs.iter_mut().zip(execute_with(program, &weights, &images, chunks)?) {
            out.extend(y);
        }
    }
    Ok(outputs)
}
