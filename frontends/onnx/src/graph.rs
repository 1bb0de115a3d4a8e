//! Building an IR [`Graph`] from a decoded `ModelProto`.
//!
//! 1. The default-domain opset must lie in 1–28, and every node must be an
//!    op this frontend converts at that opset (checked before any tensor is decoded).
//! 2. Graph inputs that are not initializers become `input` nodes with their
//!    declared dtype and shape (`dim_param` → a symbolic dim), except frozen
//!    inputs ([`crate::LoadOptions`]), which become constants.
//! 3. Nodes are ordered with Kahn's algorithm ([`crate::topo`]).
//! 4. Each node goes through its converter ([`crate::ops`]); initializers are
//!    decoded and added as constants under their ONNX names when first read,
//!    so unused initializers cost nothing.
//! 5. Graph outputs are recorded under their ONNX names.

use crate::error::{OnnxError, Result};
use crate::ops::{self, MAX_OPSET, MIN_OPSET, NodeCtx, is_default_domain};
use crate::proto::tensor_shape_proto::dimension;
use crate::proto::{GraphProto, ModelProto, NodeProto, TensorProto, ValueInfoProto, type_proto};
use crate::tensor::{decode_tensor, dtype_name, dtype_of};
use crate::topo;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use vitc_ir::{Dim, Graph, Tensor, Value, ValueType};

/// The model's opset of the default domain, checked against the supported range.
pub(crate) fn default_opset(model: &ModelProto) -> Result<Option<i64>> {
    let Some(import) = model.opset_import.iter().find(|o| is_default_domain(o.domain.as_str())) else {
        return Ok(None);
    };
    let version = import.version;
    if !(MIN_OPSET..=MAX_OPSET).contains(&version) {
        return Err(OnnxError::UnsupportedOpset { domain: "ai.onnx".into(), version, min: MIN_OPSET, max: MAX_OPSET });
    }
    Ok(Some(version))
}

/// The display name of node `index`: its own, or `{op_type}_{index}`.
pub(crate) fn node_name(node: &NodeProto, index: usize) -> String {
    match node.name.as_str() {
        "" => format!("{}_{index}", node.op_type.as_str()),
        name => name.to_string(),
    }
}

/// A domain as shown in messages (`ai.onnx` for the default one).
pub(crate) fn display_domain(domain: &str) -> &str {
    if is_default_domain(domain) { "ai.onnx" } else { domain }
}

/// The opset a node's domain is imported at (0 when not imported).
pub(crate) fn node_opset(model: &ModelProto, node: &NodeProto) -> i64 {
    let domain = node.domain.as_str();
    model
        .opset_import
        .iter()
        .find(|o| o.domain.as_str() == domain || (is_default_domain(domain) && is_default_domain(o.domain.as_str())))
        .map_or(0, |o| o.version)
}

/// Converts a validated model (it has a graph) into an IR graph named `name`.
/// Graph inputs named in `frozen` become constants with the given values.
pub(crate) fn build(
    model: &ModelProto,
    gp: &GraphProto,
    name: &str,
    base_dir: Option<&Path>,
    frozen: &HashMap<String, Arc<Tensor>>,
) -> Result<Graph> {
    let opset = default_opset(model)?.unwrap_or(0);
    let names: Vec<String> = gp.node.iter().enumerate().map(|(i, n)| node_name(n, i)).collect();
    for (node, name) in gp.node.iter().zip(&names) {
        let node_opset = node_opset(model, node);
        if node_opset == 0 {
            return Err(OnnxError::Node {
                node: name.clone(),
                op_type: node.op_type.clone(),
                message: format!("the model imports no opset of the node's domain '{}'", display_domain(&node.domain)),
            });
        }
        if ops::lookup(node.domain.as_str(), node.op_type.as_str(), node_opset).is_none() {
            return Err(OnnxError::UnsupportedOp {
                node: name.clone(),
                op_type: node.op_type.clone(),
                domain: display_domain(&node.domain).to_string(),
                opset: node_opset,
            });
        }
    }
    let mut b = Builder {
        graph: Graph::new(name),
        values: HashMap::new(),
        initializers: gp.initializer.iter().map(|t| (t.name.as_str(), t)).collect(),
        base_dir,
    };
    for name in frozen.keys() {
        if !gp.input.iter().any(|vi| vi.name.as_str() == name) {
            return Err(OnnxError::input(name, "cannot be frozen: the graph has no input of that name"));
        }
    }
    for vi in &gp.input {
        if let Some(t) = frozen.get(vi.name.as_str()) {
            check_frozen(vi, t)?;
            let v = b.graph.add_const(vi.name.as_str(), t.clone());
            b.values.insert(vi.name.clone(), v);
        } else if !b.initializers.contains_key(vi.name.as_str()) {
            let ty = input_type(vi)?;
            vitc_ir::limits::check_tensor_size(&ty.shape).map_err(|e| OnnxError::input(&vi.name, e))?;
            let v = b.graph.add_input(vi.name.as_str(), ty);
            b.values.insert(vi.name.clone(), v);
        }
    }
    let order = topo::sort(&gp.node, &names, |v| b.values.contains_key(v) || b.initializers.contains_key(v))?;
    let consumed: HashSet<&str> = gp
        .node
        .iter()
        .flat_map(|n| n.input.iter().map(String::as_str))
        .chain(gp.output.iter().map(|o| o.name.as_str()))
        .collect();
    for i in order {
        b.convert(&gp.node[i], &names[i], opset, &consumed)?;
    }
    for vi in &gp.output {
        let v = b
            .value(vi.name.as_str())?
            .ok_or_else(|| OnnxError::output(vi.name.as_str(), "is produced by no node, graph input or initializer"))?;
        check_output_type(vi, b.graph.value_type(v))?;
        b.graph.outputs.push((vi.name.clone(), v));
    }
    Ok(b.graph)
}

