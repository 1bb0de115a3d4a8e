//! The classification losses, imported as compositions (shapes known at
//! compile time), following the ONNX reference implementations:
//!
//! - [NegativeLogLikelihoodLoss](https://onnx.ai/onnx/operators/onnx__NegativeLogLikelihoodLoss.html)
//!   `(input [N,C,d…], target [N,d…], weight? [C])`, opsets 13–28: the
//!   loss at each position is `−input[n, target, d…]` (a GatherElements
//!   along the class axis), 0 where `target == ignore_index`, times the
//!   target's weight; `reduction` none, sum, or mean (the weighted mean:
//!   the sum divided by the sum of the weights used).
//! - [SoftmaxCrossEntropyLoss](https://onnx.ai/onnx/operators/onnx__SoftmaxCrossEntropyLoss.html)
//!   `(scores, labels, weights?)`, opsets 13–28: the same loss of
//!   `log_softmax(scores)` along the class axis, which is also the optional
//!   second output.
//!
//! The references differ in one corner, kept here: with `ignore_index` and
//! no weights, SoftmaxCrossEntropyLoss's mean divides by the positions not
//! ignored, NegativeLogLikelihoodLoss's only when `ignore_index` is not −1.

use super::NodeCtx;
use super::compose::Compose;
use super::flat_gather::gather_along;
use super::softmax::log_softmax_along;
use crate::error::Result;
use vitc_ir::{Attr, Attrs, DType, Graph, OpKind, Value};

/// The loss of log-probabilities `x` `[N, C, d…]` at `target` `[N, d…]`.
fn nll(b: &mut Compose<'_, '_>, g: &mut Graph, x: Value, target: Value, weight: Option<Value>) -> Result<Value> {
    let n = b.n;
    b.require_float(g, x, "input")?;
    if g.value_type(x).rank() < 2 || g.value_type(target).rank() + 1 != g.value_type(x).rank() {
        return Err(n.err("the input must be [N, C, d…] and the target [N, d…]"));
    }
    let reduction = n.attr_str("reduction")?.unwrap_or_else(|| "mean".to_string());
    if !matches!(reduction.as_str(), "none" | "sum" | "mean") {
        return Err(n.attr_err("reduction", format!("'{reduction}' is not none, sum or mean")));
    }
    let ignore_index = n.attr_int("ignore_index")?;
    let target = match g.value_type(target).dtype {
        DType::I64 | DType::I32 => b.cast(g, target, DType::I64)?,
        other => return Err(n.err(format!("the target must hold integers, found {other}"))),
    };
    // Ignored positions read class 0 and count 0.
    let (target, kept) = match ignore_index {
        Some(ignore) => {
            let ignore = b.scalar_of(g, DType::I64, ignore as f64);
            let ignored = b.op(g, OpKind::Equal, &[target, ignore])?;
            let zero = b.scalar_of(g, DType::I64, 0.0);
            let safe = b.op(g, OpKind::Where, &[ignored, zero, target])?;
            let (zero, one) = (b.scalar(g, 0.0), b.scalar(g, 1.0));
            (safe, Some(b.op(g, OpKind::Where, &[ignored, zero, one])?))
        }
        None => (target, None),
    };
    let class_axis = Attrs::new().with("axes", Attr::Ints(vec![1]));
    let index = b.op_with(g, OpKind::Unsqueeze, class_axis.clone(), &[target])?;
    let picked = gather_along(b, g, x, index, 1)?;
    let picked = b.op_with(g, OpKind::Squeeze, class_axis, &[picked])?;
    let mut loss = b.op(g, OpKind::Neg, &[picked])?;
    let mut weights = match weight {
        Some(w) => Some(b.op(g, OpKind::Gather, &[w, target])?),
        None => None,
    };
    if let Some(kept) = kept {
        loss = b.op(g, OpKind::Mul, &[loss, kept])?;
        let ignore_counts = n.op_type() == "SoftmaxCrossEntropyLoss" || ignore_index != Some(-1);
        weights = match weights {
            Some(w) => Some(b.op(g, OpKind::Mul, &[w, kept])?),
            None if ignore_counts => Some(kept),
            None => None,
        };
    }
    if let (Some(w), true) = (weights, weight.is_some()) {
        loss = b.op(g, OpKind::Mul, &[loss, w])?;
    }
    let all = Attrs::new().with("keepdims", Attr::Int(0));
    match (reduction.as_str(), weights) {
        ("none", _) => Ok(loss),
        ("sum", _) => b.op_with(g, OpKind::ReduceSum, all, &[loss]),
        (_, Some(w)) => {
            let total = b.op_with(g, OpKind::ReduceSum, all.clone(), &[loss])?;
            let count = b.op_with(g, OpKind::ReduceSum, all, &[w])?;
            b.op(g, OpKind::Div, &[total, count])
        }
        (_, None) => b.op_with(g, OpKind::ReduceMean, all, &[loss]),
    }
}

/// NegativeLogLikelihoodLoss.
pub(crate) fn negative_log_likelihood(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    let mut b = Compose::new(n);
    let (x, target) = (b.required(0, "input")?, b.required(1, "target")?);
    let loss = nll(&mut b, g, x, target, n.input(2))?;
    b.last(g, OpKind::Identity, &[loss])
}

/// SoftmaxCrossEntropyLoss: the loss and the log-probabilities.
pub(crate) fn softmax_cross_entropy(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    let mut b = Compose::new(n);
    let (scores, labels) = (b.required(0, "scores")?, b.required(1, "labels")?);
    let log_prob = log_softmax_along(&mut b, g, scores, 1)?;
    let loss = nll(&mut b, g, log_prob, labels, n.input(2))?;
    let loss = b.last(g, OpKind::Identity, &[loss])?[0];
    Ok(vec![loss, log_prob])
}
