//! Proof-style tests of the rule tables (after egg's `tests/math.rs`): a small
//! graph in the text form goes in, the named rule group runs, and the result
//! must print as the expected goal and compute the same values.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

use vitc_ir::text::{parse_graph, print_graph};
use vitc_ir::{Tensor, Weights};

fn input_for(graph: &vitc_ir::Graph) -> Vec<Tensor> {
    graph
        .inputs
        .iter()
        .map(|&i| {
            let dims = vitc_ir::dim::shape_sizes(&graph.node(i).outputs[0].shape).unwrap();
            let n: usize = dims.iter().product();
            let data = (0..n).map(|k| ((k * 37 % 23) as f32 - 11.0) / 7.0).collect();
            Tensor::F32(vitc_ir::ndarray::ArrayD::from_shape_vec(vitc_ir::ndarray::IxDyn(&dims), data).unwrap())
        })
        .collect()
}

/// `start` rewritten by `group` prints as `goal` and computes the same.
fn prove(group: &str, start: &str, goal: &str) {
    let graph = parse_graph(start, &Weights::default()).unwrap();
    vitc_ir::verify::verify(&graph).unwrap();
    let (out, _) = vitc_rewrite::rewrite_with(&graph, &vitc_rewrite::rules::group(group).unwrap()).unwrap();
    let text = print_graph(&out).unwrap();
    assert_eq!(text.trim(), goal.trim(), "rewritten graph:\n{text}");
    let x = input_for(&graph);
    let a = vitc_interp::run(&graph, &x).unwrap();
    let b = vitc_interp::run(&out, &x).unwrap();
    let (a, b) = (a[0].to_f64_vec(), b[0].to_f64_vec());
    for (p, q) in a.iter().zip(&b) {
        assert!((p - q).abs() <= 1e-5 * (1.0 + q.abs()), "{p} vs {q}");
    }
}

#[test]
fn gelu_from_erf_as_exported() {
    prove(
        "activation",
        r#"graph g {
  %0: f32[2,3] = input "x"
  %1: f32[] = const [1.4142135]
  %2: f32[2,3] = div(%0, %1)
  %3: f32[2,3] = erf(%2)
  %4: f32[] = const [1.0]
  %5: f32[2,3] = add(%3, %4)
  %6: f32[2,3] = mul(%0, %5)
  %7: f32[] = const [0.5]
  %8: f32[2,3] = mul(%6, %7)
  return %8 "y"
}"#,
        r#"graph g {
  %0: f32[2,3] = input "x"
  %1: f32[2,3] = gelu(%0)
  return %1 "y"
}"#,
    );
}

#[test]
fn gelu_needs_the_right_constants() {
    let start = r#"graph g {
  %0: f32[2,3] = input "x"
  %1: f32[] = const [1.5]
  %2: f32[2,3] = div(%0, %1)
  %3: f32[2,3] = erf(%2)
  %4: f32[] = const [1.0]
  %5: f32[2,3] = add(%3, %4)
  %6: f32[2,3] = mul(%0, %5)
  %7: f32[] = const [0.5]
  %8: f32[2,3] = mul(%6, %7)
  return %8 "y"
}"#;
    // Dividing by 1.5 is not GELU: nothing changes.
    prove("activation", start, start);
}

#[test]
fn transposes_compose_and_cancel() {
    prove(
        "layout",
        r#"graph g {
  %0: f32[2,3,4] = input "x"
  %1: f32[3,2,4] = transpose(%0) {perm=[1,0,2]}
  %2: f32[4,2,3] = transpose(%1) {perm=[2,1,0]}
  return %2 "y"
}"#,
        r#"graph g {
  %0: f32[2,3,4] = input "x"
  %1: f32[4,2,3] = transpose(%0) {perm=[2,0,1]}
  return %1 "y"
}"#,
    );
    prove(
        "layout",
        r#"graph g {
  %0: f32[2,3,4] = input "x"
  %1: f32[3,2,4] = transpose(%0) {perm=[1,0,2]}
  %2: f32[2,3,4] = transpose(%1) {perm=[1,0,2]}
  %3: f32[2,3,4] = relu(%2)
  return %3 "y"
}"#,
        r#"graph g {
  %0: f32[2,3,4] = input "x"
  %1: f32[2,3,4] = relu(%0)
  return %1 "y"
}"#,
    );
}

