//! Errors of the PTX backend: the shared code-generation error.

/// Why a program could not be turned into PTX (see
/// [`vitc_lower::CodegenError`]; manifests have their own
/// `vitc_manifest::ManifestError`).
pub type PtxError = vitc_lower::CodegenError;
