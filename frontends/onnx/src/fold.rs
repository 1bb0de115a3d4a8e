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
//!
//! Integer values that shape arithmetic knows (`Shape` of a static shape,
//! and what `vitc_ir::infer::shape_value` follows from it) count as
//! constants here, so any op over them folds too: ONNX's function bodies
//! (Attention's) compute head counts with `Div`, `Mod`, `Not`, `And` and
//! `Where` over `Shape` slices before an `Expand` needs them.

use std::sync::Arc;
use vitc_ir::dim::shape_sizes;
use vitc_ir::infer::shape_value::{SymInt, shape_value};
use vitc_ir::ndarray::{ArrayD, IxDyn};
use vitc_ir::{DType, Graph, OpKind, Tensor, Value, ValueType};

/// The value of `v` when it is known now: a constant, or an integer value
/// whose every element shape arithmetic knows.
fn known_value(graph: &Graph, v: Value) -> Option<Arc<Tensor>> {
    if let Some(t) = graph.const_tensor(v) {
        return Some(t.clone());
    }
    let ty = graph.value_type(v);
    if !matches!(ty.dtype, DType::I64 | DType::I32) {
        return None;
    }
    let dims = shape_sizes(&ty.shape)?;
    let values: Option<Vec<i64>> = shape_value(graph, v)?.iter().map(SymInt::as_int).collect();
    let values = values?;
    if values.len() != dims.iter().product::<usize>() {
        return None;
    }
    let tensor = match ty.dtype {
        DType::I32 => {
            let narrow: Option<Vec<i32>> = values.iter().map(|&x| i32::try_from(x).ok()).collect();
            Tensor::I32(ArrayD::from_shape_vec(IxDyn(&dims), narrow?).ok()?)
        }
        _ => Tensor::I64(ArrayD::from_shape_vec(IxDyn(&dims), values).ok()?),
    };
    Some(Arc::new(tensor))
}

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
    if node.op == OpKind::Shape {
        return match known_value(graph, v) {
            Some(t) => graph.add_const(name, t),
            None => v,
        };
    }
    let operands = graph.operands(v.node);
    let mut tensors: Vec<Option<Arc<Tensor>>> = Vec::with_capacity(operands.len());
    for o in &operands {
        match o {
            None => tensors.push(None),
            Some(x) => match known_value(graph, *x) {
                Some(t) if t.len() <= MAX_FOLD_ELEMENTS => tensors.push(Some(t)),
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