struct Builder<'a> {
    graph: Graph,
    /// IR value of every ONNX value name converted so far.
    values: HashMap<String, Value>,
    /// Initializers by name, decoded on first use.
    initializers: HashMap<&'a str, &'a TensorProto>,
    base_dir: Option<&'a Path>,
}

impl Builder<'_> {
    /// The IR value of an ONNX value name, decoding an initializer on first use.
    fn value(&mut self, name: &str) -> Result<Option<Value>> {
        if let Some(v) = self.values.get(name) {
            return Ok(Some(*v));
        }
        let Some(t) = self.initializers.get(name) else { return Ok(None) };
        let tensor = decode_tensor(t, name, self.base_dir)?;
        let v = self.graph.add_const(name, Arc::new(tensor));
        self.values.insert(name.to_string(), v);
        Ok(Some(v))
    }

    fn convert(&mut self, node: &NodeProto, name: &str, opset: i64, consumed: &HashSet<&str>) -> Result<()> {
        let node_err =
            |message: String| OnnxError::Node { node: name.to_string(), op_type: node.op_type.clone(), message };
        let def = ops::lookup(node.domain.as_str(), node.op_type.as_str(), opset).ok_or_else(|| {
            OnnxError::UnsupportedOp {
                node: name.to_string(),
                op_type: node.op_type.clone(),
                domain: node.domain.clone(),
                opset,
            }
        })?;
        let mut inputs = Vec::with_capacity(node.input.len());
        for input in &node.input {
            if input.is_empty() {
                inputs.push(None);
                continue;
            }
            let v = self.value(input)?.ok_or_else(|| OnnxError::MissingInput {
                node: name.to_string(),
                op_type: node.op_type.clone(),
                input: input.clone(),
            })?;
            inputs.push(Some(v));
        }
        while inputs.last() == Some(&None) {
            inputs.pop();
        }
        let (min, max) = def.inputs;
        if inputs.len() > max {
            return Err(node_err(format!("takes at most {max} inputs, found {}", inputs.len())));
        }
        if let Some(slot) = (0..min).find(|&i| inputs.get(i).copied().flatten().is_none()) {
            return Err(node_err(format!("input {slot} is required but absent")));
        }
        let ctx = NodeCtx { name, proto: node, opset, inputs, base_dir: self.base_dir };
        let outputs = (def.convert)(&mut self.graph, &ctx, def.kind)?;
        for (port, out) in node.output.iter().enumerate() {
            if out.is_empty() {
                continue;
            }
            match outputs.get(port) {
                Some(&v) => {
                    let v = crate::fold::fold_small(&mut self.graph, v, out);
                    self.values.insert(out.clone(), v);
                }
                None if consumed.contains(out.as_str()) => {
                    return Err(OnnxError::Unsupported {
                        place: format!("node '{name}' ({})", node.op_type.as_str()),
                        feature: format!(
                            "output {port} ('{out}') is used, but vitc only produces the inference outputs"
                        ),
                    });
                }
                None => {}
            }
        }
        Ok(())
    }
}

