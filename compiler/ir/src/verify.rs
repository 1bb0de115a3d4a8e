//! The verifier: structural checks plus re-inference of every op's types.
//! Run after every pass; a pass that breaks the graph is caught where it ran.

use crate::error::{IrError, IrResult};
use crate::graph::Graph;
use crate::op::OpKind;

/// Checks that `graph` is well formed: acyclic, inputs are `input` nodes,
/// consts match their weights, every operand refers to an existing output,
/// and every op's declared output types equal what inference gives.
pub fn verify(graph: &Graph) -> IrResult<()> {
    let order = graph.topo_order()?;
    for &id in &graph.inputs {
        if !graph.contains(id) || graph.node(id).op != OpKind::Input {
            return Err(IrError::Graph(format!("graph input {id:?} is not an input node")));
        }
    }
    for (name, v) in &graph.outputs {
        if !graph.contains(v.node) || v.port >= graph.node(v.node).outputs.len() {
            return Err(IrError::Graph(format!("graph output '{name}' refers to a missing value")));
        }
    }
    for id in order {
        let node = graph.node(id);
        let fail = |message: String| IrError::Node { node: node.name.clone(), op: node.op.name().to_string(), message };
        let operands = graph.operands(id);
        for (slot, v) in operands.iter().enumerate() {
            if let Some(v) = v
                && v.port >= graph.node(v.node).outputs.len()
            {
                return Err(fail(format!("operand {slot} reads output {} of a node with fewer outputs", v.port)));
            }
        }
        match node.op {
            OpKind::Input => {
                if !graph.inputs.contains(&id) {
                    return Err(fail("input node is not listed among the graph inputs".into()));
                }
                crate::limits::check_tensor_size(&node.outputs[0].shape).map_err(&fail)?;
            }
            OpKind::Const => {
                let t = graph
                    .const_tensor(crate::graph::Value::first(id))
                    .ok_or_else(|| fail("const without a weight".into()))?;
                let ty = &node.outputs[0];
                if t.dtype() != ty.dtype || t.shape() != ty.shape {
                    return Err(fail(format!("weight is {}{:?} but the node says {ty}", t.dtype(), t.dims())));
                }
            }
            op => {
                let inferred = graph.infer_op(op, &node.attrs, &operands, node.outputs.len()).map_err(&fail)?;
                if inferred != node.outputs {
                    let show = |v: &[crate::graph::ValueType]| {
                        v.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
                    };
                    return Err(fail(format!(
                        "declared types {} but inference gives {}",
                        show(&node.outputs),
                        show(&inferred)
                    )));
                }
            }
        }
    }
    Ok(())
}
