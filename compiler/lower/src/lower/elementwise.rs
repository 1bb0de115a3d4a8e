//! Element-wise ops: unary math and activations, the broadcast binary ops
//! (Pow by a constant 2 or 0.5 becomes Mul or Sqrt), comparisons, Where,
//! Cast and BatchNormalization as one `MulAdd` with per-channel scale and
//! shift computed here.
//!
//! Integer and bool values are exact f32s (see [`crate::program`]): integer
//! Div truncates its quotient, an integer Pow rounds its result, a Cast of
//! a float to an integer truncates and a Cast to bool tests `!= 0`.

use super::{Lowerer, OpResult};
use crate::kernel::{Activation, BinaryOp, MapOp, UnaryOp};
use crate::prepare::sole_user;
use crate::view::View;
use vitc_ir::{Attrs, DType, NodeId, OpKind, Value};

/// The `Map` function of a unary op.
pub(crate) fn unary_op(op: OpKind, attrs: &Attrs) -> OpResult<UnaryOp> {
    use OpKind::*;
    Ok(match op {
        Identity | Cast => UnaryOp::Copy,
        Neg => UnaryOp::Neg,
        Abs => UnaryOp::Abs,
        Sqrt => UnaryOp::Sqrt,
        Exp => UnaryOp::Exp,
        Log => UnaryOp::Log,
        Erf => UnaryOp::Erf,
        Tanh => UnaryOp::Tanh,
        Reciprocal => UnaryOp::Reciprocal,
        Floor => UnaryOp::Floor,
        Ceil => UnaryOp::Ceil,
        Round => UnaryOp::Round,
        Sign => UnaryOp::Sign,
        Sin => UnaryOp::Sin,
        Cos => UnaryOp::Cos,
        Tan => UnaryOp::Tan,
        Asin => UnaryOp::Asin,
        Acos => UnaryOp::Acos,
        Atan => UnaryOp::Atan,
        Sinh => UnaryOp::Sinh,
        Cosh => UnaryOp::Cosh,
        Asinh => UnaryOp::Asinh,
        Acosh => UnaryOp::Acosh,
        Atanh => UnaryOp::Atanh,
        IsNaN => UnaryOp::IsNaN,
        IsInf => UnaryOp::IsInf {
            negative: attrs.int_or("detect_negative", 1)? != 0,
            positive: attrs.int_or("detect_positive", 1)? != 0,
        },
        Relu | Sigmoid | HardSigmoid | HardSwish | Gelu => UnaryOp::Act(activation(op, attrs)?),
        other => return Err(format!("internal: '{other}' is not a unary op")),
    })
}

/// The activation an op computes, for ops that are activations.
pub(crate) fn activation(op: OpKind, attrs: &Attrs) -> OpResult<Activation> {
    use OpKind::*;
    Ok(match op {
        Relu => Activation::Relu,
        Sigmoid => Activation::Sigmoid,
        HardSwish => Activation::HardSwish,
        HardSigmoid => {
            Activation::HardSigmoid { alpha: attrs.float_or("alpha", 0.2)?, beta: attrs.float_or("beta", 0.5)? }
        }
        Gelu => match attrs.str_or("approximate", "none")? {
            "none" => Activation::Gelu,
            "tanh" => Activation::GeluTanh,
            other => return Err(format!("gelu approximate '{other}' is not one of none, tanh")),
        },
        other => return Err(format!("internal: '{other}' is not an activation")),
    })
}

