//! Bad inputs: every one must be an `OnnxError` whose message names the
//! problem and where it is, never a panic.

mod common;

use common::*;
use prost::Message;
use std::path::Path;
use vitc_onnx::OnnxError;
use vitc_onnx::proto::{OperatorSetIdProto, TensorProto};

/// x:f32[1,4] → Relu → y
fn relu_model() -> vitc_onnx::proto::ModelProto {
    model(
        17,
        vec![value_info("x", FLOAT, &["1", "4"])],
        vec![],
        vec![node("Relu", &["x"], &["y"], vec![])],
        vec![value_info("y", FLOAT, &["1", "4"])],
    )
}

#[test]
fn the_relu_model_itself_loads() {
    let g = load(&relu_model()).unwrap();
    assert_eq!(g.name, "test_graph");
    assert_eq!(g.outputs.len(), 1);
}

#[test]
fn missing_file_names_the_path() {
    let err = vitc_onnx::load_model(Path::new("/nonexistent/model.onnx")).unwrap_err();
    assert!(matches!(err, OnnxError::Io { .. }));
    assert!(err.to_string().contains("/nonexistent/model.onnx"), "{err}");
}

#[test]
fn truncated_model_is_a_decode_error() {
    let bytes = encode(&relu_model());
    for cut in [bytes.len() - 1, bytes.len() / 2, 3] {
        let err = vitc_onnx::load_model_bytes(&bytes[..cut], None).unwrap_err();
        assert!(matches!(err, OnnxError::Decode { .. }), "cut {cut}: {err}");
        assert!(err.to_string().contains("not a valid ONNX protobuf (truncated or corrupt)"), "{err}");
    }
}

#[test]
fn truncated_copy_of_a_real_model_is_a_decode_error() {
    let src = vitc_testkit::model_file("levit_128s.onnx");
    let bytes = std::fs::read(&src).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
    let dir = temp_dir("truncated");
    let path = dir.join("levit_truncated.onnx");
    std::fs::write(&path, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let err = vitc_onnx::load_model(&path).unwrap_err().to_string();
    assert!(err.contains("not a valid ONNX protobuf (truncated or corrupt)"), "{err}");
    assert!(err.contains("levit_truncated.onnx"), "{err}");
    let err = vitc_onnx::summarize(&path).unwrap_err().to_string();
    assert!(err.contains("not a valid ONNX protobuf"), "{err}");
}

#[test]
fn random_bytes_are_rejected() {
    let mut rng = vitc_testkit::Rng::new(1);
    for len in [1usize, 7, 64, 1000, 100_000] {
        let bytes = rng.bytes(len);
        let err = vitc_onnx::load_model_bytes(&bytes, None).unwrap_err();
        assert!(matches!(err, OnnxError::Decode { .. } | OnnxError::NotAModel { .. }), "len {len}: {err}");
    }
}

#[test]
fn a_tensor_proto_is_not_a_model() {
    let t = f32_tensor("weights", &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let err = vitc_onnx::load_model_bytes(&t.encode_to_vec(), None).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, OnnxError::NotAModel { .. }), "{msg}");
    assert!(msg.contains("not an ONNX model") && msg.contains("TensorProto 'weights'"), "{msg}");
    // A backend-test tensor file written by Python (unpacked dims).
    let mut python = vec![0x08, 0x03, 0x10, 0x01, 0x42, 0x01, b'x', 0x4a, 0x0c];
    python.extend([1.0f32, 2.0, 3.0].iter().flat_map(|v| v.to_le_bytes()));
    let msg = vitc_onnx::load_model_bytes(&python, None).unwrap_err().to_string();
    assert!(msg.contains("not an ONNX model") && msg.contains("TensorProto 'x' (float [3])"), "{msg}");
    // A valid ModelProto without a graph.
    let m = vitc_onnx::proto::ModelProto { ir_version: 8, ..Default::default() };
    let msg = vitc_onnx::load_model_bytes(&m.encode_to_vec(), None).unwrap_err().to_string();
    assert!(msg.contains("not an ONNX model") && msg.contains("no graph"), "{msg}");
    let msg = vitc_onnx::load_model_bytes(&[], None).unwrap_err().to_string();
    assert!(msg.contains("not an ONNX model"), "{msg}");
}

