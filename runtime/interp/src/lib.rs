//! vitc's reference interpreter: plain, obviously-correct implementations of
//! every IR op on concrete tensors, following ONNX semantics.
//!
//! - [`eval_op`] runs one op (shapes come from the tensors, never from a
//!   graph's static types); constant folding uses it too.
//! - [`run`] runs a whole [`Graph`](vitc_ir::Graph): it checks the inputs
//!   against the graph's input types (symbolic dims such as `batch` take one
//!   consistent value), runs the nodes in topological order and frees each
//!   intermediate after its last reader.
//!
//! Hot ops are fast enough for whole models: MatMul, Gemm, Conv (im2col)
//! and Einsum go through matrixmultiply's sgemm, element-wise broadcasting
//! loops over long rows, and independent images / batches run on rayon.

mod args;
mod broadcast;
mod conv;
mod einsum;
mod elementwise;
mod error;
mod gather;
mod layout;
mod matmul;
mod norm;
mod pad;
mod pool;
mod reduce;
mod resize;
mod run;
mod shape_ops;
mod slice;
mod spatial;

pub use error::InterpError;
pub use run::run;

use args::{input, optional};
use vitc_ir::{Attrs, OpKind, Tensor};

/// Runs one op on concrete operands (`None` for an absent optional operand)
/// and returns its `n_outputs` outputs. The error says what is wrong with
/// the operands or attributes; it does not name the node.
pub fn eval_op(op: OpKind, attrs: &Attrs, inputs: &[Option<&Tensor>], n_outputs: usize) -> Result<Vec<Tensor>, String> {
    use OpKind::*;
    let x = || input(inputs, 0, "input");
    let outs = match op {
        Input | Const => return Err(format!("'{op}' nodes take their value from the caller or the weight table")),
        _ if op.is_unary_elementwise() => vec![elementwise::unary(op, attrs, x()?)?],
        _ if op.is_binary_elementwise() => {
            vec![elementwise::binary(op, input(inputs, 0, "A")?, input(inputs, 1, "B")?)?]
        }
        Where => {
            vec![elementwise::where_(input(inputs, 0, "condition")?, input(inputs, 1, "X")?, input(inputs, 2, "Y")?)?]
        }
        MatMul => vec![matmul::matmul(input(inputs, 0, "A")?, input(inputs, 1, "B")?)?],
        Gemm => vec![matmul::gemm(attrs, input(inputs, 0, "A")?, input(inputs, 1, "B")?, optional(inputs, 2))?],
        Einsum => vec![einsum::einsum(attrs, inputs)?],
        Conv => vec![conv::conv(attrs, inputs)?],
        ConvTranspose => vec![conv::conv_transpose(attrs, inputs)?],
        AveragePool | MaxPool => pool::pool(op, attrs, x()?, n_outputs)?,
        GlobalAveragePool => vec![pool::global_average_pool(x()?)?],
        BatchNormalization => vec![norm::batch_norm(attrs, inputs, n_outputs)?],
        LayerNormalization => norm::layer_norm(attrs, inputs, n_outputs)?,
        Softmax => vec![norm::softmax(attrs, x()?)?],
        ReduceMean | ReduceSum | ReduceMax | ReduceMin => vec![reduce::reduce(op, attrs, x()?)?],
        Reshape => vec![layout::reshape(attrs, x()?, input(inputs, 1, "shape")?)?],
        Flatten => vec![layout::flatten(attrs, x()?)?],
        Transpose => vec![layout::transpose(attrs, x()?)?],
        Squeeze => vec![layout::squeeze(attrs, x()?)?],
        Unsqueeze => vec![layout::unsqueeze(attrs, x()?)?],
        Concat => vec![layout::concat(attrs, inputs)?],
        Split => layout::split(attrs, x()?, n_outputs)?,
        Expand => vec![layout::expand(x()?, input(inputs, 1, "shape")?)?],
        Slice => vec![slice::slice(inputs)?],
        Gather => vec![gather::gather(attrs, x()?, input(inputs, 1, "indices")?)?],
        Shape => vec![shape_ops::shape(attrs, x()?)],
        Range => {
            vec![shape_ops::range(input(inputs, 0, "start")?, input(inputs, 1, "limit")?, input(inputs, 2, "delta")?)?]
        }
        ConstantOfShape => vec![shape_ops::constant_of_shape(attrs, x()?)?],
        Pad => vec![pad::pad(attrs, inputs)?],
        Resize => vec![resize::resize(attrs, inputs)?],
        // Listed for exhaustiveness; the guards above take these.
        Identity | Neg | Abs | Sqrt | Exp | Log | Erf | Tanh | Reciprocal | Relu | Sigmoid | HardSigmoid
        | HardSwish | Gelu | Cast | Add | Sub | Mul | Div | Pow | Equal | Less | Greater => {
            return Err(format!("internal: '{op}' was not dispatched"));
        }
    };
    if outs.len() != n_outputs {
        return Err(format!("'{op}' gives {} output(s), {n_outputs} requested", outs.len()));
    }
    Ok(outs)
}
