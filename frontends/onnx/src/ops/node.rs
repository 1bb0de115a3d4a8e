//! [`NodeCtx`]: what a converter knows about the node it converts (resolved
//! operands, attributes, opset), with attribute accessors and error helpers
//! that name the node.

use crate::error::{OnnxError, Result};
use crate::proto::attribute_proto::AttributeType;
use crate::proto::{AttributeProto, NodeProto, TensorProto};
use std::path::Path;
use vitc_ir::infer::shape_value::{SymInt, shape_value};
use vitc_ir::{Attr, Attrs, DType, Graph, OpKind, Value};

/// One node being converted.
pub(crate) struct NodeCtx<'a> {
    /// The node's name (`{op_type}_{index}` when the model left it empty).
    pub name: &'a str,
    pub proto: &'a NodeProto,
    /// The model's opset of the default domain.
    pub opset: i64,
    /// One entry per ONNX input; `None` for an absent optional input (`""`).
    pub inputs: Vec<Option<Value>>,
    /// The model's directory, for tensors stored as external data.
    pub base_dir: Option<&'a Path>,
}

impl NodeCtx<'_> {
    pub fn op_type(&self) -> &str {
        &self.proto.op_type
    }

    /// Operand `i`, or `None` when absent.
    pub fn input(&self, i: usize) -> Option<Value> {
        self.inputs.get(i).copied().flatten()
    }

    /// The ONNX name of input `i` (empty when absent).
    pub fn input_name(&self, i: usize) -> &str {
        self.proto.input.get(i).map_or("", String::as_str)
    }

    /// An error about this node.
    pub fn err(&self, message: impl Into<String>) -> OnnxError {
        OnnxError::Node { node: self.name.to_string(), op_type: self.op_type().to_string(), message: message.into() }
    }

    /// Valid ONNX that vitc does not support, at this node.
    pub fn unsupported(&self, feature: impl Into<String>) -> OnnxError {
        OnnxError::Unsupported { place: format!("node '{}' ({})", self.name, self.op_type()), feature: feature.into() }
    }

    /// An error about one attribute of this node.
    pub fn attr_err(&self, attribute: &str, message: impl Into<String>) -> OnnxError {
        OnnxError::Attribute {
            node: self.name.to_string(),
            op_type: self.op_type().to_string(),
            attribute: attribute.to_string(),
            message: message.into(),
        }
    }

    /// The raw attribute called `name`.
    pub fn attr(&self, name: &str) -> Option<&AttributeProto> {
        self.proto.attribute.iter().find(|a| a.name.as_str() == name)
    }

    /// Attribute `name` converted to an IR attribute, `None` when absent.
    pub fn attr_value(&self, name: &str) -> Result<Option<Attr>> {
        match self.attr(name) {
            None => Ok(None),
            Some(a) => convert_attr(a).map(Some).map_err(|m| self.attr_err(name, m)),
        }
    }

    /// An INT attribute.
    pub fn attr_int(&self, name: &str) -> Result<Option<i64>> {
        match self.attr_value(name)? {
            None => Ok(None),
            Some(Attr::Int(v)) => Ok(Some(v)),
            Some(other) => Err(self.attr_err(name, format!("must be an int, found {other}"))),
        }
    }

    /// A FLOAT attribute.
    pub fn attr_float(&self, name: &str) -> Result<Option<f32>> {
        match self.attr_value(name)? {
            None => Ok(None),
            Some(Attr::Float(v)) => Ok(Some(v)),
            Some(other) => Err(self.attr_err(name, format!("must be a float, found {other}"))),
        }
    }

    /// An INTS attribute.
    pub fn attr_ints(&self, name: &str) -> Result<Option<Vec<i64>>> {
        match self.attr_value(name)? {
            None => Ok(None),
            Some(Attr::Ints(v)) => Ok(Some(v)),
            Some(other) => Err(self.attr_err(name, format!("must be a list of ints, found {other}"))),
        }
    }

    /// A STRING attribute.
    pub fn attr_str(&self, name: &str) -> Result<Option<String>> {
        match self.attr_value(name)? {
            None => Ok(None),
            Some(Attr::Str(v)) => Ok(Some(v)),
            Some(other) => Err(self.attr_err(name, format!("must be a string, found {other}"))),
        }
    }

    /// A TENSOR attribute.
    pub fn attr_tensor(&self, name: &str) -> Result<Option<&TensorProto>> {
        match self.attr(name) {
            None => Ok(None),
            Some(a) => match attr_type(a) {
                AttributeType::Tensor => {
                    a.t.as_ref().map(Some).ok_or_else(|| self.attr_err(name, "TENSOR attribute without a tensor"))
                }
                other => Err(self.attr_err(name, format!("must be a tensor, found {}", other.as_str_name()))),
            },
        }
    }

    /// All attributes except those named in `skip`, converted to IR attributes
    /// under their ONNX names.
    pub fn attrs_except(&self, skip: &[&str]) -> Result<Attrs> {
        let mut attrs = Attrs::new();
        for a in &self.proto.attribute {
            if skip.contains(&a.name.as_str()) {
                continue;
            }
            let value = convert_attr(a).map_err(|m| self.attr_err(a.name.as_str(), m))?;
            attrs.set(a.name.as_str(), value);
        }
        Ok(attrs)
    }

    /// Adds the IR op for this node.
    pub fn add(
        &self,
        g: &mut Graph,
        kind: OpKind,
        attrs: Attrs,
        operands: &[Option<Value>],
        n_outputs: usize,
    ) -> Result<Vec<Value>> {
        Ok(g.add_op(self.name, kind, attrs, operands, n_outputs)?)
    }

    /// The node as is: every operand, every attribute, one output.
    pub fn direct(&self, g: &mut Graph, kind: OpKind) -> Result<Vec<Value>> {
        let attrs = self.attrs_except(&[])?;
        self.add(g, kind, attrs, &self.inputs, 1)
    }

    /// The contents of integer input `slot`, which must be known at compile
    /// time (a constant, or a shape computation over static dims); `None`
    /// when the input is absent. `what` names the input in errors.
    pub fn const_ints(&self, g: &Graph, slot: usize, what: &str) -> Result<Option<Vec<i64>>> {
        let Some(v) = self.input(slot) else { return Ok(None) };
        if let Some(t) = g.const_tensor(v) {
            return match t.dtype() {
                DType::I64 | DType::I32 => Ok(Some(t.to_i64_vec())),
                other => Err(self.err(format!(
                    "input {slot} ('{}', the {what}) must hold integers, found {other}",
                    self.input_name(slot)
                ))),
            };
        }
        if let Some(dims) = shape_value(g, v) {
            let known: Option<Vec<i64>> = dims.iter().map(SymInt::as_int).collect();
            if let Some(known) = known {
                return Ok(Some(known));
            }
        }
        let sources = graph_inputs_behind(g, v);
        let from = if sources.is_empty() { String::new() } else { format!(" from graph input {}", sources.join(", ")) };
        Err(self.unsupported(format!(
            "input {slot} ('{}', the {what}) is computed at run time{from}; vitc needs it as a compile-time constant",
            self.input_name(slot)
        )))
    }

    /// Checks the window attributes of convolutions and pools: positive
    /// `kernel_shape`, `strides` and `dilations`, non-negative `pads` and
    /// `output_padding`, and (for convolutions) positive kernel dims in the
    /// weight's shape.
    pub fn check_window(&self, g: &Graph, weight: Option<Value>) -> Result<()> {
        for (name, min) in [("kernel_shape", 1), ("strides", 1), ("dilations", 1), ("pads", 0), ("output_padding", 0)] {
            if let Some(values) = self.attr_ints(name)?
                && let Some(bad) = values.iter().find(|&&v| v < min)
            {
                return Err(self.attr_err(name, format!("holds {bad}; every value must be at least {min}")));
            }
        }
        if let Some(w) = weight {
            let shape = &g.value_type(w).shape;
            if shape.iter().skip(2).any(|d| d.known() == Some(0)) {
                return Err(self.err(format!("the weight has an empty kernel: {}", g.value_type(w))));
            }
        }
        Ok(())
    }

    /// Whether input `slot` is present but a constant with no elements (the
    /// "empty tensor means absent" convention of some exporters).
    pub fn is_empty_const(&self, g: &Graph, slot: usize) -> bool {
        self.input(slot).and_then(|v| g.const_tensor(v)).is_some_and(|t| t.is_empty())
    }
}

