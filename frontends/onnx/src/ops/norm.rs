//! Normalisations:
//! [BatchNormalization](https://onnx.ai/onnx/operators/onnx__BatchNormalization.html)
//! (opsets 13–28: version 9 at opset 13, 14 adds `training_mode`, 15 types) and
//! [LayerNormalization](https://onnx.ai/onnx/operators/onnx__LayerNormalization.html)
//! (opsets 17–28; `axis` default -1, `epsilon`, `stash_type`).
//!
//! [InstanceNormalization](https://onnx.ai/onnx/operators/onnx__InstanceNormalization.html)
//! (version 6, opsets 13–28: `epsilon`) is not an IR op: it becomes a
//! Reshape to `[N, C, S]` (S the spatial elements), a LayerNormalization
//! over the last axis with unit scale, the Reshape back, and the per-channel
//! scale and bias as a broadcast Mul and Add — the LayerNorm kernel does
//! the work (PoolFormer's GroupNorm exports as this).
//!
//! Inference only: BatchNormalization with `training_mode=1` is rejected, and
//! its optional extra outputs (running/saved statistics) are not produced; the
//! builder rejects the node only when one of them is used. LayerNormalization's
//! optional `Mean` and `InvStdDev` outputs are produced when the node names them.

use super::NodeCtx;
use crate::error::Result;
use std::sync::Arc;
use vitc_ir::{Attr, Attrs, Graph, OpKind, Tensor, Value};

pub(crate) fn batch_normalization(g: &mut Graph, n: &NodeCtx<'_>, kind: OpKind) -> Result<Vec<Value>> {
    if n.attr_int("training_mode")?.unwrap_or(0) != 0 {
        return Err(n.unsupported("training mode (attribute 'training_mode' = 1; export the model in eval mode)"));
    }
    n.direct(g, kind)
}

pub(crate) fn layer_normalization(g: &mut Graph, n: &NodeCtx<'_>, kind: OpKind) -> Result<Vec<Value>> {
    let n_outputs = n.proto.output.iter().rposition(|o| !o.is_empty()).map_or(1, |last| last + 1);
    let attrs = n.attrs_except(&[])?;
    n.add(g, kind, attrs, &n.inputs, n_outputs)
}

pub(crate) fn instance_normalization(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    let operand = |i: usize, what: &str| n.input(i).ok_or_else(|| n.err(format!("input {i} ({what}) is required")));
    let (x, scale, bias) = (operand(0, "input")?, operand(1, "scale")?, operand(2, "B")?);
    let epsilon = n.attr_float("epsilon")?.unwrap_or(1e-5);
    let shape = g.value_type(x).shape.clone();
    if shape.len() < 3 {
        return Err(n.err(format!("input must be N×C×D1×… (rank ≥ 3), found rank {}", shape.len())));
    }
    let known = |i: usize| shape[i].known().ok_or_else(|| n.err("the channel and spatial sizes must be static"));
    let channels = known(1)?;
    let spatial: Vec<usize> = (2..shape.len()).map(known).collect::<Result<_>>()?;
    let s: usize = spatial.iter().product();
    let ints = |v: Vec<usize>| Arc::new(Tensor::i64_vec(&v.iter().map(|&d| d as i64).collect::<Vec<_>>()));
    let name = |part: &str| format!("{}/{part}", n.name);
    // Reshape's 0 keeps the (possibly symbolic) batch size.
    let rows = g.add_const(&name("rows_shape"), ints(vec![0, channels, s]));
    let rows = g.add_op1(&name("to_rows"), OpKind::Reshape, Attrs::new(), &[Some(x), Some(rows)])?;
    let ones = g.add_const(&name("unit_scale"), Arc::new(Tensor::F32(vitc_ir::ndarray::ArrayD::ones(vec![s]))));
    let norm_attrs = Attrs::new().with("axis", Attr::Int(-1)).with("epsilon", Attr::Float(epsilon));
    let normed =
        g.add_op1(&name("normalize"), OpKind::LayerNormalization, norm_attrs, &[Some(rows), Some(ones), None])?;
    let mut back = vec![0, channels];
    back.extend(&spatial);
    let back = g.add_const(&name("image_shape"), ints(back));
    let y = g.add_op1(&name("to_image"), OpKind::Reshape, Attrs::new(), &[Some(normed), Some(back)])?;
    let mut per_channel = vec![channels];
    per_channel.extend(std::iter::repeat_n(1, spatial.len()));
    let per_channel = g.add_const(&name("channel_shape"), ints(per_channel));
    let scale = g.add_op1(&name("scale"), OpKind::Reshape, Attrs::new(), &[Some(scale), Some(per_channel)])?;
    let bias = g.add_op1(&name("bias"), OpKind::Reshape, Attrs::new(), &[Some(bias), Some(per_channel)])?;
    let y = g.add_op1(&name("mul_scale"), OpKind::Mul, Attrs::new(), &[Some(y), Some(scale)])?;
    Ok(vec![g.add_op1(n.name, OpKind::Add, Attrs::new(), &[Some(y), Some(bias)])?])
}
