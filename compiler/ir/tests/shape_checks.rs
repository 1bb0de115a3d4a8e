//! Shape inference rejects what no backend could run, naming the problem:
//! attributes out of range, constant indices out of range, sizes over the
//! limits of `vitc_ir::limits`.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

use std::sync::Arc;
use vitc_ir::dim::known_shape;
use vitc_ir::{Attr, Attrs, DType, Graph, OpKind, Tensor, ValueType};

fn graph_with_input(dims: &[usize]) -> (Graph, vitc_ir::Value) {
    let mut g = Graph::new("t");
    let x = g.add_input("x", ValueType::new(DType::F32, known_shape(dims)));
    (g, x)
}

#[test]
fn gather_with_a_constant_index_past_the_axis_fails() {
    let (mut g, x) = graph_with_input(&[4, 3]);
    let ok = g.add_const("ok", Arc::new(Tensor::i64_vec(&[0, 3, -4])));
    assert!(g.add_op1("g_ok", OpKind::Gather, Attrs::new(), &[Some(x), Some(ok)]).is_ok());
    let bad = g.add_const("bad", Arc::new(Tensor::i64_vec(&[1, 4])));
    let e = g.add_op1("g_bad", OpKind::Gather, Attrs::new(), &[Some(x), Some(bad)]).unwrap_err().to_string();
    assert!(e.contains("g_bad") && e.contains("index 4 is out of range for axis 0 of size 4"), "{e}");
}

#[test]
fn softmax_axis_must_name_an_axis() {
    let (mut g, x) = graph_with_input(&[2, 5]);
    assert!(g.add_op1("s_ok", OpKind::Softmax, Attrs::new().with("axis", Attr::Int(-2)), &[Some(x)]).is_ok());
    let e = g.add_op1("s_bad", OpKind::Softmax, Attrs::new().with("axis", Attr::Int(2)), &[Some(x)]).unwrap_err();
    assert!(e.to_string().contains("s_bad"), "{e}");
}

#[test]
fn outputs_over_the_element_limit_fail_where_they_are_made() {
    // 2^16 × 2^16 = 2^32 elements from an Expand of a small input.
    let (mut g, x) = graph_with_input(&[1, 1]);
    let shape = g.add_const("shape", Arc::new(Tensor::i64_vec(&[1 << 16, 1 << 16])));
    let e = g.add_op1("big", OpKind::Expand, Attrs::new(), &[Some(x), Some(shape)]).unwrap_err().to_string();
    assert!(e.contains("big") && e.contains("4294967296 elements, more than the limit"), "{e}");
}

/// `Reshape(x, Concat(Mod(a, b), [-1]))` with constant `a`, `b` and `fmod`.
fn reshape_by_mod(a: i64, b: i64, fmod: i64) -> Result<Vec<vitc_ir::Dim>, String> {
    let (mut g, x) = graph_with_input(&[6, 4]);
    let a = g.add_const("a", Arc::new(Tensor::i64_vec(&[a])));
    let b = g.add_const("b", Arc::new(Tensor::i64_vec(&[b])));
    let rest = g.add_const("rest", Arc::new(Tensor::i64_vec(&[-1])));
    let m = g.add_op1("m", OpKind::Mod, Attrs::new().with("fmod", Attr::Int(fmod)), &[Some(a), Some(b)]).unwrap();
    let target =
        g.add_op1("t", OpKind::Concat, Attrs::new().with("axis", Attr::Int(0)), &[Some(m), Some(rest)]).unwrap();
    let r = g.add_op1("r", OpKind::Reshape, Attrs::new(), &[Some(x), Some(target)]).map_err(|e| e.to_string())?;
    Ok(g.value_type(r).shape.clone())
}

#[test]
fn reshape_targets_computed_with_mod_are_known() {
    // Python's % (fmod 0): -9 % 4 = 3; C's % (fmod 1): 11 % -4 = 3.
    assert_eq!(reshape_by_mod(-9, 4, 0).unwrap(), known_shape(&[3, 8]));
    assert_eq!(reshape_by_mod(11, -4, 1).unwrap(), known_shape(&[3, 8]));
    // Python's 11 % -4 is -1: a target of [-1, -1] names two unknown axes.
    assert!(reshape_by_mod(11, -4, 0).is_err());
}

#[test]
fn reshape_errors_print_the_target_as_numbers() {
    let (mut g, x) = graph_with_input(&[6, 4]);
    let target = g.add_const("t", Arc::new(Tensor::i64_vec(&[5, -1])));
    let e = g.add_op1("r", OpKind::Reshape, Attrs::new(), &[Some(x), Some(target)]).unwrap_err().to_string();
    assert!(e.contains("cannot reshape [6,4] into [5,-1]") && !e.contains("Int("), "{e}");
}