/// The attribute's type, guessed from the populated field when the model
/// leaves `type` unset (files from before IR version 2 do). A scalar equal to
/// its zero value cannot be told apart from an absent one; such attributes
/// stay `Undefined` and are rejected.
/// The graph inputs a value depends on (quoted, in graph order), found by
/// walking its operands back.
fn graph_inputs_behind(g: &Graph, v: Value) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut stack = vec![v.node];
    let mut inputs = Vec::new();
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        let node = g.node(id);
        if node.op == OpKind::Input {
            inputs.push(id);
        }
        stack.extend(g.operands(id).into_iter().flatten().map(|o| o.node));
    }
    let order: Vec<_> = g.inputs.iter().filter(|id| inputs.contains(id)).collect();
    order.into_iter().map(|&id| format!("'{}'", g.node(id).name)).collect()
}

pub(crate) fn attr_type(a: &AttributeProto) -> AttributeType {
    match a.r#type() {
        AttributeType::Undefined => {
            if a.f != 0.0 {
                AttributeType::Float
            } else if a.i != 0 {
                AttributeType::Int
            } else if !a.s.is_empty() {
                AttributeType::String
            } else if a.t.is_some() {
                AttributeType::Tensor
            } else if a.g.is_some() {
                AttributeType::Graph
            } else if !a.floats.is_empty() {
                AttributeType::Floats
            } else if !a.ints.is_empty() {
                AttributeType::Ints
            } else if !a.strings.is_empty() {
                AttributeType::Strings
            } else {
                AttributeType::Undefined
            }
        }
        t => t,
    }
}

