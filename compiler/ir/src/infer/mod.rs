//! Shape and dtype inference: one rule per op family, dispatched by
//! [`infer_types`]. Rules see each operand's type and, where the operand is a
//! constant or a small integer vector computable from shapes (see
//! [`shape_value`]), its contents.

mod conv;
mod elementwise;
mod layout;
mod matmul;
mod misc;
mod reduce;
pub mod shape_value;

pub use layout::{reshape_target, slice_range, split_sizes, transpose_perm};
pub use matmul::{EinsumSpec, parse_einsum};
pub use reduce::reduce_axes;

use crate::attr::Attrs;
use crate::error::{IrError, IrResult};
use crate::graph::{Graph, Node, Value, ValueType};
use crate::op::OpKind;
use crate::tensor::Tensor;

/// What an inference rule knows about one operand.
#[derive(Clone, Debug)]
pub struct Operand<'a> {
    pub ty: &'a ValueType,
    /// The tensor, when the operand is a constant.
    pub value: Option<&'a Tensor>,
    /// The contents of a rank-0/1 integer operand, when computable from
    /// shapes (possibly symbolic, e.g. `[batch, 196, 128]`).
    pub dims: Option<Vec<shape_value::SymInt>>,
}

/// Output types of `op` applied to `operands`, with `n_outputs` outputs.
pub fn infer_types(
    op: OpKind,
    attrs: &Attrs,
    operands: &[Option<Operand<'_>>],
    n_outputs: usize,
) -> Result<Vec<ValueType>, String> {
    use OpKind::*;
    match op {
        Input | Const => Err(format!("'{op}' nodes carry their type; it is not inferred")),
        _ if op.is_unary_elementwise() => elementwise::unary(op, attrs, operands),
        _ if op.is_binary_elementwise() => elementwise::binary(op, operands),
        Where => elementwise::where_(operands),
        MatMul => matmul::matmul(operands),
        Gemm => matmul::gemm(attrs, operands),
        Einsum => matmul::einsum(attrs, operands),
        Attention => matmul::attention(attrs, operands),
        Conv => conv::conv(attrs, operands),
        ConvTranspose => conv::conv_transpose(attrs, operands),
        AveragePool | MaxPool => conv::pool(attrs, operands),
        GlobalAveragePool => conv::global_pool(operands),
        BatchNormalization => elementwise::same_as_first(operands),
        Softmax => elementwise::softmax(attrs, operands),
        LayerNormalization => reduce::layer_normalization(attrs, operands, n_outputs),
        ReduceMean | ReduceSum | ReduceMax | ReduceMin => reduce::reduce(attrs, operands),
        Reshape => layout::reshape(attrs, operands),
        Flatten => layout::flatten(attrs, operands),
        Transpose => layout::transpose(attrs, operands),
        Squeeze => layout::squeeze(attrs, operands),
        Unsqueeze => layout::unsqueeze(attrs, operands),
        Concat => layout::concat(attrs, operands),
        Split => layout::split(attrs, operands, n_outputs),
        Slice => layout::slice(operands),
        Gather => layout::gather(attrs, operands),
        ScatterND => layout::scatter_nd(attrs, operands),
        Expand => layout::expand(operands),
        Pad => layout::pad(operands),
        Shape => misc::shape(attrs, operands),
        Range => misc::range(operands),
        ConstantOfShape => misc::constant_of_shape(attrs, operands),
        Resize => misc::resize(attrs, operands),
        _ => Err(format!("no shape rule for '{op}'")),
    }
}

/// Fetches operand `i`, or says which is missing.
pub(crate) fn required<'a, 'b>(operands: &'b [Option<Operand<'a>>], i: usize) -> Result<&'b Operand<'a>, String> {
    operands.get(i).and_then(Option::as_ref).ok_or_else(|| format!("operand {i} is required but absent"))
}

/// Operand `i` if present.
pub(crate) fn optional<'a, 'b>(operands: &'b [Option<Operand<'a>>], i: usize) -> Option<&'b Operand<'a>> {
    operands.get(i).and_then(Option::as_ref)
}

impl Operand<'_> {
    /// The integer contents (constant or symbolic), or an error saying that
    /// `what` must be known at compile time.
    pub fn int_values(&self, what: &str) -> Result<Vec<shape_value::SymInt>, String> {
        if let Some(t) = self.value {
            return Ok(t.to_i64_vec().into_iter().map(shape_value::SymInt::Int).collect());
        }
        self.dims.clone().ok_or_else(|| format!("{what} must be computable at compile time"))
    }

    /// Integer contents that must be plain numbers.
    pub fn known_ints(&self, what: &str) -> Result<Vec<i64>, String> {
        self.int_values(what)?
            .iter()
            .map(|v| v.as_int().ok_or_else(|| format!("{what} must not depend on a symbolic dimension")))
            .collect()
    }

    /// Known sizes of the operand's shape.
    pub fn sizes(&self, what: &str) -> Result<Vec<usize>, String> {
        crate::dim::shape_sizes(&self.ty.shape).ok_or_else(|| {
            format!("{what} must have a static shape, found {}", crate::dim::format_shape(&self.ty.shape))
        })
    }
}

impl Graph {
    /// What inference rules know about a value.
    pub fn infer_operand(&self, v: Value) -> Operand<'_> {
        Operand {
            ty: self.value_type(v),
            value: self.const_tensor(v).map(|t| &**t),
            dims: shape_value::shape_value(self, v),
        }
    }

    /// Output types of an op over the given operands, without adding it.
    pub fn infer_op(
        &self,
        op: OpKind,
        attrs: &Attrs,
        operands: &[Option<Value>],
        n_outputs: usize,
    ) -> Result<Vec<ValueType>, String> {
        let infos: Vec<Option<Operand<'_>>> = operands.iter().map(|o| o.map(|v| self.infer_operand(v))).collect();
        let types = infer_types(op, attrs, &infos, n_outputs)?;
        for (i, t) in types.iter().enumerate() {
            crate::limits::check_tensor_size(&t.shape).map_err(|e| format!("output {i}: {e}"))?;
        }
        Ok(types)
    }

    /// Adds an op whose output types are inferred; the error names the node.
    pub fn add_op(
        &mut self,
        name: &str,
        op: OpKind,
        attrs: Attrs,
        operands: &[Option<Value>],
        n_outputs: usize,
    ) -> IrResult<Vec<Value>> {
        let outputs = self.infer_op(op, &attrs, operands, n_outputs).map_err(|message| IrError::Node {
            node: name.to_string(),
            op: op.name().to_string(),
            message,
        })?;
        let n = outputs.len();
        let id = self.add_node(Node { name: name.to_string(), op, attrs, weight: None, outputs }, operands);
        Ok((0..n).map(|port| Value { node: id, port }).collect())
    }

    /// [`Graph::add_op`] for single-output ops.
    pub fn add_op1(&mut self, name: &str, op: OpKind, attrs: Attrs, operands: &[Option<Value>]) -> IrResult<Value> {
        Ok(self.add_op(name, op, attrs, operands, 1)?[0])
    }
}
