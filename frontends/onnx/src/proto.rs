//! The ONNX protobuf schema (`onnx.proto` from onnx 1.23.2, IR version 14),
//! compiled to Rust by `build.rs` with `protox` + `prost-build`.
//!
//! Fields have proto3 semantics (as in ONNX's `onnx.proto3`): scalars and
//! strings are plain fields with their zero value when absent
//! (`node.op_type`, `tensor.data_type`); message fields are `Option`s
//! (`model.graph`); enum-typed fields are `i32` with typed accessors
//! (`tensor.data_location()`, `attribute.r#type()`).

#![allow(clippy::all, clippy::pedantic, missing_docs, rustdoc::all)]

include!(concat!(env!("OUT_DIR"), "/onnx.rs"));
