//! Orders a graph's nodes so that every value is produced before it is read
//! (Kahn's algorithm), and reports what prevents it: a value defined twice,
//! an input that nothing produces, or a cycle (named node by node).
//!
//! ONNX requires nodes to be topologically sorted already, but exporters and
//! hand-edited files do not always comply; where the order is free, the
//! file's order is kept.

use crate::error::{OnnxError, Result};
use crate::proto::NodeProto;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

/// Indices of `nodes` in a topological order. `names[i]` is the display name
/// of node `i`; `is_source(v)` tells whether value `v` is a graph input or
/// an initializer.
pub(crate) fn sort(nodes: &[NodeProto], names: &[String], is_source: impl Fn(&str) -> bool) -> Result<Vec<usize>> {
    let node_err = |i: usize, message: String| OnnxError::Node {
        node: names[i].clone(),
        op_type: nodes[i].op_type.clone(),
        message,
    };
    let mut producer: HashMap<&str, usize> = HashMap::new();
    for (i, node) in nodes.iter().enumerate() {
        for out in node.output.iter().filter(|o| !o.is_empty()) {
            if is_source(out) {
                return Err(node_err(i, format!("output '{out}' redefines a graph input or initializer")));
            }
            if let Some(&j) = producer.get(out.as_str()) {
                return Err(node_err(i, format!("output '{out}' is also produced by node '{}'", names[j])));
            }
            producer.insert(out, i);
        }
    }
    // deps[i]: the distinct nodes whose outputs node i reads.
    let mut deps: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (i, node) in nodes.iter().enumerate() {
        for input in node.input.iter().filter(|v| !v.is_empty()) {
            match producer.get(input.as_str()) {
                Some(&j) => {
                    if !deps[i].contains(&j) {
                        deps[i].push(j);
                        users[j].push(i);
                    }
                }
                None if is_source(input) => {}
                None => {
                    return Err(OnnxError::MissingInput {
                        node: names[i].clone(),
                        op_type: node.op_type.clone(),
                        input: input.clone(),
                    });
                }
            }
        }
    }
    let mut pending: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut ready: BinaryHeap<Reverse<usize>> = (0..nodes.len()).filter(|&i| pending[i] == 0).map(Reverse).collect();
    let mut order = Vec::with_capacity(nodes.len());
    while let Some(Reverse(i)) = ready.pop() {
        order.push(i);
        for &u in &users[i] {
            pending[u] -= 1;
            if pending[u] == 0 {
                ready.push(Reverse(u));
            }
        }
    }
    if order.len() == nodes.len() {
        return Ok(order);
    }
    Err(OnnxError::Cycle(describe_cycle(&deps, &pending, names)))
}

/// Finds one cycle among the nodes left over by Kahn's algorithm and prints
/// it in data-flow order from its first node in the file (`'a' → 'b' → 'a'`). Every left-over node has a
/// left-over producer, so walking producers from any of them must revisit one.
fn describe_cycle(deps: &[Vec<usize>], pending: &[usize], names: &[String]) -> String {
    let left = |i: usize| pending[i] > 0;
    let Some(start) = (0..pending.len()).find(|&i| left(i)) else {
        return "(none found)".to_string();
    };
    let mut path = vec![start];
    let mut current = start;
    while let Some(&next) = deps[current].iter().find(|&&j| left(j)) {
        if let Some(pos) = path.iter().position(|&p| p == next) {
            let mut cycle: Vec<usize> = path[pos..].to_vec();
            cycle.reverse();
            // Start at the node that comes first in the file.
            let first = (0..cycle.len()).min_by_key(|&k| cycle[k]).unwrap_or(0);
            cycle.rotate_left(first);
            cycle.push(cycle[0]);
            return cycle.iter().map(|&i| format!("'{}'", names[i])).collect::<Vec<_>>().join(" → ");
        }
        path.push(next);
        current = next;
    }
    path.iter().map(|&i| format!("'{}'", names[i])).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, inputs: &[&str], outputs: &[&str]) -> NodeProto {
        NodeProto {
            name: name.into(),
            op_type: "Relu".into(),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: outputs.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    fn names(nodes: &[NodeProto]) -> Vec<String> {
        nodes.iter().map(|n| n.name.clone()).collect()
    }

    #[test]
    fn reorders_and_keeps_file_order_where_free() {
        let nodes = vec![node("c", &["b"], &["c"]), node("a", &["x"], &["a"]), node("b", &["a"], &["b"])];
        let order = sort(&nodes, &names(&nodes), |v| v == "x").unwrap();
        assert_eq!(order, vec![1, 2, 0]);
    }

    #[test]
    fn reports_the_cycle_in_data_flow_order() {
        let nodes = vec![
            node("head", &["x"], &["h"]),
            node("a", &["h", "c"], &["a"]),
            node("b", &["a"], &["b"]),
            node("c", &["b"], &["c"]),
            node("tail", &["c"], &["t"]),
        ];
        let err = sort(&nodes, &names(&nodes), |v| v == "x").unwrap_err().to_string();
        assert!(err.contains("the graph has a cycle through nodes"), "{err}");
        assert!(err.contains("'a' → 'b' → 'c' → 'a'"), "{err}");
        assert!(!err.contains("tail"), "{err}");
    }

    #[test]
    fn missing_and_duplicate_values_are_errors() {
        let nodes = vec![node("a", &["nowhere"], &["a"])];
        let err = sort(&nodes, &names(&nodes), |_| false).unwrap_err().to_string();
        assert!(err.contains("'nowhere'") && err.contains("missing initializer"), "{err}");
        let nodes = vec![node("a", &["x"], &["y"]), node("b", &["x"], &["y"])];
        let err = sort(&nodes, &names(&nodes), |v| v == "x").unwrap_err().to_string();
        assert!(err.contains("also produced by node 'a'"), "{err}");
    }
}
