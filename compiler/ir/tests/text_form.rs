//! The text form prints, parses back and prints the same; the parser rejects
//! broken text with the line at fault.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

use std::sync::Arc;
use vitc_ir::text::{parse_graph, print_graph};
use vitc_ir::verify::verify;
use vitc_ir::{Attr, Attrs, DType, Dim, Graph, OpKind, Tensor, ValueType};

fn small_block() -> Graph {
    let mut g = Graph::new("block");
    let x = g.add_input("input", ValueType::new(DType::F32, vec![Dim::sym("batch"), Dim::Known(196), Dim::Known(128)]));
    let w =
        g.add_const("qkv.weight", Arc::new(Tensor::F32(ndarray::ArrayD::from_elem(ndarray::IxDyn(&[128, 384]), 0.5))));
    let qkv = g.add_op1("qkv", OpKind::MatMul, Attrs::new(), &[Some(x), Some(w)]).unwrap();
    let parts = g.add_op("split", OpKind::Split, Attrs::new().with("axis", Attr::Int(-1)), &[Some(qkv)], 3).unwrap();
    let shape = g.add_const("target", Arc::new(Tensor::i64_vec(&[0, 196, 4, -1])));
    let q = g.add_op1("reshape", OpKind::Reshape, Attrs::new(), &[Some(parts[0]), Some(shape)]).unwrap();
    let eps = g.add_const("eps", Arc::new(Tensor::f32_scalar(1e-5)));
    let y = g.add_op1("add", OpKind::Add, Attrs::new(), &[Some(q), Some(eps)]).unwrap();
    let s = g
        .add_op1(
            "softmax",
            OpKind::Softmax,
            Attrs::new().with("axis", Attr::Int(-1)).with("note", Attr::Str("a \"q\"".into())),
            &[Some(y)],
        )
        .unwrap();
    g.outputs.push(("output".into(), s));
    g.outputs.push(("v".into(), parts[2]));
    g
}

#[test]
fn text_round_trips_and_verifies() {
    let g = small_block();
    verify(&g).unwrap();
    let text = print_graph(&g).unwrap();
    assert!(text.contains("%0: f32[batch,196,128] = input \"input\""), "{text}");
    assert!(text.contains("= const [0,196,4,-1]"), "{text}");
    assert!(text.contains("f32[batch,196,4,32] = reshape("), "{text}");
    let back = parse_graph(&text, &g.weights).unwrap();
    verify(&back).unwrap();
    assert_eq!(print_graph(&back).unwrap(), text);
    // The large weight is shared with the original table, not copied.
    let id = back.weights.find("qkv.weight").unwrap();
    let orig = g.weights.find("qkv.weight").unwrap();
    assert!(Arc::ptr_eq(&back.weights.get(id).tensor, &g.weights.get(orig).tensor));
}

#[test]
fn parser_names_the_line_at_fault() {
    let g = small_block();
    let text = print_graph(&g).unwrap();
    let broken = text.replace("matmul(", "matmull(");
    let err = parse_graph(&broken, &g.weights).unwrap_err().to_string();
    assert!(err.contains("line 4") && err.contains("unknown op 'matmull'"), "{err}");
    let err = parse_graph(&text, &Default::default()).unwrap_err().to_string();
    assert!(err.contains("weight 'qkv.weight' is not in the weight table"), "{err}");
    let err = parse_graph("graph g {\n  return %3 \"y\"\n}\n", &g.weights).unwrap_err().to_string();
    assert!(err.contains("line 2") && err.contains("%3 is used before it is defined"), "{err}");
}

#[test]
fn verifier_catches_a_wrong_declared_type() {
    let g = small_block();
    let text = print_graph(&g).unwrap().replace("f32[batch,196,4,32] = reshape(", "f32[batch,196,4,33] = reshape(");
    let bad = parse_graph(&text, &g.weights).unwrap();
    let err = verify(&bad).unwrap_err().to_string();
    assert!(err.contains("declared types f32[batch,196,4,33] but inference gives f32[batch,196,4,32]"), "{err}");
}

#[test]
fn inference_rejects_mismatched_operands_naming_the_node() {
    let mut g = Graph::new("bad");
    let a = g.add_input("a", ValueType::new(DType::F32, vitc_ir::dim::known_shape(&[2, 3])));
    let b = g.add_input("b", ValueType::new(DType::F32, vitc_ir::dim::known_shape(&[4, 5])));
    let err = g.add_op1("mm", OpKind::MatMul, Attrs::new(), &[Some(a), Some(b)]).unwrap_err().to_string();
    assert_eq!(err, "node 'mm' (matmul): contraction sizes differ: 3 vs 4");
}

#[test]
fn dot_has_one_edge_per_operand_and_output() {
    let g = small_block();
    let dot = vitc_ir::dot::to_dot(&g, "block").unwrap();
    assert!(dot.starts_with("digraph \"block\" {"));
    let operand_edges: usize = g.node_ids().iter().map(|&id| g.operands(id).iter().flatten().count()).sum();
    assert_eq!(dot.matches(" -> ").count(), operand_edges + g.outputs.len());
    assert!(dot.contains("label=\"matmul\""), "{dot}");
    assert!(
        dot.contains("softmax\\n{axis=-1, note=\\\"a \\\\\\\"q\\\\\\\"\\\"}") || dot.contains("softmax\\n"),
        "{dot}"
    );
}
