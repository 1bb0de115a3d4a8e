//! The kernel contract, checked once: [`Program::validate`] is what every
//! backend calls before code generation, and what none re-checks. Every
//! kernel reads and writes inside the arena and the weights, writes only the
//! arena, and never writes where it reads; a map has as many operands as its
//! op takes, each with one stride per axis; window geometry is non-degenerate
//! (strides, dilations and kernel sizes ≥ 1, groups dividing the channels);
//! every index table (gather, resample) lies in the weights and indexes
//! inside its axis; the input and output slots lie in the arena and the
//! outputs do not overlap. Backends may rely on all of these (no aliasing
//! between a kernel's output and its inputs, no run-time bounds checks).

use crate::kernel::{ATTENTION_MAX_KEYS, GemmB, Kernel, Loc, Region, View4};
use crate::kernel::{
    Attention, Conv2d, ConvTranspose2d, Fill, Gather, Gemm, Im2col, LayerNorm, Map, Pool2d, Reduce, Resample, Softmax,
};
use crate::program::Program;

/// Elements `lo ..= hi` of a region (relative to the region's start).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    region: Region,
    lo: isize,
    hi: isize,
}

/// The span of a strided access from `at` over `dims` with `strides`
/// (`None` when nothing is accessed).
fn span(at: Loc, dims: &[usize], strides: &[isize]) -> Option<Span> {
    if dims.contains(&0) {
        return None;
    }
    let (mut lo, mut hi) = (at.offset as isize, at.offset as isize);
    for (&d, &s) in dims.iter().zip(strides) {
        let reach = (d as isize).saturating_sub(1).saturating_mul(s);
        if reach < 0 {
            lo = lo.saturating_add(reach);
        } else {
            hi = hi.saturating_add(reach);
        }
    }
    Some(Span { region: at.region, lo, hi })
}

/// A dense run of `len` elements from `at`.
fn run(at: Loc, len: usize) -> Option<Span> {
    span(at, &[len], &[1])
}

/// What a kernel writes and what it reads.
fn accesses(k: &Kernel) -> (Option<Span>, Vec<Option<Span>>) {
    match k {
        Kernel::Gemm(Gemm {
            m,
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
            ..
        }) => {
            let s = |x: usize| x as isize;
            let c_span = span(*c, &[*batch, *m, *n], &[s(*c_batch_stride), s(*ldc), 1]);
            let a_span = span(*a, &[*batch, *m, *k], &[s(*a_batch_stride), s(*lda), 1]);
            let b_span = match b {
                GemmB::Packed { at, nr, batch_stride } => {
                    span(*at, &[*batch, n.div_ceil(*nr) * k * *nr], &[s(*batch_stride), 1])
                }
                GemmB::Strided { at, row_stride, col_stride, batch_stride } => {
                    span(*at, &[*batch, *k, *n], &[*batch_stride, *row_stride, *col_stride])
                }
            };
            let res = residual.and_then(|r| span(r, &[*batch, *m, *n], &[s(*c_batch_stride), s(*ldc), 1]));
            let bias_span = bias.and_then(|b| span(b, &[*batch, *n], &[s(*bias_batch_stride), 1]));
            (c_span, vec![a_span, b_span, bias_span, res])
        }
        Kernel::Map(Map { dims, out, inputs, .. }) => {
            let n = dims.iter().product();
            (run(*out, n), inputs.iter().map(|i| span(i.at, dims, &i.strides)).collect())
        }
        Kernel::Gather(Gather { outer, src_axis, inner, indices, table, src, out }) => {
            (run(*out, outer * indices * inner), vec![run(*table, *indices), run(*src, outer * src_axis * inner)])
        }
        Kernel::Softmax(Softmax { rows, cols, x, out }) => (run(*out, rows * cols), vec![run(*x, rows * cols)]),
        Kernel::LayerNorm(LayerNorm { rows, cols, x, scale, bias, out, .. }) => {
            (run(*out, rows * cols), vec![run(*x, rows * cols), run(*scale, *cols), bias.and_then(|b| run(b, *cols))])
        }
        Kernel::Reduce(Reduce { outer, reduce, inner, src, out, .. }) => {
            (run(*out, outer * inner), vec![run(*src, outer * reduce * inner)])
        }
        Kernel::Conv2d(Conv2d { geom: g, x, w, bias, out, .. }) => (
            run(*out, g.oc * g.oh * g.ow),
            vec![
                run(*x, g.c * g.h * g.w),
                run(*w, g.oc * (g.c / g.groups.max(1)) * g.kh * g.kw),
                bias.and_then(|b| run(b, g.oc)),
            ],
        ),
        Kernel::Im2col(Im2col { geom: g, x, out }) => {
            (run(*out, g.oh * g.ow * g.c * g.kh * g.kw), vec![run(*x, g.c * g.h * g.w)])
        }
        Kernel::Pool2d(Pool2d { geom: g, x, out, .. }) => {
            (run(*out, g.c * g.oh * g.ow), vec![run(*x, g.c * g.h * g.w)])
        }
        Kernel::ConvTranspose2d(ConvTranspose2d { geom: g, x, w, bias, out }) => (
            run(*out, g.oc * g.h * g.w),
            vec![
                run(*x, g.c * g.oh * g.ow),
                run(*w, g.c * (g.oc / g.groups.max(1)) * g.kh * g.kw),
                bias.and_then(|b| run(b, g.oc)),
            ],
        ),
        Kernel::Fill(Fill { len, out, .. }) => (run(*out, *len), Vec::new()),
        Kernel::Attention(Attention { geom: g, q, kt, v, bias, lepe, out, .. }) => {
            let v4 = |x: &View4, d2: usize, d3: usize| span(x.at, &[g.batch, g.heads, d2, d3], &x.strides);
            let mut reads = vec![
                v4(q, g.n, g.d),
                v4(kt, g.d, g.m),
                v4(v, g.m, g.dv),
                bias.and_then(|b| run(b, g.heads * g.n * g.m)),
            ];
            if let Some(l) = lepe {
                reads.push(run(l.w, g.heads * l.kh * l.kw * g.dv));
                reads.push(l.bias.and_then(|b| run(b, g.heads * g.dv)));
            }
            (v4(out, g.n, g.dv), reads)
        }
        Kernel::Resample(Resample { outer, src_axis, inner, dst_axis, taps, index, coeff, src, out }) => (
            run(*out, outer * dst_axis * inner),
            vec![run(*index, dst_axis * taps), run(*coeff, dst_axis * taps), run(*src, outer * src_axis * inner)],
        ),
    }
}

