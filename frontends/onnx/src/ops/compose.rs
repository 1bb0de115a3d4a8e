//! Importing one ONNX node as a composition of IR ops (an op's function body
//! or an equivalent): [`Compose`] names the intermediate nodes after the
//! ONNX node (`node/step3`) and gives the last one the node's own name, so
//! its output keeps its place in the graph and in error messages.

use super::NodeCtx;
use crate::error::Result;
use std::sync::Arc;
use vitc_ir::ndarray::{ArrayD, IxDyn};
use vitc_ir::{Attrs, DType, Graph, OpKind, Tensor, Value};

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

    /// Fails unless `v` is float32 (the ops that compute on floats only).
    pub fn require_float(&self, g: &Graph, v: Value, what: &str) -> Result<()> {
        let dtype = g.value_type(v).dtype;
        if dtype != DType::F32 {
            return Err(self.n.err(format!("input {what} must be float32, found {dtype}")));
        }
        Ok(())
    }
}
