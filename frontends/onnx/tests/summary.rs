//! `summarize` works from the raw protobuf: it reports models whose ops this
//! frontend cannot convert instead of failing on them.

mod common;

use common::*;
use vitc_onnx::proto::{NodeProto, OperatorSetIdProto};

#[test]
fn summary_lists_unsupported_ops_and_counts_parameters() {
    let mut fused = node("FusedMatMul", &["h", "w"], &["f"], vec![]);
    fused.domain = "com.microsoft".into();
    let mut unnamed = node("NonMaxSuppression", &["f"], &["y"], vec![]);
    unnamed.name = String::new();
    let mut m = model(
        17,
        vec![value_info("x", FLOAT, &["batch", "8"]), value_info("w", FLOAT, &["8", "8"])],
        vec![f32_tensor("w", &[8, 8], &[0.5; 64]), i64_tensor("idx", &[4], &[0, 1, 2, 3])],
        vec![
            node("Relu", &["x"], &["h"], vec![]),
            fused,
            unnamed,
            node("Constant", &[], &["big"], vec![a_tensor("value", f32_tensor("", &[20], &[1.0; 20]))]),
            node("Constant", &[], &["small"], vec![a_tensor("value", f32_tensor("", &[3], &[1.0; 3]))]),
        ],
        vec![value_info("y", INT64, &["?", "3"]), out("big")],
    );
    m.opset_import.push(OperatorSetIdProto { domain: "com.microsoft".into(), version: 1 });
    let dir = temp_dir("summary");
    let path = dir.join("mixed.onnx");
    std::fs::write(&path, encode(&m)).unwrap();

    let s = vitc_onnx::summarize(&path).unwrap();
    assert_eq!(s.graph_name, "test_graph");
    assert_eq!(s.ir_version, 10);
    assert_eq!(s.producer, "vitc-tests");
    assert_eq!(s.opsets, vec![("ai.onnx".to_string(), 17), ("com.microsoft".to_string(), 1)]);
    assert_eq!(s.inputs.len(), 1, "initializer-backed inputs are not listed");
    assert_eq!(s.inputs[0].to_string(), "x: float[batch,8]");
    assert_eq!(s.outputs[0].elem_type, "int64");
    assert_eq!(s.outputs[1].dims, None);
    assert_eq!(s.node_count, 5);
    assert_eq!(s.op_histogram.get("com.microsoft:FusedMatMul"), Some(&1));
    assert_eq!(s.op_histogram.get("Constant"), Some(&2));
    // 64 float initializer elements + the 20-element float constant; the int64
    // initializer and the 3-element constant are not parameters.
    assert_eq!(s.parameter_count, 84);
    assert_eq!(s.initializer_count, 2);
    let unsupported: Vec<(&str, &str, &str)> =
        s.unsupported.iter().map(|(n, o, d)| (n.as_str(), o.as_str(), d.as_str())).collect();
    assert_eq!(
        unsupported,
        vec![("n_f", "FusedMatMul", "com.microsoft"), ("NonMaxSuppression_2", "NonMaxSuppression", "ai.onnx")]
    );
    let text = s.to_string();
    assert!(text.contains("unsupported: 2") && text.contains("n_f: com.microsoft:FusedMatMul"), "{text}");

    // Loading the same file fails at the first unsupported node.
    let msg = vitc_onnx::load_model(&path).unwrap_err().to_string();
    assert!(msg.contains("unsupported op 'FusedMatMul' (domain 'com.microsoft', opset 1)"), "{msg}");
}

#[test]
fn summary_of_a_file_without_graph_name_uses_the_stem() {
    let mut m = model(13, vec![value_info("x", FLOAT, &["2"])], vec![], vec![NodeProto::default()], vec![]);
    m.graph.as_mut().unwrap().name = String::new();
    let dir = temp_dir("summary-stem");
    let path = dir.join("nameless.onnx");
    std::fs::write(&path, encode(&m)).unwrap();
    let s = vitc_onnx::summarize(&path).unwrap();
    assert_eq!(s.graph_name, "nameless");
    assert_eq!(s.unsupported.len(), 1, "a node without op_type is unsupported: {:?}", s.unsupported);
}
