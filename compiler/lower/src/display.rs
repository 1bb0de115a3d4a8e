//! The text form of the kernel level: `Display` for [`Program`], one line
//! per kernel (its kind, sizes, locations and fused epilogue), what
//! `vitc compile --emit kernels` prints and what the lowering filetests
//! compare. Locations read `a[OFFSET]` (arena) and `w[OFFSET]` (weights),
//! in f32 elements.
//!
//! ```text
//! program tiny: arena 3072 floats, weights 4096 bytes, batch 1
//!   input "x" a[0] f32[1,16]
//!   k0 gemm m=1 n=8 k=16 batch=1 a=a[0] lda=16 b=packed(w[0], nr=8) c=a[16] ldc=8 bias=w[128] act=relu
//!   k1 softmax rows=1 cols=8 x=a[16] out=a[24]
//!   output "y" a[24] f32[1,8]
//! ```

use std::fmt::{self, Display, Formatter};

use crate::kernel::{Activation, Conv2dGeom, GemmB, Kernel, Loc, MapOp, Region, Strided, View4};
use crate::kernel::{
    Attention, Conv2d, ConvTranspose2d, Fill, Gather, Gemm, Im2col, LayerNorm, Map, Pool2d, Reduce, Resample, Softmax,
};
use crate::program::{IoSlot, Program};

impl Display for Loc {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let r = match self.region {
            Region::Arena => 'a',
            Region::Weights => 'w',
        };
        write!(f, "{r}[{}]", self.offset)
    }
}

/// `name=LOC`, or nothing for an absent optional operand.
struct Opt<'a>(&'a str, Option<Loc>);

impl Display for Opt<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.1 {
            Some(l) => write!(f, " {}={l}", self.0),
            None => Ok(()),
        }
    }
}

/// ` act=NAME`, or nothing without an activation.
struct Act(Activation);

impl Display for Act {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.0 {
            Activation::None => Ok(()),
            Activation::Relu => f.write_str(" act=relu"),
            Activation::Sigmoid => f.write_str(" act=sigmoid"),
            Activation::HardSwish => f.write_str(" act=hard_swish"),
            Activation::HardSigmoid { alpha, beta } => write!(f, " act=hard_sigmoid({alpha}, {beta})"),
            Activation::Gelu => f.write_str(" act=gelu"),
            Activation::GeluTanh => f.write_str(" act=gelu_tanh"),
        }
    }
}

fn list<T: Display>(items: &[T]) -> String {
    let parts: Vec<String> = items.iter().map(ToString::to_string).collect();
    format!("[{}]", parts.join(","))
}

fn map_op(op: MapOp) -> String {
    match op {
        MapOp::Unary(u) => format!("{u:?}").to_lowercase(),
        MapOp::Binary(b) => format!("{b:?}").to_lowercase(),
        MapOp::MulAdd => "mul_add".into(),
        MapOp::Select => "select".into(),
    }
}

fn strided(s: &Strided) -> String {
    format!("{}{}", s.at, list(&s.strides))
}

fn view(v: &View4) -> String {
    format!("{}{}", v.at, list(&v.strides))
}

fn geom(g: &Conv2dGeom) -> String {
    format!(
        "{}x{}x{}->{}x{}x{} k={}x{} s={},{} p={},{} d={},{} g={}",
        g.c,
        g.h,
        g.w,
        g.oc,
        g.oh,
        g.ow,
        g.kh,
        g.kw,
        g.stride_h,
        g.stride_w,
        g.pad_top,
        g.pad_left,
        g.dil_h,
        g.dil_w,
        g.groups
    )
}