impl Lowerer<'_> {
    pub(crate) fn unary(&mut self, id: NodeId) -> OpResult<()> {
        let node = self.graph().node(id);
        let op = unary_op(node.op, &node.attrs)?;
        let x = self.input(id, 0)?;
        let dims = self.out_dims(id, 0)?;
        let y = self.map(MapOp::Unary(op), &dims, &[x]);
        self.set(id, 0, y);
        Ok(())
    }

    pub(crate) fn binary(&mut self, id: NodeId) -> OpResult<()> {
        let node = self.graph().node(id);
        let dims = self.out_dims(id, 0)?;
        let a = self.input(id, 0)?.broadcast_to(&dims)?;
        let b0 = self.input(id, 1)?;
        let exponent = if node.op == OpKind::Pow { self.const_scalar(&b0) } else { None };
        let b = b0.broadcast_to(&dims)?;
        let integer = matches!(node.outputs.first().map(|t| t.dtype), Some(DType::I32 | DType::I64));
        let y = if node.op == OpKind::Pow {
            match exponent {
                Some(2.0) => self.map(MapOp::Binary(BinaryOp::Mul), &dims, &[a.clone(), a]),
                Some(0.5) if !integer => self.map(MapOp::Unary(UnaryOp::Sqrt), &dims, &[a]),
                Some(1.0) => self.map(MapOp::Unary(UnaryOp::Copy), &dims, &[a]),
                _ => {
                    let p = self.map(MapOp::Binary(BinaryOp::Pow), &dims, &[a, b]);
                    // powf of integers is exact only up to rounding.
                    if integer { self.map(MapOp::Unary(UnaryOp::Round), &dims, &[p]) } else { p }
                }
            }
        } else if node.op == OpKind::Div && integer {
            let q = self.map(MapOp::Binary(BinaryOp::Div), &dims, &[a, b]);
            self.map(MapOp::Unary(UnaryOp::Trunc), &dims, &[q])
        } else if node.op == OpKind::Mul && self.mul_add(id, &dims, &a, &b)? {
            return Ok(());
        } else {
            let op = match node.op {
                OpKind::Add => BinaryOp::Add,
                OpKind::Sub => BinaryOp::Sub,
                OpKind::Mul => BinaryOp::Mul,
                OpKind::Div => BinaryOp::Div,
                OpKind::Mod if node.attrs.int_or("fmod", 0)? != 0 => BinaryOp::Fmod,
                OpKind::Mod => BinaryOp::Mod,
                OpKind::Max => BinaryOp::Max,
                OpKind::Min => BinaryOp::Min,
                other => return Err(format!("internal: '{other}' is not a binary op")),
            };
            self.map(MapOp::Binary(op), &dims, &[a, b])
        };
        self.set(id, 0, y);
        Ok(())
    }

    /// Equal, Less and Greater: `1.0` where the comparison holds, else `0.0`.
    pub(crate) fn compare(&mut self, id: NodeId) -> OpResult<()> {
        let op = match self.graph().node(id).op {
            OpKind::Equal => BinaryOp::Equal,
            OpKind::Less => BinaryOp::Less,
            OpKind::Greater => BinaryOp::Greater,
            other => return Err(format!("internal: '{other}' is not a comparison")),
        };
        let dims = self.out_dims(id, 0)?;
        let a = self.input(id, 0)?.broadcast_to(&dims)?;
        let b = self.input(id, 1)?.broadcast_to(&dims)?;
        let y = self.map(MapOp::Binary(op), &dims, &[a, b]);
        self.set(id, 0, y);
        Ok(())
    }

    /// Where: `cond != 0 ? x : y`, all three broadcast to the output.
    pub(crate) fn select(&mut self, id: NodeId) -> OpResult<()> {
        let dims = self.out_dims(id, 0)?;
        let operands: Vec<View> =
            (0..3).map(|slot| self.input(id, slot)?.broadcast_to(&dims)).collect::<OpResult<_>>()?;
        let y = self.map(MapOp::Select, &dims, &operands);
        self.set(id, 0, y);
        Ok(())
    }

    /// Cast between f32, integers and bool (values are f32 throughout).
    pub(crate) fn cast(&mut self, id: NodeId) -> OpResult<()> {
        let x = self.input(id, 0)?;
        let from = self.graph().value_type(self.operand(id, 0)?).dtype;
        let to = self.graph().node(id).outputs.first().ok_or("internal: cast without an output")?.dtype;
        let dims = x.dims.clone();
        let y = match (from, to) {
            (DType::F32, DType::I32 | DType::I64) => self.map(MapOp::Unary(UnaryOp::Trunc), &dims, &[x]),
            (DType::F32 | DType::I32 | DType::I64, DType::Bool) => {
                let one = self.const_view(vec![1.0], &[]).broadcast_to(&dims)?;
                let zero = self.const_view(vec![0.0], &[]).broadcast_to(&dims)?;
                self.map(MapOp::Select, &dims, &[x, one, zero])
            }
            _ => x,
        };
        self.set(id, 0, y);
        Ok(())
    }

    /// `a * b + c` in one `MulAdd` when the product's only user adds `c`
    /// (of the same shape after broadcasting, computed already).
    fn mul_add(&mut self, id: NodeId, dims: &[usize], a: &View, b: &View) -> OpResult<bool> {
        let g = self.graph();
        let Some((u, slot)) = sole_user(g, Value::first(id)) else { return Ok(false) };
        if g.node(u).op != OpKind::Add || self.out_dims(u, 0)? != dims {
            return Ok(false);
        }
        let other = self.operand(u, 1 - slot)?;
        if !self.values.contains_key(&other) && g.const_tensor(other).is_none() {
            return Ok(false);
        }
        let c = self.view(other)?.broadcast_to(dims)?;
        let y = self.map(MapOp::MulAdd, dims, &[a.clone(), b.clone(), c]);
        self.set(u, 0, y);
        self.mark_fused(u);
        Ok(true)
    }

    /// Per-channel `x * k + s` with `k = scale / sqrt(var + eps)` and
    /// `s = B - mean * k`, computed in f64.
    pub(crate) fn batch_norm(&mut self, id: NodeId) -> OpResult<()> {
        let attrs = self.attrs(id);
        if attrs.int_or("training_mode", 0)? != 0 {
            return Err("training mode is not supported".into());
        }
        let eps = f64::from(attrs.float_or("epsilon", 1e-5)?);
        let x = self.input(id, 0)?;
        if x.dims.len() < 2 {
            return Err(format!("input of rank {} has no channel axis", x.dims.len()));
        }
        let c = x.dims[1];
        let mut params = Vec::with_capacity(4);
        for (slot, what) in [(1, "scale"), (2, "B"), (3, "mean"), (4, "var")] {
            let view = self.input(id, slot)?;
            let values = self.const_values(&view).ok_or_else(|| format!("{what} must be a constant"))?;
            if values.len() != c {
                return Err(format!("{what} holds {} values for {c} channels", values.len()));
            }
            params.push(values);
        }
        let (scale, bias, mean, var) = (&params[0], &params[1], &params[2], &params[3]);
        let k: Vec<f32> = (0..c).map(|i| (f64::from(scale[i]) / (f64::from(var[i]) + eps).sqrt()) as f32).collect();
        let s: Vec<f32> = (0..c).map(|i| (f64::from(bias[i]) - f64::from(mean[i]) * f64::from(k[i])) as f32).collect();
        let dims = x.dims.clone();
        let per_channel = |v: View| -> View {
            let mut strides = vec![0isize; dims.len()];
            strides[1] = 1;
            View { base: v.base, offset: v.offset, dims: dims.clone(), strides }
        };
        let kv = self.const_view(k, &[c]);
        let sv = self.const_view(s, &[c]);
        let y = self.map(MapOp::MulAdd, &dims, &[x, per_channel(kv), per_channel(sv)]);
        self.set(id, 0, y);
        Ok(())
    }
}
