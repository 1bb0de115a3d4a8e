//! [Attention](https://onnx.ai/onnx/operators/onnx__Attention.html)`(Q, K, V,
//! attn_mask?, past_key?, past_value?, nonpad_kv_seqlen?)`, opsets 23–28
//! (24 adds `nonpad_kv_seqlen`; the window attributes `left_window_size` /
//! `right_window_size` are read when present), imported as the ops of the
//! spec's function body, so the mid-end can fuse it like any exported
//! attention. Shapes must be known at compile time.
//!
//! 1. 3-D inputs `[B, S, H·d]` become `[B, H, S, d]` (`q_num_heads`,
//!    `kv_num_heads`); `past_key`/`past_value` are concatenated before K/V
//!    along the sequence axis (they are also the `present_*` outputs).
//! 2. The additive bias: the mask (bool → 0/−∞; padded with −∞ up to the
//!    key length), plus the causal frontier `j ≤ i + offset` and the window
//!    `−right ≤ i + offset − j ≤ left`, each 0/−∞, with `offset` the past
//!    length or, with `nonpad_kv_seqlen`, `nonpad[b] − q_len` per batch;
//!    keys at or past `nonpad[b]` get −∞.
//! 3. Grouped-query attention repeats each K/V head `q_heads / kv_heads`
//!    times (interleaved: h0, h0, h1, h1, …).
//! 4. `qk = scale · Q·Kᵀ` (`scale` 1/√d), `softcap · tanh(qk / softcap)`
//!    when `softcap > 0`, `+ bias`, softmax along the keys; a row whose bias
//!    or logits are all −∞ gives zeros (no attendable key), as the spec says.
//! 5. `Y = P·V`, back to `[B, S, H·dv]` for 3-D inputs. The fourth output is
//!    the logits before the bias (mode 0), after the softcap (1), with the
//!    bias (2) or the probabilities (3).
//!
//! The softmax runs in float32 whatever `softmax_precision` asks.

use super::NodeCtx;
use super::compose::{Compose, i64s};
use crate::error::Result;
use vitc_ir::ndarray::{ArrayD, IxDyn};
use vitc_ir::{Attr, Attrs, DType, Graph, OpKind, Tensor, Value};

/// `[B, S, H·d]` → `[B, H, S, d]`.
fn split_heads(b: &mut Compose<'_, '_>, g: &mut Graph, x: Value, heads: usize, what: &str) -> Result<Value> {
    let d = b.static_dims(g, x, what)?;
    if heads == 0 || d[2] % heads != 0 {
        return Err(b.n.err(format!("{what}'s hidden size {} is not a multiple of {heads} heads", d[2])));
    }
    let shape = b.ints(g, &i64s(&[d[0], d[1], heads, d[2] / heads]));
    let x = b.op(g, OpKind::Reshape, &[x, shape])?;
    b.transpose(g, x, &[0, 2, 1, 3])
}

/// A float constant of `shape` that is 0 where `allowed` and −∞ elsewhere.
fn bias_where(b: &mut Compose<'_, '_>, g: &mut Graph, allowed: Value) -> Result<Value> {
    let (zero, minus_inf) = (b.scalar(g, 0.0), b.scalar(g, f32::NEG_INFINITY));
    b.op(g, OpKind::Where, &[allowed, zero, minus_inf])
}

/// `a + b`, where either may be absent.
fn add_bias(b: &mut Compose<'_, '_>, g: &mut Graph, a: Option<Value>, c: Value) -> Result<Value> {
    match a {
        Some(a) => b.op(g, OpKind::Add, &[a, c]),
        None => Ok(c),
    }
}

/// `where(reduce_max(x, last axis) == −∞, 0, p)`: zero rows with no key.
fn zero_dead_rows(b: &mut Compose<'_, '_>, g: &mut Graph, x: Value, p: Value) -> Result<Value> {
    let last = Attrs::new().with("axes", Attr::Ints(vec![-1])).with("keepdims", Attr::Int(1));
    let max = b.op_with(g, OpKind::ReduceMax, last, &[x])?;
    let minus_inf = b.scalar(g, f32::NEG_INFINITY);
    let dead = b.op(g, OpKind::Equal, &[max, minus_inf])?;
    let zero = b.scalar(g, 0.0);
    b.op(g, OpKind::Where, &[dead, zero, p])
}

pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    let mut b = Compose::new(n);
    let (mut q, mut k, mut v) = (b.required(0, "Q")?, b.required(1, "K")?, b.required(2, "V")?);
    b.require_float(g, q, "Q")?;
    let (mask, past_key, past_value, nonpad) = (n.input(3), n.input(4), n.input(5), n.input(6));
    if past_key.is_some() != past_value.is_some() {
        return Err(n.err("past_key and past_value must be given together"));
    }
    if nonpad.is_some() && past_key.is_some() {
        return Err(n.err("nonpad_kv_seqlen cannot be combined with past_key/past_value"));
    }
    let rank = g.value_type(q).rank();
    if rank != 3 && rank != 4 || g.value_type(k).rank() != rank || g.value_type(v).rank() != rank {
        return Err(n.err("Q, K and V must all be 3-D or all 4-D"));
    }
    if rank == 3 {
        let heads = |name: &str| -> Result<usize> {
            let h = n.attr_int(name)?.ok_or_else(|| n.attr_err(name, "is required for 3-D inputs"))?;
            usize::try_from(h).map_err(|_| n.attr_err(name, format!("{h} is not a head count")))
        };
        let (qh, kvh) = (heads("q_num_heads")?, heads("kv_num_heads")?);
        q = split_heads(&mut b, g, q, qh, "Q")?;
        k = split_heads(&mut b, g, k, kvh, "K")?;
        v = split_heads(&mut b, g, v, kvh, "V")?;
    }
    let past_len = match past_key {
        Some(pk) => {
            let len = b.static_dims(g, pk, "past_key")?[2];
            let axis2 = Attrs::new().with("axis", Attr::Int(2));
            k = b.op_with(g, OpKind::Concat, axis2.clone(), &[pk, k])?;
            v = b.op_with(g, OpKind::Concat, axis2, &[past_value.unwrap_or(v), v])?;
            len
        }
        None => 0,
    };
    let (qd, kd) = (b.static_dims(g, q, "Q")?, b.static_dims(g, k, "K")?);
    let (batch, q_heads, q_len, head_size) = (qd[0], qd[1], qd[2], qd[3]);
    let (kv_heads, kv_len) = (kd[1], kd[2]);

    // 2. The additive bias.
    let mut bias = None;
    if let Some(mask) = mask {
        let md = b.static_dims(g, mask, "attn_mask")?;
        let is_bool = g.value_type(mask).dtype == DType::Bool;
        let mut m = mask;
        if let Some(&last) = md.last()
            && last < kv_len
        {
            let mut pad_dims = md.clone();
            if let Some(l) = pad_dims.last_mut() {
                *l = kv_len - last;
            }
            let filler = if is_bool {
                Tensor::Bool(ArrayD::from_elem(IxDyn(&pad_dims), false))
            } else {
                Tensor::F32(ArrayD::from_elem(IxDyn(&pad_dims), f32::NEG_INFINITY))
            };
            let filler = b.constant(g, filler);
            let last_axis = Attrs::new().with("axis", Attr::Int(md.len() as i64 - 1));
            m = b.op_with(g, OpKind::Concat, last_axis, &[m, filler])?;
        }
        bias = Some(if is_bool { bias_where(&mut b, g, m)? } else { m });
    }
    let causal = n.attr_int("is_causal")?.unwrap_or(0) != 0;
    let left = n.attr_int("left_window_size")?.unwrap_or(-1);
    let right = n.attr_int("right_window_size")?.unwrap_or(-1);
    if causal || left >= 0 || right >= 0 {
        // diff[i][j] = i + offset − j, offset per batch ([B,1,1,1]) or constant.
        let base = ArrayD::from_shape_fn(IxDyn(&[q_len, kv_len]), |ix| ix[0] as i64 - ix[1] as i64);
        let base = b.constant(g, Tensor::I64(base));
        let offset = match nonpad {
            Some(lengths) => {
                let shape = b.ints(g, &[-1, 1, 1, 1]);
                let lengths = b.op(g, OpKind::Reshape, &[lengths, shape])?;
                let lengths = b.cast(g, lengths, DType::I64)?;
                let q_len = b.scalar_of(g, DType::I64, q_len as f64);
                b.op(g, OpKind::Sub, &[lengths, q_len])?
            }
            None => b.scalar_of(g, DType::I64, past_len as f64),
        };
        let diff = b.op(g, OpKind::Add, &[base, offset])?;
        let mut allowed: Option<Value> = None;
        let mut both = |b: &mut Compose<'_, '_>, g: &mut Graph, ok: Value| -> Result<()> {
            allowed = Some(match allowed {
                Some(a) => {
                    let no = b.scalar_of(g, DType::Bool, 0.0);
                    b.op(g, OpKind::Where, &[a, ok, no])?
                }
                None => ok,
            });
            Ok(())
        };
        if causal {
            let minus_one = b.scalar_of(g, DType::I64, -1.0);
            let ok = b.op(g, OpKind::Greater, &[diff, minus_one])?;
            both(&mut b, g, ok)?;
        }
        if left >= 0 {
            let limit = b.scalar_of(g, DType::I64, (left + 1) as f64);
            let ok = b.op(g, OpKind::Less, &[diff, limit])?;
            both(&mut b, g, ok)?;
        }
        if right >= 0 {
            let limit = b.scalar_of(g, DType::I64, -(right + 1) as f64);
            let ok = b.op(g, OpKind::Greater, &[diff, limit])?;
            both(&mut b, g, ok)?;
        }
        if let Some(allowed) = allowed {
            let frontier = bias_where(&mut b, g, allowed)?;
            bias = Some(add_bias(&mut b, g, bias, frontier)?);
        }
    }
    if let Some(lengths) = nonpad {
        let keys = ArrayD::from_shape_fn(IxDyn(&[1, 1, 1, kv_len]), |ix| ix[3] as i64);
        let keys = b.constant(g, Tensor::I64(keys));
        let shape = b.ints(g, &[-1, 1, 1, 1]);
        let lengths = b.op(g, OpKind::Reshape, &[lengths, shape])?;
        let lengths = b.cast(g, lengths, DType::I64)?;
        let present = b.op(g, OpKind::Less, &[keys, lengths])?;
        let padding = bias_where(&mut b, g, present)?;
        bias = Some(add_bias(&mut b, g, bias, padding)?);
    }

    // 3. Grouped-query attention.
    let (present_key, present_value) = (k, v);
    if q_heads != kv_heads {
        if kv_heads == 0 || q_heads % kv_heads != 0 {
            return Err(n.err(format!("{q_heads} query heads are not a multiple of {kv_heads} key/value heads")));
        }
        let repeat = q_heads / kv_heads;
        for x in [&mut k, &mut v] {
            let d = b.static_dims(g, *x, "K/V")?;
            let axis2 = Attrs::new().with("axes", Attr::Ints(vec![2]));
            let u = b.op_with(g, OpKind::Unsqueeze, axis2, &[*x])?;
            let to = b.ints(g, &i64s(&[d[0], d[1], repeat, d[2], d[3]]));
            let e = b.op(g, OpKind::Expand, &[u, to])?;
            let shape = b.ints(g, &i64s(&[d[0], q_heads, d[2], d[3]]));
            *x = b.op(g, OpKind::Reshape, &[e, shape])?;
        }
    }

    // 4. Logits and probabilities.
    let scale = match n.attr_float("scale")? {
        Some(s) => s,
        None => 1.0 / (head_size as f32).sqrt(),
    };
    let kt = b.transpose(g, k, &[0, 1, 3, 2])?;
    let qk = b.op(g, OpKind::MatMul, &[q, kt])?;
    let scale = b.scalar(g, scale);
    let mut logits = b.op(g, OpKind::Mul, &[qk, scale])?;
    let softcap = n.attr_float("softcap")?.unwrap_or(0.0);
    if softcap > 0.0 {
        let cap = b.scalar(g, softcap);
        let t = b.op(g, OpKind::Div, &[logits, cap])?;
        let t = b.op(g, OpKind::Tanh, &[t])?;
        logits = b.op(g, OpKind::Mul, &[t, cap])?;
    }
    let biased = match bias {
        Some(bias) => b.op(g, OpKind::Add, &[logits, bias])?,
        None => logits,
    };
    let last = Attrs::new().with("axis", Attr::Int(-1));
    let mut p = b.op_with(g, OpKind::Softmax, last, &[biased])?;
    if let Some(bias) = bias {
        p = zero_dead_rows(&mut b, g, biased, p)?;
        p = zero_dead_rows(&mut b, g, bias, p)?;
    }
    let qk_output = match n.attr_int("qk_matmul_output_mode")?.unwrap_or(0) {
        0 | 1 => logits,
        2 => biased,
        3 => p,
        other => return Err(n.attr_err("qk_matmul_output_mode", format!("{other} is not 0, 1, 2 or 3"))),
    };

    // 5. The output.
    let mut y = b.op(g, OpKind::MatMul, &[p, v])?;
    if rank == 3 {
        let yd = b.static_dims(g, y, "the output")?;
        y = b.transpose(g, y, &[0, 2, 1, 3])?;
        let shape = b.ints(g, &i64s(&[batch, q_len, yd[1] * yd[3]]));
        y = b.op(g, OpKind::Reshape, &[y, shape])?;
    }
    let y = b.last(g, OpKind::Identity, &[y])?[0];
    Ok(vec![y, present_key, present_value, qk_output])
}
