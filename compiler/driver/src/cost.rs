//! Static cost figures of a graph: parameters and multiply-accumulates.

use vitc_ir::{DType, Dim, Graph, OpKind};

/// Parameter and compute counts of a graph (batch symbols counted as 1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GraphCost {
    /// Elements of floating-point constants.
    pub parameters: u64,
    /// Multiply-accumulates of matmul, gemm, conv, conv_transpose and einsum.
    pub macs: u64,
}

fn size(d: &Dim) -> u64 {
    match d {
        Dim::Known(n) => *n as u64,
        Dim::Sym { factor, .. } => *factor as u64,
    }
}

fn numel(shape: &[Dim]) -> u64 {
    shape.iter().map(size).product()
}

/// Counts parameters and MACs.
pub fn graph_cost(graph: &Graph) -> GraphCost {
    let mut cost = GraphCost::default();
    for (_, w) in graph.weights.iter() {
        if w.tensor.dtype() == DType::F32 {
            cost.parameters += w.tensor.len() as u64;
        }
    }
    for id in graph.node_ids() {
        let node = graph.node(id);
        let operands = graph.operands(id);
        let in_ty = |i: usize| operands.get(i).copied().flatten().map(|v| graph.value_type(v));
        let out = &node.outputs[0].shape;
        cost.macs += match node.op {
            OpKind::MatMul | OpKind::Gemm => {
                let Some(a) = in_ty(0) else { continue };
                let trans_a = node.op == OpKind::Gemm && node.attrs.int_or("transA", 0).unwrap_or(0) != 0;
                let k = if trans_a { a.shape.first() } else { a.shape.last() };
                numel(out) * k.map_or(1, size)
            }
            OpKind::Conv => {
                let Some(w) = in_ty(1) else { continue };
                numel(out) * numel(&w.shape[1..])
            }
            OpKind::ConvTranspose => {
                let (Some(x), Some(w)) = (in_ty(0), in_ty(1)) else { continue };
                numel(&x.shape) * numel(&w.shape[1..])
            }
            OpKind::Einsum => {
                // Every label's extent multiplied once: the size of the loop nest.
                let mut extents = std::collections::BTreeMap::new();
                if let Ok(spec) = vitc_ir::infer::parse_einsum(node.attrs.str_or("equation", "").unwrap_or("")) {
                    for (term, o) in spec.inputs.iter().zip(&operands) {
                        let Some(v) = o else { continue };
                        let shape = &graph.value_type(*v).shape;
                        if term.len() == shape.len() {
                            for (c, d) in term.iter().zip(shape) {
                                extents.insert(*c, size(d));
                            }
                        }
                    }
                }
                extents.values().product()
            }
            _ => 0,
        };
    }
    cost
}

/// Checks that interpreting `graph` cannot need more than `limit` bytes:
/// the sum of every input's and every op output's size (an upper bound of
/// what the interpreter holds; symbolic dimensions count as 1), before the
/// demo input or any tensor is allocated.
pub fn check_interpreter_memory(graph: &Graph, limit: u64) -> anyhow::Result<()> {
    let mut total: u64 = 0;
    for id in graph.topo_order()? {
        let node = graph.node(id);
        if node.op == OpKind::Const {
            continue;
        }
        for ty in &node.outputs {
            let elems = ty.shape.iter().filter_map(|d| d.known()).fold(1u64, |n, k| n.saturating_mul(k as u64));
            total = total.saturating_add(elems.saturating_mul(ty.dtype.size_bytes() as u64));
        }
    }
    if total > limit {
        anyhow::bail!(
            "interpreting the model may need {total} bytes of tensors, more than the memory limit of {limit} bytes \
             (--max-memory)"
        );
    }
    Ok(())
}
