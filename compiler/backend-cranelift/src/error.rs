//! Errors of the Cranelift backend.

/// Why a program could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// Unknown target name or a target Cranelift cannot be configured for.
    #[error("target: {0}")]
    Target(String),
    /// A kernel whose parameters contradict the kernel contract.
    #[error("invalid kernel: {0}")]
    Invalid(String),
    /// Cranelift rejected a function (verifier or code generation).
    #[error("code generation: {0}")]
    Codegen(String),
    /// Writing the object file failed.
    #[error("object file: {0}")]
    Object(String),
    /// The same error, in a kernel.
    #[error("{context}: {cause}")]
    In { context: String, cause: Box<BackendError> },
}

impl BackendError {
    /// Wraps the error with where it happened (e.g. the kernel symbol).
    pub fn context(self, context: &str) -> BackendError {
        BackendError::In { context: context.to_string(), cause: Box::new(self) }
    }
}