#[test]
fn a_model_without_opset_imports_is_not_a_model() {
    let mut m = relu_model();
    m.opset_import.clear();
    let msg = load_err(&m);
    assert!(msg.contains("not an ONNX model") && msg.contains("operator set"), "{msg}");
}

#[test]
fn unknown_op_names_node_type_domain_and_opset() {
    let mut m = relu_model();
    m.graph.as_mut().unwrap().node[0].op_type = "NonMaxSuppression".into();
    let err = load(&m).unwrap_err();
    assert!(matches!(err, OnnxError::UnsupportedOp { .. }));
    let msg = err.to_string();
    assert!(msg.contains("'n_y'") && msg.contains("NonMaxSuppression") && msg.contains("opset 17"), "{msg}");
}

#[test]
fn ops_of_other_domains_are_unsupported() {
    let mut m = relu_model();
    m.opset_import.push(OperatorSetIdProto { domain: "com.microsoft".into(), version: 1 });
    let g = m.graph.as_mut().unwrap();
    g.node[0].op_type = "Gelu".into();
    g.node[0].domain = "com.microsoft".into();
    let msg = load_err(&m);
    assert!(msg.contains("unsupported op 'Gelu' (domain 'com.microsoft', opset 1)"), "{msg}");
}

#[test]
fn ops_newer_than_the_model_opset_are_unsupported() {
    let mut m = relu_model();
    m.graph.as_mut().unwrap().node[0].op_type = "Gelu".into();
    let msg = load_err(&m);
    assert!(msg.contains("unsupported op 'Gelu'") && msg.contains("opset 17"), "{msg}");
    assert!(msg.contains("which vitc converts from opset 20"), "{msg}");
}

#[test]
fn ops_older_than_their_first_supported_version_are_unsupported() {
    // Relu-6 is converted from opset 11 (the ops' semantics before differ or were not checked).
    let mut m = relu_model();
    m.opset_import[0].version = 9;
    let msg = load_err(&m);
    assert!(
        msg.contains("unsupported op 'Relu' (domain 'ai.onnx', opset 9), which vitc converts from opset 11"),
        "{msg}"
    );
    m.opset_import[0].version = 11;
    assert!(load(&m).is_ok());
}

#[test]
fn future_and_invalid_opsets_are_rejected() {
    for version in [0, 29] {
        let mut m = relu_model();
        m.opset_import[0].version = version;
        let msg = load_err(&m);
        assert!(msg.contains(&format!("opset {version}")) && msg.contains("1–28"), "{msg}");
    }
}

#[test]
fn missing_initializer_names_node_and_input() {
    let m = model(
        17,
        vec![value_info("x", FLOAT, &["1", "4"])],
        vec![],
        vec![node("Add", &["x", "bias"], &["y"], vec![])],
        vec![out("y")],
    );
    let err = load(&m).unwrap_err();
    assert!(matches!(err, OnnxError::MissingInput { .. }));
    let msg = err.to_string();
    assert!(msg.contains("'n_y'") && msg.contains("'bias'") && msg.contains("missing initializer"), "{msg}");
}

#[test]
fn cycles_are_reported_node_by_node() {
    let m = model(
        17,
        vec![value_info("x", FLOAT, &["4"])],
        vec![],
        vec![
            node("Add", &["x", "c"], &["a"], vec![]),
            node("Relu", &["a"], &["b"], vec![]),
            node("Neg", &["b"], &["c"], vec![]),
        ],
        vec![out("c")],
    );
    let msg = load_err(&m);
    assert!(msg.contains("the graph has a cycle through nodes 'n_a' → 'n_b' → 'n_c' → 'n_a'"), "{msg}");
}

