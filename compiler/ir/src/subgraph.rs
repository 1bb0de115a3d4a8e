//! Cutting a subgraph out of a graph (for pass fixtures taken from real
//! exports): the selected ops, the constants they read, and graph inputs for
//! every other value they read.

use crate::graph::{Graph, Node, NodeId, Value};
use crate::op::OpKind;
use std::collections::{HashMap, HashSet};

/// Copies the ops for which `select` holds into a new graph named `name`.
/// Non-constant operands from outside the selection become graph inputs
/// (named `in0`, `in1`, ...), selected values read outside (or graph outputs)
/// become graph outputs (`out0`, ...). Weights are shared, not copied.
pub fn extract(graph: &Graph, name: &str, select: impl Fn(&Node) -> bool) -> crate::IrResult<Graph> {
    let order = graph.topo_order()?;
    let chosen: HashSet<NodeId> = order
        .iter()
        .copied()
        .filter(|&id| {
            let n = graph.node(id);
            !matches!(n.op, OpKind::Input | OpKind::Const) && select(n)
        })
        .collect();
    let mut out = Graph::new(name);
    let mut map: HashMap<Value, Value> = HashMap::new();
    for &id in order.iter().filter(|id| chosen.contains(id)) {
        let mut operands = Vec::new();
        for o in graph.operands(id) {
            let mapped = match o {
                None => None,
                Some(v) => Some(match map.get(&v) {
                    Some(m) => *m,
                    None => {
                        let m = match graph.node(v.node).weight {
                            Some(w) => {
                                let weight = graph.weights.get(w);
                                out.add_const(&weight.name, weight.tensor.clone())
                            }
                            None => out.add_input(&format!("in{}", out.inputs.len()), graph.value_type(v).clone()),
                        };
                        map.insert(v, m);
                        m
                    }
                }),
            };
            operands.push(mapped);
        }
        let new_id = out.add_node(graph.node(id).clone(), &operands);
        for port in 0..graph.node(id).outputs.len() {
            map.insert(Value { node: id, port }, Value { node: new_id, port });
        }
    }
    for &id in order.iter().filter(|id| chosen.contains(id)) {
        for port in 0..graph.node(id).outputs.len() {
            let v = Value { node: id, port };
            let read_outside = graph.users(v).iter().any(|(u, _)| !chosen.contains(u));
            let is_output = graph.outputs.iter().any(|(_, o)| *o == v);
            if read_outside || is_output {
                let n = out.outputs.len();
                out.outputs.push((format!("out{n}"), map[&v]));
            }
        }
    }
    Ok(out)
}
