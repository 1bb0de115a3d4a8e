//! Errors of the PTX backend.

/// Why a program could not be turned into PTX (or a manifest read back).
#[derive(Debug, thiserror::Error)]
pub enum PtxError {
    /// Unknown target name.
    #[error("target: {0}")]
    Target(String),
    /// A kernel whose parameters contradict the kernel contract, or that is
    /// too large for 32-bit index arithmetic.
    #[error("invalid kernel: {0}")]
    Invalid(String),
    /// The manifest could not be written or parsed.
    #[error("manifest: {0}")]
    Manifest(String),
    /// The same error, in a kernel.
    #[error("{context}: {cause}")]
    In { context: String, cause: Box<PtxError> },
}

impl PtxError {
    /// Wraps the error with where it happened (e.g. the kernel entry name).
    pub fn context(self, context: &str) -> PtxError {
        PtxError::In { context: context.to_string(), cause: Box::new(self) }
    }
}
