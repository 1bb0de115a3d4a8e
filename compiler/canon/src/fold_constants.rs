//! Evaluates ops whose operands are all constants (with the reference
//! interpreter) and replaces them by constants.

use std::sync::Arc;
use vitc_ir::{Graph, IrError, IrResult, OpKind, Value};

/// Folding never creates a constant larger than this many elements beyond
/// twice the size of the operands (an `expand` of a scalar into a huge
/// tensor stays an op).
const GROWTH_ALLOWANCE: usize = 1 << 20;

/// Folds every op whose operands are all constants. Returns how many nodes
/// were folded.
pub fn fold_constants(graph: &mut Graph) -> IrResult<usize> {
    let mut folded = 0;
    for id in graph.topo_order()? {
        let node = graph.node(id);
        if matches!(node.op, OpKind::Input | OpKind::Const) {
            continue;
        }
        let operands = graph.operands(id);
        let mut tensors = Vec::with_capacity(operands.len());
        let mut all_const = true;
        for o in &operands {
            match o {
                Some(v) => match graph.const_tensor(*v) {
                    Some(t) => tensors.push(Some(t.clone())),
                    None => {
                        all_const = false;
                        break;
                    }
                },
                None => tensors.push(None),
            }
        }
        if !all_const {
            continue;
        }
        let input_elems: usize = tensors.iter().flatten().map(|t| t.len()).sum();
        let output_elems: usize = node
            .outputs
            .iter()
            .map(|t| vitc_ir::dim::shape_sizes(&t.shape).map_or(usize::MAX, |s| s.iter().product()))
            .sum();
        if output_elems > 2 * input_elems + GROWTH_ALLOWANCE {
            continue;
        }
        let refs: Vec<Option<&vitc_ir::Tensor>> = tensors.iter().map(|t| t.as_deref()).collect();
        let results =
            vitc_interp::eval_op(node.op, &node.attrs, &refs, node.outputs.len()).map_err(|message| IrError::Node {
                node: node.name.clone(),
                op: node.op.name().to_string(),
                message: format!("while folding constants: {message}"),
            })?;
        let name = node.name.clone();
        for (port, t) in results.into_iter().enumerate() {
            let c = graph.add_const(&format!("{name}.folded"), Arc::new(t));
            graph.replace_uses(Value { node: id, port }, c);
        }
        folded += 1;
    }
    Ok(folded)
}
