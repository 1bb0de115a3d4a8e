//! Graphviz output of a graph (`vitc compile --emit dot`): one box per op
//! (constants and inputs as ellipses), edges labelled with the value's type.

use crate::error::IrResult;
use crate::graph::{Graph, Value};
use crate::op::OpKind;
use std::fmt::Write;

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Renders `graph` as a Graphviz digraph named `name`.
pub fn to_dot(graph: &Graph, name: &str) -> IrResult<String> {
    let mut out = String::new();
    let _ = writeln!(out, "digraph \"{}\" {{", escape(name));
    let _ = writeln!(out, "  rankdir=TB; node [fontname=\"monospace\", fontsize=10];");
    for id in graph.topo_order()? {
        let node = graph.node(id);
        let (shape, label) = match node.op {
            OpKind::Input => ("ellipse", format!("input {}", node.name)),
            OpKind::Const => {
                let ty = &node.outputs[0];
                ("ellipse", format!("const {ty}"))
            }
            op if node.attrs.is_empty() => ("box", op.name().to_string()),
            op => ("box", format!("{}\\n{}", op.name(), escape(&node.attrs.to_string()))),
        };
        let _ =
            writeln!(out, "  n{} [shape={shape}, label=\"{}\"];", id.index(), escape(&label).replace("\\\\n", "\\n"));
        for (slot, operand) in graph.operands(id).iter().enumerate() {
            if let Some(v) = operand {
                let ty = graph.value_type(*v);
                let _ =
                    writeln!(out, "  n{} -> n{} [label=\"{ty}\", taillabel=\"{slot}\"];", v.node.index(), id.index());
            }
        }
    }
    for (i, (name, v)) in graph.outputs.iter().enumerate() {
        let Value { node, .. } = v;
        let _ = writeln!(out, "  out{i} [shape=doublecircle, label=\"{}\"];", escape(name));
        let _ = writeln!(out, "  n{} -> out{i};", node.index());
    }
    out.push_str("}\n");
    Ok(out)
}
