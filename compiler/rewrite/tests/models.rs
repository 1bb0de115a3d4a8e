//! The mid-end on the reference exports: the e-graph round trip keeps every
//! model's meaning, and the rules fire where the exporters wrote the patterns.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

use vitc_driver::Stage;
use vitc_ir::OpKind;

fn check(name: &str, expect: &[(OpKind, usize)], absent: &[OpKind]) {
    let path = vitc_testkit::model_file(&format!("{name}.onnx"));
    let input = vitc_testkit::model_file(&format!("{name}.input.npy"));
    let graph = vitc_driver::load_onnx(&path, Stage::Canonical).unwrap();
    let input = vitc_ir::npy::read_npy(&input).unwrap();
    let before = vitc_interp::run(&graph, std::slice::from_ref(&input)).unwrap();
    let (out, stats) = vitc_rewrite::rewrite(&graph).unwrap();
    let after = vitc_interp::run(&out, &[input]).unwrap();
    let hist = out.op_histogram();
    eprintln!(
        "{name}: {} → {} ops, {} iterations, {} e-nodes, {} e-classes, saturate {:?}, extract {:?} ({})",
        stats.nodes_before,
        stats.nodes_after,
        stats.iterations,
        stats.enodes,
        stats.eclasses,
        stats.saturate_time,
        stats.extract_time,
        stats.stop_reason
    );
    for (kind, n) in expect {
        assert_eq!(hist.get(kind).copied().unwrap_or(0), *n, "{name}: {kind} count in {hist:?}");
    }
    for kind in absent {
        assert!(!hist.contains_key(kind), "{name}: {kind} should be gone: {hist:?}");
    }
    assert!(stats.nodes_after <= stats.nodes_before, "{name}: rewriting grew the graph");
    let c = vitc_testkit::compare(&after[0], &before[0]).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(c.passes(1e-5), "{name}: rewritten graph differs from the original by {:e} ({c:?})", c.relative_error());
}

#[test]
fn deit_gets_attention_and_gelu() {
    check(
        "deit_tiny_patch16_224",
        &[(OpKind::Gelu, 12), (OpKind::LayerNormalization, 25), (OpKind::Attention, 12)],
        &[OpKind::Erf, OpKind::Softmax],
    );
}

#[test]
fn levit_gets_attention_with_bias_and_no_batchnorm() {
    check("levit_128s", &[(OpKind::Attention, 11)], &[OpKind::BatchNormalization, OpKind::Softmax]);
}

#[test]
fn cswin_gets_attention_and_gelu() {
    // Every attention carries its LePE: no depthwise conv is left beside it
    // (the 4 remaining convs are the patch embedding and the 3 merges).
    check(
        "cswin_micro",
        &[(OpKind::Gelu, 5), (OpKind::Attention, 9), (OpKind::Conv, 4)],
        &[OpKind::Erf, OpKind::Softmax],
    );
}

#[test]
fn lvt_round_trips() {
    check("lvt", &[], &[]);
}
