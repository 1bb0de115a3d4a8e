//! Errors of [`crate::run`]: bad graph inputs, a broken graph, or an op that
//! failed on its operands (the error names the node and its op).

use thiserror::Error;

/// What can go wrong when a graph runs.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum InterpError {
    /// The caller passed the wrong number of inputs.
    #[error("the graph takes {expected} input(s), {found} given")]
    InputCount { expected: usize, found: usize },
    /// An input tensor has the wrong element type.
    #[error("input '{name}': expected dtype {expected}, got {found}")]
    InputDType { name: String, expected: String, found: String },
    /// An input tensor has a shape the graph does not accept.
    #[error("input '{name}': expected shape {expected}, got {found} ({reason})")]
    InputShape { name: String, expected: String, found: String, reason: String },
    /// An op failed on its operands, or produced something its type forbids.
    #[error("node '{node}' ({op}): {message}")]
    Node { node: String, op: String, message: String },
    /// The graph itself is unusable (cycle, missing operand, ...).
    #[error("graph: {0}")]
    Graph(String),
}
