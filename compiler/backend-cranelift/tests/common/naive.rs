//! The kernel contract of `vitc_lower::kernel`, implemented as plainly as
//! possible (f64 accumulation, libm functions) to check generated code.

use vitc_lower::{
    Activation, BinaryOp, Conv2dGeom, GemmB, Kernel, Loc, MapOp, PoolKind, Program, ReduceOp, Region, UnaryOp,
};
use vitc_lower::{
    Attention, Conv2d, ConvTranspose2d, Fill, Gather, Gemm, Im2col, LayerNorm, Map, Pool2d, Reduce, Resample, Softmax,
};

struct Mem<'a> {
    arena: &'a mut [f32],
    weights: &'a [f32],
}

impl Mem<'_> {
    fn get(&self, loc: Loc, off: isize) -> f32 {
        let i = (loc.offset as isize + off) as usize;
        match loc.region {
            Region::Arena => self.arena[i],
            Region::Weights => self.weights[i],
        }
    }

    fn idx(&self, loc: Loc, off: usize) -> usize {
        self.get(loc, off as isize).to_bits() as usize
    }

    fn set(&mut self, loc: Loc, off: usize, v: f32) {
        assert_eq!(loc.region, Region::Arena, "writes go to the arena");
        self.arena[loc.offset + off] = v;
    }
}

pub fn act(a: Activation, x: f64) -> f64 {
    match a {
        Activation::None => x,
        Activation::Relu => x.max(0.0),
        Activation::Sigmoid => 1.0 / (1.0 + (-x).exp()),
        Activation::HardSwish => x * (x + 3.0).clamp(0.0, 6.0) / 6.0,
        Activation::HardSigmoid { alpha, beta } => (alpha as f64 * x + beta as f64).clamp(0.0, 1.0),
        Activation::Gelu => 0.5 * x * (1.0 + libm::erf(x / std::f64::consts::SQRT_2)),
        Activation::GeluTanh => {
            0.5 * x * (1.0 + ((2.0 / std::f64::consts::PI).sqrt() * (x + 0.044715 * x * x * x)).tanh())
        }
    }
}

pub fn map_op(op: MapOp, a: &[f64]) -> f64 {
    match op {
        MapOp::Unary(u) => {
            let x = a[0];
            match u {
                UnaryOp::Copy => x,
                UnaryOp::Neg => -x,
                UnaryOp::Abs => x.abs(),
                UnaryOp::Sqrt => x.sqrt(),
                UnaryOp::Exp => x.exp(),
                UnaryOp::Log => x.ln(),
                UnaryOp::Erf => libm::erf(x),
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
                UnaryOp::IsNaN => f64::from(u8::from(x.is_nan())),
                UnaryOp::IsInf { negative, positive } => {
                    f64::from(u8::from((positive && x == f64::INFINITY) || (negative && x == f64::NEG_INFINITY)))
                }
                UnaryOp::Act(f) => act(f, x),
            }
        }
        MapOp::Binary(b) => {
            let (x, y) = (a[0], a[1]);
            match b {
                BinaryOp::Add => x + y,
                BinaryOp::Sub => x - y,
                BinaryOp::Mul => x * y,
                BinaryOp::Div => x / y,
                BinaryOp::Pow => x.powf(y),
                BinaryOp::Max if x.is_nan() || y.is_nan() => f64::NAN,
                BinaryOp::Min if x.is_nan() || y.is_nan() => f64::NAN,
                BinaryOp::Max => x.max(y),
                BinaryOp::Min => x.min(y),
                BinaryOp::Equal => f64::from(u8::from(x == y)),
                BinaryOp::Greater => f64::from(u8::from(x > y)),
                BinaryOp::Less => f64::from(u8::from(x < y)),
                BinaryOp::Mod => x - (x / y).floor() * y,
                BinaryOp::Fmod => x % y,
            }
        }
        MapOp::MulAdd => a[0] * a[1] + a[2],
        MapOp::Select => {
            if a[0] != 0.0 {
                a[1]
            } else {
                a[2]
            }
        }
    }
}

