//! Printing a graph in the text form.

use super::INLINE_LIMIT;
use crate::attr::FloatText;
use crate::error::IrResult;
use crate::graph::{Graph, Value};
use crate::op::OpKind;
use crate::tensor::Tensor;
use std::collections::HashMap;
use std::fmt::Write;

/// Renders `graph` in the text form.
pub fn print_graph(graph: &Graph) -> IrResult<String> {
    let order = graph.topo_order()?;
    let mut names: HashMap<Value, String> = HashMap::new();
    let mut next = 0usize;
    let mut out = String::new();
    let _ = writeln!(out, "graph {} {{", quote_if_needed(&graph.name));
    // Graph inputs first, in calling order, then everything else.
    let mut ordered: Vec<_> = graph.inputs.clone();
    ordered.extend(order.into_iter().filter(|id| !graph.inputs.contains(id)));
    for id in ordered {
        let node = graph.node(id);
        let mut results = Vec::new();
        for (port, ty) in node.outputs.iter().enumerate() {
            let name = format!("%{next}");
            next += 1;
            results.push(format!("{name}: {ty}"));
            names.insert(Value { node: id, port }, name);
        }
        let rhs = match node.op {
            OpKind::Input => format!("input {:?}", node.name),
            OpKind::Const => match graph.const_tensor(Value::first(id)) {
                Some(t) if t.len() <= INLINE_LIMIT => format!("const {}", inline_values(t)),
                _ => {
                    let wname = node.weight.map(|w| graph.weights.get(w).name.clone()).unwrap_or_default();
                    format!("const @{wname:?}")
                }
            },
            op => {
                let args: Vec<String> = graph
                    .operands(id)
                    .iter()
                    .map(|o| match o {
                        Some(v) => names.get(v).cloned().unwrap_or_else(|| "%?".to_string()),
                        None => "_".to_string(),
                    })
                    .collect();
                let mut s = format!("{}({})", op.name(), args.join(", "));
                if !node.attrs.is_empty() {
                    let _ = write!(s, " {}", node.attrs);
                }
                s
            }
        };
        let _ = writeln!(out, "  {} = {rhs}", results.join(", "));
    }
    let rets: Vec<String> = graph
        .outputs
        .iter()
        .map(|(name, v)| format!("{} {name:?}", names.get(v).cloned().unwrap_or_else(|| "%?".to_string())))
        .collect();
    let _ = writeln!(out, "  return {}", rets.join(", "));
    out.push_str("}\n");
    Ok(out)
}

fn quote_if_needed(name: &str) -> String {
    let plain = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain { name.to_string() } else { format!("{name:?}") }
}

/// `[1,2,3]` for the tensor's elements in row-major order.
pub(super) fn inline_values(t: &Tensor) -> String {
    let items: Vec<String> = match t {
        Tensor::F32(a) => a.iter().map(|v| FloatText(*v).to_string()).collect(),
        Tensor::I64(a) => a.iter().map(i64::to_string).collect(),
        Tensor::I32(a) => a.iter().map(i32::to_string).collect(),
        Tensor::Bool(a) => a.iter().map(bool::to_string).collect(),
    };
    format!("[{}]", items.join(","))
}
