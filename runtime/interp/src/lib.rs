//! vitc's reference interpreter: plain, obviously-correct implementations of
//! every IR op on concrete tensors, following ONNX semantics.
//!
//! - [`eval_op`] runs one op (shapes come from the tensors, never from a
//!   graph's static types); constant folding uses it too.
//! - [`run`] runs a whole [`Graph`](vitc_ir::Graph): it checks the inputs
//!   against the graph's input types (symbolic dims such as `batch` take one
//!   consistent value), runs the nodes in topological order and frees each
//!   intermediate after its last reader.
//! - [`resize`] also exposes Resize's per-axis interpolation filters, which
//!   the compiler's lowering reuses so both compute identical weights.
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
pub mod resize;
mod run;
mod scatter;
mod shape_ops;
mod slice;
mod spatial;

pub use error::InterpError;
pub use run::run;

use args::{input, optional};
use vitc_ir::{Attrs, OpKind, Tensor};

/// The fused attention op, computed as the ops it fuses:
/// `act(softmax(scale · q·kt + bias) · v)`.
fn attention(attrs: &Attrs, inputs: &[Option<&Tensor>]) -> Result<Vec<Tensor>, String> {
    let none = Attrs::new();
    let one = |op: OpKind, a: &Attrs, xs: &[Option<&Tensor>]| -> Result<Tensor, String> {
        eval_op(op, a, xs, 1)?.pop().ok_or_else(|| format!("'{op}' gave no output"))
    };
    let (q, kt, v) = (input(inputs, 0, "q")?, input(inputs, 1, "kt")?, input(inputs, 2, "v")?);
    let scale = Tensor::f32_scalar(attrs.float_or("scale", 1.0)?);
    let mut logits =
        one(OpKind::Mul, &none, &[Some(&one(OpKind::MatMul, &none, &[Some(q), Some(kt)])?), Some(&scale)])?;
    if let Some(bias) = optional(inputs, 3) {
        logits = one(OpKind::Add, &none, &[Some(&logits), Some(bias)])?;
    }
    let probs = one(OpKind::Softmax, &Attrs::new().with("axis", vitc_ir::Attr::Int(-1)), &[Some(&logits)])?;
    let mut out = one(OpKind::MatMul, &none, &[Some(&probs), Some(v)])?;
    let act = attrs.str_or("act", "")?;
    if !act.is_empty() {
        let kind = OpKind::from_name(act).ok_or_else(|| format!("unknown activation '{act}'"))?;
        out = one(kind, &none, &[Some(&out)])?;
    }
    if let Some(w) = optional(inputs, 4) {
        let pe = lepe(attrs, v, w, optional(inputs, 5))?;
        out = one(OpKind::Add, &none, &[Some(&out), Some(&pe)])?;
    }
    Ok(vec![out])
}

