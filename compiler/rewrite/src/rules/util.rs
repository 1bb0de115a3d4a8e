//! Helpers shared by the rule files: appliers written as Rust closures, and
//! queries on e-classes (constants, the op nodes a class holds).

use crate::analysis::TensorGraph;
use crate::lang::{Tag, TensorNode};
use egg::{Applier, Id, PatternAst, Subst, Symbol, Var};
use vitc_ir::{Attrs, OpKind};

/// An applier given by a closure: it returns the class to union with the
/// match, or `None` when the match does not qualify (a failed condition).
/// Each matched e-class is rewritten at most once per rule: appliers that
/// create constants would otherwise add fresh ones on every iteration and
/// the e-graph would never saturate.
pub struct FnApplier<F> {
    build: F,
    done: std::sync::Mutex<std::collections::HashSet<Id>>,
}

#[allow(non_snake_case)]
pub fn FnApplier<F>(build: F) -> FnApplier<F> {
    FnApplier { build, done: Default::default() }
}

impl<F> Applier<TensorNode, crate::analysis::TensorAnalysis> for FnApplier<F>
where
    F: Fn(&mut TensorGraph, Id, &Subst) -> Option<Id>,
{
    fn apply_one(
        &self,
        egraph: &mut TensorGraph,
        eclass: Id,
        subst: &Subst,
        _ast: Option<&PatternAst<TensorNode>>,
        _rule: Symbol,
    ) -> Vec<Id> {
        let class = egraph.find(eclass);
        let Ok(mut done) = self.done.lock() else { return vec![] };
        if !done.insert(class) {
            return vec![];
        }
        drop(done);
        match (self.build)(egraph, eclass, subst) {
            Some(new) if egraph.find(new) != egraph.find(eclass) && !egraph[new].data.types.is_empty() => {
                egraph.union(eclass, new);
                vec![eclass]
            }
            _ => vec![],
        }
    }
}

/// The pattern variable `name` (`"?x"`).
pub fn var(name: &str) -> Var {
    name.parse().unwrap_or_else(|_| panic!("bad pattern variable {name}"))
}

/// The value of a one-element f32 constant class.
pub fn scalar(egraph: &TensorGraph, id: Id) -> Option<f32> {
    let t = egraph[id].data.konst.as_ref()?;
    let a = t.as_f32().ok()?;
    (a.len() == 1).then(|| a.iter().copied().next()).flatten()
}

/// Whether the class is a constant.
pub fn is_const(egraph: &TensorGraph, id: Id) -> bool {
    egraph[id].data.konst.is_some()
}

/// The classes holding a `kind` node in `class`, with that node's attributes.
pub fn find_ops(egraph: &TensorGraph, class: Id, kind: OpKind) -> Vec<(Vec<Id>, Attrs)> {
    egraph[class]
        .nodes
        .iter()
        .filter_map(|n| match &n.tag {
            Tag::Op { kind: k, attrs, .. } if *k == kind => {
                Some((n.children.clone(), vitc_ir::text::parse_attrs(attrs).ok()?))
            }
            _ => None,
        })
        .collect()
}

/// Adds an op node with real attributes.
pub fn add_op(egraph: &mut TensorGraph, kind: OpKind, attrs: &Attrs, children: Vec<Id>) -> Id {
    egraph.add(TensorNode::op(kind, attrs, children))
}
