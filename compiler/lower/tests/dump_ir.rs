#![allow(clippy::unwrap_used)]
use vitc_driver::Stage;
#[test]
#[ignore]
fn dump() {
    for (m, p) in [
        ("tiny_vit", "/work/main/examples/tiny_vit/tiny_vit.onnx"),
        ("levit_128s", "/work/shared/models/levit_128s.onnx"),
        ("levit_128s_dynbatch", "/work/shared/models/levit_128s_dynbatch.onnx"),
        ("deit", "/work/shared/models/deit_tiny_patch16_224.onnx"),
        ("cswin", "/work/shared/models/cswin_micro.onnx"),
        ("lvt", "/work/shared/models/lvt.onnx"),
    ] {
        let g = vitc_driver::load_onnx(std::path::Path::new(p), Stage::Canonical).unwrap();
        std::fs::write(format!("/tmp/ir_{m}.txt"), vitc_ir::text::print_graph(&g)).unwrap();
        eprintln!("{m}: {:?}", g.op_histogram());
    }
}
