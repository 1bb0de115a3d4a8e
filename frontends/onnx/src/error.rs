//! [`OnnxError`]: everything the ONNX frontend can reject, each message naming
//! the problem and where it is (file, tensor, graph input, node, attribute).

use std::path::PathBuf;
use thiserror::Error;

/// Why an ONNX file could not be read or converted.
#[derive(Debug, Error)]
pub enum OnnxError {
    /// The file could not be read.
    #[error("{}: {cause}", path.display())]
    Io { path: PathBuf, cause: std::io::Error },

    /// The bytes are not a protobuf message of the expected type.
    #[error("{origin}: not a valid ONNX protobuf (truncated or corrupt): {detail}")]
    Decode { origin: String, detail: String },

    /// The bytes are a valid protobuf, but not an ONNX model.
    #[error("{origin}: not an ONNX model: {detail}")]
    NotAModel { origin: String, detail: String },

    /// A node's op is not one this frontend converts (at the model's opset).
    #[error(
        "node '{node}': unsupported op '{op_type}' (domain '{domain}', opset {opset}){}; \
         supported ops are the ai.onnx ops listed in docs/onnx-frontend.md",
        crate::ops::first_opset(domain, op_type).map_or(String::new(), |v| format!(", which vitc converts from opset {v}"))
    )]
    UnsupportedOp { node: String, op_type: String, domain: String, opset: i64 },

    /// The model imports an opset of the default domain outside the supported range.
    #[error("the model imports opset {version} of domain '{domain}'; this frontend handles opsets {min}–{max}")]
    UnsupportedOpset { domain: String, version: i64, min: i64, max: i64 },

    /// A tensor, graph input or cast target has an element type the IR lacks.
    #[error(
        "{what}: unsupported element type {dtype} (supported: float, int64, int32, bool; float16, bfloat16 and double are read as float, the 8/16-bit and unsigned integers as int64)"
    )]
    UnsupportedDtype { what: String, dtype: String },

    /// A node reads a value that no node, graph input or initializer produces.
    #[error(
        "node '{node}' ({op_type}): input '{input}' is produced by no node, graph input or initializer \
         (a missing initializer?)"
    )]
    MissingInput { node: String, op_type: String, input: String },

    /// The nodes cannot be ordered.
    #[error("the graph has a cycle through nodes {0}")]
    Cycle(String),

    /// A tensor's external data file is missing, unreadable or too short.
    #[error("tensor '{tensor}': external data file {}: {message}", file.display())]
    ExternalData { tensor: String, file: PathBuf, message: String },

    /// A tensor's payload does not fit its declared type and shape.
    #[error("tensor '{tensor}': {message}")]
    Tensor { tensor: String, message: String },

    /// A node attribute is missing, has the wrong type or an unsupported value.
    #[error("node '{node}' ({op_type}), attribute '{attribute}': {message}")]
    Attribute { node: String, op_type: String, attribute: String, message: String },

    /// Valid ONNX that vitc does not compile: training-mode nodes, used
    /// training-only outputs, axes or shapes only known at run time,
    /// non-tensor graph inputs, sparse constants.
    #[error("{place}: not supported: {feature}")]
    Unsupported { place: String, feature: String },

    /// A node is malformed.
    #[error("node '{node}' ({op_type}): {message}")]
    Node { node: String, op_type: String, message: String },

    /// A graph input or output is malformed.
    #[error("graph {kind} '{name}': {message}")]
    GraphValue { kind: &'static str, name: String, message: String },

    /// The IR rejected an op (its message names the node).
    #[error(transparent)]
    Ir(#[from] vitc_ir::IrError),
}

impl OnnxError {
    /// An error about a graph input.
    pub(crate) fn input(name: &str, message: impl Into<String>) -> OnnxError {
        OnnxError::GraphValue { kind: "input", name: name.to_string(), message: message.into() }
    }

    /// An error about a graph output.
    pub(crate) fn output(name: &str, message: impl Into<String>) -> OnnxError {
        OnnxError::GraphValue { kind: "output", name: name.to_string(), message: message.into() }
    }

    /// An unsupported feature of a graph input.
    pub(crate) fn unsupported_input(name: &str, feature: impl Into<String>) -> OnnxError {
        OnnxError::Unsupported { place: format!("graph input '{name}'"), feature: feature.into() }
    }

    /// Whether the model is valid ONNX that uses something vitc does not
    /// support (an op, an opset, a dtype or a feature), as opposed to a
    /// broken file.
    pub fn is_unsupported(&self) -> bool {
        matches!(
            self,
            OnnxError::UnsupportedOp { .. }
                | OnnxError::UnsupportedOpset { .. }
                | OnnxError::UnsupportedDtype { .. }
                | OnnxError::Unsupported { .. }
        )
    }

    /// An error about a tensor's payload.
    pub(crate) fn tensor(tensor: &str, message: impl Into<String>) -> OnnxError {
        OnnxError::Tensor { tensor: tensor.to_string(), message: message.into() }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = OnnxError> = std::result::Result<T, E>;
