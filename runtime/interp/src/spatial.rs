//! Sliding-window geometry in the form the conv and pool loops use: any
//! 1-, 2- or 3-D case is padded to 3-D (leading axes of size 1), and
//! [`valid_range`] gives the run of output positions whose input position
//! falls inside the image, so inner loops need no bounds checks.

use std::ops::Range;
use vitc_ir::Attrs;
use vitc_ir::geometry::Window;

/// Spatial sizes of one conv / pool, as 3-D.
#[derive(Clone, Debug)]
pub(crate) struct Spatial {
    pub input: [usize; 3],
    pub kernel: [usize; 3],
    pub output: [usize; 3],
    pub strides: [usize; 3],
    pub dilations: [usize; 3],
    /// Padding before each axis.
    pub pads: [usize; 3],
    /// Padding after each axis (pools count it for `count_include_pad`).
    pub pads_end: [usize; 3],
}

/// Rejects what the shared window geometry cannot take: empty spatial
/// axes, empty kernels, absurdly large window attributes, and an
/// `output_shape` shorter than the spatial rank.
pub(crate) fn check_window(attrs: &Attrs, input: &[usize], kernel: &[usize]) -> Result<(), String> {
    if input.contains(&0) {
        return Err(format!("spatial axes {input:?} must not be empty"));
    }
    if kernel.contains(&0) || kernel.iter().any(|&k| k as u64 > LIMIT as u64) {
        return Err(format!("kernel {kernel:?} must not be empty or huge"));
    }
    for name in ["strides", "dilations", "pads", "output_padding"] {
        if let Some(v) = attrs.ints(name)?
            && v.iter().any(|&x| !(0..=LIMIT).contains(&x))
        {
            return Err(format!("attribute '{name}' {v:?} is out of range"));
        }
    }
    if let Some(v) = attrs.ints("output_shape")?
        && (v.len() < input.len() || v.iter().any(|&x| !(0..=LIMIT).contains(&x)))
    {
        return Err(format!("attribute 'output_shape' {v:?} does not give {} spatial sizes", input.len()));
    }
    Ok(())
}

/// The largest stride, dilation, pad or size accepted in window attributes.
const LIMIT: i64 = 1 << 31;

/// `v` right-aligned into three slots, the rest `fill`.
pub(crate) fn to3(v: &[usize], fill: usize) -> [usize; 3] {
    let mut a = [fill; 3];
    let off = 3 - v.len().min(3);
    a[off..].copy_from_slice(&v[v.len().saturating_sub(3)..]);
    a
}

impl Spatial {
    /// The geometry of `window` over `input` producing `output` (spatial sizes, 1 to 3 axes).
    pub(crate) fn new(window: &Window, input: &[usize], output: &[usize]) -> Result<Spatial, String> {
        if input.is_empty() || input.len() > 3 {
            return Err(format!("only 1 to 3 spatial axes are supported, found {}", input.len()));
        }
        Ok(Spatial {
            input: to3(input, 1),
            kernel: to3(&window.kernel, 1),
            output: to3(output, 1),
            strides: to3(&window.strides, 1),
            dilations: to3(&window.dilations, 1),
            pads: to3(&window.pads_begin, 0),
            pads_end: to3(&window.pads_end, 0),
        })
    }

    pub(crate) fn input_size(&self) -> usize {
        self.input.iter().product()
    }

    pub(crate) fn output_size(&self) -> usize {
        self.output.iter().product()
    }

    pub(crate) fn kernel_size(&self) -> usize {
        self.kernel.iter().product()
    }

    /// Offset of kernel tap `k` on axis `a`, relative to `o * stride`.
    pub(crate) fn tap_offset(&self, a: usize, k: usize) -> isize {
        (k * self.dilations[a]) as isize - self.pads[a] as isize
    }

    /// The input index on axis `a` for output `o` and tap `k`, when inside the image.
    pub(crate) fn input_index(&self, a: usize, o: usize, k: usize) -> Option<usize> {
        let i = (o * self.strides[a]) as isize + self.tap_offset(a, k);
        usize::try_from(i).ok().filter(|&i| i < self.input[a])
    }
}

/// The positions `o` in `0..count` for which `o * stride + offset` lies in `0..size`.
pub(crate) fn valid_range(count: usize, stride: usize, offset: isize, size: usize) -> Range<usize> {
    let s = stride as isize;
    let lo = if offset >= 0 { 0 } else { ((-offset + s - 1) / s) as usize };
    let limit = size as isize - offset;
    let hi = if limit <= 0 { 0 } else { ((limit + s - 1) / s) as usize };
    let lo = lo.min(count);
    lo..hi.min(count).max(lo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_range_respects_both_edges() {
        // size 5, stride 2, offset -1: o*2-1 in [0,5) for o in 1..3
        assert_eq!(valid_range(4, 2, -1, 5), 1..3);
        assert_eq!(valid_range(3, 1, 0, 3), 0..3);
        assert_eq!(valid_range(3, 1, 5, 3), 0..0);
        assert_eq!(valid_range(3, 1, -7, 3), 3..3);
        assert_eq!(to3(&[4, 5], 1), [1, 4, 5]);
    }
}
