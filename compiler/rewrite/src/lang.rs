//! The e-graph language: one e-node per IR op, tagged with its op kind and
//! canonical attribute text, plus projections of multi-output ops.

use egg::{Id, Language};
use std::fmt;
use vitc_ir::OpKind;

/// Attribute text that matches any attributes in a pattern.
pub const ANY_ATTRS: &str = "*";

/// What an e-node is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tag {
    /// Graph input number `n`.
    Input(usize),
    /// Weight-table entry `n` of the analysis' table.
    Const(usize),
    /// An absent optional operand.
    Absent,
    /// An op with its attributes (canonical `Attrs` text) and output count.
    Op { kind: OpKind, attrs: String, outputs: usize },
    /// Output `n` of a multi-output op (its only child).
    Get(usize),
}

/// An e-node of the tensor language.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TensorNode {
    pub tag: Tag,
    pub children: Vec<Id>,
}

impl TensorNode {
    pub fn op(kind: OpKind, attrs: &vitc_ir::Attrs, children: Vec<Id>) -> TensorNode {
        TensorNode { tag: Tag::Op { kind, attrs: attrs.to_string(), outputs: 1 }, children }
    }

    /// The op kind, for op nodes.
    pub fn kind(&self) -> Option<OpKind> {
        match self.tag {
            Tag::Op { kind, .. } => Some(kind),
            _ => None,
        }
    }
}

/// Variant and op kind: nodes that may match the same pattern.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Discriminant {
    Input,
    Const,
    Absent,
    Op(OpKind),
    Get(usize),
}

impl Language for TensorNode {
    type Discriminant = Discriminant;

    fn discriminant(&self) -> Discriminant {
        match &self.tag {
            Tag::Input(_) => Discriminant::Input,
            Tag::Const(_) => Discriminant::Const,
            Tag::Absent => Discriminant::Absent,
            Tag::Op { kind, .. } => Discriminant::Op(*kind),
            Tag::Get(n) => Discriminant::Get(*n),
        }
    }

    fn matches(&self, other: &Self) -> bool {
        if self.children.len() != other.children.len() {
            return false;
        }
        match (&self.tag, &other.tag) {
            (Tag::Op { kind: k1, attrs: a1, outputs: o1 }, Tag::Op { kind: k2, attrs: a2, outputs: o2 }) => {
                k1 == k2 && o1 == o2 && (a1 == a2 || a1 == ANY_ATTRS || a2 == ANY_ATTRS)
            }
            (a, b) => a == b,
        }
    }

    fn children(&self) -> &[Id] {
        &self.children
    }

    fn children_mut(&mut self) -> &mut [Id] {
        &mut self.children
    }
}

impl fmt::Display for TensorNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.tag {
            Tag::Input(n) => write!(f, "input{n}"),
            Tag::Const(n) => write!(f, "const{n}"),
            Tag::Absent => write!(f, "_"),
            Tag::Op { kind, attrs, .. } if attrs.is_empty() || attrs == ANY_ATTRS || attrs == "{}" => {
                write!(f, "{kind}")
            }
            Tag::Op { kind, attrs, .. } => write!(f, "{kind}{attrs}"),
            Tag::Get(n) => write!(f, "get{n}"),
        }
    }
}

impl egg::FromOp for TensorNode {
    type Error = String;

    /// Pattern syntax: op names match any attributes (`softmax`), `getN`
    /// projects output N, `_` is an absent operand.
    fn from_op(op: &str, children: Vec<Id>) -> Result<Self, Self::Error> {
        if op == "_" {
            return Ok(TensorNode { tag: Tag::Absent, children });
        }
        if let Some(n) = op.strip_prefix("get").and_then(|n| n.parse().ok()) {
            return Ok(TensorNode { tag: Tag::Get(n), children });
        }
        let kind = OpKind::from_name(op).ok_or_else(|| format!("unknown op '{op}' in a pattern"))?;
        Ok(TensorNode { tag: Tag::Op { kind, attrs: ANY_ATTRS.to_string(), outputs: 1 }, children })
    }
}
