//! Pushes a row selection — a `gather` of one constant index along an axis
//! other than the last — up through the ops that treat rows independently,
//! so rows that only lead to the unselected ones are never computed.
//!
//! A ViT classifies from its class token: `gather(norm(x), 0, axis=1)`. The
//! selection moves through the final LayerNorm, the last block's residual
//! adds, its MLP (`matmul` rows, bias adds, GELU) and its attention
//! projection, so that work is done for one token instead of 197. It stops
//! at ops that mix rows (attention itself, reshapes), and at values that
//! something other than the same selection also reads.
//!
//! `gather(f(x), i, a) = f(gather(x, i, a))` for:
//! * unary element-wise ops;
//! * binary element-wise ops whose operands either have the full axis `a`
//!   (they are gathered too) or lack it after rank alignment (kept: they
//!   broadcast along the remaining axes alike);
//! * `layer_normalization` over axes after `a` (its `axis` shifts down);
//! * `matmul(x, w)` with `a` a row or batch axis of `x` and `w` of rank 2.

use vitc_ir::{Attr, Attrs, DType, Graph, IrResult, NodeId, OpKind, Value};

/// One selection: `gather(src, index, axis)` with a constant scalar index.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Selection {
    src: Value,
    index: i64,
    axis: usize,
}

/// Moves row selections towards the inputs. Returns how many moved.
pub fn push_row_selections(graph: &mut Graph) -> IrResult<usize> {
    let mut pushed = 0;
    for id in graph.topo_order()? {
        let Some(sel) = selection(graph, id) else { continue };
        // Every reader of the source must make the same selection (and the
        // source must not be a graph output).
        let users = graph.users(sel.src);
        if graph.outputs.iter().any(|(_, v)| *v == sel.src)
            || !users.iter().all(|&(u, _)| selection(graph, u) == Some(sel))
        {
            continue;
        }
        // Identical selections become this one.
        for &(u, _) in &users {
            if u != id {
                graph.replace_uses(Value::first(u), Value::first(id));
            }
        }
        let producer = sel.src.node;
        let outputs = graph.node(producer).outputs.len();
        if (0..outputs).any(|p| p != sel.src.port && graph.is_used(Value { node: producer, port: p })) {
            continue;
        }
        let Some(index) = graph.operand(id, 1) else { continue };
        let Some(new) = push(graph, producer, sel, index)? else { continue };
        graph.replace_uses(Value::first(id), new);
        pushed += 1;
    }
    Ok(pushed)
}

/// The selection node `id` makes, if it is one.
fn selection(graph: &Graph, id: NodeId) -> Option<Selection> {
    let node = graph.node(id);
    if node.op != OpKind::Gather {
        return None;
    }
    let (src, index) = (graph.operand(id, 0)?, graph.operand(id, 1)?);
    let t = graph.const_tensor(index)?;
    if !t.dims().is_empty() || !matches!(t.dtype(), DType::I64 | DType::I32) {
        return None;
    }
    let shape = &graph.value_type(src).shape;
    let rank = shape.len() as i64;
    let axis = node.attrs.int_or("axis", 0).ok()?;
    let axis = if axis < 0 { axis + rank } else { axis };
    if axis < 0 || axis >= rank - 1 {
        return None;
    }
    let len = shape[axis as usize].known()? as i64;
    let i = *t.to_i64_vec().first()?;
    let index = if i < 0 { i + len } else { i };
    (0..len).contains(&index).then_some(Selection { src, index, axis: axis as usize })
}

/// `gather(v, index, axis)` as a new node.
fn gather(graph: &mut Graph, v: Value, index: Value, axis: usize) -> IrResult<Value> {
    let attrs = Attrs::new().with("axis", Attr::Int(axis as i64));
    Ok(graph.add_op("select_row", OpKind::Gather, attrs, &[Some(v), Some(index)], 1)?[0])
}

/// The producer rebuilt over selected operands, or `None` when it mixes
/// rows (or its operands do not fit the rules above).
fn push(graph: &mut Graph, producer: NodeId, sel: Selection, index: Value) -> IrResult<Option<Value>> {
    let node = graph.node(producer).clone();
    let operands = graph.operands(producer);
    let out_rank = node.outputs[0].shape.len();
    let mut attrs = node.attrs.clone();
    let new_operands: Vec<Option<Value>> = match node.op {
        op if op.is_unary_elementwise() => {
            let Some(Some(x)) = operands.first().copied() else { return Ok(None) };
            let mut all = operands.clone();
            all[0] = Some(gather(graph, x, index, sel.axis)?);
            all
        }
        op if op.is_binary_elementwise() => {
            // Per operand: `Some(axis)` to gather it there, `None` to keep it.
            // Every operand is checked before any node is added, so a
            // refusal leaves the graph as it was.
            let mut plan = Vec::with_capacity(operands.len());
            for o in &operands {
                let Some(v) = *o else { return Ok(None) };
                let shape = &graph.value_type(v).shape;
                let lead = out_rank - shape.len();
                if sel.axis < lead {
                    plan.push((v, None));
                } else if shape[sel.axis - lead] == node.outputs[0].shape[sel.axis] {
                    plan.push((v, Some(sel.axis - lead)));
                } else {
                    return Ok(None);
                }
            }
            let mut all = Vec::with_capacity(plan.len());
            for (v, axis) in plan {
                all.push(Some(match axis {
                    Some(a) => gather(graph, v, index, a)?,
                    None => v,
                }));
            }
            all
        }
        OpKind::LayerNormalization => {
            let axis = node.attrs.int_or("axis", -1).unwrap_or(-1);
            let axis = if axis < 0 { axis + out_rank as i64 } else { axis };
            let Some(Some(x)) = operands.first().copied() else { return Ok(None) };
            if axis <= sel.axis as i64 {
                return Ok(None);
            }
            attrs.set("axis", Attr::Int(axis - 1));
            let mut all = operands.clone();
            all[0] = Some(gather(graph, x, index, sel.axis)?);
            all
        }
        OpKind::MatMul => {
            let (Some(Some(x)), Some(Some(w))) = (operands.first().copied(), operands.get(1).copied()) else {
                return Ok(None);
            };
            let x_rank = graph.value_type(x).shape.len();
            if graph.value_type(w).shape.len() != 2 || x_rank != out_rank || x_rank < 2 || sel.axis > x_rank - 2 {
                return Ok(None);
            }
            vec![Some(gather(graph, x, index, sel.axis)?), Some(w)]
        }
        _ => return Ok(None),
    };
    let new = graph.add_op(&node.name, node.op, attrs, &new_operands, node.outputs.len())?;
    Ok(Some(new[0]))
}
