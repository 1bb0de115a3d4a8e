//! Graph rewrites right before lowering (on a copy; dead nodes are dropped
//! after), for patterns that exporters spell out op by op but the kernels
//! compute at once:
//!
//! - exact GELU written with Erf, `x · 0.5 · (1 + erf(x / √2))` (in the
//!   orders PyTorch exports), becomes one `gelu` node, which then fuses into
//!   the producing GEMM as its activation.
//! - a fused `attention` op that the attention kernel cannot take (a
//!   run-time bias, more keys than its scratch row, rank above 4) is
//!   expanded back into its matmuls, scale, bias, softmax and activation.

use crate::error::LowerError;
use vitc_ir::{Attrs, Graph, NodeId, OpKind, Value};

/// Runs the rewrites on a copy of `graph`.
pub(crate) fn prepare(graph: &Graph) -> Result<Graph, LowerError> {
    let mut g = graph.clone();
    let order = g.topo_order().map_err(|e| LowerError::Graph(e.to_string()))?;
    for id in order {
        if !g.contains(id) || g.node(id).op != OpKind::Erf {
            continue;
        }
        if let Some((x, last)) = match_gelu(&g, id) {
            let name = g.node(last.node).name.clone();
            let gelu = g
                .add_op1(&name, OpKind::Gelu, Attrs::new(), &[Some(x)])
                .map_err(|e| LowerError::Graph(format!("rewriting GELU: {e}")))?;
            g.replace_uses(last, gelu);
        }
    }
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

/// The scalar value of a constant operand.
fn scalar(g: &Graph, v: Option<Value>) -> Option<f32> {
    let t = g.const_tensor(v?)?;
    (t.len() == 1).then(|| t.to_f64_vec()[0] as f32)
}

/// For a binary node with a constant scalar operand: the other operand.
fn with_scalar(g: &Graph, id: NodeId, op: OpKind, want: f32, tol: f32) -> Option<(Value, usize)> {
    if g.node(id).op != op {
        return None;
    }
    let ops = g.operands(id);
    let slots: &[usize] = if matches!(op, OpKind::Div | OpKind::Sub) { &[1] } else { &[1, 0] };
    for &s in slots {
        if scalar(g, ops.get(s).copied().flatten()).is_some_and(|c| (c - want).abs() <= tol) {
            return ops.get(1 - s).copied().flatten().map(|v| (v, 1 - s));
        }
    }
    None
}

/// `erf` node `e` inside `x · 0.5 · (1 + erf(x / √2))`: returns `x` and the
/// value that equals the GELU.
fn match_gelu(g: &Graph, e: NodeId) -> Option<(Value, Value)> {
    let inner = g.operand(e, 0)?;
    let x = with_scalar(g, inner.node, OpKind::Div, std::f32::consts::SQRT_2, 1e-5)
        .or_else(|| with_scalar(g, inner.node, OpKind::Mul, std::f32::consts::FRAC_1_SQRT_2, 1e-6))?
        .0;
    sole_user(g, inner)?;
    let (plus_one, _) = sole_user(g, Value::first(e))?;
    with_scalar(g, plus_one, OpKind::Add, 1.0, 0.0)?;
    let (m, slot) = sole_user(g, Value::first(plus_one))?;
    if g.node(m).op != OpKind::Mul {
        return None;
    }
    let other = g.operand(m, 1 - slot)?;
    if other == x {
        // x · (1 + erf) · 0.5
        let (half, _) = sole_user(g, Value::first(m))?;
        with_scalar(g, half, OpKind::Mul, 0.5, 0.0)?;
        return Some((x, Value::first(half)));
    }
    // (x · 0.5) · (1 + erf)
    let (y, _) = with_scalar(g, other.node, OpKind::Mul, 0.5, 0.0)?;
    (y == x && sole_user(g, other).is_some()).then_some((x, Value::first(m)))
}
