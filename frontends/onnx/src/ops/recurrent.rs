//! The recurrent layers, unrolled over the (compile-time) sequence length
//! into matrix products and element-wise ops, opsets 11–28:
//! [RNN](https://onnx.ai/onnx/operators/onnx__RNN.html),
//! [GRU](https://onnx.ai/onnx/operators/onnx__GRU.html) (`linear_before_reset`) and
//! [LSTM](https://onnx.ai/onnx/operators/onnx__LSTM.html) (peepholes `P`,
//! `input_forget`), with `direction` forward, reverse or bidirectional,
//! `layout` 0 or 1, optional biases and initial states, `clip`, and
//! `activations` Sigmoid, Tanh, Relu or HardSigmoid (`activation_alpha`/
//! `beta`). The input projection of every step is one matrix product; each
//! step adds the recurrent product, splits the gates (ONNX order: z r h for
//! GRU, i o f c for LSTM) and updates the state. `sequence_lens` (known at
//! compile time) stops a batch row's state at its length, and its outputs
//! past it are 0.

use super::NodeCtx;
use super::compose::Compose;
use crate::error::Result;
use vitc_ir::dim::shape_sizes;
use vitc_ir::ndarray::{ArrayD, IxDyn};
use vitc_ir::{Attr, Attrs, Graph, OpKind, Tensor, Value};

/// An activation of the `activations` attribute.
#[derive(Clone)]
struct Act {
    name: String,
    alpha: Option<f32>,
    beta: Option<f32>,
}

fn apply(b: &mut Compose<'_, '_>, g: &mut Graph, act: &Act, x: Value) -> Result<Value> {
    match act.name.as_str() {
        "Sigmoid" => b.op(g, OpKind::Sigmoid, &[x]),
        "Tanh" => b.op(g, OpKind::Tanh, &[x]),
        "Relu" => b.op(g, OpKind::Relu, &[x]),
        "HardSigmoid" => {
            let attrs = Attrs::new()
                .with("alpha", Attr::Float(act.alpha.unwrap_or(0.2)))
                .with("beta", Attr::Float(act.beta.unwrap_or(0.5)));
            b.op_with(g, OpKind::HardSigmoid, attrs, &[x])
        }
        other => Err(b.n.attr_err("activations", format!("'{other}' is not Sigmoid, Tanh, Relu or HardSigmoid"))),
    }
}

fn slice(b: &mut Compose<'_, '_>, g: &mut Graph, x: Value, axis: i64, start: usize, end: usize) -> Result<Value> {
    let (s, e, a) = (b.ints(g, &[start as i64]), b.ints(g, &[end as i64]), b.ints(g, &[axis]));
    b.op(g, OpKind::Slice, &[x, s, e, a])
}

/// `x[i]` along axis 0, that axis removed.
fn pick(b: &mut Compose<'_, '_>, g: &mut Graph, x: Value, i: usize) -> Result<Value> {
    let i = b.scalar_of(g, vitc_ir::DType::I64, i as f64);
    b.op(g, OpKind::Gather, &[x, i])
}

fn stack(b: &mut Compose<'_, '_>, g: &mut Graph, parts: &[Value], axis: i64) -> Result<Value> {
    let unsqueezed: Vec<Value> = parts
        .iter()
        .map(|&p| b.op_with(g, OpKind::Unsqueeze, Attrs::new().with("axes", Attr::Ints(vec![axis])), &[p]))
        .collect::<Result<_>>()?;
    if unsqueezed.len() == 1 {
        return Ok(unsqueezed[0]);
    }
    b.op_with(g, OpKind::Concat, Attrs::new().with("axis", Attr::Int(axis)), &unsqueezed)
}

pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    let mut b = Compose::new(n);
    let gates = match n.op_type() {
        "GRU" => 3,
        "LSTM" => 4,
        _ => 1,
    };
    let (x, w, r) = (b.required(0, "X")?, b.required(1, "W")?, b.required(2, "R")?);
    b.require_float(g, x, "X")?;
    let layout = n.attr_int("layout")?.unwrap_or(0);
    let x = if layout == 1 { b.transpose(g, x, &[1, 0, 2])? } else { x };
    let xd = shape_sizes(&g.value_type(x).shape).ok_or_else(|| n.err("X's shape must be known at compile time"))?;
    let wd = shape_sizes(&g.value_type(w).shape).ok_or_else(|| n.err("W's shape must be known at compile time"))?;
    let (seq, batch) = (xd[0], xd[1]);
    let hidden = match n.attr_int("hidden_size")? {
        Some(h) => usize::try_from(h).map_err(|_| n.attr_err("hidden_size", "must be positive"))?,
        None => wd[1] / gates,
    };
    let dirs = wd[0];
    let direction = n.attr_str("direction")?.unwrap_or_else(|| "forward".into());
    let expected_dirs = if direction == "bidirectional" { 2 } else { 1 };
    if dirs != expected_dirs || wd[1] != gates * hidden {
        return Err(n.err(format!("W {wd:?} does not fit direction '{direction}' and hidden size {hidden}")));
    }
    // Activations: f (and g, h) per direction.
    let per_dir = if gates == 1 {
        1
    } else if gates == 3 {
        2
    } else {
        3
    };
    let defaults: Vec<&str> = match gates {
        1 => vec!["Tanh"],
        3 => vec!["Sigmoid", "Tanh"],
        _ => vec!["Sigmoid", "Tanh", "Tanh"],
    };
    let names: Vec<String> = match n.attr("activations") {
        Some(a) => a.strings.iter().map(|s| String::from_utf8_lossy(s).into_owned()).collect(),
        None => defaults.iter().cycle().take(per_dir * dirs).map(|s| s.to_string()).collect(),
    };
    if names.len() != per_dir * dirs {
        return Err(n.attr_err("activations", format!("needs {} names, found {}", per_dir * dirs, names.len())));
    }
    let floats = |name: &str| -> Result<Vec<f32>> {
        match n.attr_value(name)? {
            Some(Attr::Floats(v)) => Ok(v),
            None => Ok(Vec::new()),
            Some(_) => Err(n.attr_err(name, "must be a list of floats")),
        }
    };
    let (alphas, betas) = (floats("activation_alpha")?, floats("activation_beta")?);
    let acts: Vec<Act> = names
        .iter()
        .enumerate()
        .map(|(i, name)| Act { name: name.clone(), alpha: alphas.get(i).copied(), beta: betas.get(i).copied() })
        .collect();
    let clip = n.attr_float("clip")?;
    let linear_before_reset = n.attr_int("linear_before_reset")?.unwrap_or(0) != 0;
    if n.attr_int("input_forget")?.unwrap_or(0) != 0 {
        return Err(n.unsupported("input_forget = 1"));
    }
    let lens = n.const_ints(g, 4, "sequence_lens")?;
    let masks: Option<Vec<Value>> = match &lens {
        Some(l) if l.iter().any(|&v| (v as usize) < seq) => Some(
            (0..seq)
                .map(|t| {
                    let m = ArrayD::from_shape_fn(IxDyn(&[batch, 1]), |ix| (t as i64) < l[ix[0]]);
                    b.constant(g, Tensor::Bool(m))
                })
                .collect(),
        ),
        _ => None,
    };
    let zero = b.scalar(g, 0.0);
    let (bias, h0, c0, peep) = (n.input(3), n.input(5), n.input(6), n.input(7));
    let (mut ys, mut hs, mut cs) = (Vec::new(), Vec::new(), Vec::new());
    for d in 0..dirs {
        let reverse = direction == "reverse" || d == 1;
        let act = &acts[d * per_dir..(d + 1) * per_dir];
        let wt = pick(&mut b, g, w, d)?;
        let wt = b.transpose(g, wt, &[1, 0])?;
        let rt = pick(&mut b, g, r, d)?;
        let rt = b.transpose(g, rt, &[1, 0])?;
        // Input projections of every step at once: [seq, batch, G·H].
        let mut xw = b.op(g, OpKind::MatMul, &[x, wt])?;
        let mut r_bias = None;
        if let Some(bias) = bias {
            let bd = pick(&mut b, g, bias, d)?;
            let wb = slice(&mut b, g, bd, 0, 0, gates * hidden)?;
            let rb = slice(&mut b, g, bd, 0, gates * hidden, 2 * gates * hidden)?;
            if gates == 3 && linear_before_reset {
                xw = b.op(g, OpKind::Add, &[xw, wb])?;
                r_bias = Some(rb);
            } else {
                let both = b.op(g, OpKind::Add, &[wb, rb])?;
                xw = b.op(g, OpKind::Add, &[xw, both])?;
            }
        }
        let state = |b: &mut Compose<'_, '_>, g: &mut Graph, init: Option<Value>| -> Result<Value> {
            match init {
                Some(v) => pick(b, g, v, d),
                None => Ok(b.constant(g, Tensor::F32(ArrayD::zeros(IxDyn(&[batch, hidden]))))),
            }
        };
        let mut h = state(&mut b, g, h0)?;
        let mut c = state(&mut b, g, c0)?;
        let p = match peep {
            Some(p) => Some(pick(&mut b, g, p, d)?),
            None => None,
        };
        let mut outputs = vec![zero; seq];
        let steps: Vec<usize> = if reverse { (0..seq).rev().collect() } else { (0..seq).collect() };
        for &t in &steps {
            let xt = pick(&mut b, g, xw, t)?;
            let clipped = |b: &mut Compose<'_, '_>, g: &mut Graph, v: Value| -> Result<Value> {
                match clip {
                    Some(c) => {
                        let (lo, hi) = (b.scalar(g, -c), b.scalar(g, c));
                        let v = b.op(g, OpKind::Max, &[v, lo])?;
                        b.op(g, OpKind::Min, &[v, hi])
                    }
                    None => Ok(v),
                }
            };
            let (h_new, c_new) = match gates {
                1 => {
                    let hr = b.op(g, OpKind::MatMul, &[h, rt])?;
                    let s = b.op(g, OpKind::Add, &[xt, hr])?;
                    let s = clipped(&mut b, g, s)?;
                    (apply(&mut b, g, &act[0], s)?, c)
                }
                3 => {
                    let rz = slice(&mut b, g, rt, 1, 0, 2 * hidden)?;
                    let rh = slice(&mut b, g, rt, 1, 2 * hidden, 3 * hidden)?;
                    let hzr = b.op(g, OpKind::MatMul, &[h, rz])?;
                    let hzr = match r_bias {
                        Some(rb) => {
                            let rbzr = slice(&mut b, g, rb, 0, 0, 2 * hidden)?;
                            b.op(g, OpKind::Add, &[hzr, rbzr])?
                        }
                        None => hzr,
                    };
                    let xzr = slice(&mut b, g, xt, 1, 0, 2 * hidden)?;
                    let zr = b.op(g, OpKind::Add, &[xzr, hzr])?;
                    let zr = clipped(&mut b, g, zr)?;
                    let zr = apply(&mut b, g, &act[0], zr)?;
                    let z = slice(&mut b, g, zr, 1, 0, hidden)?;
                    let rg = slice(&mut b, g, zr, 1, hidden, 2 * hidden)?;
                    let xh = slice(&mut b, g, xt, 1, 2 * hidden, 3 * hidden)?;
                    let hh = if linear_before_reset {
                        let hr = b.op(g, OpKind::MatMul, &[h, rh])?;
                        let hr = match r_bias {
                            Some(rb) => {
                                let rbh = slice(&mut b, g, rb, 0, 2 * hidden, 3 * hidden)?;
                                b.op(g, OpKind::Add, &[hr, rbh])?
                            }
                            None => hr,
                        };
                        b.op(g, OpKind::Mul, &[rg, hr])?
                    } else {
                        let rh_state = b.op(g, OpKind::Mul, &[rg, h])?;
                        b.op(g, OpKind::MatMul, &[rh_state, rh])?
                    };
                    let s = b.op(g, OpKind::Add, &[xh, hh])?;
                    let s = clipped(&mut b, g, s)?;
                    let cand = apply(&mut b, g, &act[1], s)?;
                    // (1 − z)·cand + z·h = cand + z·(h − cand)
                    let diff = b.op(g, OpKind::Sub, &[h, cand])?;
                    let zd = b.op(g, OpKind::Mul, &[z, diff])?;
                    (b.op(g, OpKind::Add, &[cand, zd])?, c)
                }
                _ => {
                    let hr = b.op(g, OpKind::MatMul, &[h, rt])?;
                    let s = b.op(g, OpKind::Add, &[xt, hr])?;
                    let s = clipped(&mut b, g, s)?;
                    let gate = |b: &mut Compose<'_, '_>, g: &mut Graph, k: usize| {
                        slice(b, g, s, 1, k * hidden, (k + 1) * hidden)
                    };
                    let peephole =
                        |b: &mut Compose<'_, '_>, g: &mut Graph, v: Value, k: usize, state: Value| -> Result<Value> {
                            match p {
                                Some(p) => {
                                    let pk = slice(b, g, p, 0, k * hidden, (k + 1) * hidden)?;
                                    let pc = b.op(g, OpKind::Mul, &[pk, state])?;
                                    b.op(g, OpKind::Add, &[v, pc])
                                }
                                None => Ok(v),
                            }
                        };
                    let (i, o, f, cc) =
                        (gate(&mut b, g, 0)?, gate(&mut b, g, 1)?, gate(&mut b, g, 2)?, gate(&mut b, g, 3)?);
                    let i = peephole(&mut b, g, i, 0, c)?;
                    let i = apply(&mut b, g, &act[0], i)?;
                    let f = peephole(&mut b, g, f, 2, c)?;
                    let f = apply(&mut b, g, &act[0], f)?;
                    let cc = apply(&mut b, g, &act[1], cc)?;
                    let fc = b.op(g, OpKind::Mul, &[f, c])?;
                    let ic = b.op(g, OpKind::Mul, &[i, cc])?;
                    let c_new = b.op(g, OpKind::Add, &[fc, ic])?;
                    let o = peephole(&mut b, g, o, 1, c_new)?;
                    let o = apply(&mut b, g, &act[0], o)?;
                    let hc = apply(&mut b, g, &act[2], c_new)?;
                    (b.op(g, OpKind::Mul, &[o, hc])?, c_new)
                }
            };
            match &masks {
                Some(m) => {
                    h = b.op(g, OpKind::Where, &[m[t], h_new, h])?;
                    c = b.op(g, OpKind::Where, &[m[t], c_new, c])?;
                    outputs[t] = b.op(g, OpKind::Where, &[m[t], h_new, zero])?;
                }
                None => {
                    h = h_new;
                    c = c_new;
                    outputs[t] = h_new;
                }
            }
        }
        ys.push(stack(&mut b, g, &outputs, 0)?); // [seq, batch, H]
        hs.push(h);
        cs.push(c);
    }
    let y = stack(&mut b, g, &ys, 1)?; // [seq, dirs, batch, H]
    let y_h = stack(&mut b, g, &hs, 0)?; // [dirs, batch, H]
    let y_c = stack(&mut b, g, &cs, 0)?;
    let (y, y_h, y_c) = if layout == 1 {
        (b.transpose(g, y, &[2, 0, 1, 3])?, b.transpose(g, y_h, &[1, 0, 2])?, b.transpose(g, y_c, &[1, 0, 2])?)
    } else {
        (y, y_h, y_c)
    };
    let y = b.last(g, OpKind::Identity, &[y])?[0];
    let mut outs = vec![y, y_h];
    if gates == 4 {
        outs.push(y_c);
    }
    Ok(outs)
}
