//! Running a whole graph: the inputs are checked against the graph's input
//! types (binding symbolic dims such as `batch`), nodes run in topological
//! order, and every intermediate is dropped as soon as its last reader has
//! run. Constants are borrowed from the weight table, never copied.

use crate::InterpError;
use crate::eval_op;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use vitc_ir::dim::format_shape;
use vitc_ir::{Dim, Graph, NodeId, OpKind, Tensor, Value, ValueType};

/// A computed value: borrowed (graph inputs, weights) or owned and shareable
/// (Identity aliases its operand).
#[derive(Clone)]
enum Slot<'a> {
    Borrowed(&'a Tensor),
    Shared(Arc<Tensor>),
}

impl Slot<'_> {
    fn tensor(&self) -> &Tensor {
        match self {
            Slot::Borrowed(t) => t,
            Slot::Shared(t) => t,
        }
    }

    fn into_tensor(self) -> Tensor {
        match self {
            Slot::Borrowed(t) => t.clone(),
            Slot::Shared(t) => Arc::try_unwrap(t).unwrap_or_else(|t| (*t).clone()),
        }
    }
}

/// Values of the symbols seen so far (`batch` → 16).
type Bindings = HashMap<String, usize>;

fn node_label(graph: &Graph, id: NodeId) -> String {
    let name = &graph.node(id).name;
    if name.is_empty() { format!("#{}", id.index()) } else { name.clone() }
}

/// Checks `dims` against `ty`, binding its symbols; the error says why not.
fn match_shape(ty: &ValueType, dims: &[usize], bindings: &mut Bindings) -> Result<(), String> {
    if ty.shape.len() != dims.len() {
        return Err(format!("rank {} instead of {}", dims.len(), ty.shape.len()));
    }
    for (axis, (want, &got)) in ty.shape.iter().zip(dims).enumerate() {
        match want {
            Dim::Known(k) if *k != got => return Err(format!("axis {axis} is {got}, not {k}")),
            Dim::Known(_) => {}
            Dim::Sym { name, factor } => {
                if *factor == 0 {
                    if got != 0 {
                        return Err(format!("axis {axis} is {got}, not 0"));
                    }
                    continue;
                }
                if got % factor != 0 {
                    return Err(format!("axis {axis} is {got}, not a multiple of {factor} for {want}"));
                }
                let value = got / factor;
                match bindings.get(&**name) {
                    Some(&bound) if bound != value => {
                        return Err(format!(
                            "axis {axis} is {got}, so {name} = {value}, but {name} = {bound} elsewhere"
                        ));
                    }
                    Some(_) => {}
                    None => {
                        bindings.insert(name.to_string(), value);
                    }
                }
            }
        }
    }
    Ok(())
}

fn check_inputs(graph: &Graph, inputs: &[Tensor]) -> Result<Bindings, InterpError> {
    if inputs.len() != graph.inputs.len() {
        return Err(InterpError::InputCount { expected: graph.inputs.len(), found: inputs.len() });
    }
    let mut bindings = Bindings::new();
    for (&id, t) in graph.inputs.iter().zip(inputs) {
        let node = graph.node(id);
        let ty =
            node.outputs.first().ok_or_else(|| InterpError::Graph(format!("input '{}' has no type", node.name)))?;
        if t.dtype() != ty.dtype {
            return Err(InterpError::InputDType {
                name: node.name.clone(),
                expected: ty.dtype.to_string(),
                found: t.dtype().to_string(),
            });
        }
        match_shape(ty, t.dims(), &mut bindings).map_err(|reason| InterpError::InputShape {
            name: node.name.clone(),
            expected: format_shape(&ty.shape),
            found: format_shape(&t.shape()),
            reason,
        })?;
    }
    Ok(bindings)
}

