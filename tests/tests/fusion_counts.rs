//! The same model from two frontends fuses the same way: LeViT-128S imported
//! from ONNX and built from its architecture definition, after the whole
//! pipeline, have the same fused-op counts (both op tables snapshotted).

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

use vitc_driver::{ModelSource, Stage};
use vitc_ir::OpKind;
use vitc_testkit::model_file;

fn op_table(source: &ModelSource) -> (String, std::collections::BTreeMap<OpKind, usize>) {
    let graph = vitc_driver::load(source, Stage::Rewritten).unwrap();
    let hist = graph.op_histogram();
    let text: String = hist.iter().map(|(k, n)| format!("{k} {n}\n")).collect();
    (text, hist)
}

#[test]
fn levit_fuses_alike_from_onnx_and_from_its_definition() {
    let onnx = model_file("levit_128s.onnx");
    let weights = model_file("levit_128s.safetensors");
    let (onnx_text, from_onnx) = op_table(&ModelSource::Onnx(onnx));
    let (arch_text, from_arch) = op_table(&ModelSource::Arch { name: "levit_128s".into(), weights: Some(weights) });
    for kind in [OpKind::Attention, OpKind::BatchNormalization, OpKind::Softmax, OpKind::HardSwish, OpKind::Gelu] {
        assert_eq!(from_onnx.get(&kind), from_arch.get(&kind), "{kind}: onnx {from_onnx:?} vs arch {from_arch:?}");
    }
    assert_eq!(from_onnx.get(&OpKind::Attention), Some(&11));
    assert_eq!(from_onnx.get(&OpKind::BatchNormalization), None);
    insta::assert_snapshot!("levit_from_onnx_ops", onnx_text);
    insta::assert_snapshot!("levit_from_arch_ops", arch_text);
}