#[test]
fn batchnorm_folds_into_conv() {
    prove(
        "batchnorm",
        r#"graph g {
  %0: f32[1,2,3,3] = input "x"
  %1: f32[2,2,1,1] = const [1.0,2.0,3.0,4.0]
  %2: f32[1,2,3,3] = conv(%0, %1, _) {kernel_shape=[1,1]}
  %3: f32[2] = const [1.0,2.0]
  %4: f32[2] = const [0.5,-0.5]
  %5: f32[2] = const [0.25,0.75]
  %6: f32[2] = const [4.0,0.25]
  %7: f32[1,2,3,3] = batch_normalization(%2, %3, %4, %5, %6) {epsilon=0.0}
  return %7 "y"
}"#,
        r#"graph g {
  %0: f32[1,2,3,3] = input "x"
  %1: f32[2,2,1,1] = const [0.5,1.0,12.0,16.0]
  %2: f32[2] = const [0.375,-3.5]
  %3: f32[1,2,3,3] = conv(%0, %1, %2) {kernel_shape=[1,1]}
  return %3 "y"
}"#,
    );
}

#[test]
fn batchnorm_folds_into_a_flattened_matmul() {
    prove(
        "batchnorm",
        r#"graph g {
  %0: f32[1,3,2] = input "x"
  %1: f32[2,2] = const [1.0,2.0,3.0,4.0]
  %2: f32[1,3,2] = matmul(%0, %1)
  %3: f32[3,2] = flatten(%2) {axis=2}
  %4: f32[2] = const [1.0,2.0]
  %5: f32[2] = const [0.5,-0.5]
  %6: f32[2] = const [0.25,0.75]
  %7: f32[2] = const [4.0,0.25]
  %8: f32[3,2] = batch_normalization(%3, %4, %5, %6, %7) {epsilon=0.0}
  return %8 "y"
}"#,
        r#"graph g {
  %0: f32[1,3,2] = input "x"
  %1: f32[2,2] = const [0.5,8.0,1.5,16.0]
  %2: f32[1,3,2] = matmul(%0, %1)
  %3: f32[2] = const [0.375,-3.5]
  %4: f32[1,3,2] = add(%2, %3)
  %5: f32[3,2] = flatten(%4) {axis=2}
  return %5 "y"
}"#,
    );
}

#[test]
fn batchnorm_folds_into_the_following_gemm() {
    prove(
        "batchnorm",
        r#"graph g {
  %0: f32[1,2] = input "x"
  %1: f32[2] = const [1.0,2.0]
  %2: f32[2] = const [0.5,-0.5]
  %3: f32[2] = const [0.25,0.75]
  %4: f32[2] = const [4.0,0.25]
  %5: f32[1,2] = batch_normalization(%0, %1, %2, %3, %4) {epsilon=0.0}
  %6: f32[3,2] = const [1.0,0.0,0.0,1.0,1.0,1.0]
  %7: f32[3] = const [0.0,0.0,1.0]
  %8: f32[1,3] = gemm(%5, %6, %7) {transB=1}
  return %8 "y"
}"#,
        r#"graph g {
  %0: f32[1,2] = input "x"
  %1: f32[3,2] = const [0.5,0.0,0.0,4.0,0.5,4.0]
  %2: f32[3] = const [0.375,-3.5,-2.125]
  %3: f32[1,3] = gemm(%0, %1, %2) {transB=1}
  return %3 "y"
}"#,
    );
}

