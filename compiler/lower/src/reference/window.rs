//! The window kernels of the reference executor: `Conv2d`, `Im2col`,
//! `Pool2d` and `ConvTranspose2d`, written from their definitions.

use super::{Mem, activate};
use crate::kernel::{Conv2d, ConvTranspose2d, Im2col, Pool2d};
use crate::kernel::{Conv2dGeom, Kernel, PoolKind};

/// Input coordinate of output position `o`, tap `t` on one axis, if it
/// lands inside the input (`o·stride − pad + t·dil`).
fn tap(o: usize, t: usize, stride: usize, pad: usize, dil: usize, size: usize) -> Option<usize> {
    let p = (o * stride + t * dil).checked_sub(pad)?;
    (p < size).then_some(p)
}

pub(super) fn run(kernel: &Kernel, mem: &mut Mem<'_>, start: usize, end: usize) -> Result<(), String> {
    match kernel {
        Kernel::Conv2d(Conv2d { geom: g, x, w, bias, out, act }) => {
            check_groups(g)?;
            let (icg, ocg) = (g.c / g.groups, g.oc / g.groups);
            for o in start..end {
                let group = o / ocg;
                let b = match bias {
                    Some(b) => mem.get(*b, o as isize)?,
                    None => 0.0,
                };
                for oy in 0..g.oh {
                    for ox in 0..g.ow {
                        let mut acc = 0.0f32;
                        for ci in 0..icg {
                            for ky in 0..g.kh {
                                let Some(iy) = tap(oy, ky, g.stride_h, g.pad_top, g.dil_h, g.h) else { continue };
                                for kx in 0..g.kw {
                                    let Some(ix) = tap(ox, kx, g.stride_w, g.pad_left, g.dil_w, g.w) else { continue };
                                    let xv = mem.get(*x, (((group * icg + ci) * g.h + iy) * g.w + ix) as isize)?;
                                    let wv = mem.get(*w, (((o * icg + ci) * g.kh + ky) * g.kw + kx) as isize)?;
                                    acc += xv * wv;
                                }
                            }
                        }
                        mem.set(*out, (o * g.oh + oy) * g.ow + ox, activate(*act, acc + b))?;
                    }
                }
            }
            Ok(())
        }
        Kernel::Im2col(Im2col { geom: g, x, out }) => {
            let row_len = g.c * g.kh * g.kw;
            for oy in start..end {
                for ox in 0..g.ow {
                    let row = oy * g.ow + ox;
                    for ci in 0..g.c {
                        for ky in 0..g.kh {
                            for kx in 0..g.kw {
                                let iy = tap(oy, ky, g.stride_h, g.pad_top, g.dil_h, g.h);
                                let ix = tap(ox, kx, g.stride_w, g.pad_left, g.dil_w, g.w);
                                let v = match (iy, ix) {
                                    (Some(iy), Some(ix)) => mem.get(*x, ((ci * g.h + iy) * g.w + ix) as isize)?,
                                    _ => 0.0,
                                };
                                mem.set(*out, row * row_len + (ci * g.kh + ky) * g.kw + kx, v)?;
                            }
                        }
                    }
                }
            }
            Ok(())
        }
        Kernel::Pool2d(Pool2d { kind, geom: g, count_include_pad, x, out }) => {
            for ch in start..end {
                for oy in 0..g.oh {
                    for ox in 0..g.ow {
                        let (mut max, mut sum, mut count) = (f32::NEG_INFINITY, 0.0f32, 0usize);
                        for ky in 0..g.kh {
                            let Some(iy) = tap(oy, ky, g.stride_h, g.pad_top, g.dil_h, g.h) else { continue };
                            for kx in 0..g.kw {
                                let Some(ix) = tap(ox, kx, g.stride_w, g.pad_left, g.dil_w, g.w) else { continue };
                                let v = mem.get(*x, ((ch * g.h + iy) * g.w + ix) as isize)?;
                                if v > max || (v.is_nan() && !max.is_nan()) || count == 0 {
                                    max = v;
                                }
                                sum += v;
                                count += 1;
                            }
                        }
                        let y = match kind {
                            PoolKind::Max => max,
                            PoolKind::Avg if *count_include_pad => sum / (g.kh * g.kw) as f32,
                            PoolKind::Avg => sum / count as f32,
                        };
                        mem.set(*out, (ch * g.oh + oy) * g.ow + ox, y)?;
                    }
                }
            }
            Ok(())
        }
        Kernel::ConvTranspose2d(ConvTranspose2d { geom: g, x, w, bias, out }) => {
            check_groups(g)?;
            let (icg, ocg) = (g.c / g.groups, g.oc / g.groups);
            // Output (h, w); input (oh, ow); out[o, y, x] gathers every input
            // pixel (iy, ix) and tap (ky, kx) with iy·s − pad + ky·dil = y.
            for o in start..end {
                let (group, oj) = (o / ocg, o % ocg);
                let b = match bias {
                    Some(b) => mem.get(*b, o as isize)?,
                    None => 0.0,
                };
                for y in 0..g.h {
                    for xo in 0..g.w {
                        let mut acc = 0.0f32;
                        for cl in 0..icg {
                            let ci = group * icg + cl;
                            for ky in 0..g.kh {
                                let Some(iy) = source(y, ky, g.stride_h, g.pad_top, g.dil_h, g.oh) else { continue };
                                for kx in 0..g.kw {
                                    let Some(ix) = source(xo, kx, g.stride_w, g.pad_left, g.dil_w, g.ow) else {
                                        continue;
                                    };
                                    let xv = mem.get(*x, ((ci * g.oh + iy) * g.ow + ix) as isize)?;
                                    let wv = mem.get(*w, (((ci * ocg + oj) * g.kh + ky) * g.kw + kx) as isize)?;
                                    acc += xv * wv;
                                }
                            }
                        }
                        mem.set(*out, (o * g.h + y) * g.w + xo, acc + b)?;
                    }
                }
            }
            Ok(())
        }
        other => Err(format!("'{}' is not a window kernel", other.name())),
    }
}

/// Input index `i` with `i·stride − pad + t·dil = o`, if any (transposed).
fn source(o: usize, t: usize, stride: usize, pad: usize, dil: usize, size: usize) -> Option<usize> {
    let p = (o + pad).checked_sub(t * dil)?;
    (p % stride == 0 && p / stride < size).then_some(p / stride)
}

fn check_groups(g: &Conv2dGeom) -> Result<(), String> {
    if g.groups == 0
        || !g.c.is_multiple_of(g.groups)
        || !g.oc.is_multiple_of(g.groups)
        || g.stride_h == 0
        || g.stride_w == 0
    {
        return Err(format!("invalid geometry {g:?}"));
    }
    Ok(())
}