#[test]
fn unsorted_nodes_are_sorted() {
    let m = model(
        17,
        vec![value_info("x", FLOAT, &["4"])],
        vec![],
        vec![node("Neg", &["b"], &["c"], vec![]), node("Relu", &["x"], &["b"], vec![])],
        vec![out("c")],
    );
    let g = load(&m).unwrap();
    assert_eq!(g.outputs[0].0, "c");
}

#[test]
fn graph_outputs_must_be_produced() {
    let mut m = relu_model();
    m.graph.as_mut().unwrap().output.push(out("ghost"));
    let msg = load_err(&m);
    assert!(msg.contains("graph output 'ghost'"), "{msg}");
}

#[test]
fn unsupported_input_dtype_names_the_input() {
    let mut m = relu_model();
    m.graph.as_mut().unwrap().input[0] = value_info("x", FLOAT8, &["1", "4"]);
    let err = load(&m).unwrap_err();
    assert!(matches!(err, OnnxError::UnsupportedDtype { .. }));
    assert!(err.to_string().contains("graph input 'x': unsupported element type float8e4m3fn"), "{err}");
}

#[test]
fn unsupported_initializer_dtype_names_the_tensor() {
    let t = TensorProto {
        name: "w".into(),
        dims: vec![4],
        data_type: FLOAT8,
        raw_data: vec![0x38; 4],
        ..Default::default()
    };
    let m = model(
        17,
        vec![value_info("x", FLOAT, &["4"])],
        vec![t],
        vec![node("Add", &["x", "w"], &["y"], vec![])],
        vec![out("y")],
    );
    let msg = load_err(&m);
    assert!(msg.contains("tensor 'w': unsupported element type float8e4m3fn"), "{msg}");
}

#[test]
fn input_dims_must_be_sized_or_named() {
    let mut m = relu_model();
    let input = &mut m.graph.as_mut().unwrap().input[0];
    if let Some(vitc_onnx::proto::type_proto::Value::TensorType(tt)) =
        input.r#type.as_mut().and_then(|t| t.value.as_mut())
    {
        tt.shape.as_mut().unwrap().dim[1].value = None;
    }
    let msg = load_err(&m);
    assert!(msg.contains("graph input 'x': dimension 1 has neither a size nor a name"), "{msg}");
}

#[test]
fn cast_to_float8_is_an_unsupported_dtype() {
    let m = model(
        17,
        vec![value_info("x", FLOAT, &["4"])],
        vec![],
        vec![node("Cast", &["x"], &["y"], vec![a_int("to", FLOAT8 as i64)])],
        vec![out("y")],
    );
    let msg = load_err(&m);
    assert!(msg.contains("node 'n_y' (Cast) target type: unsupported element type float8e4m3fn"), "{msg}");
}

#[test]
fn attribute_of_the_wrong_type_names_node_and_attribute() {
    let m = model(
        17,
        vec![value_info("x", FLOAT, &["2", "3"])],
        vec![],
        vec![node("Concat", &["x", "x"], &["y"], vec![a_str("axis", "zero")])],
        vec![out("y")],
    );
    let msg = load_err(&m);
    assert!(msg.contains("node 'n_y' (Concat), attribute 'axis': must be an int"), "{msg}");
}

#[test]
fn used_extra_outputs_are_errors_and_unused_ones_are_ignored() {
    let ln = |outputs: &[&str]| {
        model(
            17,
            vec![value_info("x", FLOAT, &["2", "4"])],
            vec![f32_tensor("s", &[4], &[1.0; 4])],
            vec![node("LayerNormalization", &["x", "s"], outputs, vec![])],
            vec![out("y")],
        )
    };
    load(&ln(&["y", "mean", "inv"])).unwrap();
    load(&ln(&["y", "", ""])).unwrap();
    // LayerNormalization's Mean is produced when used: [2, 4] normalised on axis -1 gives [2, 1].
    let mut m = ln(&["y", "mean"]);
    m.graph.as_mut().unwrap().output.push(out("mean"));
    let g = load(&m).unwrap();
    assert_eq!(g.value_type(g.outputs[1].1).to_string(), "f32[2,1]");
    // Dropout's mask is a training output: using it is refused.
    let mut d = model(
        17,
        vec![value_info("x", FLOAT, &["2", "4"])],
        vec![],
        vec![node("Dropout", &["x"], &["y", "mask"], vec![])],
        vec![out("y")],
    );
    d.graph.as_mut().unwrap().output.push(out("mask"));
    let err = load(&d).unwrap_err();
    assert!(err.is_unsupported(), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("node 'n_y' (Dropout): not supported: output 1 ('mask') is used"), "{msg}");
}