impl Display for Kernel {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name())?;
        match self {
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
                act,
            }) => {
                write!(f, " m={m} n={n} k={k} batch={batch} a={a} lda={lda}")?;
                if *a_batch_stride != 0 {
                    write!(f, " a_batch={a_batch_stride}")?;
                }
                match b {
                    GemmB::Packed { at, nr, batch_stride } => {
                        write!(f, " b=packed({at}, nr={nr}")?;
                        if *batch_stride != 0 {
                            write!(f, ", batch={batch_stride}")?;
                        }
                        f.write_str(")")?;
                    }
                    GemmB::Strided { at, row_stride, col_stride, batch_stride } => {
                        write!(f, " b=strided({at}, rows={row_stride}, cols={col_stride}, batch={batch_stride})")?;
                    }
                }
                write!(f, " c={c} ldc={ldc}")?;
                if *c_batch_stride != 0 {
                    write!(f, " c_batch={c_batch_stride}")?;
                }
                write!(f, "{}", Opt("bias", *bias))?;
                if *bias_batch_stride != 0 {
                    write!(f, " bias_batch={bias_batch_stride}")?;
                }
                write!(f, "{}{}", Opt("residual", *residual), Act(*act))
            }
            Kernel::Map(Map { op, dims, out, inputs }) => {
                let ins: Vec<String> = inputs.iter().map(strided).collect();
                write!(f, " {} dims={} out={out} in=({})", map_op(*op), list(dims), ins.join(", "))
            }
            Kernel::Gather(Gather { outer, src_axis, inner, indices, table, src, out }) => write!(
                f,
                " outer={outer} axis={src_axis} inner={inner} indices={indices} table={table} src={src} out={out}"
            ),
            Kernel::Softmax(Softmax { rows, cols, x, out }) => write!(f, " rows={rows} cols={cols} x={x} out={out}"),
            Kernel::LayerNorm(LayerNorm { rows, cols, eps, x, scale, bias, out }) => {
                write!(f, " rows={rows} cols={cols} eps={eps} x={x} scale={scale}{} out={out}", Opt("bias", *bias))
            }
            Kernel::Reduce(Reduce { op, outer, reduce, inner, src, out }) => {
                let op = format!("{op:?}").to_lowercase();
                write!(f, " {op} outer={outer} reduce={reduce} inner={inner} src={src} out={out}")
            }
            Kernel::Conv2d(Conv2d { geom: g, x, w, bias, out, act }) => {
                write!(f, " {} x={x} w={w}{} out={out}{}", geom(g), Opt("bias", *bias), Act(*act))
            }
            Kernel::Im2col(Im2col { geom: g, x, out }) => write!(f, " {} x={x} out={out}", geom(g)),
            Kernel::Pool2d(Pool2d { kind, geom: g, count_include_pad, x, out }) => {
                let kind = format!("{kind:?}").to_lowercase();
                write!(f, " {kind} {} include_pad={count_include_pad} x={x} out={out}", geom(g))
            }
            Kernel::ConvTranspose2d(ConvTranspose2d { geom: g, x, w, bias, out }) => {
                write!(f, " {} x={x} w={w}{} out={out}", geom(g), Opt("bias", *bias))
            }
            Kernel::Fill(Fill { len, value, out }) => write!(f, " len={len} value={value} out={out}"),
            Kernel::Attention(Attention { geom: g, scale, q, kt, v, bias, lepe, out, act }) => {
                write!(
                    f,
                    " batch={} heads={} n={} m={} d={} dv={} scale={scale}",
                    g.batch, g.heads, g.n, g.m, g.d, g.dv
                )?;
                write!(f, " q={} kt={} v={}{}", view(q), view(kt), view(v), Opt("bias", *bias))?;
                if let Some(l) = lepe {
                    write!(
                        f,
                        " lepe(grid={}x{}, k={}x{}, pad={},{}, w={}{})",
                        l.grid_h,
                        l.grid_w,
                        l.kh,
                        l.kw,
                        l.pad_h,
                        l.pad_w,
                        l.w,
                        Opt("bias", l.bias)
                    )?;
                }
                write!(f, " out={}{}", view(out), Act(*act))
            }
            Kernel::Resample(Resample { outer, src_axis, inner, dst_axis, taps, index, coeff, src, out }) => write!(
                f,
                " outer={outer} axis={src_axis}->{dst_axis} inner={inner} taps={taps} index={index} coeff={coeff} \
                 src={src} out={out}"
            ),
        }
    }
}

fn slot(f: &mut Formatter<'_>, kind: &str, s: &IoSlot) -> fmt::Result {
    writeln!(f, "  {kind} {:?} {} {}{}", s.name, Loc::arena(s.offset), s.dtype, list(&s.dims))
}

impl Display for Program {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let batch = if self.batch.dynamic { format!("dynamic up to {}", self.batch.max_batch) } else { "1".into() };
        writeln!(
            f,
            "program {}: arena {} floats, weights {} bytes, batch {batch}",
            self.name,
            self.arena_len,
            self.weights.len()
        )?;
        for s in &self.inputs {
            slot(f, "input", s)?;
        }
        for (i, k) in self.kernels.iter().enumerate() {
            writeln!(f, "  k{i} {k}")?;
        }
        for s in &self.outputs {
            slot(f, "output", s)?;
        }
        Ok(())
    }
}
