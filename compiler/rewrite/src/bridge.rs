//! Graph → e-graph → graph. Every graph value becomes an e-class; extraction
//! materialises each chosen e-class once, so shared subexpressions stay shared.

use crate::analysis::{TensorAnalysis, TensorGraph};
use crate::lang::{Tag, TensorNode};
use egg::{CostFunction, Extractor, Id};
use std::collections::HashMap;
use vitc_ir::{Graph, IrError, IrResult, OpKind, Value, WeightId};

/// An e-graph holding a graph, with the e-classes of its outputs.
pub struct Loaded {
    pub egraph: TensorGraph,
    pub roots: Vec<Id>,
}

/// Puts `graph` into a fresh e-graph.
pub fn to_egraph(graph: &Graph) -> IrResult<Loaded> {
    let inputs = graph.inputs.iter().map(|&i| graph.node(i).outputs[0].clone()).collect();
    let mut egraph = TensorGraph::new(TensorAnalysis { weights: graph.weights.clone(), inputs });
    let mut ids: HashMap<Value, Id> = HashMap::new();
    let absent = egraph.add(TensorNode { tag: Tag::Absent, children: vec![] });
    for id in graph.topo_order()? {
        let node = graph.node(id);
        let tag = match node.op {
            OpKind::Input => {
                let n =
                    graph.inputs.iter().position(|&i| i == id).ok_or_else(|| IrError::Graph("stray input".into()))?;
                Tag::Input(n)
            }
            OpKind::Const => Tag::Const(node.weight.ok_or_else(|| IrError::Graph("const without weight".into()))?.0),
            kind => Tag::Op { kind, attrs: node.attrs.to_string(), outputs: node.outputs.len() },
        };
        let children: Vec<Id> = graph.operands(id).iter().map(|o| o.map_or(absent, |v| ids[&v])).collect();
        let class = egraph.add(TensorNode { tag, children });
        if egraph[class].data.name.is_none() {
            egraph[class].data.name = Some(node.name.clone());
        }
        // The graph knows types the e-graph analysis cannot derive on its own
        // (reshape targets computed from symbolic shapes).
        if egraph[class].data.types.is_empty() {
            egraph[class].data.types = node.outputs.clone();
        }
        if node.outputs.len() == 1 {
            ids.insert(Value::first(id), class);
        } else {
            for port in 0..node.outputs.len() {
                let get = egraph.add(TensorNode { tag: Tag::Get(port), children: vec![class] });
                ids.insert(Value { node: id, port }, get);
            }
        }
    }
    let roots = graph.outputs.iter().map(|(_, v)| ids[v]).collect();
    egraph.rebuild();
    Ok(Loaded { egraph, roots })
}

/// Materialises the cheapest term of every root into a new graph with the
/// inputs and output names of `template`.
pub fn from_egraph<CF: CostFunction<TensorNode>>(
    egraph: &TensorGraph,
    roots: &[Id],
    cost: CF,
    template: &Graph,
) -> IrResult<Graph> {
    let extractor = Extractor::new(egraph, cost);
    let mut out = Graph::new(&template.name);
    out.weights = egraph.analysis.weights.clone();
    let inputs: Vec<Value> = template
        .inputs
        .iter()
        .map(|&i| out.add_input(&template.node(i).name, template.node(i).outputs[0].clone()))
        .collect();
    let mut built: HashMap<Id, Vec<Value>> = HashMap::new();
    for &root in roots {
        // Iterative post-order: a class is built once all its children are.
        let mut stack = vec![(egraph.find(root), false)];
        while let Some((class, expanded)) = stack.pop() {
            if built.contains_key(&class) {
                continue;
            }
            let node = extractor.find_best_node(class);
            if !expanded {
                stack.push((class, true));
                // Reversed, so that the first operand is built (and numbered) first.
                for &c in node.children.iter().rev() {
                    let c = egraph.find(c);
                    if !built.contains_key(&c) {
                        stack.push((c, false));
                    }
                }
                continue;
            }
            let values = match &node.tag {
                Tag::Input(n) => vec![inputs[*n]],
                Tag::Const(n) => vec![out.add_const_ref(WeightId(*n))],
                Tag::Absent => vec![],
                Tag::Get(port) => {
                    let tuple = &built[&egraph.find(node.children[0])];
                    vec![*tuple.get(*port).ok_or_else(|| IrError::Graph(format!("projection {port} out of range")))?]
                }
                Tag::Op { kind, attrs, outputs } => {
                    let attrs = vitc_ir::text::parse_attrs(attrs).map_err(IrError::Graph)?;
                    let operands: Vec<Option<Value>> =
                        node.children.iter().map(|c| built[&egraph.find(*c)].first().copied()).collect();
                    let name = egraph[class].data.name.clone().unwrap_or_default();
                    out.add_op(&name, *kind, attrs, &operands, *outputs)?
                }
            };
            built.insert(class, values);
        }
    }
    for ((name, _), &root) in template.outputs.iter().zip(roots) {
        let v = built[&egraph.find(root)].first().copied().ok_or_else(|| IrError::Graph("empty output".into()))?;
        out.outputs.push((name.clone(), v));
    }
    out.remove_dead_nodes();
    out.compact_weights();
    Ok(out)
}