#[test]
fn batch_norm_in_training_mode_is_rejected() {
    let m = model(
        17,
        vec![value_info("x", FLOAT, &["1", "2", "3", "3"])],
        ["s", "b", "m", "v"].iter().map(|n| f32_tensor(n, &[2], &[1.0, 1.0])).collect(),
        vec![node("BatchNormalization", &["x", "s", "b", "m", "v"], &["y"], vec![a_int("training_mode", 1)])],
        vec![out("y")],
    );
    let msg = load_err(&m);
    assert!(msg.contains("not supported: training mode (attribute 'training_mode' = 1"), "{msg}");
}

#[test]
fn run_time_axes_are_rejected() {
    let m = model(
        18,
        vec![value_info("x", FLOAT, &["2", "4"]), value_info("axes", INT64, &["1"])],
        vec![],
        vec![node("ReduceMean", &["x", "axes"], &["y"], vec![])],
        vec![out("y")],
    );
    let err = load(&m).unwrap_err();
    assert!(err.is_unsupported(), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("node 'n_y' (ReduceMean)") && msg.contains("'axes'") && msg.contains("compile-time"), "{msg}");
}

#[test]
fn too_many_inputs_is_an_error() {
    let m = model(
        17,
        vec![value_info("x", FLOAT, &["4"])],
        vec![],
        vec![node("Relu", &["x", "x"], &["y"], vec![])],
        vec![out("y")],
    );
    let msg = load_err(&m);
    assert!(msg.contains("node 'n_y' (Relu): takes at most 1 inputs, found 2"), "{msg}");
}

#[test]
fn ir_errors_name_the_node() {
    let m = model(
        17,
        vec![value_info("x", FLOAT, &["2", "3"]), value_info("z", FLOAT, &["4", "5"])],
        vec![],
        vec![node("MatMul", &["x", "z"], &["y"], vec![])],
        vec![out("y")],
    );
    let err = load(&m).unwrap_err();
    assert!(matches!(err, OnnxError::Ir(_)), "{err}");
    assert!(err.to_string().contains("n_y"), "{err}");
}

#[test]
fn values_defined_twice_are_errors() {
    let m = model(
        17,
        vec![value_info("x", FLOAT, &["4"])],
        vec![],
        vec![node("Relu", &["x"], &["x"], vec![])],
        vec![out("x")],
    );
    let msg = load_err(&m);
    assert!(msg.contains("redefines a graph input"), "{msg}");
}

#[test]
fn frozen_inputs_become_constants() {
    use std::sync::Arc;
    use vitc_onnx::LoadOptions;
    let m = model(
        18,
        vec![value_info("x", FLOAT, &["2", "4"]), value_info("axes", INT64, &["1"])],
        vec![],
        vec![node("ReduceMean", &["x", "axes"], &["y"], vec![])],
        vec![out("y")],
    );
    let mut options = LoadOptions::default();
    options.frozen_inputs.insert("axes".into(), Arc::new(vitc_ir::Tensor::i64_vec(&[1])));
    let g = vitc_onnx::load_model_bytes_with(&encode(&m), &options).unwrap();
    assert_eq!(g.inputs.len(), 1);
    assert_eq!(g.value_type(g.outputs[0].1).shape, vec![vitc_ir::Dim::Known(2), vitc_ir::Dim::Known(1)]);

    options.frozen_inputs.insert("axes".into(), Arc::new(vitc_ir::Tensor::i64_vec(&[1, 0])));
    let msg = vitc_onnx::load_model_bytes_with(&encode(&m), &options).unwrap_err().to_string();
    assert!(msg.contains("graph input 'axes'") && msg.contains("do not fit"), "{msg}");
    options.frozen_inputs.clear();
    options.frozen_inputs.insert("nope".into(), Arc::new(vitc_ir::Tensor::i64_vec(&[1])));
    let msg = vitc_onnx::load_model_bytes_with(&encode(&m), &options).unwrap_err().to_string();
    assert!(msg.contains("graph input 'nope': cannot be frozen"), "{msg}");
}