#[test]
fn softmax_from_its_stable_decomposition() {
    prove(
        "normalization",
        r#"graph g {
  %0: f32[2,5] = input "x"
  %1: f32[2,1] = reduce_max(%0) {axes=[1], keepdims=1}
  %2: f32[2,5] = sub(%0, %1)
  %3: f32[2,5] = exp(%2)
  %4: f32[2,1] = reduce_sum(%3) {axes=[1], keepdims=1}
  %5: f32[2,5] = div(%3, %4)
  return %5 "y"
}"#,
        r#"graph g {
  %0: f32[2,5] = input "x"
  %1: f32[2,5] = softmax(%0) {axis=-1}
  return %1 "y"
}"#,
    );
}

#[test]
fn softmax_over_another_axis_keeps_the_subtraction() {
    // The sum runs over axis 0 but the max over axis 1: the stable form does not
    // apply; the plain one does, with the subtraction as its argument.
    prove(
        "normalization",
        r#"graph g {
  %0: f32[2,5] = input "x"
  %1: f32[2,1] = reduce_max(%0) {axes=[1], keepdims=1}
  %2: f32[2,5] = sub(%0, %1)
  %3: f32[2,5] = exp(%2)
  %4: f32[1,5] = reduce_sum(%3) {axes=[0], keepdims=1}
  %5: f32[2,5] = div(%3, %4)
  return %5 "y"
}"#,
        r#"graph g {
  %0: f32[2,5] = input "x"
  %1: f32[2,1] = reduce_max(%0) {axes=[1], keepdims=1}
  %2: f32[2,5] = sub(%0, %1)
  %3: f32[2,5] = softmax(%2) {axis=-2}
  return %3 "y"
}"#,
    );
}

#[test]
fn layernorm_from_its_decomposition() {
    prove(
        "normalization",
        r#"graph g {
  %0: f32[2,4] = input "x"
  %1: f32[2,1] = reduce_mean(%0) {axes=[-1], keepdims=1}
  %2: f32[2,4] = sub(%0, %1)
  %3: f32[] = const [2.0]
  %4: f32[2,4] = pow(%2, %3)
  %5: f32[2,1] = reduce_mean(%4) {axes=[-1], keepdims=1}
  %6: f32[] = const [1e-5]
  %7: f32[2,1] = add(%5, %6)
  %8: f32[2,1] = sqrt(%7)
  %9: f32[2,4] = div(%2, %8)
  %10: f32[4] = const [1.0,2.0,3.0,4.0]
  %11: f32[2,4] = mul(%9, %10)
  %12: f32[4] = const [0.5,0.5,-0.5,-0.5]
  %13: f32[2,4] = add(%11, %12)
  return %13 "y"
}"#,
        r#"graph g {
  %0: f32[2,4] = input "x"
  %1: f32[4] = const [1.0,2.0,3.0,4.0]
  %2: f32[4] = const [0.5,0.5,-0.5,-0.5]
  %3: f32[2,4] = layer_normalization(%0, %1, %2) {axis=-1, epsilon=1e-5}
  return %3 "y"
}"#,
    );
}

