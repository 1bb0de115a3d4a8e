//! The loop nest of a [`crate::Kernel::Map`] as backends emit it, computed
//! once: size-1 axes are dropped and adjacent axes merged whenever every
//! operand is contiguous across them. Merging into axis 0 scales the chunk
//! range, so a dense `[196, 384]` map becomes one flat loop over
//! `[start·384, end·384)`.

use crate::kernel::Strided;

/// One loop level: trip count and per-operand element strides (output
/// first, then the inputs in order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapLevel {
    pub n: usize,
    pub strides: Vec<i64>,
}

/// The simplified levels of a map over `dims` (output dense, row-major)
/// and the factor by which the chunk range of axis 0 is scaled. There is
/// always at least one level (a scalar map is one level of 1).
pub fn map_levels(dims: &[usize], inputs: &[Strided]) -> (Vec<MapLevel>, usize) {
    let rank = dims.len();
    let mut out_strides = vec![0i64; rank];
    let mut acc = 1i64;
    for d in (0..rank).rev() {
        out_strides[d] = acc;
        acc *= dims[d] as i64;
    }
    let mut levels: Vec<MapLevel> = (0..rank)
        .map(|d| {
            let mut strides = vec![out_strides[d]];
            strides.extend(inputs.iter().map(|s| s.strides.get(d).copied().unwrap_or(0) as i64));
            MapLevel { n: dims[d], strides }
        })
        .collect();
    if levels.is_empty() {
        levels.push(MapLevel { n: 1, strides: vec![0; inputs.len() + 1] });
    }
    let head = levels.remove(0);
    levels.retain(|l| l.n != 1);
    levels.insert(0, head);
    // An axis 0 of size 1 merges with anything: its index is always 0.
    if levels[0].n == 1 && levels.len() > 1 {
        let n1 = levels[1].n as i64;
        levels[0].strides = levels[1].strides.iter().map(|s| s * n1).collect();
    }
    let mut scale = 1;
    let mut d = levels.len() - 1;
    while d >= 1 {
        let (outer, inner) = (&levels[d - 1], &levels[d]);
        let n = inner.n as i64;
        if outer.strides.iter().zip(&inner.strides).all(|(&so, &si)| so == si * n) {
            let inner = levels.remove(d);
            if d - 1 == 0 {
                scale *= inner.n;
            }
            levels[d - 1].n *= inner.n;
            levels[d - 1].strides = inner.strides;
        }
        d -= 1;
    }
    (levels, scale)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::Loc;

    fn st(strides: &[isize]) -> Strided {
        Strided { at: Loc::arena(0), strides: strides.to_vec() }
    }

    #[test]
    fn dense_map_is_one_flat_level() {
        let (levels, scale) = map_levels(&[196, 384], &[st(&[384, 1]), st(&[384, 1])]);
        assert_eq!(levels, vec![MapLevel { n: 196 * 384, strides: vec![1, 1, 1] }]);
        assert_eq!(scale, 384);
        let (levels, scale) = map_levels(&[196, 384], &[st(&[384, 1]), st(&[0, 1])]);
        assert_eq!(levels.len(), 2);
        assert_eq!(scale, 1);
    }

    #[test]
    fn unit_axes_drop_and_leading_one_merges() {
        let (levels, scale) = map_levels(&[1, 4, 1, 8], &[st(&[0, 8, 8, 1])]);
        assert_eq!(levels, vec![MapLevel { n: 32, strides: vec![1, 1] }]);
        assert_eq!(scale, 32);
        let (levels, _) = map_levels(&[], &[st(&[])]);
        assert_eq!(levels, vec![MapLevel { n: 1, strides: vec![0, 0] }]);
    }

    #[test]
    fn transpose_keeps_levels() {
        let (levels, scale) = map_levels(&[3, 5], &[st(&[1, 3])]);
        assert_eq!(levels.len(), 2);
        assert_eq!(scale, 1);
    }
}
