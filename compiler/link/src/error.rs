//! Why linking failed.

use crate::Target;
use std::path::PathBuf;

/// A link failure; the message names the file, tool or model property.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("unknown target '{0}' (known: x86_64-linux, aarch64-linux)")]
    UnknownTarget(String),
    #[error("{tool} is not installed; it is needed to link for {target}: {hint}")]
    ToolMissing { tool: String, target: Target, hint: &'static str },
    #[error("{}: the output kind comes from the extension, which must be .so, .o or .a", .0.display())]
    OutputKind(PathBuf),
    #[error("{}: is a directory; the output (and its header, same stem with .h) must be file paths", .0.display())]
    OutputIsDirectory(PathBuf),
    #[error("'{0}' is not a valid C identifier for the API prefix (letters, digits and _, not starting with a digit)")]
    BadPrefix(String),
    #[error("the model cannot be linked: {0}")]
    Unsupported(String),
    #[error(
        "the model cannot be linked: {what} '{name}' is {dtype}; the C API passes f32 tensors only (integer and bool \
         values are carried as f32 inside the program, but the caller would have to convert them)"
    )]
    NonF32Io { what: &'static str, name: String, dtype: vitc_lower::DType },
    #[error("the backend's object is unusable: {0}")]
    BadObject(String),
    #[error("{command} failed ({status}):\n{stderr}")]
    Tool { command: String, status: String, stderr: String },
    #[error("{}: {cause}", path.display())]
    Io { path: PathBuf, cause: std::io::Error },
}

impl LinkError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> LinkError {
        let path = path.into();
        move |cause| LinkError::Io { path, cause }
    }
}
