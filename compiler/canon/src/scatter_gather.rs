//! A `scatter_nd` whose indices are constant becomes gathers and selects,
//! which every backend has: with the data seen as `[P, S]` (the `q` indexed
//! axes flattened, the rest a slice of `S`) and the updates as `[U, S]`,
//! position `p`'s `k`-th writer `u` is known at compile time, so
//!
//! `out = where(written_k, out ⊕ gather(updates, writer_k), out)`
//!
//! for each `k` up to the most writers of one position, with `⊕` the
//! reduction (none: the last writer only, as ONNX's sequential order; add,
//! mul, max, min). Negative indices count from the end; an index out of
//! range leaves the node to the interpreter's error.

use std::sync::Arc;
use vitc_ir::dim::shape_sizes;
use vitc_ir::ndarray::{ArrayD, IxDyn};
use vitc_ir::{Attrs, Graph, IrResult, NodeId, OpKind, Tensor, Value};

/// The flat indexed position of each update slice, or `None` when an index
/// is out of range.
fn targets(indices: &Tensor, data: &[usize]) -> Option<(Vec<usize>, usize)> {
    let q = *indices.dims().last()?;
    if q == 0 || q > data.len() {
        return None;
    }
    let values = indices.to_i64_vec();
    let mut out = Vec::with_capacity(values.len() / q);
    for tuple in values.chunks(q) {
        let mut flat = 0usize;
        for (&i, &d) in tuple.iter().zip(data) {
            let i = if i < 0 { i + d as i64 } else { i };
            let i = usize::try_from(i).ok().filter(|&i| i < d)?;
            flat = flat * d + i;
        }
        out.push(flat);
    }
    Some((out, q))
}

/// Rewrites one node; `None` when it does not qualify.
fn rewrite(graph: &mut Graph, id: NodeId) -> IrResult<Option<Value>> {
    let node = graph.node(id).clone();
    let operands = graph.operands(id);
    let (Some(Some(data)), Some(Some(indices)), Some(Some(updates))) =
        (operands.first().copied(), operands.get(1).copied(), operands.get(2).copied())
    else {
        return Ok(None);
    };
    let Some(index_tensor) = graph.const_tensor(indices).cloned() else { return Ok(None) };
    let (Some(dims), Some(_)) = (shape_sizes(&node.outputs[0].shape), shape_sizes(&graph.value_type(updates).shape))
    else {
        return Ok(None);
    };
    let Some((flat, q)) = targets(&index_tensor, &dims) else { return Ok(None) };
    let reduction = node.attrs.str_or("reduction", "none").unwrap_or("none").to_string();
    let combine = match reduction.as_str() {
        "none" => None,
        "add" => Some(OpKind::Add),
        "mul" => Some(OpKind::Mul),
        "max" => Some(OpKind::Max),
        "min" => Some(OpKind::Min),
        _ => return Ok(None),
    };
    let positions: usize = dims[..q].iter().product();
    let slice: usize = dims[q..].iter().product();
    // writers[p]: the updates that write position p, in order.
    let mut writers: Vec<Vec<usize>> = vec![Vec::new(); positions];
    for (u, &p) in flat.iter().enumerate() {
        writers[p].push(u);
    }
    if combine.is_none() {
        for w in &mut writers {
            if let Some(&last) = w.last() {
                *w = vec![last];
            }
        }
    }
    let layers = writers.iter().map(Vec::len).max().unwrap_or(0);
    let name = |what: &str| format!("{}/{what}", node.name);
    let shape = |g: &mut Graph, what: &str, d: &[usize]| {
        let d: Vec<i64> = d.iter().map(|&x| x as i64).collect();
        g.add_const(&name(what), Arc::new(Tensor::i64_vec(&d)))
    };
    let rows = shape(graph, "rows", &[positions, slice]);
    let mut out = graph.add_op1(&name("data_rows"), OpKind::Reshape, Attrs::new(), &[Some(data), Some(rows)])?;
    let update_rows = shape(graph, "update_rows", &[flat.len(), slice]);
    let updates =
        graph.add_op1(&name("update_rows"), OpKind::Reshape, Attrs::new(), &[Some(updates), Some(update_rows)])?;
    for k in 0..layers {
        let source: Vec<i64> = writers.iter().map(|w| w.get(k).map_or(0, |&u| u as i64)).collect();
        let written = ArrayD::from_shape_fn(IxDyn(&[positions, 1]), |ix| writers[ix[0]].len() > k);
        let source = graph.add_const(&name(&format!("writer{k}")), Arc::new(Tensor::i64_vec(&source)));
        let written = graph.add_const(&name(&format!("written{k}")), Arc::new(Tensor::Bool(written)));
        let gathered = graph.add_op1(
            &name(&format!("gather{k}")),
            OpKind::Gather,
            Attrs::new(),
            &[Some(updates), Some(source)],
        )?;
        let value = match combine {
            Some(op) => graph.add_op1(&name(&format!("combine{k}")), op, Attrs::new(), &[Some(out), Some(gathered)])?,
            None => gathered,
        };
        out = graph.add_op1(
            &name(&format!("select{k}")),
            OpKind::Where,
            Attrs::new(),
            &[Some(written), Some(value), Some(out)],
        )?;
    }
    let back = shape(graph, "shape", &dims);
    Ok(Some(graph.add_op1(&name("scattered"), OpKind::Reshape, Attrs::new(), &[Some(out), Some(back)])?))
}

/// Rewrites every `scatter_nd` with constant indices and static shapes.
/// Returns how many were rewritten.
pub fn scatters_as_gathers(graph: &mut Graph) -> IrResult<usize> {
    let mut rewritten = 0;
    for id in graph.topo_order()? {
        if graph.node(id).op != OpKind::ScatterND || !graph.is_used(Value::first(id)) {
            continue;
        }
        if let Some(v) = rewrite(graph, id)? {
            graph.replace_uses(Value::first(id), v);
            rewritten += 1;
        }
    }
    Ok(rewritten)
}
