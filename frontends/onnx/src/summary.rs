//! [`ModelSummary`]: what `vitc inspect` shows about an ONNX file, read from
//! the raw protobuf, so it works even when the model uses ops (or types) this
//! frontend cannot convert. Tensor payloads are never decoded.

use crate::graph::{display_domain, node_name, node_opset};
use crate::ops::{self, is_default_domain};
use crate::proto::tensor_proto::DataType;
use crate::proto::tensor_shape_proto::dimension;
use crate::proto::{ModelProto, TensorProto, ValueInfoProto, attribute_proto::AttributeType, type_proto};
use crate::tensor::{dtype_name, is_converted};
use std::collections::{BTreeMap, HashSet};
use std::fmt;

/// Constant-node tensors count as parameters only above this many elements
/// (smaller ones are scalars and shape vectors, not weights).
pub const PARAM_CONSTANT_MIN_ELEMENTS: u64 = 16;

/// A graph input or output as declared in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueSummary {
    pub name: String,
    /// ONNX element type name in lower case (`float`, `int64`, ...), or the
    /// kind of a non-tensor value (`sequence`, `map`, ...).
    pub elem_type: String,
    /// One entry per axis: a size, a symbolic name (`batch`), or `?` when the
    /// axis is unnamed; `None` when the file declares no shape.
    pub dims: Option<Vec<String>>,
}

/// A summary of an ONNX model; see [`crate::summarize`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelSummary {
    pub graph_name: String,
    pub ir_version: i64,
    /// `producer_name producer_version`, e.g. `pytorch 2.15.0`.
    pub producer: String,
    /// Imported opsets: domain (`ai.onnx` for the default one) and version.
    pub opsets: Vec<(String, i64)>,
    /// Graph inputs that are not initializers.
    pub inputs: Vec<ValueSummary>,
    pub outputs: Vec<ValueSummary>,
    /// Number of top-level nodes (nodes inside control-flow subgraphs are not counted).
    pub node_count: usize,
    /// Top-level node count per op; ops of other domains are keyed `domain:op_type`.
    pub op_histogram: BTreeMap<String, usize>,
    pub initializer_count: usize,
    /// Elements of floating-point initializers plus elements of floating-point
    /// `Constant` tensors with more than [`PARAM_CONSTANT_MIN_ELEMENTS`]
    /// elements. Integer tensors (shapes, gather indices) and sparse
    /// initializers are not counted.
    pub parameter_count: u64,
    /// Nodes this frontend cannot convert: node name, op type, domain.
    pub unsupported: Vec<(String, String, String)>,
    /// Element types converted on import (`float16` → f32, `uint8` → i64,
    /// ...): the ONNX type name and how many tensors (initializers,
    /// `Constant` values, graph inputs and outputs) and `Cast` targets use it.
    pub converted: BTreeMap<String, usize>,
}

fn is_float(data_type: i32) -> bool {
    matches!(
        DataType::try_from(data_type),
        Ok(DataType::Float | DataType::Float16 | DataType::Double | DataType::Bfloat16)
    )
}

fn element_count(t: &TensorProto) -> u64 {
    t.dims.iter().fold(1u64, |acc, &d| acc.saturating_mul(u64::try_from(d).unwrap_or(0)))
}

fn value_summary(vi: &ValueInfoProto) -> ValueSummary {
    let (elem_type, dims) = match vi.r#type.as_ref().and_then(|t| t.value.as_ref()) {
        Some(type_proto::Value::TensorType(tt)) => {
            let dims = tt.shape.as_ref().map(|s| {
                s.dim
                    .iter()
                    .map(|d| match &d.value {
                        Some(dimension::Value::DimValue(n)) => n.to_string(),
                        Some(dimension::Value::DimParam(p)) if !p.is_empty() => p.clone(),
                        _ => "?".to_string(),
                    })
                    .collect()
            });
            (dtype_name(tt.elem_type), dims)
        }
        Some(type_proto::Value::SequenceType(_)) => ("sequence".to_string(), None),
        Some(type_proto::Value::MapType(_)) => ("map".to_string(), None),
        Some(type_proto::Value::OptionalType(_)) => ("optional".to_string(), None),
        Some(type_proto::Value::SparseTensorType(_)) => ("sparse_tensor".to_string(), None),
        Some(type_proto::Value::OpaqueType(_)) => ("opaque".to_string(), None),
        None => ("undefined".to_string(), None),
    };
    ValueSummary { name: vi.name.clone(), elem_type, dims }
}