impl Program {
    /// Checks the program's memory accesses (see the module docs).
    pub fn validate(&self) -> Result<(), String> {
        let weights_len = (self.weights.len() / 4) as isize;
        let inside = |s: &Span| {
            let len = match s.region {
                Region::Arena => self.arena_len as isize,
                Region::Weights => weights_len,
            };
            s.lo >= 0 && s.hi < len
        };
        for (i, k) in self.kernels.iter().enumerate() {
            let fail = |m: String| format!("kernel {i} ({}): {m}", k.name());
            shape_contract(k).map_err(fail)?;
            self.index_tables_inside(k).map_err(fail)?;
            let (out, ins) = accesses(k);
            if let Some(o) = out {
                if o.region != Region::Arena {
                    return Err(fail("writes the weights".into()));
                }
                if !inside(&o) {
                    return Err(fail(format!("writes {}..={} outside the arena", o.lo, o.hi)));
                }
            }
            for s in ins.iter().flatten() {
                if !inside(s) {
                    return Err(fail(format!("reads {:?} {}..={} out of range", s.region, s.lo, s.hi)));
                }
                if let Some(o) = out
                    && s.region == Region::Arena
                    && s.lo <= o.hi
                    && o.lo <= s.hi
                {
                    return Err(fail(format!("reads {}..={} where it writes {}..={}", s.lo, s.hi, o.lo, o.hi)));
                }
            }
        }
        let slots: Vec<(&str, usize, usize)> =
            self.inputs.iter().chain(&self.outputs).map(|s| (s.name.as_str(), s.offset, s.offset + s.len())).collect();
        if let Some((name, ..)) = slots.iter().find(|(_, _, end)| *end > self.arena_len) {
            return Err(format!("slot '{name}' lies outside the arena"));
        }
        let outs = &slots[self.inputs.len()..];
        for (i, a) in outs.iter().enumerate() {
            for b in &outs[i + 1..] {
                if a.1 < b.2 && b.1 < a.2 && a.1 < a.2 && b.1 < b.2 {
                    return Err(format!("outputs '{}' and '{}' overlap", a.0, b.0));
                }
            }
        }
        Ok(())
    }
}

impl Program {
    /// The u32 values of `len` entries of an index table at `table`.
    fn index_table(&self, table: Loc, len: usize) -> Option<impl Iterator<Item = usize> + '_> {
        if table.region != Region::Weights {
            return None;
        }
        let bytes = self.weights.get(table.offset.checked_mul(4)?..table.offset.checked_add(len)?.checked_mul(4)?)?;
        Some(bytes.chunks_exact(4).map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]) as usize))
    }

    /// Every index of a gather or resample table lies inside its axis.
    fn index_tables_inside(&self, k: &Kernel) -> Result<(), String> {
        let (src_axis, len, table) = match k {
            Kernel::Gather(Gather { src_axis, indices, table, .. }) => (*src_axis, *indices, *table),
            Kernel::Resample(Resample { src_axis, dst_axis, taps, index, .. }) => (*src_axis, dst_axis * taps, *index),
            _ => return Ok(()),
        };
        match self.index_table(table, len) {
            Some(mut idx) => match idx.find(|&i| i >= src_axis) {
                Some(i) => Err(format!("index {i} is outside an axis of {src_axis}")),
                None => Ok(()),
            },
            None => Err("its index table lies outside the weights".into()),
        }
    }
}