fn window_in(g: &Conv2dGeom, y: usize, x: usize, ky: usize, kx: usize) -> Option<(usize, usize)> {
    let iy = (y * g.stride_h + ky * g.dil_h) as isize - g.pad_top as isize;
    let ix = (x * g.stride_w + kx * g.dil_w) as isize - g.pad_left as isize;
    if iy < 0 || ix < 0 || iy >= g.h as isize || ix >= g.w as isize { None } else { Some((iy as usize, ix as usize)) }
}

/// Runs one kernel over its whole extent.
pub fn run_kernel(kernel: &Kernel, arena: &mut [f32], weights: &[f32]) {
    let mut m = Mem { arena, weights };
    match kernel {
        Kernel::Fill(Fill { len, value, out }) => (0..*len).for_each(|i| m.set(*out, i, *value)),
        Kernel::Map(Map { op, dims, out, inputs }) => {
            let total: usize = dims.iter().product();
            for flat in 0..total {
                let mut rem = flat;
                let mut idx = vec![0usize; dims.len()];
                for d in (0..dims.len()).rev() {
                    idx[d] = rem % dims[d];
                    rem /= dims[d];
                }
                let args: Vec<f64> = inputs
                    .iter()
                    .map(|s| {
                        let off: isize = idx.iter().zip(&s.strides).map(|(&i, &st)| i as isize * st).sum();
                        m.get(s.at, off) as f64
                    })
                    .collect();
                m.set(*out, flat, map_op(*op, &args) as f32);
            }
        }
        Kernel::Gemm(Gemm {
            m: rows,
            n,
            k,
            batch,
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
            act: f,
        }) => {
            for bt in 0..*batch {
                for i in 0..*rows {
                    for j in 0..*n {
                        let mut s = 0.0f64;
                        for kk in 0..*k {
                            let av = m.get(*a, (bt * a_batch_stride + i * lda + kk) as isize) as f64;
                            let bv = match b {
                                GemmB::Packed { at, nr, batch_stride } => {
                                    let p = j / nr;
                                    m.get(*at, (bt * batch_stride + (p * k + kk) * nr + j % nr) as isize)
                                }
                                GemmB::Strided { at, row_stride, col_stride, batch_stride } => m.get(
                                    *at,
                                    bt as isize * batch_stride + kk as isize * row_stride + j as isize * col_stride,
                                ),
                            } as f64;
                            s += av * bv;
                        }
                        let co = bt * c_batch_stride + i * ldc + j;
                        if let Some(bl) = bias {
                            s += m.get(*bl, (bt * bias_batch_stride + j) as isize) as f64;
                        }
                        if let Some(r) = residual {
                            s += m.get(*r, co as isize) as f64;
                        }
                        m.set(*c, co, act(*f, s) as f32);
                    }
                }
            }
        }
        Kernel::Gather(Gather { outer, src_axis, inner, indices, table, src, out }) => {
            for o in 0..*outer {
                for i in 0..*indices {
                    let ix = m.idx(*table, i);
                    for t in 0..*inner {
                        let v = m.get(*src, ((o * src_axis + ix) * inner + t) as isize);
                        m.set(*out, (o * indices + i) * inner + t, v);
                    }
                }
            }
        }
        Kernel::Softmax(Softmax { rows, cols, x, out }) => {
            for r in 0..*rows {
                let row: Vec<f64> = (0..*cols).map(|c| m.get(*x, (r * cols + c) as isize) as f64).collect();
                let mx = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let e: Vec<f64> = row.iter().map(|v| (v - mx).exp()).collect();
                let s: f64 = e.iter().sum();
                for (c, ec) in e.iter().enumerate() {
                    m.set(*out, r * cols + c, (ec / s) as f32);
                }
            }
        }
        Kernel::LayerNorm(LayerNorm { rows, cols, eps, x, scale, bias, out }) => {
            for r in 0..*rows {
                let row: Vec<f64> = (0..*cols).map(|c| m.get(*x, (r * cols + c) as isize) as f64).collect();
                let mean = row.iter().sum::<f64>() / *cols as f64;
                let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / *cols as f64;
                let inv = 1.0 / (var + *eps as f64).sqrt();
                for (c, xc) in row.iter().enumerate() {
                    let mut v = (xc - mean) * inv * m.get(*scale, c as isize) as f64;
                    if let Some(b) = bias {
                        v += m.get(*b, c as isize) as f64;
                    }
                    m.set(*out, r * cols + c, v as f32);
                }
            }
        }
        Kernel::Reduce(Reduce { op, outer, reduce, inner, src, out }) => {
            for o in 0..*outer {
                for i in 0..*inner {
                    let vals = (0..*reduce).map(|r| m.get(*src, ((o * reduce + r) * inner + i) as isize) as f64);
                    let v = match op {
                        ReduceOp::Sum => vals.sum(),
                        ReduceOp::Mean => vals.sum::<f64>() / *reduce as f64,
                        ReduceOp::Max => vals.fold(f64::NEG_INFINITY, f64::max),
                        ReduceOp::Min => vals.fold(f64::INFINITY, f64::min),
                    };
                    m.set(*out, o * inner + i, v as f32);
                }
            }
        }
        Kernel::Conv2d(Conv2d { geom: g, x, w, bias, out, act: f }) => {
            let (cpg, opg) = (g.c / g.groups, g.oc / g.groups);
            for o in 0..g.oc {
                let grp = o / opg;
                for y in 0..g.oh {
                    for xx in 0..g.ow {
                        let mut s = bias.map_or(0.0, |b| m.get(b, o as isize) as f64);
                        for ci in 0..cpg {
                            for ky in 0..g.kh {
                                for kx in 0..g.kw {
                                    if let Some((iy, ix)) = window_in(g, y, xx, ky, kx) {
                                        let xv = m.get(*x, (((grp * cpg + ci) * g.h + iy) * g.w + ix) as isize);
                                        let wv = m.get(*w, (((o * cpg + ci) * g.kh + ky) * g.kw + kx) as isize);
                                        s += xv as f64 * wv as f64;
                                    }
                                }
                            }
                        }
                        m.set(*out, (o * g.oh + y) * g.ow + xx, act(*f, s) as f32);
                    }
                }
            }
        }
        Kernel::Im2col(Im2col { geom: g, x, out }) => {
            let cols = g.c * g.kh * g.kw;
            for y in 0..g.oh {
                for xx in 0..g.ow {
                    for ci in 0..g.c {
                        for ky in 0..g.kh {
                            for kx in 0..g.kw {
                                let v = window_in(g, y, xx, ky, kx)
                                    .map_or(0.0, |(iy, ix)| m.get(*x, ((ci * g.h + iy) * g.w + ix) as isize));
                                m.set(*out, (y * g.ow + xx) * cols + (ci * g.kh + ky) * g.kw + kx, v);
                            }
                        }
                    }
                }
            }
        }
        Kernel::Pool2d(Pool2d { kind, geom: g, count_include_pad, x, out }) => {
            for ch in 0..g.c {
                for y in 0..g.oh {
                    for xx in 0..g.ow {
                        let mut vals = vec![];
                        for ky in 0..g.kh {
                            for kx in 0..g.kw {
                                if let Some((iy, ix)) = window_in(g, y, xx, ky, kx) {
                                    vals.push(m.get(*x, ((ch * g.h + iy) * g.w + ix) as isize) as f64);
                                }
                            }
                        }
                        let v = match kind {
                            PoolKind::Max => vals.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
                            PoolKind::Avg => {
                                let d = if *count_include_pad { g.kh * g.kw } else { vals.len().max(1) };
                                vals.iter().sum::<f64>() / d as f64
                            }
                        };
                        m.set(*out, (ch * g.oh + y) * g.ow + xx, v as f32);
                    }
                }
            }
        }
        Kernel::ConvTranspose2d(ConvTranspose2d { geom: g, x, w, bias, out }) => {
            // Input c × oh × ow, output oc × h × w.
            let (cpg, opg) = (g.c / g.groups, g.oc / g.groups);
            let mut acc = vec![0.0f64; g.oc * g.h * g.w];
            for ci in 0..g.c {
                let grp = ci / cpg;
                for iy in 0..g.oh {
                    for ix in 0..g.ow {
                        let xv = m.get(*x, ((ci * g.oh + iy) * g.ow + ix) as isize) as f64;
                        for oo in 0..opg {
                            let o = grp * opg + oo;
                            for ky in 0..g.kh {
                                for kx in 0..g.kw {
                                    let yy = (iy * g.stride_h + ky * g.dil_h) as isize - g.pad_top as isize;
                                    let xx = (ix * g.stride_w + kx * g.dil_w) as isize - g.pad_left as isize;
                                    if yy >= 0 && xx >= 0 && (yy as usize) < g.h && (xx as usize) < g.w {
                                        let wv = m.get(*w, (((ci * opg + oo) * g.kh + ky) * g.kw + kx) as isize);
                                        acc[(o * g.h + yy as usize) * g.w + xx as usize] += xv * wv as f64;
                                    }
                                }
                            }
                        }
                    }
                }
            }
            for o in 0..g.oc {
                let b = bias.map_or(0.0, |b| m.get(b, o as isize) as f64);
                for p in 0..g.h * g.w {
                    m.set(*out, o * g.h * g.w + p, (acc[o * g.h * g.w + p] + b) as f32);
                }
            }
        }
        Kernel::Attention(Attention { geom: g, scale, q, kt, v, bias, lepe, out, act: f }) => {
            let at = |x: &vitc_lower::View4, i: [usize; 4]| -> isize {
                i.iter().zip(&x.strides).map(|(&i, &s)| i as isize * s).sum()
            };
            for b in 0..g.batch {
                for h in 0..g.heads {
                    for i in 0..g.n {
                        let mut l: Vec<f64> = (0..g.m)
                            .map(|j| {
                                let dot: f64 = (0..g.d)
                                    .map(|e| {
                                        m.get(q.at, at(q, [b, h, i, e])) as f64
                                            * m.get(kt.at, at(kt, [b, h, e, j])) as f64
                                    })
                                    .sum();
                                let bias = bias.map_or(0.0, |t| m.get(t, ((h * g.n + i) * g.m + j) as isize) as f64);
                                dot * *scale as f64 + bias
                            })
                            .collect();
                        let max = l.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                        l.iter_mut().for_each(|x| *x = (*x - max).exp());
                        let sum: f64 = l.iter().sum();
                        for c in 0..g.dv {
                            let pv: f64 = (0..g.m).map(|j| l[j] / sum * m.get(v.at, at(v, [b, h, j, c])) as f64).sum();
                            let mut y = act(*f, pv);
                            if let Some(p) = lepe {
                                y += p.bias.map_or(0.0, |t| m.get(t, (h * g.dv + c) as isize) as f64);
                                let (yy, xx) = ((i / p.grid_w) as isize, (i % p.grid_w) as isize);
                                for ty in 0..p.kh {
                                    for tx in 0..p.kw {
                                        let sy = yy + ty as isize - p.pad_h as isize;
                                        let sx = xx + tx as isize - p.pad_w as isize;
                                        if sy < 0 || sx < 0 || sy >= p.grid_h as isize || sx >= p.grid_w as isize {
                                            continue;
                                        }
                                        let j = (sy * p.grid_w as isize + sx) as usize;
                                        let w = m.get(p.w, (((h * p.kh + ty) * p.kw + tx) * g.dv + c) as isize);
                                        y += w as f64 * m.get(v.at, at(v, [b, h, j, c])) as f64;
                                    }
                                }
                            }
                            let o = out.at.offset as isize + at(out, [b, h, i, c]);
                            m.set(Loc::arena(0), o as usize, y as f32);
                        }
                    }
                }
            }
        }
        Kernel::Resample(Resample { outer, src_axis, inner, dst_axis, taps, index, coeff, src, out }) => {
            for o in 0..*outer {
                for i in 0..*dst_axis {
                    for e in 0..*inner {
                        let mut acc = 0.0f64;
                        for t in 0..*taps {
                            let j = m.idx(*index, i * taps + t);
                            let c = f64::from(m.get(*coeff, (i * taps + t) as isize));
                            acc += c * f64::from(m.get(*src, ((o * src_axis + j) * inner + e) as isize));
                        }
                        m.set(*out, (o * dst_axis + i) * inner + e, acc as f32);
                    }
                }
            }
        }
    }
}

/// Runs every kernel of a program in order.
pub fn run_program(program: &Program, arena: &mut [f32], weights: &[f32]) {
    for k in &program.kernels {
        run_kernel(k, arena, weights);
    }
}
