//! Graph verifier.
