//! The extraction cost model: fewer nodes and fewer memory round-trips.
//! Every op that materialises a tensor costs its output size (memory
//! traffic) plus a fixed launch cost; fused ops replace several such costs
//! with one, so they win. Ill-typed classes are never chosen.
//!
//! A term's cost is its root's own cost plus the *largest* child cost (the
//! critical path), not the sum: on a DAG with residual connections a sum
//! counts shared producers once per path and grows exponentially with depth.
//! Extraction still materialises each e-class once (see [`crate::bridge`]).

use crate::analysis::TensorGraph;
use crate::lang::{Tag, TensorNode};
use egg::{CostFunction, Id};
use vitc_ir::OpKind;

/// Cost per op: a launch cost plus the elements it writes.
pub struct TrafficCost<'a> {
    pub egraph: &'a TensorGraph,
}

const LAUNCH: f64 = 64.0;

impl CostFunction<TensorNode> for TrafficCost<'_> {
    type Cost = f64;

    fn cost<C>(&mut self, enode: &TensorNode, mut costs: C) -> f64
    where
        C: FnMut(Id) -> f64,
    {
        let children: f64 = enode.children.iter().map(|&c| costs(c)).fold(0.0, f64::max);
        let own = match &enode.tag {
            Tag::Input(_) | Tag::Const(_) | Tag::Absent | Tag::Get(_) => 0.0,
            Tag::Op { kind, .. } => {
                let class = self.egraph.lookup(enode.clone()).map(|id| &self.egraph[id].data);
                match class {
                    Some(data) if !data.types.is_empty() => {
                        let elems: f64 = data
                            .types
                            .iter()
                            .map(|t| t.shape.iter().map(|d| d.known().unwrap_or(1) as f64).product::<f64>())
                            .sum();
                        LAUNCH + traffic_weight(*kind, enode, self.egraph) * elems
                    }
                    _ => f64::INFINITY,
                }
            }
        };
        children + own
    }
}

/// Cost per output element by kind: views are nearly free; an element-wise op
/// with a constant operand is a cheap epilogue candidate; BatchNorm reads
/// four parameter vectors; everything else pays its output traffic once.
fn traffic_weight(kind: OpKind, enode: &TensorNode, egraph: &TensorGraph) -> f64 {
    let has_const = enode.children.iter().any(|&c| egraph[c].data.konst.is_some());
    match kind {
        OpKind::Reshape | OpKind::Flatten | OpKind::Squeeze | OpKind::Unsqueeze | OpKind::Identity => 0.01,
        OpKind::Add | OpKind::Sub | OpKind::Mul | OpKind::Div if has_const => 0.5,
        OpKind::BatchNormalization => 2.0,
        _ => 1.0,
    }
}
