//! Importing one ONNX node as a composition of IR ops (an op's function body
//! or an equivalent): [`Compose`] names the intermediate nodes after the
//! ONNX node (`node/step3`) and gives the last one the node's own name, so
//! its output keeps its place in the graph and in error messages.

use super::NodeCtx;
use crate::error::Result;
use std::sync::Arc;
use vitc_ir::dim::shape_sizes;
use vitc_ir::geometry::normalize_axis;
use vitc_ir::ndarray::{ArrayD, IxDyn};
use vitc_ir::{Attr, Attrs, DType, Graph, OpKind, Tensor, Value};

/// Sizes as i64s (for shape and index constants).
pub(crate) fn i64s(values: &[usize]) -> Vec<i64> {
    values.iter().map(|&v| v as i64).collect()
}

/// Builds the nodes of one decomposition, named after the ONNX node.
pub(crate) struct Compose<'n, 'a> {
    pub n: &'n NodeCtx<'a>,
    steps: usize,
}

impl<'n, 'a> Compose<'n, 'a> {
    pub fn new(n: &'n NodeCtx<'a>) -> Self {
        Compose { n, steps: 0 }
    }

    /// A fresh name for an intermediate node or constant.
    pub fn name(&mut self, what: &str) -> String {
        self.steps += 1;
        format!("{}/{what}{}", self.n.name, self.steps)
    }

    /// A constant tensor.
    pub fn constant(&mut self, g: &mut Graph, tensor: Tensor) -> Value {
        let name = self.name("const");
        g.add_const(&name, Arc::new(tensor))
    }

    /// An f32 scalar constant.
    pub fn scalar(&mut self, g: &mut Graph, v: f32) -> Value {
        self.constant(g, Tensor::f32_scalar(v))
    }

    /// A scalar constant of `dtype` holding `v` (`v != 0` for bool).
    pub fn scalar_of(&mut self, g: &mut Graph, dtype: DType, v: f64) -> Value {
        let scalar = IxDyn(&[]);
        let tensor = match dtype {
            DType::F32 => Tensor::F32(ArrayD::from_elem(scalar, v as f32)),
            DType::I64 => Tensor::I64(ArrayD::from_elem(scalar, v as i64)),
            DType::I32 => Tensor::I32(ArrayD::from_elem(scalar, v as i32)),
            DType::Bool => Tensor::Bool(ArrayD::from_elem(scalar, v != 0.0)),
        };
        self.constant(g, tensor)
    }

    /// A 1-D i64 constant.
    pub fn ints(&mut self, g: &mut Graph, values: &[i64]) -> Value {
        self.constant(g, Tensor::i64_vec(values))
    }

    /// An intermediate node without attributes.
    pub fn op(&mut self, g: &mut Graph, kind: OpKind, operands: &[Value]) -> Result<Value> {
        self.op_with(g, kind, Attrs::new(), operands)
    }

    /// An intermediate node.
    pub fn op_with(&mut self, g: &mut Graph, kind: OpKind, attrs: Attrs, operands: &[Value]) -> Result<Value> {
        let name = self.name(kind.name());
        let operands: Vec<Option<Value>> = operands.iter().map(|&v| Some(v)).collect();
        Ok(g.add_op1(&name, kind, attrs, &operands)?)
    }

    /// The last node, named after the ONNX node.
    pub fn last(&mut self, g: &mut Graph, kind: OpKind, operands: &[Value]) -> Result<Vec<Value>> {
        self.last_with(g, kind, Attrs::new(), operands)
    }

    /// The last node with attributes, named after the ONNX node.
    pub fn last_with(&mut self, g: &mut Graph, kind: OpKind, attrs: Attrs, operands: &[Value]) -> Result<Vec<Value>> {
        let operands: Vec<Option<Value>> = operands.iter().map(|&v| Some(v)).collect();
        Ok(vec![g.add_op1(self.n.name, kind, attrs, &operands)?])
    }

    /// Input `i`, which the op requires.
    pub fn required(&self, i: usize, what: &str) -> Result<Value> {
        self.n.input(i).ok_or_else(|| self.n.err(format!("input {i} ({what}) is required")))
    }

    /// `x` with its axes permuted.
    pub fn transpose(&mut self, g: &mut Graph, x: Value, perm: &[i64]) -> Result<Value> {
        self.op_with(g, OpKind::Transpose, Attrs::new().with("perm", Attr::Ints(perm.to_vec())), &[x])
    }

    /// `x` as `dtype` (a `cast` unless it already is).
    pub fn cast(&mut self, g: &mut Graph, x: Value, dtype: DType) -> Result<Value> {
        if g.value_type(x).dtype == dtype {
            return Ok(x);
        }
        self.op_with(g, OpKind::Cast, Attrs::new().with("to", Attr::Str(dtype.name().to_string())), &[x])
    }

    /// The static dims of `v`, or an error naming `what`.
    pub fn static_dims(&self, g: &Graph, v: Value, what: &str) -> Result<Vec<usize>> {
        shape_sizes(&g.value_type(v).shape)
            .ok_or_else(|| self.n.err(format!("the shape of {what} must be known at compile time")))
    }

    /// The `axis` attribute's value normalised for `rank` (negative from the end).
    pub fn axis(&self, axis: i64, rank: usize) -> Result<usize> {
        normalize_axis(axis, rank).map_err(|m| self.n.attr_err("axis", m))
    }

    /// Fails unless `v` is float32 (the ops that compute on floats only).
    pub fn require_float(&self, g: &Graph, v: Value, what: &str) -> Result<()> {
        let dtype = g.value_type(v).dtype;
        if dtype != DType::F32 {
            return Err(self.n.err(format!("input {what} must be float32, found {dtype}")));
        }
        Ok(())
    }
}
