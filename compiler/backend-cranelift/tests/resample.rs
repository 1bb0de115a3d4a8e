//! The `Resample` kernel against the naive implementation and the
//! reference executor: every `inner` width class (1, 2, 3 = scalar tail
//! only; 4, 8 = vectors only; 5, 11 = vectors plus a tail), 2 to 8 taps,
//! repeated and zero-weight taps, and with chunked outer loops.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Rng, check_program};
use vitc_lower::Resample;
use vitc_lower::{Kernel, Loc};

/// A random resample of `outer × src_axis × inner` to `dst_axis` rows with
/// `taps` taps per row; the tables are the weights (index table first).
fn case(rng: &mut Rng, outer: usize, src_axis: usize, inner: usize, dst_axis: usize, taps: usize) {
    let table = dst_axis * taps;
    let mut weights: Vec<f32> = (0..table).map(|_| f32::from_bits(rng.below(src_axis) as u32)).collect();
    let coeff_at = weights.len().div_ceil(16) * 16;
    weights.resize(coeff_at, 0.0);
    let mut coeffs = rng.vec(table, -0.5, 1.5);
    coeffs[0] = 0.0; // a tap that contributes nothing
    weights.extend(coeffs);
    let n_src = outer * src_axis * inner;
    let init = rng.vec(n_src + outer * dst_axis * inner + 3, -2.0, 2.0);
    let k = Kernel::Resample(Resample {
        outer,
        src_axis,
        inner,
        dst_axis,
        taps,
        index: Loc::weights(0),
        coeff: Loc::weights(coeff_at),
        src: Loc::arena(0),
        out: Loc::arena(n_src + 3),
    });
    check_program(vec![k], &init, &weights, 1e-5, 1e-5);
}

#[test]
fn resample_all_inner_widths() {
    let mut rng = Rng::new(41);
    for inner in [1, 2, 3, 4, 5, 8, 11] {
        case(&mut rng, 3, 5, inner, 7, 2);
    }
}

#[test]
fn resample_cubic_and_antialias_widths() {
    let mut rng = Rng::new(42);
    for (outer, src_axis, inner, dst_axis, taps) in
        [(2, 8, 6, 4, 4), (1, 9, 1, 5, 8), (4, 3, 9, 10, 4), (1, 1, 7, 3, 2)]
    {
        case(&mut rng, outer, src_axis, inner, dst_axis, taps);
    }
}
