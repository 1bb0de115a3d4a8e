//! ONNX frontend (in progress).
pub mod proto;
