//! Removes ops that do nothing: `identity`, casts to the same dtype, and
//! reshapes / expands / transposes that leave their operand as it is.

use vitc_ir::{Graph, IrResult, OpKind, Value};

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
        }
    }
    Ok(removed)
}
