//! Compiles the vendored `proto/onnx.proto` (onnx 1.23.2, IR version 14) into
//! Rust types with `protox` (a pure-Rust protobuf compiler) and `prost-build`,
//! so building this crate needs no `protoc`.
//!
//! The file is compiled with proto3 field semantics (implicit presence), the
//! way ONNX's own `onnx.proto3` variant declares the same messages: scalar and
//! string fields become plain Rust fields (`node.op_type: String`,
//! `tensor.data_type: i32`) instead of `Option`s, and only message fields stay
//! optional. The wire format is the same; onnx.proto declares no defaults, no
//! required fields and no extensions, so nothing else changes.

use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    let proto = "proto/onnx.proto";
    println!("cargo:rerun-if-changed={proto}");
    let mut descriptors = protox::compile([proto], ["proto"])?;
    for file in &mut descriptors.file {
        file.syntax = Some("proto3".to_string());
    }
    prost_build::Config::new().compile_fds(descriptors)?;
    Ok(())
}
