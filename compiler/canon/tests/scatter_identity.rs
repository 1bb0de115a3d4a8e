//! `scatter_nd` whose constant indices name every position of the data in
//! order is `updates` (PyTorch exports `x[:, :, :, :] = y` so, e.g. MViTv2's
//! relative-position bias); any other index list keeps the op.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

use std::sync::Arc;
use vitc_ir::dim::known_shape;
use vitc_ir::ndarray::{ArrayD, IxDyn};
use vitc_ir::{Attrs, DType, Graph, OpKind, Tensor, ValueType};

/// `scatter_nd(x, indices, y)` over `[2, 3]` inputs, with the graph output
/// being the scatter; `tuples` are the index tuples in order.
fn scatter_graph(tuples: &[[i64; 2]]) -> Graph {
    let mut g = Graph::new("t");
    let ty = ValueType::new(DType::F32, known_shape(&[2, 3]));
    let x = g.add_input("x", ty.clone());
    let y = g.add_input("y", ty);
    let flat: Vec<i64> = tuples.iter().flatten().copied().collect();
    let idx = Tensor::I64(ArrayD::from_shape_vec(IxDyn(&[2, 3, 2]), flat).unwrap());
    let idx = g.add_const("idx", Arc::new(idx));
    let s = g.add_op1("s", OpKind::ScatterND, Attrs::new(), &[Some(x), Some(idx), Some(y)]).unwrap();
    g.outputs.push(("out".into(), s));
    g
}

fn output_node_op(g: &Graph) -> OpKind {
    g.node(g.outputs[0].1.node).op
}

#[test]
fn full_identity_indices_make_the_scatter_its_updates() {
    let all = [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]];
    let mut g = scatter_graph(&all);
    assert_eq!(vitc_canon::remove_identities(&mut g).unwrap(), 1);
    let out = g.outputs[0].1;
    assert_eq!((g.node(out.node).op, g.node(out.node).name.as_str()), (OpKind::Input, "y"));
}

#[test]
fn other_indices_keep_the_scatter() {
    // The same positions in another order (a permutation, not a copy).
    let swapped = [[0, 1], [0, 0], [0, 2], [1, 0], [1, 1], [1, 2]];
    let mut g = scatter_graph(&swapped);
    assert_eq!(vitc_canon::remove_identities(&mut g).unwrap(), 0);
    assert_eq!(output_node_op(&g), OpKind::ScatterND);
}
