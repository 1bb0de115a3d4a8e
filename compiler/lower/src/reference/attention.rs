//! The reference [`Kernel::Attention`]: one query row at a time, literally
//! from the kernel's documentation (dot products, scale and bias, a
//! max-subtracted softmax, the weighted sum of V, the activation, then the
//! LePE taps).

use super::{Mem, activate};
use crate::kernel::Attention;
use crate::kernel::{Kernel, View4};

/// Offset of element `(b, h, r, c)` of a 4-D operand.
fn at(x: &View4, b: usize, h: usize, r: usize, c: usize) -> isize {
    let idx = [b, h, r, c];
    idx.iter().zip(&x.strides).map(|(&i, &s)| i as isize * s).sum()
}

/// Rows `start..end` of an attention kernel.
pub(crate) fn run(kernel: &Kernel, mem: &mut Mem<'_>, start: usize, end: usize) -> Result<(), String> {
    let Kernel::Attention(Attention { geom: g, scale, q, kt, v, bias, lepe, out, act }) = kernel else {
        return Err("internal: not an attention kernel".into());
    };
    let mut logits = vec![0.0f32; g.m];
    for r in start..end {
        let (i, h, b) = (r % g.n, (r / g.n) % g.heads, r / (g.n * g.heads));
        for (j, l) in logits.iter_mut().enumerate() {
            let mut acc = 0.0f32;
            for e in 0..g.d {
                acc += mem.get(q.at, at(q, b, h, i, e))? * mem.get(kt.at, at(kt, b, h, e, j))?;
            }
            *l = acc * scale;
            if let Some(bias) = bias {
                *l += mem.get(*bias, ((h * g.n + i) * g.m + j) as isize)?;
            }
        }
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0f32;
        for l in logits.iter_mut() {
            *l = (*l - max).exp();
            sum += *l;
        }
        for c in 0..g.dv {
            let mut acc = 0.0f32;
            for (j, l) in logits.iter().enumerate() {
                acc += (l / sum) * mem.get(v.at, at(v, b, h, j, c))?;
            }
            let mut y = activate(*act, acc);
            if let Some(l) = lepe {
                let (yy, xx) = ((i / l.grid_w) as isize, (i % l.grid_w) as isize);
                let mut pe = match l.bias {
                    Some(bias) => mem.get(bias, (h * g.dv + c) as isize)?,
                    None => 0.0,
                };
                for ty in 0..l.kh {
                    for tx in 0..l.kw {
                        let sy = yy + ty as isize - l.pad_h as isize;
                        let sx = xx + tx as isize - l.pad_w as isize;
                        if sy < 0 || sx < 0 || sy >= l.grid_h as isize || sx >= l.grid_w as isize {
                            continue;
                        }
                        let j = (sy * l.grid_w as isize + sx) as usize;
                        let w = mem.get(l.w, (((h * l.kh + ty) * l.kw + tx) * g.dv + c) as isize)?;
                        pe += w * mem.get(v.at, at(v, b, h, j, c))?;
                    }
                }
                y += pe;
            }
            let o = usize::try_from(out.at.offset as isize + at(out, b, h, i, c))
                .map_err(|_| "attention output offset is negative".to_string())?;
            mem.set(crate::kernel::Loc { region: out.at.region, offset: 0 }, o, y)?;
        }
    }
    Ok(())
}