#[test]
fn corrupted_models_never_panic() {
    // A small model over many op kinds, with one to three bytes overwritten.
    let m = model(
        18,
        vec![value_info("x", FLOAT, &["1", "2", "6", "6"])],
        vec![
            f32_tensor("w", &[4, 2, 3, 3], &[0.1; 72]),
            i64_tensor("shape", &[2], &[1, -1]),
            i64_tensor("axes", &[1], &[0]),
        ],
        vec![
            node("Conv", &["x", "w"], &["c"], vec![a_ints("pads", &[1, 1, 1, 1]), a_ints("kernel_shape", &[3, 3])]),
            node("MaxPool", &["c"], &["p"], vec![a_ints("kernel_shape", &[2, 2]), a_ints("strides", &[2, 2])]),
            node("Reshape", &["p", "shape"], &["r"], vec![]),
            node("Softmax", &["r"], &["s"], vec![a_int("axis", -1)]),
            node("Unsqueeze", &["s", "axes"], &["u"], vec![]),
            node("Transpose", &["u"], &["t"], vec![a_ints("perm", &[1, 0, 2])]),
            node("Split", &["t"], &["y", "z"], vec![a_int("axis", 2), a_int("num_outputs", 2)]),
            node("Gather", &["y", "axes"], &["g"], vec![a_int("axis", 0)]),
            node("Flatten", &["g"], &["f"], vec![a_int("axis", 1)]),
        ],
        vec![out("f"), out("z")],
    );
    let bytes = encode(&m);
    load(&m).unwrap();
    let mut rng = vitc_testkit::Rng::new(2);
    let (mut ok, mut failed) = (0, 0);
    // VITC_ONNX_FUZZ_ITERS raises the count for a longer local run.
    let iters = std::env::var("VITC_ONNX_FUZZ_ITERS").ok().and_then(|s| s.parse().ok()).unwrap_or(3000);
    for i in 0..iters {
        let mut b = bytes.clone();
        for _ in 0..1 + i % 3 {
            let at = rng.below(b.len());
            b[at] = rng.byte();
        }
        match vitc_onnx::load_model_bytes(&b, None) {
            Ok(_) => ok += 1,
            Err(e) => {
                assert!(!e.to_string().is_empty());
                failed += 1;
            }
        }
    }
    eprintln!("{ok} corrupted copies still loaded, {failed} were rejected");
}

#[test]
fn nodes_of_domains_the_model_does_not_import_are_errors() {
    let mut m = relu_model();
    m.graph.as_mut().unwrap().node[0].domain = "org.example".into();
    let msg = load_err(&m);
    assert!(msg.contains("node 'n_y' (Relu): the model imports no opset of the node's domain 'org.example'"), "{msg}");
}

#[test]
fn a_compile_time_operand_from_a_graph_input_names_that_input() {
    // Unsqueeze's axes are computed from the graph input 's' (through an Add): not foldable.
    let m = model(
        17,
        vec![value_info("x", FLOAT, &["2", "3"]), value_info("s", INT64, &["1"])],
        vec![i64_tensor("one", &[1], &[1])],
        vec![node("Add", &["s", "one"], &["t"], vec![]), node("Unsqueeze", &["x", "t"], &["y"], vec![])],
        vec![out("y")],
    );
    let msg = load_err(&m);
    assert!(
        msg.contains("node 'n_y'")
            && msg.contains("input 1 ('t', the axes) is computed at run time from graph input 's'"),
        "{msg}"
    );
}
