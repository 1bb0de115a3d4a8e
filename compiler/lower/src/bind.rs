//! Batch handling: a model whose inputs have a symbolic dimension (the
//! batch) is compiled for one image and run once per image. This module
//! checks that the symbol only flows through ops that treat images
//! independently, binds it to 1, re-infers every type and folds what became
//! constant (shape arithmetic on the batch).

use crate::error::LowerError;
use vitc_ir::dim::Dim;
use vitc_ir::geometry::normalize_axis;
use vitc_ir::{Graph, Node, NodeId, OpKind, ValueType};

/// The single symbol of the graph inputs' shapes, if any.
pub(crate) fn batch_symbol(graph: &Graph) -> Result<Option<String>, LowerError> {
    let mut found: Option<String> = None;
    for &id in &graph.inputs {
        for ty in &graph.node(id).outputs {
            for d in &ty.shape {
                if let Dim::Sym { name, .. } = d {
                    match &found {
                        Some(f) if **f != **name => {
                            return Err(LowerError::Graph(format!(
                                "the inputs have two symbolic dimensions, '{f}' and '{name}'; only one (the batch) \
                                 is supported"
                            )));
                        }
                        _ => found = Some(name.to_string()),
                    }
                }
            }
        }
    }
    Ok(found)
}

fn sym_axes(ty: &ValueType) -> Vec<usize> {
    ty.shape.iter().enumerate().filter(|(_, d)| matches!(d, Dim::Sym { .. })).map(|(i, _)| i).collect()
}

fn has_sym(ty: &ValueType) -> bool {
    !sym_axes(ty).is_empty()
}

/// Checks that every value carrying the batch has it outermost and that no
/// op mixes images (reduces, contracts, normalises or concatenates along the
/// batch axis).
pub(crate) fn check_batch_separable(graph: &Graph) -> Result<(), LowerError> {
    let order = graph.topo_order().map_err(|e| LowerError::Graph(e.to_string()))?;
    for id in order {
        let node = graph.node(id);
        check_node(graph, id, node).map_err(|m| {
            LowerError::node(
                &node.name,
                node.op,
                format!("the batch is not separable: {m}; compile with a static batch"),
            )
        })?;
    }
    Ok(())
}

fn check_node(graph: &Graph, id: NodeId, node: &Node) -> Result<(), String> {
    for (port, ty) in node.outputs.iter().enumerate() {
        let axes = sym_axes(ty);
        if !axes.is_empty() && axes != [0] {
            return Err(format!("output {port} {ty} carries the batch on an inner axis"));
        }
    }
    let operands: Vec<Option<ValueType>> =
        graph.operands(id).iter().map(|o| o.map(|v| graph.value_type(v).clone())).collect();
    let sym_in = |slot: usize| operands.get(slot).and_then(Option::as_ref).is_some_and(has_sym);
    if !(0..operands.len()).any(sym_in) {
        return Ok(());
    }
    let rank0 = operands.first().and_then(Option::as_ref).map_or(0, ValueType::rank);
    let axis_attr =
        |default: i64| -> Result<usize, String> { normalize_axis(node.attrs.int_or("axis", default)?, rank0) };
    use OpKind::*;
    match node.op {
        Shape | Input | Const => return Ok(()),
        MatMul => {
            if sym_in(0) && rank0 < 2 {
                return Err("the batch is contracted (1-D left operand)".into());
            }
            if sym_in(1) && operands.get(1).and_then(Option::as_ref).is_some_and(|t| t.rank() < 3) {
                return Err("the batch is contracted (right operand of rank < 3)".into());
            }
        }
        Attention => {
            if (0..3).any(sym_in) && rank0 < 3 {
                return Err("the batch is contracted (attention operands of rank < 3)".into());
            }
        }
        Gemm => {
            if sym_in(0) && node.attrs.int_or("transA", 0)? != 0 {
                return Err("the batch is contracted (transA)".into());
            }
            if sym_in(1) {
                return Err("the batch is contracted (right operand)".into());
            }
        }
        Einsum => {
            let spec = vitc_ir::infer::parse_einsum(node.attrs.str_or("equation", "")?)?;
            for (slot, term) in spec.inputs.iter().enumerate() {
                if sym_in(slot) && term.first() != spec.output.first() {
                    return Err("the batch label is not the first output label".into());
                }
            }
        }
        LayerNormalization | Softmax | Concat | Split | Gather => {
            let default = if matches!(node.op, LayerNormalization | Softmax) { -1 } else { 0 };
            if sym_in(0) && axis_attr(default)? == 0 {
                return Err("the op works along the batch axis".into());
            }
            if node.op == Gather && sym_in(1) {
                return Err("run-time gather indices depend on the batch".into());
            }
        }
        ScatterND => return Err("a scatter over the batch axis cannot be unrolled per image".into()),
        ReduceMean | ReduceSum | ReduceMax | ReduceMin => {
            if sym_in(0) && vitc_ir::infer::reduce_axes(&node.attrs, rank0)?.contains(&0) {
                return Err("the reduction runs over the batch axis".into());
            }
        }
        Squeeze | Reshape | Flatten | Transpose | Slice | Pad | Resize | Identity | Cast | Expand | Neg | Abs
        | Sqrt | Exp | Log | Erf | Tanh | Reciprocal | Floor | Ceil | Round | Sign | Sin | Cos | Tan | Asin | Acos
        | Atan | Sinh | Cosh | Asinh | Acosh | Atanh | IsNaN | IsInf | Relu | Sigmoid | HardSigmoid | HardSwish
        | Gelu | Add | Sub | Mul | Div | Pow | Mod | Max | Min | Equal | Less | Greater | Where | Conv
        | ConvTranspose | BatchNormalization | AveragePool | MaxPool | GlobalAveragePool | Unsqueeze | Range
        | ConstantOfShape => {}
    }
    if sym_in(0) && node.op != Shape && !node.outputs.iter().all(has_sym) {
        return Err("the batch axis disappears".into());
    }
    Ok(())
}

/// A copy of `graph` with `symbol` bound to 1, types re-inferred and newly
/// constant values folded.
pub(crate) fn bind_symbol(graph: &Graph, symbol: &str) -> Result<Graph, LowerError> {
    let mut g = graph.clone();
    let order = g.topo_order().map_err(|e| LowerError::Graph(e.to_string()))?;
    for id in order {
        let node = g.node(id);
        match node.op {
            OpKind::Const => {}
            OpKind::Input => {
                let outputs: Vec<ValueType> = node
                    .outputs
                    .iter()
                    .map(|t| ValueType::new(t.dtype, t.shape.iter().map(|d| d.bind(symbol, 1)).collect()))
                    .collect();
                g.node_mut(id).outputs = outputs;
            }
            op => {
                let operands = g.operands(id);
                let outputs = g
                    .infer_op(op, &node.attrs, &operands, node.outputs.len())
                    .map_err(|m| LowerError::node(&node.name, op, format!("with the batch bound to 1: {m}")))?;
                g.node_mut(id).outputs = outputs;
            }
        }
    }
    vitc_canon::canonicalize(&mut g)
        .map_err(|e| LowerError::Graph(format!("canonicalising with the batch bound to 1: {e}")))?;
    Ok(g)
}
