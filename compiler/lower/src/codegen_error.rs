//! Why a backend could not generate code for a program: one error type for
//! the code generators that need nothing else (Cranelift, PTX). The LLVM
//! backend keeps its own type, because Rust's orphan rule lets only a type
//! of its own take `?` on inkwell's builder errors.

/// A code-generation failure; the message names the target, kernel or file.
#[derive(Debug, thiserror::Error)]
pub enum CodegenError {
    /// Unknown target name, or a target the generator cannot be configured for.
    #[error("target: {0}")]
    Target(String),
    /// A kernel whose parameters contradict the kernel contract (or exceed
    /// what the target's index arithmetic can address).
    #[error("invalid kernel: {0}")]
    Invalid(String),
    /// The generator rejected a function (verifier or code generation).
    #[error("code generation: {0}")]
    Codegen(String),
    /// Writing the object file failed.
    #[error("object file: {0}")]
    Object(String),
    /// The same error, in a kernel.
    #[error("{context}: {cause}")]
    In { context: String, cause: Box<CodegenError> },
}

impl CodegenError {
    /// Wraps the error with where it happened (e.g. the kernel symbol).
    pub fn context(self, context: &str) -> CodegenError {
        CodegenError::In { context: context.to_string(), cause: Box::new(self) }
    }
}
