//! The ONNX frontend of vitc: reads an ONNX model (`ModelProto`, decoded with
//! `prost` from the vendored onnx 1.23.2 schema) and builds a typed,
//! shape-inferred [`vitc_ir::Graph`].
//!
//! - [`load_model`] / [`load_model_bytes`]: a whole model (opsets 11–28 of
//!   the default domain, each op from its first supported version; the
//!   supported ops are in [`supported_ops`]);
//!   [`load_model_with`] also freezes graph inputs to constants.
//! - [`read_tensor_file`]: one serialized `TensorProto` (the ONNX backend
//!   test-data format, `test_data_set_0/input_0.pb`).
//! - [`summarize`]: what `vitc inspect` prints, from the raw protobuf, even
//!   for models this frontend cannot convert.
//!
//! Every failure is an [`OnnxError`] whose message names the file, tensor,
//! node or attribute at fault. See `docs/onnx-frontend.md`.

mod error;
mod fold;
mod graph;
mod ops;
pub mod proto;
mod summary;
mod tensor;
mod topo;

pub use error::{OnnxError, Result};
pub use ops::{MAX_OPSET, MIN_OPSET, supported_ops};
pub use summary::{ModelSummary, PARAM_CONSTANT_MIN_ELEMENTS, ValueSummary};
pub use tensor::{
    bf16_to_f32, decode_tensor, dtype_name, dtype_of, encode_tensor, f16_to_f32, is_converted, onnx_dtype,
};

use prost::Message;
use proto::{ModelProto, TensorProto};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use vitc_ir::{Graph, Tensor};

/// Options for [`load_model_with`] and [`load_model_bytes_with`].
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Where external data files are looked up; by default the model file's
    /// directory (and nowhere for a model loaded from bytes).
    pub base_dir: Option<PathBuf>,
    /// Graph inputs to replace by constants. vitc needs axes, shapes, pads
    /// and sizes at compile time; ONNX backend node tests feed them as graph
    /// inputs, which a test runner can freeze to their test values.
    pub frozen_inputs: HashMap<String, Arc<Tensor>>,
}

/// Loads an ONNX model file into an IR graph. External data is looked up
/// next to the file. The graph is named after the ONNX graph, or the file
/// stem when the graph has no name.
pub fn load_model(path: &Path) -> Result<Graph> {
    load_model_with(path, &LoadOptions::default())
}

/// Loads an ONNX model from memory. `base_dir` is where external data files
/// are looked up (without it, a model with external data is an error).
pub fn load_model_bytes(bytes: &[u8], base_dir: Option<&Path>) -> Result<Graph> {
    let options = LoadOptions { base_dir: base_dir.map(Path::to_path_buf), ..LoadOptions::default() };
    load_model_bytes_with(bytes, &options)
}

/// [`load_model`] with options.
pub fn load_model_with(path: &Path, options: &LoadOptions) -> Result<Graph> {
    let bytes = read(path)?;
    let model = decode_model(&bytes, &path.display().to_string())?;
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "model".into());
    let base_dir = options.base_dir.as_deref().or(path.parent());
    convert(&model, &stem, base_dir, options)
}

/// [`load_model_bytes`] with options.
pub fn load_model_bytes_with(bytes: &[u8], options: &LoadOptions) -> Result<Graph> {
    let model = decode_model(bytes, "model bytes")?;
    convert(&model, "model", options.base_dir.as_deref(), options)
}

/// Reads a serialized `TensorProto` file (external data relative to its directory).
pub fn read_tensor_file(path: &Path) -> Result<Tensor> {
    let bytes = read(path)?;
    let origin = path.display().to_string();
    let t = TensorProto::decode(bytes.as_slice())
        .map_err(|e| OnnxError::Decode { origin: origin.clone(), detail: format!("as a TensorProto: {e}") })?;
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    tensor::decode_tensor(&t, tensor::label(&t, &stem), path.parent())
}

/// Summarises an ONNX model file without converting it; see [`ModelSummary`].
pub fn summarize(path: &Path) -> Result<ModelSummary> {
    let bytes = read(path)?;
    let model = decode_model(&bytes, &path.display().to_string())?;
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "model".into());
    Ok(summary::summarize_model(&model, &graph_name(&model, &stem)))
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|cause| OnnxError::Io { path: path.to_path_buf(), cause })
}

fn graph_name(model: &ModelProto, fallback: &str) -> String {
    match model.graph.as_ref().map(|g| g.name.as_str()) {
        Some(name) if !name.is_empty() => name.to_string(),
        _ => fallback.to_string(),
    }
}

fn convert(model: &ModelProto, fallback_name: &str, base_dir: Option<&Path>, options: &LoadOptions) -> Result<Graph> {
    let name = graph_name(model, fallback_name);
    let gp = model.graph.as_ref().expect("decode_model checked that the model has a graph");
    graph::build(model, gp, &name, base_dir, &options.frozen_inputs)
}

/// Decodes and sanity-checks a `ModelProto`. `origin` names the source in errors.
fn decode_model(bytes: &[u8], origin: &str) -> Result<ModelProto> {
    let model = match ModelProto::decode(bytes) {
        Ok(model) => model,
        Err(e) => {
            let detail = match identify_tensor(bytes) {
                Some(what) => what,
                None => return Err(OnnxError::Decode { origin: origin.to_string(), detail: e.to_string() }),
            };
            return Err(OnnxError::NotAModel { origin: origin.to_string(), detail });
        }
    };
    let mut problems = Vec::new();
    if model.graph.is_none() {
        problems.push("it has no graph".to_string());
    }
    if model.ir_version <= 0 {
        problems.push(format!("its ir_version is {}", model.ir_version));
    }
    if model.opset_import.is_empty() {
        problems.push("it imports no operator set (models older than IR version 3 are not supported)".to_string());
    }
    if !problems.is_empty() {
        let mut detail = problems.join("; ");
        if let Some(what) = identify_tensor(bytes) {
            detail = format!("{what} ({detail})");
        }
        return Err(OnnxError::NotAModel { origin: origin.to_string(), detail });
    }
    Ok(model)
}

/// When `bytes` look like a serialized `TensorProto`, says so.
fn identify_tensor(bytes: &[u8]) -> Option<String> {
    let t = TensorProto::decode(bytes).ok()?;
    let code = t.data_type;
    if code == 0 || proto::tensor_proto::DataType::try_from(code).is_err() {
        return None;
    }
    let name = if t.name.is_empty() { String::new() } else { format!(" '{}'", t.name.as_str()) };
    Some(format!("the bytes are a serialized TensorProto{name} ({} {:?}), not a ModelProto", dtype_name(code), t.dims))
}
