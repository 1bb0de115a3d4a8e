//! Errors raised by IR construction, inference, verification and parsing.

use thiserror::Error;

/// Anything the IR layer can reject. Messages name the node (or line) at fault.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum IrError {
    /// An op's inputs or attributes do not fit its rule.
    #[error("node '{node}' ({op}): {message}")]
    Node { node: String, op: String, message: String },
    /// The graph's structure is broken (cycle, dangling edge, ...).
    #[error("graph: {0}")]
    Graph(String),
    /// The text form could not be parsed.
    #[error("line {line}: {message}")]
    Parse { line: usize, message: String },
}

/// Shorthand for results of IR operations.
pub type IrResult<T> = Result<T, IrError>;
