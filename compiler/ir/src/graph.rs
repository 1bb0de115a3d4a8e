//! The graph: ops as `petgraph` nodes, operands as edges, weights in a side
//! table shared by reference (cloning a graph never copies tensor data).

use crate::attr::Attrs;
use crate::dim::Shape;
use crate::dtype::DType;
use crate::error::{IrError, IrResult};
use crate::op::OpKind;
use crate::tensor::Tensor;
use petgraph::Direction;
use petgraph::stable_graph::{NodeIndex, StableDiGraph};
use petgraph::visit::EdgeRef;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// Identifies a node of a [`Graph`].
pub type NodeId = NodeIndex;

/// One output of one node: what an operand refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Value {
    pub node: NodeId,
    pub port: usize,
}

impl Value {
    /// Output 0 of `node`.
    pub fn first(node: NodeId) -> Value {
        Value { node, port: 0 }
    }
}

/// The static type of a value: dtype and (possibly symbolic) shape.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ValueType {
    pub dtype: DType,
    pub shape: Shape,
}

impl ValueType {
    pub fn new(dtype: DType, shape: Shape) -> ValueType {
        ValueType { dtype, shape }
    }

    pub fn rank(&self) -> usize {
        self.shape.len()
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.dtype, crate::dim::format_shape(&self.shape))
    }
}

/// An edge: output `port` of the source feeds operand `slot` of the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Operand {
    pub port: usize,
    pub slot: usize,
}

/// Index into the weight table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WeightId(pub usize);

/// A named constant tensor.
#[derive(Clone, Debug)]
pub struct Weight {
    pub name: String,
    pub tensor: Arc<Tensor>,
}

/// The side table of constants. Entries are reference-counted, so passes and
/// clones share them.
#[derive(Clone, Debug, Default)]
pub struct Weights {
    items: Vec<Weight>,
    by_name: HashMap<String, WeightId>,
}

impl Weights {
    /// Adds a tensor under `name` (made unique with a suffix if taken).
    pub fn add(&mut self, name: &str, tensor: Arc<Tensor>) -> WeightId {
        let mut unique = name.to_string();
        let mut n = 1;
        while self.by_name.contains_key(&unique) {
            unique = format!("{name}.{n}");
            n += 1;
        }
        let id = WeightId(self.items.len());
        self.by_name.insert(unique.clone(), id);
        self.items.push(Weight { name: unique, tensor });
        id
    }

    pub fn get(&self, id: WeightId) -> &Weight {
        &self.items[id.0]
    }

    pub fn find(&self, name: &str) -> Option<WeightId> {
        self.by_name.get(name).copied()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (WeightId, &Weight)> {
        self.items.iter().enumerate().map(|(i, w)| (WeightId(i), w))
    }
}

/// One op of the graph.
#[derive(Clone, Debug)]
pub struct Node {
    /// The name the model gave the node (may be empty).
    pub name: String,
    pub op: OpKind,
    pub attrs: Attrs,
    /// For `const` nodes: the tensor in the weight table.
    pub weight: Option<WeightId>,
    /// One type per output.
    pub outputs: Vec<ValueType>,
}

/// A typed tensor graph.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    pub name: String,
    dag: StableDiGraph<Node, Operand>,
    /// The graph inputs (`input` nodes), in calling order.
    pub inputs: Vec<NodeId>,
    /// The graph outputs: name and value, in calling order.
    pub outputs: Vec<(String, Value)>,
    pub weights: Weights,
}

impl Graph {
    pub fn new(name: &str) -> Graph {
        Graph { name: name.to_string(), ..Graph::default() }
    }

    /// Adds a graph input.
    pub fn add_input(&mut self, name: &str, ty: ValueType) -> Value {
        let id = self.add_node(
            Node { name: name.to_string(), op: OpKind::Input, attrs: Attrs::new(), weight: None, outputs: vec![ty] },
            &[],
        );
        self.inputs.push(id);
        Value::first(id)
    }

