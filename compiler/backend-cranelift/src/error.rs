//! Errors of the Cranelift backend: the shared code-generation error.

/// Why a program could not be compiled (see [`vitc_lower::CodegenError`]).
pub type BackendError = vitc_lower::CodegenError;
