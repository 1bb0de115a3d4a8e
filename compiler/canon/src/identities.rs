//! Removes ops that do nothing: `identity`, casts to the same dtype,
//! reshapes / expands / transposes that leave their operand as it is, and
//! a `scatter_nd` whose constant indices name every position of the data in
//! order (PyTorch exports `x[:, :, :, :] = y` so): its result is `updates`.

use std::sync::Arc;
use vitc_ir::{Graph, IrResult, NodeId, OpKind, Tensor, Value};

/// Bypasses no-op nodes. Returns how many were bypassed.
pub fn remove_identities(graph: &mut Graph) -> IrResult<usize> {
    let mut removed = 0;
    for id in graph.topo_order()? {
        let node = graph.node(id);
        let Some(Some(src)) = graph.operands(id).first().copied() else { continue };
        let same_type = graph.value_type(src) == &node.outputs[0];
        let no_op = match node.op {
            OpKind::Identity => true,
            OpKind::Cast | OpKind::Reshape | OpKind::Expand | OpKind::Flatten | OpKind::Squeeze | OpKind::Unsqueeze => {
                same_type
            }
            OpKind::Transpose => {
                same_type
                    && vitc_ir::infer::transpose_perm(&node.attrs, node.outputs[0].rank())
                        .is_ok_and(|p| p.iter().enumerate().all(|(i, &a)| i == a))
            }
            _ => false,
        };
        if no_op {
            graph.replace_uses(Value::first(id), src);
            removed += 1;
        } else if let Some(updates) = overwrites_everything(graph, id) {
            graph.replace_uses(Value::first(id), updates);
            removed += 1;
        }
    }
    Ok(removed)
}

/// Most elements [`constant_value`] computes for one question.
const EVAL_BUDGET: usize = 1 << 25;

/// The value of `v` when it depends on constants only, computed with the
/// reference interpreter (nothing is added to the graph), as long as the
/// values computed on the way stay within `budget` elements.
fn constant_value(graph: &Graph, v: Value, budget: &mut usize) -> Option<Arc<Tensor>> {
    if let Some(t) = graph.const_tensor(v) {
        return Some(t.clone());
    }
    let node = graph.node(v.node);
    if node.op == OpKind::Input {
        return None;
    }
    let size: usize = vitc_ir::dim::shape_sizes(&node.outputs.get(v.port)?.shape)?.iter().product();
    *budget = budget.checked_sub(size)?;
    let mut operands = Vec::new();
    for o in graph.operands(v.node) {
        operands.push(match o {
            None => None,
            Some(x) => Some(constant_value(graph, x, budget)?),
        });
    }
    let refs: Vec<Option<&Tensor>> = operands.iter().map(|t| t.as_deref()).collect();
    let mut outs = vitc_interp::eval_op(node.op, &node.attrs, &refs, node.outputs.len()).ok()?;
    (v.port < outs.len()).then(|| Arc::new(outs.swap_remove(v.port)))
}

/// The `updates` of a `scatter_nd` (no reduction) whose constant indices
/// list every position of the data, in row-major order: then every element
/// is overwritten once and the result is `updates` itself.
fn overwrites_everything(graph: &Graph, id: NodeId) -> Option<Value> {
    let node = graph.node(id);
    if node.op != OpKind::ScatterND || node.attrs.str_or("reduction", "none").ok()? != "none" {
        return None;
    }
    let operands = graph.operands(id);
    let (indices, updates) = ((*operands.get(1)?)?, (*operands.get(2)?)?);
    if graph.value_type(updates) != &node.outputs[0] {
        return None;
    }
    let dims = vitc_ir::dim::shape_sizes(&node.outputs[0].shape)?;
    // The indices are often computed (aranges expanded and concatenated)
    // into a tensor too large for constant folding to keep: evaluate them
    // here, without adding them to the graph.
    let t = constant_value(graph, indices, &mut EVAL_BUDGET.clone())?;
    let mut expected_dims = dims.clone();
    expected_dims.push(dims.len());
    if t.dims() != expected_dims.as_slice() {
        return None;
    }
    // Position p's tuple is p's row-major coordinates.
    let values = t.to_i64_vec();
    let mut coords = vec![0i64; dims.len()];
    for tuple in values.chunks(dims.len().max(1)) {
        if tuple != coords.as_slice() {
            return None;
        }
        for a in (0..dims.len()).rev() {
            coords[a] += 1;
            if (coords[a] as usize) < dims[a] {
                break;
            }
            coords[a] = 0;
        }
    }
    Some(updates)
}
