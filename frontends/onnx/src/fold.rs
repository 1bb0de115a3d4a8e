//! Folding at import: a node whose operands are all constants and whose
//! result is small is computed as soon as it is converted (by the reference
//! interpreter) and replaced by a constant.
//!
//! Exporters compute attributes-as-inputs from constants through chains of
//! ordinary ops — CoaT's Pad gets its pads from `Constant → ConstantOfShape
//! → Concat → Reshape → Slice → Transpose → Reshape → Cast`, TinyViT's
//! Reshape its target from `Mod`/`Div` arithmetic — and the consuming op's
//! shape inference needs the values while the graph is being built. Large
//! constant subgraphs are left to canonicalisation, which folds everything
//! after import.

use std::sync::Arc;
use vitc_ir::dim::shape_sizes;
use vitc_ir::{Graph, OpKind, Tensor, Value, ValueType};

/// Most elements an operand or a result may have for a node to be folded
/// at import.
const MAX_FOLD_ELEMENTS: usize = 1 << 12;

/// `v`, or a constant holding its value when its node can be folded now.
pub(crate) fn fold_small(graph: &mut Graph, v: Value, name: &str) -> Value {
    let node = graph.node(v.node);
    if matches!(node.op, OpKind::Const | OpKind::Input) {
        return v;
    }
    let small =
        |ty: &ValueType| shape_sizes(&ty.shape).is_some_and(|d| d.iter().product::<usize>() <= MAX_FOLD_ELEMENTS);
    if !node.outputs.iter().all(small) {
        return v;
    }
    let operands = graph.operands(v.node);
    let mut tensors: Vec<Option<Arc<Tensor>>> = Vec::with_capacity(operands.len());
    for o in &operands {
        match o {
            None => tensors.push(None),
            Some(x) => match graph.const_tensor(*x) {
                Some(t) if t.len() <= MAX_FOLD_ELEMENTS => tensors.push(Some(t.clone())),
                _ => return v,
            },
        }
    }
    let refs: Vec<Option<&Tensor>> = tensors.iter().map(|t| t.as_deref()).collect();
    let Ok(mut results) = vitc_interp::eval_op(node.op, &node.attrs, &refs, node.outputs.len()) else {
        // Not computable here: the op's own checks report it later.
        return v;
    };
    if v.port >= results.len() {
        return v;
    }
    let t = results.swap_remove(v.port);
    if ValueType::new(t.dtype(), t.shape()) != node.outputs[v.port] {
        return v;
    }
    graph.add_const(name, Arc::new(t))
}