/// Replaces characters outside `[A-Za-z0-9_]` with `_` and makes the name
/// start with a letter, so that it is a valid IR dim symbol.
pub(crate) fn sanitize_symbol(name: &str) -> String {
    let mut s: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if !s.starts_with(|c: char| c.is_ascii_alphabetic()) {
        s.insert_str(0, "dim_");
    }
    s
}

/// The IR type of a graph input.
fn input_type(vi: &ValueInfoProto) -> Result<ValueType> {
    let name = vi.name.as_str();
    let Some(type_proto::Value::TensorType(tt)) = vi.r#type.as_ref().and_then(|t| t.value.as_ref()) else {
        return Err(OnnxError::unsupported_input(name, "a non-tensor type (sequence, map, optional, ...)"));
    };
    let dtype = dtype_of(tt.elem_type).ok_or_else(|| OnnxError::UnsupportedDtype {
        what: format!("graph input '{name}'"),
        dtype: dtype_name(tt.elem_type),
    })?;
    let shape = tt.shape.as_ref().ok_or_else(|| OnnxError::input(name, "has no shape (its rank is unknown)"))?;
    let mut dims = Vec::with_capacity(shape.dim.len());
    for (axis, d) in shape.dim.iter().enumerate() {
        let dim = match &d.value {
            Some(dimension::Value::DimValue(n)) => Dim::Known(
                usize::try_from(*n)
                    .map_err(|_| OnnxError::input(name, format!("dimension {axis} has negative size {n}")))?,
            ),
            Some(dimension::Value::DimParam(p)) if !p.is_empty() => Dim::sym(&sanitize_symbol(p)),
            _ => return Err(OnnxError::input(name, format!("dimension {axis} has neither a size nor a name"))),
        };
        dims.push(dim);
    }
    let mut known = dims.iter().filter_map(Dim::known);
    if known.try_fold(dtype.size_bytes(), usize::checked_mul).is_none_or(|bytes| bytes > isize::MAX as usize) {
        return Err(OnnxError::input(
            name,
            format!("its size {} does not fit in memory", vitc_ir::dim::format_shape(&dims)),
        ));
    }
    Ok(ValueType::new(dtype, dims))
}

/// Checks that a frozen input's value fits the input's declared type.
fn check_frozen(vi: &ValueInfoProto, t: &Tensor) -> Result<()> {
    let Some(type_proto::Value::TensorType(tt)) = vi.r#type.as_ref().and_then(|t| t.value.as_ref()) else {
        return Ok(());
    };
    if tt.elem_type != 0 && dtype_of(tt.elem_type) != Some(t.dtype()) {
        let msg = format!("is declared {} but the frozen value is {}", dtype_name(tt.elem_type), t.dtype());
        return Err(OnnxError::input(vi.name.as_str(), msg));
    }
    if let Some(shape) = &tt.shape {
        let fits = shape.dim.len() == t.dims().len()
            && shape.dim.iter().zip(t.dims()).all(|(d, &n)| match d.value {
                Some(dimension::Value::DimValue(v)) => usize::try_from(v).ok() == Some(n),
                _ => true,
            });
        if !fits {
            let msg = format!("the frozen value's dims {:?} do not fit the declared shape", t.dims());
            return Err(OnnxError::input(vi.name.as_str(), msg));
        }
    }
    Ok(())
}

/// Checks a graph output's declared element type (when declared) against the
/// inferred one. Shapes are not compared: exporters name symbolic dims freely.
fn check_output_type(vi: &ValueInfoProto, actual: &ValueType) -> Result<()> {
    let Some(type_proto::Value::TensorType(tt)) = vi.r#type.as_ref().and_then(|t| t.value.as_ref()) else {
        return Ok(());
    };
    if tt.elem_type == 0 {
        return Ok(());
    }
    match dtype_of(tt.elem_type) {
        Some(d) if d == actual.dtype => Ok(()),
        _ => Err(OnnxError::output(
            vi.name.as_str(),
            format!("is declared {} but computes {}", dtype_name(tt.elem_type), actual.dtype),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_are_sanitised() {
        assert_eq!(sanitize_symbol("batch"), "batch");
        assert_eq!(sanitize_symbol("batch size/2"), "batch_size_2");
        assert_eq!(sanitize_symbol("2n"), "dim_2n");
        assert_eq!(sanitize_symbol("_n"), "dim__n");
    }
}
