//! Compiles the vendored `proto/onnx.proto` (onnx 1.23.2, IR version 14) into
//! Rust types with `protox` (a pure-Rust protobuf compiler) and `prost-build`,
//! so building this crate needs no `protoc`.

use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    let proto = "proto/onnx.proto";
    println!("cargo:rerun-if-changed={proto}");
    let descriptors = protox::compile([proto], ["proto"])?;
    prost_build::Config::new().compile_fds(descriptors)?;
    Ok(())
}