/// Summarises a model that has a graph.
pub(crate) fn summarize_model(model: &ModelProto, graph_name: &str) -> ModelSummary {
    let empty = Default::default();
    let gp = model.graph.as_ref().unwrap_or(&empty);
    let initializers: HashSet<&str> = gp.initializer.iter().map(|t| t.name.as_str()).collect();
    let mut op_histogram = BTreeMap::new();
    let mut unsupported = Vec::new();
    let mut parameter_count = 0u64;
    let mut converted = BTreeMap::new();
    let mut note = |data_type: i32| {
        if is_converted(data_type) {
            *converted.entry(dtype_name(data_type)).or_insert(0) += 1;
        }
    };
    for (i, node) in gp.node.iter().enumerate() {
        let domain = display_domain(&node.domain);
        let key =
            if domain == "ai.onnx" { node.op_type.clone() } else { format!("{domain}:{}", node.op_type.as_str()) };
        *op_histogram.entry(key).or_insert(0) += 1;
        if ops::lookup(node.domain.as_str(), node.op_type.as_str(), node_opset(model, node)).is_none() {
            unsupported.push((node_name(node, i), node.op_type.clone(), domain.to_string()));
        }
        if node.op_type.as_str() == "Constant" && is_default_domain(node.domain.as_str()) {
            for a in &node.attribute {
                if let (AttributeType::Tensor, Some(t)) = (ops::attr_type(a), a.t.as_ref()) {
                    let n = element_count(t);
                    if is_float(t.data_type) && n > PARAM_CONSTANT_MIN_ELEMENTS {
                        parameter_count = parameter_count.saturating_add(n);
                    }
                }
            }
        }
        for a in &node.attribute {
            match (ops::attr_type(a), a.t.as_ref()) {
                (AttributeType::Tensor, Some(t)) => note(t.data_type),
                (AttributeType::Int, _) if a.name == "to" && node.op_type == "Cast" => note(a.i as i32),
                _ => {}
            }
        }
    }
    for t in &gp.initializer {
        note(t.data_type);
    }
    for vi in gp.input.iter().chain(&gp.output) {
        if let Some(type_proto::Value::TensorType(tt)) = vi.r#type.as_ref().and_then(|t| t.value.as_ref()) {
            note(tt.elem_type);
        }
    }
    for t in gp.initializer.iter().filter(|t| is_float(t.data_type)) {
        parameter_count = parameter_count.saturating_add(element_count(t));
    }
    let opsets = model.opset_import.iter().map(|o| (display_domain(&o.domain).to_string(), o.version)).collect();
    let producer = format!("{} {}", model.producer_name.as_str(), model.producer_version.as_str()).trim().to_string();
    ModelSummary {
        graph_name: graph_name.to_string(),
        ir_version: model.ir_version,
        producer,
        opsets,
        inputs: gp.input.iter().filter(|vi| !initializers.contains(vi.name.as_str())).map(value_summary).collect(),
        outputs: gp.output.iter().map(value_summary).collect(),
        node_count: gp.node.len(),
        op_histogram,
        initializer_count: gp.initializer.len(),
        parameter_count,
        unsupported,
        converted,
    }
}

impl fmt::Display for ValueSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.dims {
            Some(dims) => write!(f, "{}: {}[{}]", self.name, self.elem_type, dims.join(",")),
            None => write!(f, "{}: {}", self.name, self.elem_type),
        }
    }
}

impl fmt::Display for ModelSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "graph:      {}", self.graph_name)?;
        writeln!(f, "ir_version: {}", self.ir_version)?;
        writeln!(f, "producer:   {}", self.producer)?;
        let opsets: Vec<String> = self.opsets.iter().map(|(d, v)| format!("{d} {v}")).collect();
        writeln!(f, "opsets:     {}", opsets.join(", "))?;
        for i in &self.inputs {
            writeln!(f, "input:      {i}")?;
        }
        for o in &self.outputs {
            writeln!(f, "output:     {o}")?;
        }
        writeln!(f, "parameters: {} ({} initializers)", self.parameter_count, self.initializer_count)?;
        writeln!(f, "nodes:      {}", self.node_count)?;
        let mut ops: Vec<(&String, &usize)> = self.op_histogram.iter().collect();
        ops.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (op, count) in ops {
            writeln!(f, "  {op:<24} {count}")?;
        }
        if self.unsupported.is_empty() {
            writeln!(f, "unsupported: none")?;
        } else {
            writeln!(f, "unsupported: {}", self.unsupported.len())?;
            for (node, op, domain) in &self.unsupported {
                writeln!(f, "  {node}: {domain}:{op}")?;
            }
        }
        Ok(())
    }
}
