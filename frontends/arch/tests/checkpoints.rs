//! Checkpoints: seeded weights exported as safetensors load back to the same
//! graph, and bad checkpoints (missing, unexpected, mis-shaped or mis-typed
//! tensors, truncated files, broken headers, out-of-range indices) give the
//! documented errors naming the tensor, never a panic.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

use ndarray::{ArrayD, IxDyn};
use std::collections::BTreeMap;
use std::path::PathBuf;
use vitc_arch::safetensors::serialize;
use vitc_arch::{ArchError, BuildOptions, SafeTensors, WeightSource};
use vitc_ir::Tensor;

/// A file under the system temp dir, unique to this process and test.
fn temp_file(tag: &str, bytes: &[u8]) -> PathBuf {
    let path = std::env::temp_dir().join(format!("vitc-arch-{}-{tag}.safetensors", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    path
}

fn build_bytes(name: &str, bytes: Vec<u8>) -> Result<vitc_arch::Model, ArchError> {
    let st = SafeTensors::parse(bytes, "mem.safetensors")?;
    vitc_arch::build_with(name, WeightSource::Loaded(&st), &BuildOptions::default())
}

fn micro() -> BTreeMap<String, Tensor> {
    vitc_arch::seeded_weights("cswin_micro", 11).unwrap()
}

#[test]
fn seeded_weights_round_trip_through_a_file() {
    let weights = micro();
    assert_eq!(weights.len(), 98, "cswin_micro has 98 tensors");
    let path = temp_file("roundtrip", &serialize(&weights, &BTreeMap::new()));
    let from_file = vitc_arch::build("cswin_micro", Some(&path)).unwrap();
    std::fs::remove_file(&path).unwrap();
    let seeded = vitc_arch::build_with("cswin_micro", WeightSource::Seeded(11), &BuildOptions::default()).unwrap();
    let text = |g: &vitc_ir::Graph| vitc_ir::text::print_graph(g).unwrap();
    assert_eq!(text(&from_file), text(&seeded.graph));
    for ((_, a), (_, b)) in from_file.weights.iter().zip(seeded.graph.weights.iter()) {
        assert_eq!(a.name, b.name);
        assert_eq!(a.tensor, b.tensor, "{}", a.name);
    }
}

#[test]
fn a_missing_tensor_is_named() {
    let mut w = micro();
    w.remove("stage3.1.attns.1.get_v.weight").unwrap();
    let e = build_bytes("cswin_micro", serialize(&w, &BTreeMap::new())).unwrap_err();
    assert!(matches!(e, ArchError::MissingTensor { ref name, .. } if name == "stage3.1.attns.1.get_v.weight"), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("missing tensor 'stage3.1.attns.1.get_v.weight'") && msg.contains("[64, 1, 3, 3]"), "{msg}");
}

#[test]
fn unexpected_tensors_are_listed() {
    let mut w = micro();
    w.insert("stage5.0.qkv.weight".into(), Tensor::F32(ArrayD::zeros(IxDyn(&[3, 2]))));
    w.insert("extra".into(), Tensor::f32_scalar(1.0));
    let e = build_bytes("cswin_micro", serialize(&w, &BTreeMap::new())).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, ArchError::UnexpectedTensors { count: 2, .. }), "{msg}");
    assert!(msg.contains("'extra'") && msg.contains("'stage5.0.qkv.weight'"), "{msg}");
}

#[test]
fn a_shape_mismatch_names_the_tensor_and_both_shapes() {
    let mut w = micro();
    w.insert("stage2.0.qkv.weight".into(), Tensor::F32(ArrayD::zeros(IxDyn(&[192, 63]))));
    let e = build_bytes("cswin_micro", serialize(&w, &BTreeMap::new())).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, ArchError::ShapeMismatch { .. }), "{msg}");
    assert!(msg.contains("'stage2.0.qkv.weight'") && msg.contains("[192, 63]") && msg.contains("[192, 64]"), "{msg}");
}

#[test]
fn a_wrong_dtype_is_refused() {
    let mut w = micro();
    w.insert("norm.weight".into(), Tensor::I64(ArrayD::zeros(IxDyn(&[256]))));
    let e = build_bytes("cswin_micro", serialize(&w, &BTreeMap::new())).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, ArchError::WrongDType { .. }), "{msg}");
    assert!(msg.contains("'norm.weight'") && msg.contains("I64") && msg.contains("F32"), "{msg}");
}