/// Nodes from which a graph output can be reached.
fn live_nodes(graph: &Graph) -> HashSet<NodeId> {
    let mut live = HashSet::new();
    let mut stack: Vec<NodeId> = graph.outputs.iter().map(|(_, v)| v.node).collect();
    while let Some(id) = stack.pop() {
        if live.insert(id) {
            stack.extend(graph.operands(id).into_iter().flatten().map(|v| v.node));
        }
    }
    live
}

/// Runs `graph` on `inputs` (one tensor per graph input, in order) and
/// returns its outputs in order.
pub fn run(graph: &Graph, inputs: &[Tensor]) -> Result<Vec<Tensor>, InterpError> {
    let mut bindings = check_inputs(graph, inputs)?;
    let order = graph.topo_order().map_err(|e| InterpError::Graph(e.to_string()))?;
    let live = live_nodes(graph);
    let order: Vec<NodeId> = order.into_iter().filter(|id| live.contains(id)).collect();
    let operands: HashMap<NodeId, Vec<Option<Value>>> = order.iter().map(|&id| (id, graph.operands(id))).collect();
    let mut readers: HashMap<Value, usize> = HashMap::new();
    for v in operands.values().flatten().flatten() {
        *readers.entry(*v).or_insert(0) += 1;
    }
    let outputs: HashSet<Value> = graph.outputs.iter().map(|(_, v)| *v).collect();
    let keep =
        |v: &Value, readers: &HashMap<Value, usize>| outputs.contains(v) || readers.get(v).is_some_and(|&n| n > 0);

    let mut values: HashMap<Value, Slot<'_>> = HashMap::new();
    for (&id, t) in graph.inputs.iter().zip(inputs) {
        values.insert(Value::first(id), Slot::Borrowed(t));
    }
    for &id in &order {
        let node = graph.node(id);
        let fail =
            |message: String| InterpError::Node { node: node_label(graph, id), op: node.op.to_string(), message };
        let ops = operands.get(&id).map(Vec::as_slice).unwrap_or_default();
        let results: Vec<Slot<'_>> = match node.op {
            OpKind::Input => continue,
            OpKind::Const => {
                let t = graph.const_tensor(Value::first(id)).ok_or_else(|| fail("no weight behind const".into()))?;
                vec![Slot::Borrowed(t)]
            }
            _ => {
                let args: Vec<Option<&Tensor>> = ops
                    .iter()
                    .map(|o| match o {
                        None => Ok(None),
                        Some(v) => values.get(v).map(|s| Some(s.tensor())).ok_or_else(|| {
                            fail(format!("operand {}:{} has no value", node_label(graph, v.node), v.port))
                        }),
                    })
                    .collect::<Result<_, _>>()?;
                if node.op == OpKind::Identity && node.outputs.len() == 1 {
                    let Some(Some(v)) = ops.first() else { return Err(fail("operand 0 is absent".into())) };
                    vec![values.get(v).cloned().ok_or_else(|| fail("operand 0 has no value".into()))?]
                } else {
                    let outs = eval_op(node.op, &node.attrs, &args, node.outputs.len()).map_err(fail)?;
                    for (port, (t, ty)) in outs.iter().zip(&node.outputs).enumerate() {
                        if t.dtype() != ty.dtype {
                            return Err(fail(format!("output {port} is {}, its type says {}", t.dtype(), ty.dtype)));
                        }
                        match_shape(ty, t.dims(), &mut bindings).map_err(|why| {
                            fail(format!(
                                "output {port} has shape {}, its type says {} ({why})",
                                format_shape(&t.shape()),
                                format_shape(&ty.shape)
                            ))
                        })?;
                    }
                    outs.into_iter().map(|t| Slot::Shared(Arc::new(t))).collect()
                }
            }
        };
        for (port, slot) in results.into_iter().enumerate() {
            let v = Value { node: id, port };
            if keep(&v, &readers) {
                values.insert(v, slot);
            }
        }
        for v in ops.iter().flatten() {
            if let Some(n) = readers.get_mut(v) {
                *n = n.saturating_sub(1);
                if *n == 0 && !outputs.contains(v) {
                    values.remove(v);
                }
            }
        }
    }
    let mut results = Vec::with_capacity(graph.outputs.len());
    for (i, (name, v)) in graph.outputs.iter().enumerate() {
        let again = graph.outputs[i + 1..].iter().any(|(_, w)| w == v);
        let slot = if again { values.get(v).cloned() } else { values.remove(v) };
        let slot = slot.ok_or_else(|| InterpError::Graph(format!("output '{name}' was not computed")))?;
        results.push(slot.into_tensor());
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{ArrayD, IxDyn};
    use vitc_ir::{Attr, Attrs, DType, Node};

    fn f32_tensor(shape: &[usize], v: Vec<f32>) -> Tensor {
        Tensor::F32(ArrayD::from_shape_vec(IxDyn(shape), v).unwrap())
    }

    fn op(g: &mut Graph, name: &str, op: OpKind, attrs: Attrs, operands: &[Value], ty: ValueType) -> Value {
        let node = Node { name: name.into(), op, attrs, weight: None, outputs: vec![ty] };
        let operands: Vec<Option<Value>> = operands.iter().copied().map(Some).collect();
        Value::first(g.add_node(node, &operands))
    }

    /// `y = relu(x @ w + b)` then `sum over the last axis`, with x `[batch, 2]`.
    fn tiny_mlp() -> Graph {
        let mut g = Graph::new("mlp");
        let batch = Dim::sym("batch");
        let x = g.add_input("x", ValueType::new(DType::F32, vec![batch.clone(), Dim::Known(2)]));
        let w = g.add_const("w", Arc::new(f32_tensor(&[2, 2], vec![1.0, -1.0, 2.0, 1.0])));
        let b = g.add_const("b", Arc::new(f32_tensor(&[2], vec![0.5, 0.0])));
        let ty = ValueType::new(DType::F32, vec![batch.clone(), Dim::Known(2)]);
        let mm = op(&mut g, "mm", OpKind::MatMul, Attrs::new(), &[x, w], ty.clone());
        let add = op(&mut g, "add", OpKind::Add, Attrs::new(), &[mm, b], ty.clone());
        let relu = op(&mut g, "relu", OpKind::Relu, Attrs::new(), &[add], ty.clone());
        let same = op(&mut g, "same", OpKind::Identity, Attrs::new(), &[relu], ty);
        let sum_attrs = Attrs::new().with("axes", Attr::Ints(vec![-1])).with("keepdims", Attr::Int(0));
        let sum = op(&mut g, "sum", OpKind::ReduceSum, sum_attrs, &[same], ValueType::new(DType::F32, vec![batch]));
        g.outputs.push(("relu".into(), relu));
        g.outputs.push(("sum".into(), sum));
        g
    }

    #[test]
    fn runs_at_any_batch() {
        let g = tiny_mlp();
        // x = [[1, 2]]: x@w = [1*1+2*2, 1*-1+2*1] = [5, 1]; +b = [5.5, 1]; relu same; sum 6.5
        let out = run(&g, &[f32_tensor(&[1, 2], vec![1.0, 2.0])]).unwrap();
        assert_eq!(out[0].to_f64_vec(), vec![5.5, 1.0]);
        assert_eq!(out[1].to_f64_vec(), vec![6.5]);
        // x = [[1, 2], [-1, -1], [0, 1]] -> rows [5.5, 1], [0, 0] (relu of [-2.5, 0]), [2.5, 1]
        let x = f32_tensor(&[3, 2], vec![1.0, 2.0, -1.0, -1.0, 0.0, 1.0]);
        let out = run(&g, &[x]).unwrap();
        assert_eq!(out[0].dims(), &[3, 2]);
        assert_eq!(out[0].to_f64_vec(), vec![5.5, 1.0, 0.0, 0.0, 2.5, 1.0]);
        assert_eq!(out[1].to_f64_vec(), vec![6.5, 0.0, 3.5]);
    }

    #[test]
    fn bad_inputs_are_reported_by_name() {
        let g = tiny_mlp();
        let err = run(&g, &[]).unwrap_err();
        assert_eq!(err, InterpError::InputCount { expected: 1, found: 0 });
        let err = run(&g, &[Tensor::zeros(DType::I64, &[1, 2])]).unwrap_err();
        assert!(matches!(err, InterpError::InputDType { .. }), "{err}");
        let err = run(&g, &[Tensor::zeros(DType::F32, &[1, 3])]).unwrap_err().to_string();
        assert!(err.contains("'x'") && err.contains("[batch,2]") && err.contains("[1,3]"), "{err}");
        let err = run(&g, &[Tensor::zeros(DType::F32, &[2])]).unwrap_err().to_string();
        assert!(err.contains("rank"), "{err}");
    }

    #[test]
    fn symbols_must_agree_across_inputs() {
        let mut g = Graph::new("two");
        let b = Dim::sym("batch");
        let flat = Dim::Sym { name: "batch".into(), factor: 4 };
        let x = g.add_input("x", ValueType::new(DType::F32, vec![b.clone(), Dim::Known(4)]));
        let y = g.add_input("y", ValueType::new(DType::F32, vec![flat.clone()]));
        let r = op(
            &mut g,
            "r",
            OpKind::Flatten,
            Attrs::new().with("axis", Attr::Int(0)),
            &[x],
            ValueType::new(DType::F32, vec![Dim::Known(1), flat.clone()]),
        );
        let s =
            op(&mut g, "s", OpKind::Add, Attrs::new(), &[r, y], ValueType::new(DType::F32, vec![Dim::Known(1), flat]));
        g.outputs.push(("s".into(), s));
        let ok = run(&g, &[Tensor::zeros(DType::F32, &[2, 4]), Tensor::zeros(DType::F32, &[8])]).unwrap();
        assert_eq!(ok[0].dims(), &[1, 8]);
        let err = run(&g, &[Tensor::zeros(DType::F32, &[2, 4]), Tensor::zeros(DType::F32, &[12])]).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("'y'") && text.contains("batch = 3") && text.contains("batch = 2"), "{text}");
        let err = run(&g, &[Tensor::zeros(DType::F32, &[2, 4]), Tensor::zeros(DType::F32, &[6])]).unwrap_err();
        assert!(err.to_string().contains("multiple of 4"), "{err}");
    }

    #[test]
    fn op_errors_name_the_node() {
        let mut g = Graph::new("bad");
        let x = g.add_input("x", ValueType::new(DType::F32, vec![Dim::Known(2), Dim::Known(3)]));
        let shape = g.add_const("shape", Arc::new(Tensor::i64_vec(&[4, -1])));
        let r =
            op(&mut g, "reshape_me", OpKind::Reshape, Attrs::new(), &[x, shape], ValueType::new(DType::F32, vec![]));
        g.outputs.push(("r".into(), r));
        let err = run(&g, &[Tensor::zeros(DType::F32, &[2, 3])]).unwrap_err();
        match err {
            InterpError::Node { node, op, message } => {
                assert_eq!((node.as_str(), op.as_str()), ("reshape_me", "reshape"));
                assert!(message.contains("cannot reshape"), "{message}");
            }
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn outputs_that_disagree_with_their_type_are_errors() {
        let mut g = Graph::new("typed");
        let x = g.add_input("x", ValueType::new(DType::F32, vec![Dim::Known(2)]));
        let n = op(&mut g, "neg", OpKind::Neg, Attrs::new(), &[x], ValueType::new(DType::F32, vec![Dim::Known(3)]));
        g.outputs.push(("n".into(), n));
        let err = run(&g, &[Tensor::zeros(DType::F32, &[2])]).unwrap_err().to_string();
        assert!(err.contains("'neg'") && err.contains("[3]"), "{err}");
    }
}