    /// Adds a constant: the tensor goes to the weight table, a `const` node refers to it.
    pub fn add_const(&mut self, name: &str, tensor: Arc<Tensor>) -> Value {
        let ty = ValueType::new(tensor.dtype(), tensor.shape());
        let id = self.weights.add(name, tensor);
        let node_name = self.weights.get(id).name.clone();
        let node =
            Node { name: node_name, op: OpKind::Const, attrs: Attrs::new(), weight: Some(id), outputs: vec![ty] };
        Value::first(self.add_node(node, &[]))
    }

    /// Adds a const node referring to an existing weight.
    pub fn add_const_ref(&mut self, id: WeightId) -> Value {
        let w = self.weights.get(id);
        let ty = ValueType::new(w.tensor.dtype(), w.tensor.shape());
        let node =
            Node { name: w.name.clone(), op: OpKind::Const, attrs: Attrs::new(), weight: Some(id), outputs: vec![ty] };
        Value::first(self.add_node(node, &[]))
    }

    /// Adds a node with explicit output types; `None` operands are absent optional inputs.
    pub fn add_node(&mut self, node: Node, operands: &[Option<Value>]) -> NodeId {
        let id = self.dag.add_node(node);
        for (slot, v) in operands.iter().enumerate() {
            if let Some(v) = v {
                self.dag.add_edge(v.node, id, Operand { port: v.port, slot });
            }
        }
        id
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.dag[id]
    }

    pub fn node_mut(&mut self, id: NodeId) -> &mut Node {
        &mut self.dag[id]
    }

    pub fn contains(&self, id: NodeId) -> bool {
        self.dag.contains_node(id)
    }

    pub fn node_count(&self) -> usize {
        self.dag.node_count()
    }

    /// All node ids (in insertion order, not topological).
    pub fn node_ids(&self) -> Vec<NodeId> {
        self.dag.node_indices().collect()
    }

    /// The type of a value.
    pub fn value_type(&self, v: Value) -> &ValueType {
        &self.dag[v.node].outputs[v.port]
    }

    /// The operands of a node, by slot; `None` for an absent optional input.
    pub fn operands(&self, id: NodeId) -> Vec<Option<Value>> {
        let mut ops: Vec<Option<Value>> = Vec::new();
        for e in self.dag.edges_directed(id, Direction::Incoming) {
            let Operand { port, slot } = *e.weight();
            if ops.len() <= slot {
                ops.resize(slot + 1, None);
            }
            ops[slot] = Some(Value { node: e.source(), port });
        }
        ops
    }

    /// The operand in `slot`, if present.
    pub fn operand(&self, id: NodeId, slot: usize) -> Option<Value> {
        self.operands(id).get(slot).copied().flatten()
    }

    /// The nodes (and slots) that read `v`.
    pub fn users(&self, v: Value) -> Vec<(NodeId, usize)> {
        let mut users: Vec<(NodeId, usize)> = self
            .dag
            .edges_directed(v.node, Direction::Outgoing)
            .filter(|e| e.weight().port == v.port)
            .map(|e| (e.target(), e.weight().slot))
            .collect();
        users.sort();
        users
    }

    /// Whether `v` is read by any node or is a graph output.
    pub fn is_used(&self, v: Value) -> bool {
        !self.users(v).is_empty() || self.outputs.iter().any(|(_, o)| *o == v)
    }

    /// Sets operand `slot` of `id` to `v` (replacing what was there).
    pub fn set_operand(&mut self, id: NodeId, slot: usize, v: Option<Value>) {
        let old: Vec<_> = self
            .dag
            .edges_directed(id, Direction::Incoming)
            .filter(|e| e.weight().slot == slot)
            .map(|e| e.id())
            .collect();
        for e in old {
            self.dag.remove_edge(e);
        }
        if let Some(v) = v {
            self.dag.add_edge(v.node, id, Operand { port: v.port, slot });
        }
    }

    /// Makes every reader of `old` (graph outputs included) read `new` instead.
    pub fn replace_uses(&mut self, old: Value, new: Value) {
        for (user, slot) in self.users(old) {
            self.set_operand(user, slot, Some(new));
        }
        for (_, o) in self.outputs.iter_mut() {
            if *o == old {
                *o = new;
            }
        }
    }

