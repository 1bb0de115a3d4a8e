//! Every [`Loc`] a kernel refers to, for relocation (the memory plan) and
//! for tools that list what a kernel reads and writes.

use crate::kernel::{
    Attention, Conv2d, ConvTranspose2d, Fill, Gather, Gemm, Im2col, LayerNorm, Map, Pool2d, Reduce, Resample, Softmax,
};
use crate::kernel::{GemmB, Kernel, Loc};

impl Kernel {
    /// Mutable references to every location of the kernel, the output first.
    pub fn locs_mut(&mut self) -> Vec<&mut Loc> {
        match self {
            Kernel::Gemm(Gemm { a, b, c, bias, residual, .. }) => {
                let mut v = vec![c, a];
                match b {
                    GemmB::Packed { at, .. } | GemmB::Strided { at, .. } => v.push(at),
                }
                v.extend(bias.as_mut());
                v.extend(residual.as_mut());
                v
            }
            Kernel::Map(Map { out, inputs, .. }) => {
                let mut v = vec![out];
                v.extend(inputs.iter_mut().map(|s| &mut s.at));
                v
            }
            Kernel::Gather(Gather { table, src, out, .. }) => vec![out, table, src],
            Kernel::Softmax(Softmax { x, out, .. }) => vec![out, x],
            Kernel::LayerNorm(LayerNorm { x, scale, bias, out, .. }) => {
                let mut v = vec![out, x, scale];
                v.extend(bias.as_mut());
                v
            }
            Kernel::Reduce(Reduce { src, out, .. }) => vec![out, src],
            Kernel::Conv2d(Conv2d { x, w, bias, out, .. })
            | Kernel::ConvTranspose2d(ConvTranspose2d { x, w, bias, out, .. }) => {
                let mut v = vec![out, x, w];
                v.extend(bias.as_mut());
                v
            }
            Kernel::Im2col(Im2col { x, out, .. }) | Kernel::Pool2d(Pool2d { x, out, .. }) => vec![out, x],
            Kernel::Fill(Fill { out, .. }) => vec![out],
            Kernel::Attention(Attention { q, kt, v, bias, lepe, out, .. }) => {
                let mut locs = vec![&mut out.at, &mut q.at, &mut kt.at, &mut v.at];
                locs.extend(bias.as_mut());
                if let Some(l) = lepe {
                    locs.push(&mut l.w);
                    locs.extend(l.bias.as_mut());
                }
                locs
            }
            Kernel::Resample(Resample { index, coeff, src, out, .. }) => vec![out, index, coeff, src],
        }
    }

    /// Every location of the kernel, the output first.
    pub fn locs(&self) -> Vec<Loc> {
        self.clone().locs_mut().into_iter().map(|l| *l).collect()
    }

    /// Where the kernel writes.
    pub fn output(&self) -> Loc {
        match self {
            Kernel::Gemm(Gemm { c, .. }) => *c,
            Kernel::Attention(Attention { out, .. }) => out.at,
            Kernel::Map(Map { out, .. })
            | Kernel::Gather(Gather { out, .. })
            | Kernel::Softmax(Softmax { out, .. })
            | Kernel::LayerNorm(LayerNorm { out, .. })
            | Kernel::Reduce(Reduce { out, .. })
            | Kernel::Conv2d(Conv2d { out, .. })
            | Kernel::ConvTranspose2d(ConvTranspose2d { out, .. })
            | Kernel::Im2col(Im2col { out, .. })
            | Kernel::Pool2d(Pool2d { out, .. })
            | Kernel::Fill(Fill { out, .. })
            | Kernel::Resample(Resample { out, .. }) => *out,
        }
    }
}
