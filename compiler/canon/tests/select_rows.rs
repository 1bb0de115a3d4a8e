//! The row-selection pushdown (`push_row_selections`): a class-token head
//! (`gather(..., 0, axis=1)` after a pre-norm MLP block) must end up with the
//! selection right after the block's input, compute the same output as the
//! graph before the pass (checked with the interpreter), and leave alone a
//! selection whose source something else also reads, or that an operand
//! broadcast along the selected axis stops.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

use std::sync::Arc;

use vitc_ir::ndarray::{ArrayD, IxDyn};
use vitc_ir::{Attr, Attrs, DType, Dim, Graph, OpKind, Tensor, Value, ValueType};

const TOKENS: usize = 5;
const WIDTH: usize = 8;
const HIDDEN: usize = 16;

/// Deterministic values in [-1, 1).
fn values(n: usize, seed: u64) -> Vec<f32> {
    vitc_testkit::Rng::new(seed).vec(n, -1.0, 1.0)
}

fn tensor(dims: &[usize], seed: u64) -> Tensor {
    let n = dims.iter().product();
    Tensor::F32(ArrayD::from_shape_vec(IxDyn(dims), values(n, seed)).unwrap())
}

fn op(g: &mut Graph, op: OpKind, attrs: Attrs, operands: &[Value]) -> Value {
    let operands: Vec<Option<Value>> = operands.iter().map(|&v| Some(v)).collect();
    g.add_op(op.name(), op, attrs, &operands, 1).unwrap()[0]
}

/// `x + mlp(ln(x))`, then `ln` again and the token `index` selected; when
/// `leak` is set, the block's residual sum is also a graph output.
fn class_token_block(index: i64, leak: bool) -> Graph {
    let mut g = Graph::new("block");
    let shape = vec![Dim::Known(1), Dim::Known(TOKENS), Dim::Known(WIDTH)];
    let x = g.add_input("x", ValueType::new(DType::F32, shape));
    let gamma = g.add_const("gamma", Arc::new(tensor(&[WIDTH], 1)));
    let beta = g.add_const("beta", Arc::new(tensor(&[WIDTH], 2)));
    let w1 = g.add_const("w1", Arc::new(tensor(&[WIDTH, HIDDEN], 3)));
    let b1 = g.add_const("b1", Arc::new(tensor(&[HIDDEN], 4)));
    let w2 = g.add_const("w2", Arc::new(tensor(&[HIDDEN, WIDTH], 5)));
    let ln_attrs = Attrs::new().with("axis", Attr::Int(-1));
    let n = op(&mut g, OpKind::LayerNormalization, ln_attrs.clone(), &[x, gamma, beta]);
    let h = op(&mut g, OpKind::MatMul, Attrs::new(), &[n, w1]);
    let h = op(&mut g, OpKind::Add, Attrs::new(), &[b1, h]);
    let h = op(&mut g, OpKind::Gelu, Attrs::new(), &[h]);
    let h = op(&mut g, OpKind::MatMul, Attrs::new(), &[h, w2]);
    let y = op(&mut g, OpKind::Add, Attrs::new(), &[x, h]);
    let n2 = op(&mut g, OpKind::LayerNormalization, ln_attrs, &[y, gamma, beta]);
    let idx = g.add_const("idx", Arc::new(Tensor::I64(ArrayD::from_elem(IxDyn(&[]), index))));
    let cls = op(&mut g, OpKind::Gather, Attrs::new().with("axis", Attr::Int(1)), &[n2, idx]);
    g.outputs.push(("cls".into(), cls));
    if leak {
        g.outputs.push(("sum".into(), y));
    }
    g
}

/// The operand `gather` nodes read, for every gather in the graph.
fn gathered(g: &Graph) -> Vec<OpKind> {
    g.node_ids()
        .into_iter()
        .filter(|&id| g.node(id).op == OpKind::Gather)
        .map(|id| g.node(g.operand(id, 0).unwrap().node).op)
        .collect()
}

fn run(g: &Graph) -> Vec<Tensor> {
    let x = tensor(&[1, TOKENS, WIDTH], 9);
    vitc_interp::run(g, &[x]).unwrap()
}

#[test]
fn selection_moves_to_the_block_input_and_keeps_the_result() {
    for index in [0, 3, -1] {
        let before = class_token_block(index, false);
        let mut after = before.clone();
        let stats = vitc_canon::canonicalize(&mut after).unwrap();
        assert!(stats.rows_selected >= 6, "index {index}: {stats:?}");
        // Every remaining selection reads the graph input: nothing row-wise
        // runs for the other tokens any more.
        assert_eq!(gathered(&after), vec![OpKind::Input], "index {index}");
        let (want, got) = (run(&before), run(&after));
        let (Tensor::F32(w), Tensor::F32(o)) = (&want[0], &got[0]) else { panic!("f32 outputs") };
        assert_eq!(w.shape(), o.shape());
        let diff = w.iter().zip(o.iter()).fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
        assert!(diff <= 1e-6, "index {index}: max difference {diff}");
    }
}

#[test]
fn a_source_read_elsewhere_is_not_narrowed() {
    let mut g = class_token_block(0, true);
    vitc_canon::canonicalize(&mut g).unwrap();
    // The residual sum is an output for all tokens, so the selection can
    // pass the final LayerNorm but not the sum.
    assert_eq!(gathered(&g), vec![OpKind::Add]);
    let sum = g.outputs[1].1;
    assert_eq!(g.value_type(sum).shape.len(), 3, "the full residual sum is still computed");
}

#[test]
fn an_operand_broadcast_along_the_axis_stops_the_selection() {
    // `gelu(x · s)` with `s` of shape [1, 1, WIDTH]: the selection passes
    // the GELU but not the product (its second operand would need a
    // different selection); canonicalisation must still finish.
    let mut g = Graph::new("broadcast");
    let shape = vec![Dim::Known(1), Dim::Known(TOKENS), Dim::Known(WIDTH)];
    let x = g.add_input("x", ValueType::new(DType::F32, shape));
    let s = g.add_const("s", Arc::new(tensor(&[1, 1, WIDTH], 6)));
    let p = op(&mut g, OpKind::Mul, Attrs::new(), &[x, s]);
    let y = op(&mut g, OpKind::Gelu, Attrs::new(), &[p]);
    let idx = g.add_const("idx", Arc::new(Tensor::I64(ArrayD::from_elem(IxDyn(&[]), 2))));
    let cls = op(&mut g, OpKind::Gather, Attrs::new().with("axis", Attr::Int(1)), &[y, idx]);
    g.outputs.push(("cls".into(), cls));
    let before = g.clone();
    let stats = vitc_canon::canonicalize(&mut g).unwrap();
    assert_eq!(stats.rows_selected, 1, "{stats:?}");
    assert_eq!(gathered(&g), vec![OpKind::Mul]);
    let (Tensor::F32(w), Tensor::F32(o)) = (&run(&before)[0], &run(&g)[0]) else { panic!("f32 outputs") };
    assert_eq!(w, o);
}