/// Operand counts and geometry a backend relies on.
fn shape_contract(k: &Kernel) -> Result<(), String> {
    match k {
        Kernel::Map(Map { op, dims, inputs, .. }) => {
            if inputs.len() != op.arity() {
                return Err(format!("{} operands for an op of arity {}", inputs.len(), op.arity()));
            }
            if let Some(s) = inputs.iter().find(|s| s.strides.len() != dims.len()) {
                return Err(format!("an operand has {} strides for {} axes", s.strides.len(), dims.len()));
            }
            Ok(())
        }
        Kernel::Conv2d(Conv2d { geom, .. })
        | Kernel::Im2col(Im2col { geom, .. })
        | Kernel::Pool2d(Pool2d { geom, .. })
        | Kernel::ConvTranspose2d(ConvTranspose2d { geom, .. }) => {
            let g = geom;
            if [g.kh, g.kw, g.stride_h, g.stride_w, g.dil_h, g.dil_w, g.groups].contains(&0) {
                return Err("a window size, stride, dilation or group count is 0".into());
            }
            if !g.c.is_multiple_of(g.groups) || !g.oc.is_multiple_of(g.groups) {
                return Err(format!("{} groups do not divide {} → {} channels", g.groups, g.c, g.oc));
            }
            Ok(())
        }
        Kernel::Attention(Attention { geom, .. }) if geom.m > ATTENTION_MAX_KEYS => {
            Err(format!("{} keys exceed the attention row limit of {ATTENTION_MAX_KEYS}", geom.m))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::{MapOp, Strided, UnaryOp};
    use crate::program::{BatchPlan, MemoryStats};

    fn program(kernels: Vec<Kernel>) -> Program {
        Program {
            name: "t".into(),
            kernels,
            arena_len: 64,
            weights: vec![0; 64],
            inputs: Vec::new(),
            outputs: Vec::new(),
            batch: BatchPlan { dynamic: false, max_batch: 1 },
            memory: MemoryStats::default(),
        }
    }

    fn copy(from: usize, strides: Vec<isize>, to: usize, dims: Vec<usize>) -> Kernel {
        Kernel::Map(Map {
            op: MapOp::Unary(UnaryOp::Copy),
            dims,
            out: Loc::arena(to),
            inputs: vec![Strided { at: Loc::arena(from), strides }],
        })
    }

    #[test]
    fn in_place_and_out_of_range_accesses_are_caught() {
        assert!(program(vec![copy(0, vec![1], 16, vec![16])]).validate().is_ok());
        assert!(program(vec![copy(0, vec![1], 8, vec![16])]).validate().is_err(), "overlap");
        assert!(program(vec![copy(60, vec![1], 0, vec![8])]).validate().is_err(), "read past the arena");
        // A reversed view reads downwards from its first element.
        assert!(program(vec![copy(15, vec![-1], 16, vec![16])]).validate().is_ok());
        assert!(program(vec![copy(14, vec![-1], 16, vec![16])]).validate().is_err());
        let fill = Kernel::Fill(Fill { len: 4, value: 0.0, out: Loc::weights(0) });
        assert!(program(vec![fill]).validate().is_err(), "writes the weights");
    }

    #[test]
    fn operand_counts_and_index_tables_are_caught() {
        let mut bad_arity = copy(0, vec![1], 16, vec![16]);
        if let Kernel::Map(Map { op, .. }) = &mut bad_arity {
            *op = MapOp::Binary(crate::kernel::BinaryOp::Add);
        }
        let e = program(vec![bad_arity]).validate().unwrap_err();
        assert!(e.contains("1 operands for an op of arity 2"), "{e}");
        let e = program(vec![copy(0, vec![1, 1], 16, vec![16])]).validate().unwrap_err();
        assert!(e.contains("2 strides for 1 axes"), "{e}");

        let gather = |src_axis, table| {
            Kernel::Gather(Gather {
                outer: 1,
                src_axis,
                inner: 1,
                indices: 2,
                table: Loc::weights(table),
                src: Loc::arena(0),
                out: Loc::arena(8),
            })
        };
        let mut p = program(vec![gather(4, 0)]);
        p.weights[..8].copy_from_slice(&[1, 0, 0, 0, 3, 0, 0, 0]);
        assert!(p.validate().is_ok());
        p.kernels = vec![gather(3, 0)];
        let e = p.validate().unwrap_err();
        assert!(e.contains("index 3 is outside an axis of 3"), "{e}");
        p.kernels = vec![gather(4, 15)];
        let e = p.validate().unwrap_err();
        assert!(e.contains("index table lies outside the weights"), "{e}");
    }
}
