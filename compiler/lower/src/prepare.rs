//! Graph rewrites right before lowering (on a copy; dead nodes are dropped
//! after): a fused `attention` op that the attention kernel cannot take (a
//! run-time bias, more keys than its scratch row, rank above 4) is expanded
//! back into its matmuls, scale, bias, softmax and activation. (GELU written
//! with `erf` is recognised once, by the egg mid-end's activation rules.)

use crate::error::LowerError;
use vitc_ir::{Attrs, Graph, NodeId, OpKind, Value};

/// Runs the rewrites on a copy of `graph`.
pub(crate) fn prepare(graph: &Graph) -> Result<Graph, LowerError> {
    let mut g = graph.clone();
    for id in g.topo_order().map_err(|e| LowerError::Graph(e.to_string()))? {
        if g.contains(id) && g.node(id).op == OpKind::Attention && !crate::lower::kernel_supports(&g, id) {
            expand_attention(&mut g, id).map_err(|e| LowerError::Graph(format!("expanding attention: {e}")))?;
        }
    }
    g.remove_dead_nodes();
    Ok(g)
}

/// Replaces `attention(q, kt, v, bias?) {scale, act}` by its parts.
fn expand_attention(g: &mut Graph, id: NodeId) -> vitc_ir::IrResult<()> {
    let node = g.node(id).clone();
    let ops = g.operands(id);
    let arg = |i: usize| ops.get(i).copied().flatten();
    let name = node.name.clone();
    let none = Attrs::new();
    let logits = g.add_op1(&format!("{name}.qk"), OpKind::MatMul, none.clone(), &[arg(0), arg(1)])?;
    let scale = node.attrs.float_or("scale", 1.0).map_err(vitc_ir::IrError::Graph)?;
    let scale = g.add_const(&format!("{name}.scale"), std::sync::Arc::new(vitc_ir::Tensor::f32_scalar(scale)));
    let mut logits = g.add_op1(&format!("{name}.scaled"), OpKind::Mul, none.clone(), &[Some(logits), Some(scale)])?;
    if let Some(bias) = arg(3) {
        logits = g.add_op1(&format!("{name}.biased"), OpKind::Add, none.clone(), &[Some(logits), Some(bias)])?;
    }
    let softmax_attrs = Attrs::new().with("axis", vitc_ir::Attr::Int(-1));
    let probs = g.add_op1(&format!("{name}.softmax"), OpKind::Softmax, softmax_attrs, &[Some(logits)])?;
    let mut out = g.add_op1(&format!("{name}.pv"), OpKind::MatMul, none.clone(), &[Some(probs), arg(2)])?;
    let act = node.attrs.str_or("act", "").map_err(vitc_ir::IrError::Graph)?;
    if !act.is_empty() {
        let kind =
            OpKind::from_name(act).ok_or_else(|| vitc_ir::IrError::Graph(format!("unknown activation '{act}'")))?;
        out = g.add_op1(&format!("{name}.act"), kind, none, &[Some(out)])?;
    }
    g.replace_uses(Value::first(id), out);
    Ok(())
}

/// The single user of `v` (and its slot), when `v` is not a graph output.
pub(crate) fn sole_user(g: &Graph, v: Value) -> Option<(NodeId, usize)> {
    if g.outputs.iter().any(|(_, o)| *o == v) {
        return None;
    }
    match g.users(v)[..] {
        [u] => Some(u),
        _ => None,
    }
}
