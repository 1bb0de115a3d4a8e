//! The memory plan: every arena buffer gets an offset so that buffers live
//! at the same time never share memory.
//!
//! A buffer is live from the first to the last kernel that touches it
//! (inclusive; graph inputs from kernel 0, graph outputs to the end).
//! Because intervals are inclusive, a kernel's output never overlaps its
//! inputs. Placement is greedy best-fit: largest buffers first, each in the
//! smallest gap left by the already placed buffers whose lifetimes overlap
//! it, or after the highest of them. Offsets are multiples of
//! [`ALIGN_FLOATS`] (64 bytes).

/// Offsets are multiples of this many f32 elements (64 bytes).
pub const ALIGN_FLOATS: usize = 16;

/// When a buffer is live: kernel indices `start ..= end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interval {
    pub start: usize,
    pub end: usize,
}

impl Interval {
    pub fn overlaps(&self, other: &Interval) -> bool {
        self.start <= other.end && other.start <= self.end
    }
}

/// Where each buffer goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryPlan {
    /// Offset of each buffer, in f32 elements.
    pub offsets: Vec<usize>,
    /// Arena size in f32 elements (a multiple of [`ALIGN_FLOATS`]).
    pub arena_len: usize,
}

/// Places buffers of `sizes` (f32 elements) with lifetimes `lives`.
pub fn plan_memory(sizes: &[usize], lives: &[Interval]) -> MemoryPlan {
    let padded: Vec<usize> = sizes.iter().map(|&s| s.max(1).div_ceil(ALIGN_FLOATS) * ALIGN_FLOATS).collect();
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by(|&a, &b| padded[b].cmp(&padded[a]).then(lives[a].start.cmp(&lives[b].start)).then(a.cmp(&b)));
    let mut offsets = vec![0usize; sizes.len()];
    let mut placed: Vec<usize> = Vec::with_capacity(sizes.len());
    let mut arena_len = 0;
    for &b in &order {
        let mut busy: Vec<(usize, usize)> = placed
            .iter()
            .filter(|&&p| lives[p].overlaps(&lives[b]))
            .map(|&p| (offsets[p], offsets[p] + padded[p]))
            .collect();
        busy.sort_unstable();
        let need = padded[b];
        let mut best: Option<(usize, usize)> = None; // (gap size, offset)
        let mut cursor = 0usize;
        for &(start, end) in &busy {
            if start > cursor {
                let gap = start - cursor;
                if gap >= need && best.is_none_or(|(g, _)| gap < g) {
                    best = Some((gap, cursor));
                }
            }
            cursor = cursor.max(end);
        }
        let offset = best.map_or(cursor, |(_, o)| o);
        offsets[b] = offset;
        arena_len = arena_len.max(offset + need);
        placed.push(b);
    }
    MemoryPlan { offsets, arena_len }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(sizes: &[usize], lives: &[Interval], plan: &MemoryPlan) {
        for a in 0..sizes.len() {
            assert_eq!(plan.offsets[a] % ALIGN_FLOATS, 0);
            assert!(plan.offsets[a] + sizes[a] <= plan.arena_len);
            for b in a + 1..sizes.len() {
                if lives[a].overlaps(&lives[b]) {
                    let (oa, ob) = (plan.offsets[a], plan.offsets[b]);
                    let disjoint = oa + sizes[a] <= ob || ob + sizes[b] <= oa;
                    assert!(disjoint, "buffers {a} and {b} are live together and overlap");
                }
            }
        }
    }

    #[test]
    fn a_chain_reuses_two_slots() {
        // x0 -> x1 -> x2 -> x3: each kernel reads one buffer and writes the next.
        let sizes = [100, 100, 100, 100];
        let lives: Vec<Interval> = (0..4).map(|i| Interval { start: i.max(1) - 1, end: i }).collect();
        let plan = plan_memory(&sizes, &lives);
        check(&sizes, &lives, &plan);
        assert_eq!(plan.arena_len, 2 * 112);
    }

    #[test]
    fn best_fit_takes_the_smallest_gap() {
        // A large and a medium buffer leave gaps; a small one fills the small gap.
        let sizes = [64, 16, 32, 16];
        let lives = [
            Interval { start: 0, end: 1 },
            Interval { start: 0, end: 3 },
            Interval { start: 0, end: 3 },
            Interval { start: 2, end: 3 },
        ];
        let plan = plan_memory(&sizes, &lives);
        check(&sizes, &lives, &plan);
        assert_eq!(plan.arena_len, 64 + 32 + 16);
    }

    #[test]
    fn random_lifetimes_never_overlap() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |m: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % m as u64) as usize
        };
        for _ in 0..50 {
            let n = 1 + next(60);
            let sizes: Vec<usize> = (0..n).map(|_| 1 + next(500)).collect();
            let lives: Vec<Interval> = (0..n)
                .map(|_| {
                    let s = next(40);
                    Interval { start: s, end: s + next(10) }
                })
                .collect();
            let plan = plan_memory(&sizes, &lives);
            check(&sizes, &lives, &plan);
            let total: usize = sizes.iter().map(|s| s.div_ceil(ALIGN_FLOATS) * ALIGN_FLOATS).sum();
            assert!(plan.arena_len <= total);
        }
    }
}
