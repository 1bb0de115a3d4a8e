//! Errors of the architecture frontend: unknown names, unreadable or
//! malformed safetensors files, and checkpoints that do not fit the
//! architecture (missing, unexpected, mis-shaped or mis-typed tensors).
//! Every message names the file and the tensor at fault.

use thiserror::Error;

/// Anything [`crate::build`] can reject.
#[derive(Debug, Error)]
pub enum ArchError {
    /// The name is not one of [`crate::architectures`].
    #[error("unknown architecture '{name}'; known architectures: {known}")]
    UnknownArchitecture { name: String, known: String },

    /// A build option is unusable (e.g. a batch of 0).
    #[error("invalid build option: {0}")]
    InvalidOption(String),

    /// The weights file could not be read.
    #[error("{path}: {cause}")]
    Io { path: String, cause: std::io::Error },

    /// The file is shorter than its header says (or than 8 bytes).
    #[error("{path}: truncated safetensors file: {message}")]
    Truncated { path: String, message: String },

    /// The header is not valid safetensors JSON, or its entries are inconsistent.
    #[error("{path}: bad safetensors header: {message}")]
    BadHeader { path: String, message: String },

    /// The architecture needs a tensor the file does not have.
    #[error("{path}: missing tensor '{name}' (shape {expected:?}) required by {arch}")]
    MissingTensor { path: String, arch: &'static str, name: String, expected: Vec<usize> },

    /// The file has tensors the architecture does not use.
    #[error("{path}: {count} unexpected tensor(s) not used by {arch}: {names}")]
    UnexpectedTensors { path: String, arch: &'static str, count: usize, names: String },

    /// A tensor's shape differs from what the architecture needs.
    #[error("{path}: tensor '{name}' has shape {found:?}, but {arch} expects {expected:?}")]
    ShapeMismatch { path: String, arch: &'static str, name: String, expected: Vec<usize>, found: Vec<usize> },

    /// A tensor's dtype differs from what the architecture needs.
    #[error("{path}: tensor '{name}' has dtype {found}, but {arch} expects {expected}")]
    WrongDType { path: String, arch: &'static str, name: String, expected: String, found: String },

    /// A tensor has the right type but unusable contents (e.g. an index out of range).
    #[error("{path}: tensor '{name}': {message}")]
    BadValue { path: String, name: String, message: String },

    /// Building the graph failed (a bug in a definition, or an unsupported configuration).
    #[error("building {arch}: {cause}")]
    Graph { arch: &'static str, cause: vitc_ir::IrError },
}
