//! The signal windows, constants of a compile-time `size`, opsets 17–28
//! (`periodic` 1: the denominator `N` is `size`, else `size − 1`;
//! `output_datatype` float, computed in f64 and held as f32):
//! [HannWindow](https://onnx.ai/onnx/operators/onnx__HannWindow.html)
//! `sin²(πn/N)`,
//! [HammingWindow](https://onnx.ai/onnx/operators/onnx__HammingWindow.html)
//! `25/46 − 21/46·cos(2πn/N)`,
//! [BlackmanWindow](https://onnx.ai/onnx/operators/onnx__BlackmanWindow.html)
//! `0.42 − 0.5·cos(2πn/N) + 0.08·cos(4πn/N)`.

use super::NodeCtx;
use super::compose::Compose;
use crate::error::Result;
use crate::tensor::{dtype_name, dtype_of};
use std::f64::consts::PI;
use vitc_ir::ndarray::{ArrayD, IxDyn};
use vitc_ir::{DType, Graph, OpKind, Tensor, Value};

pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    let mut b = Compose::new(n);
    let size = match n.const_ints(g, 0, "size")? {
        Some(v) if v.len() == 1 && v[0] >= 0 => v[0] as usize,
        Some(v) => return Err(n.err(format!("size must be one non-negative value, found {v:?}"))),
        None => return Err(n.err("input 0 (size) is required")),
    };
    let dtype = n.attr_int("output_datatype")?.unwrap_or(1);
    let dtype = i32::try_from(dtype).unwrap_or(-1);
    if dtype_of(dtype) != Some(DType::F32) {
        return Err(n.attr_err("output_datatype", format!("{} is not a float type", dtype_name(dtype))));
    }
    let periodic = n.attr_int("periodic")?.unwrap_or(1) != 0;
    let denominator = if periodic { size as f64 } else { size as f64 - 1.0 };
    let w = |i: usize| -> f64 {
        let x = i as f64 / denominator;
        match n.op_type() {
            "HannWindow" => (PI * x).sin().powi(2),
            "HammingWindow" => 25.0 / 46.0 - 21.0 / 46.0 * (2.0 * PI * x).cos(),
            _ => 0.42 - 0.5 * (2.0 * PI * x).cos() + 0.08 * (4.0 * PI * x).cos(),
        }
    };
    let values: Vec<f32> = (0..size).map(|i| w(i) as f32).collect();
    let array = ArrayD::from_shape_vec(IxDyn(&[size]), values).map_err(|e| n.err(e.to_string()))?;
    let window = b.constant(g, Tensor::F32(array));
    b.last(g, OpKind::Identity, &[window])
}
