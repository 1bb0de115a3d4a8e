//! The e-class analysis: output types (via the IR's own inference rules, in
//! pure Rust), constant-ness (so rules can require weights), and the name of
//! the graph node an e-class came from.

use crate::lang::{Tag, TensorNode};
use egg::{Analysis, DidMerge, EGraph, Id};
use std::sync::Arc;
use vitc_ir::infer::{Operand, infer_types};
use vitc_ir::{Tensor, ValueType, WeightId, Weights};

/// Shared state of the analysis: the weight table (rules may add constants)
/// and the graph input types.
#[derive(Clone, Debug, Default)]
pub struct TensorAnalysis {
    pub weights: Weights,
    pub inputs: Vec<ValueType>,
}

/// What is known about an e-class.
#[derive(Clone, Debug, Default)]
pub struct TensorData {
    /// Output types; empty when the class is ill-typed (never extracted).
    pub types: Vec<ValueType>,
    /// The tensor, when the class is a constant.
    pub konst: Option<Arc<Tensor>>,
    /// Name of the graph node the class came from, if any.
    pub name: Option<String>,
    /// The class is an absent optional operand.
    pub absent: bool,
}

impl TensorData {
    /// The single output type of a one-output class.
    pub fn ty(&self) -> Option<&ValueType> {
        match self.types.as_slice() {
            [t] => Some(t),
            _ => None,
        }
    }
}

/// The e-graph type used throughout the mid-end.
pub type TensorGraph = EGraph<TensorNode, TensorAnalysis>;

impl TensorAnalysis {
    /// Adds a constant to the weight table and the e-graph.
    pub fn add_const(egraph: &mut TensorGraph, name: &str, tensor: Tensor) -> Id {
        let id = egraph.analysis.weights.add(name, Arc::new(tensor));
        egraph.add(TensorNode { tag: Tag::Const(id.0), children: vec![] })
    }
}

impl Analysis<TensorNode> for TensorAnalysis {
    type Data = TensorData;

    fn make(egraph: &mut TensorGraph, enode: &TensorNode, _id: Id) -> TensorData {
        let child = |i: usize| &egraph[enode.children[i]].data;
        match &enode.tag {
            Tag::Input(n) => TensorData {
                types: egraph.analysis.inputs.get(*n).cloned().into_iter().collect(),
                ..TensorData::default()
            },
            Tag::Const(n) => {
                let tensor = egraph.analysis.weights.get(WeightId(*n)).tensor.clone();
                TensorData {
                    types: vec![ValueType::new(tensor.dtype(), tensor.shape())],
                    konst: Some(tensor),
                    ..TensorData::default()
                }
            }
            Tag::Absent => TensorData { absent: true, ..TensorData::default() },
            Tag::Get(port) => {
                TensorData { types: child(0).types.get(*port).cloned().into_iter().collect(), ..TensorData::default() }
            }
            Tag::Op { kind, attrs, outputs } => {
                let Ok(attrs) = vitc_ir::text::parse_attrs(attrs) else { return TensorData::default() };
                let mut operands = Vec::with_capacity(enode.children.len());
                for i in 0..enode.children.len() {
                    let data = child(i);
                    if data.absent {
                        operands.push(None);
                        continue;
                    }
                    let Some(ty) = data.ty() else { return TensorData::default() };
                    operands.push(Some(Operand { ty, value: data.konst.as_deref(), dims: None }));
                }
                let types = infer_types(*kind, &attrs, &operands, *outputs).unwrap_or_default();
                TensorData { types, ..TensorData::default() }
            }
        }
    }

    fn merge(&mut self, a: &mut TensorData, b: TensorData) -> DidMerge {
        let mut changed_a = false;
        if a.types.is_empty() && !b.types.is_empty() {
            a.types = b.types;
            changed_a = true;
        }
        if a.konst.is_none() && b.konst.is_some() {
            a.konst = b.konst;
            changed_a = true;
        }
        if a.name.is_none() && b.name.is_some() {
            a.name = b.name;
            changed_a = true;
        }
        DidMerge(changed_a, true)
    }
}
