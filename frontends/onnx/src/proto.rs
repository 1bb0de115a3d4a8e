//! The ONNX protobuf schema (`onnx.proto` from onnx 1.23.2, IR version 14),
//! compiled to Rust by `build.rs` with `protox` + `prost-build`.
//!
//! All fields of this proto2 schema are `optional`; prost generates
//! `Option<T>` fields with accessor methods that return the default when
//! absent (`node.name()`, `tensor.data_type()`).

#![allow(clippy::all, clippy::pedantic, missing_docs, rustdoc::all)]

include!(concat!(env!("OUT_DIR"), "/onnx.rs"));