/// CSWin's LePE: the depthwise conv reads V through a transpose and reshape
/// and its output comes back through the inverse; it fuses into the op.
#[test]
fn lepe_into_attention() {
    prove(
        "lepe",
        r#"graph g {
  %0: f32[1,2,4,2] = input "q"
  %1: f32[1,2,2,4] = input "kt"
  %2: f32[1,2,4,3] = input "v"
  %3: f32[1,2,4,3] = attention(%0, %1, %2) {scale=0.5}
  %4: f32[1,2,3,4] = transpose(%2) {perm=[0,1,3,2]}
  %5: i64[4] = const [1,6,2,2]
  %6: f32[1,6,2,2] = reshape(%4, %5)
  %7: f32[6,1,3,3] = const [-0.5,0.2,-0.2,0.5,0.1,-0.3,0.4,0.0,-0.4,0.3,-0.1,-0.5,0.2,-0.2,0.5,0.1,-0.3,0.4,0.0,-0.4,0.3,-0.1,-0.5,0.2,-0.2,0.5,0.1,-0.3,0.4,0.0,-0.4,0.3,-0.1,-0.5,0.2,-0.2,0.5,0.1,-0.3,0.4,0.0,-0.4,0.3,-0.1,-0.5,0.2,-0.2,0.5,0.1,-0.3,0.4,0.0,-0.4,0.3]
  %8: f32[6] = const [-0.2,0.1,-0.1,0.2,0.0,-0.2]
  %9: f32[1,6,2,2] = conv(%6, %7, %8) {group=6, kernel_shape=[3,3], pads=[1,1,1,1]}
  %10: i64[4] = const [1,2,3,4]
  %11: f32[1,2,3,4] = reshape(%9, %10)
  %12: f32[1,2,4,3] = transpose(%11) {perm=[0,1,3,2]}
  %13: f32[1,2,4,3] = add(%3, %12)
  return %13 "y"
}"#,
        r#"graph g {
  %0: f32[1,2,4,2] = input "q"
  %1: f32[1,2,2,4] = input "kt"
  %2: f32[1,2,4,3] = input "v"
  %3: f32[6,1,3,3] = const @"c7"
  %4: f32[6] = const [-0.2,0.1,-0.1,0.2,0.0,-0.2]
  %5: f32[1,2,4,3] = attention(%0, %1, %2, _, %3, %4) {lepe_grid=[2,2], lepe_pads=[1,1], scale=0.5}
  return %5 "y"
}"#,
    );
}

/// The same conv over V reshaped without the transpose mixes positions and
/// channels: it is not a LePE and must stay.
#[test]
fn lepe_needs_matching_layouts() {
    let start = r#"graph g {
  %0: f32[1,2,4,2] = input "q"
  %1: f32[1,2,2,4] = input "kt"
  %2: f32[1,2,4,3] = input "v"
  %3: f32[1,2,4,3] = attention(%0, %1, %2) {scale=0.5}
  %4: f32[1,2,4,3] = identity(%2)
  %5: i64[4] = const [1,6,2,2]
  %6: f32[1,6,2,2] = reshape(%4, %5)
  %7: f32[6,1,3,3] = const [-0.5,0.2,-0.2,0.5,0.1,-0.3,0.4,0.0,-0.4,0.3,-0.1,-0.5,0.2,-0.2,0.5,0.1,-0.3,0.4,0.0,-0.4,0.3,-0.1,-0.5,0.2,-0.2,0.5,0.1,-0.3,0.4,0.0,-0.4,0.3,-0.1,-0.5,0.2,-0.2,0.5,0.1,-0.3,0.4,0.0,-0.4,0.3,-0.1,-0.5,0.2,-0.2,0.5,0.1,-0.3,0.4,0.0,-0.4,0.3]
  %8: f32[6] = const [-0.2,0.1,-0.1,0.2,0.0,-0.2]
  %9: f32[1,6,2,2] = conv(%6, %7, %8) {group=6, kernel_shape=[3,3], pads=[1,1,1,1]}
  %10: i64[4] = const [1,2,3,4]
  %11: f32[1,2,3,4] = reshape(%9, %10)
  %12: f32[1,2,4,3] = transpose(%11) {perm=[0,1,3,2]}
  %13: f32[1,2,4,3] = add(%3, %12)
  return %13 "y"
}"#;
    let graph = parse_graph(start, &Weights::default()).unwrap();
    let (out, _) = vitc_rewrite::rewrite_with(&graph, &vitc_rewrite::rules::group("lepe").unwrap()).unwrap();
    let text = print_graph(&out).unwrap();
    assert!(text.contains("conv("), "the conv must survive:\n{text}");
    assert!(!text.contains("lepe_grid"), "no LePE fusion expected:\n{text}");
}
