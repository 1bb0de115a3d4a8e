//! What the lowering can reject, naming the node and the problem.

use thiserror::Error;

/// An error of [`crate::lower()`].
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum LowerError {
    /// One node cannot be lowered (unsupported op form, run-time integer
    /// value, ...).
    #[error("node '{node}' ({op}): {message}")]
    Node { node: String, op: String, message: String },
    /// A problem of the whole graph (batch handling, inputs, outputs).
    #[error("{0}")]
    Graph(String),
}

impl LowerError {
    pub(crate) fn node(node: &str, op: vitc_ir::OpKind, message: impl Into<String>) -> LowerError {
        LowerError::Node { node: node.to_string(), op: op.name().to_string(), message: message.into() }
    }
}
