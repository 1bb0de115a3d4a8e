//! Errors of the LLVM backend.

/// What the message of [`LlvmError::NotBuilt`] says.
pub const NOT_BUILT: &str = "vitc was built without LLVM (--no-default-features): rebuild with the default features, `cargo build --release`, \
     which turn on the cargo feature `llvm` (needs Debian's llvm-19-dev)";

/// Why a program could not be compiled with LLVM.
#[derive(Debug, thiserror::Error)]
pub enum LlvmError {
    /// This build has no LLVM (the crate feature `llvm` is off).
    #[error("{NOT_BUILT}")]
    NotBuilt,
    /// Unknown target or CPU, or a target LLVM cannot be configured for.
    #[error("target: {0}")]
    Target(String),
    /// A kernel whose parameters contradict the kernel contract.
    #[error("invalid kernel: {0}")]
    Invalid(String),
    /// Building, verifying or optimising the LLVM IR failed.
    #[error("code generation: {0}")]
    Codegen(String),
    /// The same error, in a kernel.
    #[error("{context}: {cause}")]
    In { context: String, cause: Box<LlvmError> },
}

impl LlvmError {
    /// Wraps the error with where it happened (e.g. the kernel symbol).
    pub fn context(self, context: &str) -> LlvmError {
        LlvmError::In { context: context.to_string(), cause: Box::new(self) }
    }
}

#[cfg(feature = "llvm")]
impl From<inkwell::builder::BuilderError> for LlvmError {
    fn from(e: inkwell::builder::BuilderError) -> LlvmError {
        LlvmError::Codegen(format!("IR builder: {e}"))
    }
}