/// CSWin's LePE of an attention: the depthwise convolution of `v`
/// `[B,H,N,dv]` seen as the image `[B, H·dv, gh, gw]`, mapped back to
/// `[B,H,N,dv]`.
fn lepe(attrs: &Attrs, v: &Tensor, w: &Tensor, b: Option<&Tensor>) -> Result<Tensor, String> {
    let one = |op: OpKind, a: &Attrs, xs: &[Option<&Tensor>]| -> Result<Tensor, String> {
        eval_op(op, a, xs, 1)?.pop().ok_or_else(|| format!("'{op}' gave no output"))
    };
    let grid = attrs.ints("lepe_grid")?.ok_or("LePE needs lepe_grid")?.to_vec();
    let pads = attrs.ints("lepe_pads")?.ok_or("LePE needs lepe_pads")?.to_vec();
    let &[bsz, heads, n, dv] = v.dims() else { return Err(format!("LePE needs a 4-D v, found {:?}", v.dims())) };
    let (&[gh, gw], &[ph, pw]) = (grid.as_slice(), pads.as_slice()) else {
        return Err("lepe_grid and lepe_pads take two values".into());
    };
    let perm = |p: &[i64]| Attrs::new().with("perm", vitc_ir::Attr::Ints(p.to_vec()));
    let vt = one(OpKind::Transpose, &perm(&[0, 1, 3, 2]), &[Some(v)])?;
    let image_shape = Tensor::i64_vec(&[bsz as i64, (heads * dv) as i64, gh, gw]);
    let image = one(OpKind::Reshape, &Attrs::new(), &[Some(&vt), Some(&image_shape)])?;
    let conv_attrs = Attrs::new()
        .with("group", vitc_ir::Attr::Int((heads * dv) as i64))
        .with("pads", vitc_ir::Attr::Ints(vec![ph, pw, ph, pw]));
    let conv = one(OpKind::Conv, &conv_attrs, &[Some(&image), Some(w), b])?;
    let back_shape = Tensor::i64_vec(&[bsz as i64, heads as i64, dv as i64, n as i64]);
    let back = one(OpKind::Reshape, &Attrs::new(), &[Some(&conv), Some(&back_shape)])?;
    one(OpKind::Transpose, &perm(&[0, 1, 3, 2]), &[Some(&back)])
}

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
            vec![elementwise::binary(op, attrs, input(inputs, 0, "A")?, input(inputs, 1, "B")?)?]
        }
        Where => {
            vec![elementwise::where_(input(inputs, 0, "condition")?, input(inputs, 1, "X")?, input(inputs, 2, "Y")?)?]
        }
        MatMul => vec![matmul::matmul(input(inputs, 0, "A")?, input(inputs, 1, "B")?)?],
        Gemm => vec![matmul::gemm(attrs, input(inputs, 0, "A")?, input(inputs, 1, "B")?, optional(inputs, 2))?],
        Einsum => vec![einsum::einsum(attrs, inputs)?],
        Attention => attention(attrs, inputs)?,
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
        ScatterND => {
            vec![scatter::scatter_nd(attrs, x()?, input(inputs, 1, "indices")?, input(inputs, 2, "updates")?)?]
        }
        Shape => vec![shape_ops::shape(attrs, x()?)?],
        Range => {
            vec![shape_ops::range(input(inputs, 0, "start")?, input(inputs, 1, "limit")?, input(inputs, 2, "delta")?)?]
        }
        ConstantOfShape => vec![shape_ops::constant_of_shape(attrs, x()?)?],
        Pad => vec![pad::pad(attrs, inputs)?],
        Resize => vec![resize::resize(attrs, inputs)?],
        // Listed for exhaustiveness; the guards above take these.
        Identity | Neg | Abs | Sqrt | Exp | Log | Erf | Tanh | Reciprocal | Floor | Ceil | Round | Sign | Sin | Cos
        | Tan | Asin | Acos | Atan | Sinh | Cosh | Asinh | Acosh | Atanh | IsNaN | IsInf | Relu | Sigmoid
        | HardSigmoid | HardSwish | Gelu | Cast | Add | Sub | Mul | Div | Pow | Mod | Max | Min | Equal | Less
        | Greater => {
            return Err(format!("internal: '{op}' was not dispatched"));
        }
    };
    if outs.len() != n_outputs {
        return Err(format!("'{op}' gives {} output(s), {n_outputs} requested", outs.len()));
    }
    Ok(outs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{ArrayD, IxDyn};
    use vitc_ir::Attr;

    fn f32_tensor(shape: &[usize]) -> Tensor {
        let n: usize = shape.iter().product();
        Tensor::F32(ArrayD::from_shape_vec(IxDyn(shape), (0..n).map(|v| v as f32 - 1.5).collect()).unwrap())
    }

    /// Degenerate operands and attributes must give errors, never panics.
    #[test]
    fn no_op_panics_on_odd_operands() {
        let scalar = Tensor::f32_scalar(2.0);
        let empty = f32_tensor(&[0]);
        let img = f32_tensor(&[1, 1, 3, 3]);
        let img0 = f32_tensor(&[1, 1, 0, 3]);
        let mat = f32_tensor(&[2, 3]);
        let ints = Tensor::i64_vec(&[2, -1]);
        let huge = Tensor::i64_vec(&[i64::MAX, i64::MAX]);
        let bools = Tensor::Bool(ArrayD::from_elem(IxDyn(&[2]), true));
        let big_scales = Tensor::F32(ArrayD::from_shape_vec(IxDyn(&[4]), vec![1.0, 1.0, 1e10, f32::NAN]).unwrap());
        let neg = Tensor::i64_vec(&[i64::MIN, i64::MIN, i64::MIN, i64::MIN]);
        let w6 = f32_tensor(&[1, 1, 1, 1, 1, 1]);
        let operand_sets: Vec<Vec<Option<&Tensor>>> = vec![
            vec![],
            vec![None],
            vec![Some(&scalar)],
            vec![Some(&empty), Some(&empty), Some(&empty)],
            vec![Some(&img), Some(&img), Some(&scalar), Some(&scalar), Some(&scalar)],
            vec![Some(&img0), Some(&img)],
            vec![Some(&mat), Some(&ints), Some(&ints), Some(&ints), Some(&ints)],
            vec![Some(&mat), Some(&huge), Some(&huge), Some(&huge), Some(&huge)],
            vec![Some(&huge), Some(&huge), Some(&huge)],
            vec![Some(&bools), Some(&mat), None, Some(&scalar)],
            vec![Some(&ints), Some(&mat), Some(&img)],
            vec![Some(&img), None, Some(&huge)],
            vec![Some(&img), None, Some(&big_scales)],
            vec![Some(&img), Some(&neg), Some(&neg), Some(&neg), Some(&neg)],
            vec![Some(&w6), Some(&w6), Some(&scalar)],
            vec![Some(&scalar), Some(&scalar), Some(&empty)],
        ];
        let attr_sets = vec![
            Attrs::new(),
            Attrs::new().with("axis", Attr::Int(7)).with("axes", Attr::Ints(vec![9, -9])),
            Attrs::new().with("perm", Attr::Ints(vec![0, 0])).with("split", Attr::Ints(vec![5])),
            Attrs::new().with("kernel_shape", Attr::Ints(vec![0, 5])).with("strides", Attr::Ints(vec![0, 1])),
            Attrs::new().with("kernel_shape", Attr::Ints(vec![2, 2])).with("dilations", Attr::Ints(vec![i64::MAX, 1])),
            Attrs::new().with("pads", Attr::Ints(vec![i64::MAX, 0, 0, 0])).with("kernel_shape", Attr::Ints(vec![1, 1])),
            Attrs::new().with("output_shape", Attr::Ints(vec![3])).with("group", Attr::Int(0)),
            Attrs::new().with("equation", Attr::Str("ii->ii".into())).with("to", Attr::Str("f64".into())),
            Attrs::new().with("equation", Attr::Str("...i,j->k".into())).with("mode", Attr::Str("cubic".into())),
            Attrs::new().with("auto_pad", Attr::Str("SAME_UPPER".into())).with("kernel_shape", Attr::Ints(vec![3, 3])),
            Attrs::new().with("value", Attr::Str("x".into())).with("start", Attr::Int(i64::MIN)),
        ];
        for &op in OpKind::ALL {
            for operands in &operand_sets {
                for attrs in &attr_sets {
                    for n_outputs in [0, 1, 2] {
                        let _ = eval_op(op, attrs, operands, n_outputs);
                    }
                }
            }
        }
    }
}