#[test]
fn truncated_files_and_bad_headers_are_refused() {
    let bytes = serialize(&micro(), &BTreeMap::new());
    for (tag, cut) in [("empty", 0), ("short", 5), ("header", 100), ("data", bytes.len() - 3)] {
        let path = temp_file(tag, &bytes[..cut]);
        let e = vitc_arch::build("cswin_micro", Some(&path)).unwrap_err();
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(e, ArchError::Truncated { .. }), "{tag}: {e}");
        assert!(e.to_string().contains("truncated"), "{tag}: {e}");
    }
    let mut garbage = 16u64.to_le_bytes().to_vec();
    garbage.extend_from_slice(b"{\"a\": [1, 2,,]} ");
    let path = temp_file("garbage", &garbage);
    let e = vitc_arch::build("cswin_micro", Some(&path)).unwrap_err();
    std::fs::remove_file(&path).unwrap();
    assert!(matches!(e, ArchError::BadHeader { .. }), "{e}");
    let e = vitc_arch::build("cswin_micro", Some(std::path::Path::new("/nonexistent/w.safetensors"))).unwrap_err();
    assert!(matches!(e, ArchError::Io { .. }), "{e}");
}

#[test]
fn levit_index_buffers_are_optional_but_checked() {
    let mut w = vitc_arch::seeded_weights("levit_128s", 2).unwrap();
    // timm's state_dict has BatchNorm step counters; they are ignored.
    w.insert("head.bn.num_batches_tracked".into(), Tensor::I64(ArrayD::zeros(IxDyn(&[]))));
    let reference = build_bytes("levit_128s", serialize(&w, &BTreeMap::new())).unwrap();
    assert_eq!(reference.parameters, 7_777_058);
    // A counter of a BatchNorm the model does not have is unexpected.
    let mut stray = w.clone();
    stray.insert("head.bn2.num_batches_tracked".into(), Tensor::I64(ArrayD::zeros(IxDyn(&[]))));
    let e = build_bytes("levit_128s", serialize(&stray, &BTreeMap::new())).unwrap_err();
    assert!(e.to_string().contains("head.bn2.num_batches_tracked"), "{e}");
    // The index buffer, when present, is used after a range check.
    let name = "stages.2.blocks.0.attn.attention_bias_idxs";
    let mut bad = w.clone();
    bad.insert(name.into(), Tensor::I64(ArrayD::from_elem(IxDyn(&[16, 16]), 16)));
    let e = build_bytes("levit_128s", serialize(&bad, &BTreeMap::new())).unwrap_err();
    assert!(matches!(e, ArchError::BadValue { .. }) && e.to_string().contains("outside 0..16"), "{e}");
    bad.insert(name.into(), Tensor::F32(ArrayD::zeros(IxDyn(&[16, 16]))));
    let e = build_bytes("levit_128s", serialize(&bad, &BTreeMap::new())).unwrap_err();
    assert!(matches!(e, ArchError::WrongDType { .. }), "{e}");
    bad.insert(name.into(), Tensor::I64(ArrayD::zeros(IxDyn(&[16, 15]))));
    let e = build_bytes("levit_128s", serialize(&bad, &BTreeMap::new())).unwrap_err();
    assert!(matches!(e, ArchError::ShapeMismatch { .. }), "{e}");
}

#[test]
fn another_models_checkpoint_is_refused() {
    let path = vitc_testkit::model_file("deit_tiny_patch16_224.safetensors");
    let e = vitc_arch::build("deit_small_patch16_224", Some(&path)).unwrap_err();
    assert!(matches!(e, ArchError::ShapeMismatch { .. }), "{e}");
    let e = vitc_arch::build("levit_128s", Some(&path)).unwrap_err();
    assert!(matches!(e, ArchError::MissingTensor { .. }), "{e}");
    let e = vitc_arch::build("deit_tiny_distilled_patch16_224", Some(&path)).unwrap_err();
    assert!(matches!(e, ArchError::MissingTensor { ref name, .. } if name == "dist_token"), "{e}");
}
