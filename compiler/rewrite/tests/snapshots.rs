//! Rule-group snapshots on fixtures cut from the real exports: the block's
//! canonical IR goes through the whole rule set and the result is compared
//! with a reviewed snapshot (`cargo insta review`). The cut block must also
//! compute the same values before and after.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

use vitc_driver::Stage;
use vitc_ir::text::print_graph;

fn block(model: &str, prefix: &str, name: &str) -> String {
    let path = vitc_testkit::model_file(&format!("{model}.onnx"));
    let graph = vitc_driver::load_onnx(&path, Stage::Canonical).unwrap();
    let cut = vitc_ir::subgraph::extract(&graph, name, |n| n.name.starts_with(prefix)).unwrap();
    let (out, _) = vitc_rewrite::rewrite(&cut).unwrap();
    // Same values on a deterministic input.
    let inputs: Vec<vitc_ir::Tensor> = cut
        .inputs
        .iter()
        .map(|&i| {
            let dims = vitc_ir::dim::shape_sizes(&cut.node(i).outputs[0].shape).unwrap();
            let n: usize = dims.iter().product();
            let data = (0..n).map(|k| ((k * 7919 % 211) as f32 - 105.0) / 60.0).collect();
            vitc_ir::Tensor::F32(
                vitc_ir::ndarray::ArrayD::from_shape_vec(vitc_ir::ndarray::IxDyn(&dims), data).unwrap(),
            )
        })
        .collect();
    let a = vitc_interp::run(&cut, &inputs).unwrap();
    let b = vitc_interp::run(&out, &inputs).unwrap();
    for (x, y) in a.iter().zip(&b) {
        let (x, y) = (x.to_f64_vec(), y.to_f64_vec());
        let scale = x.iter().fold(1e-6f64, |m, v| m.max(v.abs()));
        let diff = x.iter().zip(&y).fold(0.0f64, |m, (p, q)| m.max((p - q).abs()));
        assert!(diff <= 1e-5 * scale, "{name}: rewritten block differs by {diff:e} (scale {scale})");
    }
    print_graph(&out).unwrap()
}

#[test]
fn levit_attention_block() {
    let text = block("levit_128s", "/stages/stages.0/blocks/blocks.0/attn/", "levit_attention");
    insta::assert_snapshot!(text);
}

#[test]
fn levit_subsample_block() {
    let text = block("levit_128s", "/stages/stages.1/downsample/attn_downsample/", "levit_subsample");
    insta::assert_snapshot!(text);
}

#[test]
fn deit_block() {
    let text = block("deit_tiny_patch16_224", "/blocks/blocks.0/", "deit_block");
    insta::assert_snapshot!(text);
}

#[test]
fn cswin_block_with_lepe() {
    let text = block("cswin_micro", "/stage1.0/", "cswin_block");
    insta::assert_snapshot!(text);
}

#[test]
fn lvt_block() {
    let text = block("lvt", "/backbone.0.1/backbone.0.1.0/", "lvt_block");
    insta::assert_snapshot!(text);
}
