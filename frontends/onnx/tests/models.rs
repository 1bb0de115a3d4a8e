//! Loads every model in `../shared/models/*.onnx` and checks the graph
//! signatures; a missing folder or model fails the test.

use std::path::PathBuf;
use vitc_ir::{DType, Dim, Graph, ValueType};
use vitc_testkit::{model_file, models_dir, require};

fn model_paths() -> Vec<PathBuf> {
    let dir = require(models_dir(), "the reference models folder");
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "onnx"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no .onnx model in {}", dir.display());
    paths
}

fn load(name: &str) -> Graph {
    let path = model_file(&format!("{name}.onnx"));
    vitc_onnx::load_model(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn signature(g: &Graph) -> (Vec<ValueType>, Vec<ValueType>) {
    let inputs = g.inputs.iter().map(|&id| g.node(id).outputs[0].clone()).collect();
    let outputs = g.outputs.iter().map(|(_, v)| g.value_type(*v).clone()).collect();
    (inputs, outputs)
}

fn f32_type(dims: &[Dim]) -> ValueType {
    ValueType::new(DType::F32, dims.to_vec())
}

#[test]
fn every_shared_model_loads() {
    let mut failures = Vec::new();
    for path in model_paths() {
        match vitc_onnx::load_model(&path) {
            Ok(g) => {
                let (ins, outs) = signature(&g);
                eprintln!("{}: {} nodes, inputs {ins:?}, outputs {outs:?}", path.display(), g.node_count());
                assert_eq!(g.inputs.len(), 1, "{}", path.display());
                assert_eq!(g.outputs.len(), 1, "{}", path.display());
                assert_eq!(g.outputs[0].0, "output");
            }
            Err(e) => failures.push(format!("{}: {e}", path.display())),
        }
    }
    assert!(failures.is_empty(), "models that failed to load:\n{}", failures.join("\n"));
}

#[test]
fn levit_128s_signature() {
    let g = load("levit_128s");
    let k = |n: usize| Dim::Known(n);
    assert_eq!(g.name, "main_graph");
    let (ins, outs) = signature(&g);
    assert_eq!(ins, vec![f32_type(&[k(1), k(3), k(224), k(224)])]);
    assert_eq!(outs, vec![f32_type(&[k(1), k(1000)])]);
    assert_eq!(g.node(g.inputs[0]).name, "input");
}

#[test]
fn levit_128s_dynbatch_has_a_symbolic_batch() {
    let g = load("levit_128s_dynbatch");
    let k = |n: usize| Dim::Known(n);
    let (ins, outs) = signature(&g);
    assert_eq!(ins, vec![f32_type(&[Dim::sym("batch"), k(3), k(224), k(224)])]);
    assert_eq!(outs, vec![f32_type(&[Dim::sym("batch"), k(1000)])]);
}

#[test]
fn summaries_of_shared_models() {
    for path in model_paths() {
        let s = vitc_onnx::summarize(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(s.ir_version, 8);
        assert_eq!(s.opsets, vec![("ai.onnx".to_string(), 17)]);
        assert_eq!(s.producer, "pytorch 2.15.0");
        assert!(s.unsupported.is_empty(), "{}: {:?}", path.display(), s.unsupported);
        assert_eq!(s.node_count, s.op_histogram.values().sum::<usize>());
        assert_eq!(s.inputs.len(), 1);
        assert_eq!(s.inputs[0].elem_type, "float");
    }
}

#[test]
fn levit_summary_counts() {
    let path = model_file("levit_128s_dynbatch.onnx");
    let s = vitc_onnx::summarize(&path).unwrap();
    assert_eq!(s.node_count, 734);
    assert_eq!(s.op_histogram.get("MatMul"), Some(&68));
    assert_eq!(s.op_histogram.get("Constant"), Some(&162));
    let dims: Vec<String> = ["batch", "3", "224", "224"].iter().map(|s| s.to_string()).collect();
    assert_eq!(s.inputs[0].dims, Some(dims));
    // All 261 initializers are float32: 7,815,986 elements (timm's 7,777,058
    // parameters plus the BatchNorm running statistics).
    assert_eq!(s.parameter_count, 7_815_986);
    let text = s.to_string();
    assert!(text.contains("input:      input: float[batch,3,224,224]"), "{text}");
}