/// Converts a scalar or list attribute; tensor, graph and string-list
/// attributes have no IR form.
pub(crate) fn convert_attr(a: &AttributeProto) -> Result<Attr, String> {
    match attr_type(a) {
        AttributeType::Float => Ok(Attr::Float(a.f)),
        AttributeType::Int => Ok(Attr::Int(a.i)),
        AttributeType::Floats => Ok(Attr::Floats(a.floats.clone())),
        AttributeType::Ints => Ok(Attr::Ints(a.ints.clone())),
        AttributeType::String => String::from_utf8(a.s.as_slice().to_vec())
            .map(Attr::Str)
            .map_err(|_| "the string is not valid UTF-8".to_string()),
        other => Err(format!("attributes of type {} are not supported here", other.as_str_name())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untyped_attributes_are_guessed_from_their_field() {
        let a = AttributeProto { name: "axis".into(), i: 2, ..Default::default() };
        assert_eq!(convert_attr(&a), Ok(Attr::Int(2)));
        let a = AttributeProto { name: "mode".into(), s: b"edge".to_vec(), ..Default::default() };
        assert_eq!(convert_attr(&a), Ok(Attr::Str("edge".into())));
        let a = AttributeProto { name: "zero".into(), ..Default::default() };
        assert!(convert_attr(&a).is_err());
    }

    #[test]
    fn graph_and_tensor_attributes_have_no_ir_form() {
        let a = AttributeProto {
            name: "body".into(),
            r#type: AttributeType::Graph as i32,
            g: Some(Default::default()),
            ..Default::default()
        };
        let err = convert_attr(&a).unwrap_err();
        assert!(err.contains("GRAPH"), "{err}");
    }
}
