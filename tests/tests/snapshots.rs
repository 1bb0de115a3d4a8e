//! IR snapshots of blocks cut from the real exports, after import and
//! canonicalisation: a LeViT attention block and a DeiT transformer block.
//! Review changes with `cargo insta review`.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

use vitc_driver::Stage;
use vitc_testkit::model_file;

/// The canonical IR of the ops whose ONNX node name starts with `prefix`.
fn block_ir(model: &str, prefix: &str, name: &str) -> String {
    let path = model_file(&format!("{model}.onnx"));
    let graph = vitc_driver::load_onnx(&path, Stage::Canonical).unwrap();
    let block = vitc_ir::subgraph::extract(&graph, name, |n| n.name.starts_with(prefix)).unwrap();
    vitc_ir::verify::verify(&block).unwrap();
    let text = vitc_ir::text::print_graph(&block).unwrap();
    // The cut prints and parses back to the same text.
    let back = vitc_ir::text::parse_graph(&text, &block.weights).unwrap();
    assert_eq!(vitc_ir::text::print_graph(&back).unwrap(), text);
    text
}

#[test]
fn levit_attention_block() {
    let text = block_ir("levit_128s", "/stages/stages.0/blocks/blocks.0/attn/", "levit_stage0_attention");
    insta::assert_snapshot!(text);
}

#[test]
fn levit_subsample_attention_block() {
    let text = block_ir("levit_128s", "/stages/stages.1/downsample/attn_downsample/", "levit_subsample_attention");
    insta::assert_snapshot!(text);
}

#[test]
fn deit_transformer_block() {
    let text = block_ir("deit_tiny_patch16_224", "/blocks/blocks.0/", "deit_block0");
    insta::assert_snapshot!(text);
}
