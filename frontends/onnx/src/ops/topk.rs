//! [TopK](https://onnx.ai/onnx/operators/onnx__TopK.html)`(X, K)`, opsets
//! 11–28 (`axis` −1, `largest` 1, `sorted` 1), imported as `K` rounds of
//! selection (`K` known at compile time, at most [`MAX_K`]): each round
//! takes the first maximum (or minimum) along `axis` of the values not yet
//! taken (`reduce_max` and `equal` as ArgMax) and its value, and marks
//! it taken (−∞, or +∞ for the smallest; the integer extremes for integers). Values and indices come out
//! sorted, largest (smallest) first, ties by the lower index, whatever
//! `sorted` asks. The work grows with `K`: this is for the top-5 of a
//! classifier, not for sorting.

use super::NodeCtx;
use super::argmax::{Extreme, arg_extreme, iota, known_axis};
use super::compose::Compose;
use crate::error::Result;
use vitc_ir::{Attr, Attrs, DType, Graph, OpKind, Value};

/// The largest `K` imported.
pub const MAX_K: usize = 256;

pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    let mut b = Compose::new(n);
    let x = b.required(0, "X")?;
    let dtype = g.value_type(x).dtype;
    if dtype == DType::Bool {
        return Err(n.err("input X must hold numbers, found bool"));
    }
    let k = match n.const_ints(g, 1, "K")? {
        Some(v) if v.len() == 1 && v[0] >= 0 => v[0] as usize,
        _ => return Err(n.err("input 1 (K) must be one non-negative value")),
    };
    let (axis, size) = known_axis(&b, g, x, n.attr_int("axis")?.unwrap_or(-1))?;
    if k > size || k > MAX_K {
        return Err(n.err(format!("K = {k} must be at most the axis size {size} and at most {MAX_K}")));
    }
    if k == 0 {
        return Err(n.unsupported("K = 0 (empty outputs)"));
    }
    let largest = n.attr_int("largest")?.unwrap_or(1) != 0;
    let (extreme, taken_value) =
        if largest { (Extreme::Max, f64::NEG_INFINITY) } else { (Extreme::Min, f64::INFINITY) };
    let rank = g.value_type(x).rank();
    let positions = iota(&mut b, g, rank, axis, size);
    // Taken positions rank last: ±∞, or the integer type's extreme (`as` saturates).
    let taken = b.scalar_of(g, dtype, taken_value);
    let (mut values, mut indices) = (Vec::with_capacity(k), Vec::with_capacity(k));
    let mut rest = x;
    for round in 0..k {
        let index = arg_extreme(&mut b, g, rest, axis as i64, extreme, false, true)?;
        // The value is the extreme itself (no gather at run-time indices).
        let reduce = if largest { OpKind::ReduceMax } else { OpKind::ReduceMin };
        let kept = Attrs::new().with("axes", Attr::Ints(vec![axis as i64])).with("keepdims", Attr::Int(1));
        values.push(b.op_with(g, reduce, kept, &[rest])?);
        indices.push(index);
        if round + 1 < k {
            let hit = b.op(g, OpKind::Equal, &[positions, index])?;
            rest = b.op(g, OpKind::Where, &[hit, taken, rest])?;
        }
    }
    let along = Attrs::new().with("axis", Attr::Int(axis as i64));
    let values = b.op_with(g, OpKind::Concat, along.clone(), &values)?;
    let indices = b.op_with(g, OpKind::Concat, along, &indices)?;
    let values = b.last(g, OpKind::Identity, &[values])?[0];
    Ok(vec![values, indices])
}