    /// Removes a node and its edges. Graph inputs are never removed.
    pub fn remove_node(&mut self, id: NodeId) {
        if !self.inputs.contains(&id) {
            self.dag.remove_node(id);
        }
    }

    /// The tensor behind a `const` node's output.
    pub fn const_tensor(&self, v: Value) -> Option<&Arc<Tensor>> {
        let node = &self.dag[v.node];
        match (node.op, node.weight) {
            (OpKind::Const, Some(id)) => Some(&self.weights.get(id).tensor),
            _ => None,
        }
    }

    /// Nodes in a topological order (operands before users); inputs first,
    /// then nodes in insertion order where the order is free.
    pub fn topo_order(&self) -> IrResult<Vec<NodeId>> {
        let mut indegree: HashMap<NodeId, usize> = HashMap::new();
        for id in self.dag.node_indices() {
            let distinct: std::collections::HashSet<NodeId> =
                self.dag.neighbors_directed(id, Direction::Incoming).collect();
            indegree.insert(id, distinct.len());
        }
        let mut ready: std::collections::BTreeSet<NodeId> =
            indegree.iter().filter(|(_, d)| **d == 0).map(|(id, _)| *id).collect();
        let mut order = Vec::with_capacity(self.dag.node_count());
        while let Some(id) = ready.pop_first() {
            order.push(id);
            let users: std::collections::HashSet<NodeId> =
                self.dag.neighbors_directed(id, Direction::Outgoing).collect();
            for u in users {
                if let Some(d) = indegree.get_mut(&u) {
                    *d -= 1;
                    if *d == 0 {
                        ready.insert(u);
                    }
                }
            }
        }
        if order.len() != self.dag.node_count() {
            let stuck: Vec<String> = indegree
                .iter()
                .filter(|(id, d)| **d > 0 && !order.contains(id))
                .map(|(id, _)| format!("'{}'", self.dag[*id].name))
                .take(5)
                .collect();
            return Err(IrError::Graph(format!("the graph has a cycle through {}", stuck.join(", "))));
        }
        Ok(order)
    }

    /// Removes nodes whose outputs reach no graph output.
    pub fn remove_dead_nodes(&mut self) -> usize {
        let mut live: std::collections::HashSet<NodeId> = std::collections::HashSet::new();
        let mut stack: Vec<NodeId> = self.outputs.iter().map(|(_, v)| v.node).collect();
        while let Some(id) = stack.pop() {
            if live.insert(id) {
                stack.extend(self.dag.neighbors_directed(id, Direction::Incoming));
            }
        }
        live.extend(self.inputs.iter().copied());
        let dead: Vec<NodeId> = self.dag.node_indices().filter(|id| !live.contains(id)).collect();
        for id in &dead {
            self.dag.remove_node(*id);
        }
        dead.len()
    }

    /// Drops weight-table entries no `const` node refers to (ids are renumbered).
    pub fn compact_weights(&mut self) {
        let mut fresh = Weights::default();
        let mut remap: HashMap<WeightId, WeightId> = HashMap::new();
        let ids: Vec<NodeId> = self.dag.node_indices().collect();
        for id in ids {
            if let Some(old) = self.dag[id].weight {
                let new = *remap.entry(old).or_insert_with(|| {
                    let w = self.weights.get(old);
                    fresh.add(&w.name, w.tensor.clone())
                });
                self.dag[id].weight = Some(new);
            }
        }
        self.weights = fresh;
    }

    /// Number of op nodes per kind (inputs and consts excluded).
    pub fn op_histogram(&self) -> std::collections::BTreeMap<OpKind, usize> {
        let mut hist = std::collections::BTreeMap::new();
        for id in self.dag.node_indices() {
            let op = self.dag[id].op;
            if !matches!(op, OpKind::Input | OpKind::Const) {
                *hist.entry(op).or_insert(0) += 1;
            }
        }
        hist
    }
}
