//! Every architecture of the catalogue builds with seeded weights, verifies,
//! has the expected learned-parameter count, and has parameter and MAC
//! figures close to its paper's. The four reference models' MACs also equal
//! those of their ONNX exports (same computation, counted by the same rule).

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

use vitc_arch::{BuildOptions, Family, WeightSource};
use vitc_driver::{Stage, graph_cost};
use vitc_ir::{DType, Dim, ValueType};

/// Learned parameters of each architecture (f32 elements; BatchNorm running
/// statistics excluded). The four shared reference models' counts are those
/// of `shared/models/README.md`.
const PARAMETERS: &[(&str, u64)] = &[
    ("levit_128s", 7_777_058),
    ("levit_128", 9_213_936),
    ("levit_192", 10_947_069),
    ("levit_256", 18_893_876),
    ("levit_384", 39_128_836),
    ("deit_tiny_patch16_224", 5_717_416),
    ("deit_small_patch16_224", 22_050_664),
    ("deit_base_patch16_224", 86_567_656),
    ("deit_tiny_distilled_patch16_224", 5_910_800),
    ("deit_small_distilled_patch16_224", 22_436_432),
    ("deit_base_distilled_patch16_224", 87_338_192),
    ("cswin_tiny_224", 22_320_552),
    ("cswin_small_224", 34_643_304),
    ("cswin_base_224", 77_382_184),
    ("cswin_micro", 1_905_800),
    ("lvt", 5_521_844),
];

#[test]
fn the_catalogue_lists_every_family_once_per_name() {
    let all = vitc_arch::architectures();
    assert_eq!(all.len(), PARAMETERS.len());
    for (name, _) in PARAMETERS {
        assert!(all.iter().any(|a| a.name == *name), "{name} is not listed");
    }
    for family in [Family::Levit, Family::Deit, Family::Cswin, Family::Lvt] {
        assert!(all.iter().any(|a| a.family == family), "no {family} architecture");
    }
    let mut names: Vec<_> = all.iter().map(|a| a.name).collect();
    names.dedup();
    assert_eq!(names.len(), all.len(), "duplicate names");
}

#[test]
fn unknown_names_list_the_known_ones() {
    let e = vitc_arch::build("levit_999", None).unwrap_err().to_string();
    assert!(e.contains("unknown architecture 'levit_999'"), "{e}");
    assert!(e.contains("levit_128s") && e.contains("cswin_micro") && e.contains("lvt"), "{e}");
}

#[test]
fn every_architecture_builds_verifies_and_costs_what_the_paper_says() {
    let mut table = String::from("\n| name | params | paper params | MACs | paper MACs |\n|---|---|---|---|---|\n");
    for info in vitc_arch::architectures() {
        let model = vitc_arch::build_with(info.name, WeightSource::Seeded(1), &BuildOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", info.name));
        let g = &model.graph;
        vitc_ir::verify::verify(g).unwrap_or_else(|e| panic!("{}: {e}", info.name));
        assert_eq!(g.inputs.len(), 1);
        assert_eq!(g.node(g.inputs[0]).name, "input");
        let expected_in =
            ValueType::new(DType::F32, vec![Dim::Known(1), Dim::Known(3), Dim::Known(224), Dim::Known(224)]);
        assert_eq!(g.node(g.inputs[0]).outputs[0], expected_in);
        assert_eq!(g.outputs.len(), 1);
        assert_eq!(g.outputs[0].0, "output");
        assert_eq!(g.value_type(g.outputs[0].1), &ValueType::new(DType::F32, vec![Dim::Known(1), Dim::Known(1000)]));
        let expected = PARAMETERS.iter().find(|(n, _)| *n == info.name).map(|p| p.1);
        assert_eq!(Some(model.parameters), expected, "{}: learned parameters", info.name);
        let macs = graph_cost(g).macs;
        let m = model.parameters as f64 / 1e6;
        let gmacs = macs as f64 / 1e9;
        let show = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v}"));
        table.push_str(&format!(
            "| {} | {m:.2} M | {} M | {gmacs:.3} G | {} G |\n",
            info.name,
            show(info.paper_params_m),
            show(info.paper_gmacs)
        ));
        if let (Some(pp), Some(pg)) = (info.paper_params_m, info.paper_gmacs) {
            assert!((m - pp).abs() <= 0.05 * pp, "{}: {m:.2} M parameters vs {pp} M in the paper", info.name);
            assert!((gmacs - pg).abs() <= 0.12 * pg, "{}: {gmacs:.3} GMACs vs {pg} G in the paper", info.name);
        }
    }
    eprintln!("{table}");
}

#[test]
fn reference_models_cost_the_same_as_their_onnx_exports() {
    for name in ["levit_128s", "deit_tiny_patch16_224", "cswin_micro", "lvt"] {
        let onnx = vitc_testkit::model_file(&format!("{name}.onnx"));
        let reference = vitc_driver::load_onnx(&onnx, Stage::Canonical).unwrap();
        let mut ours = vitc_arch::build(name, None).unwrap();
        vitc_driver::run_pipeline(&mut ours, Stage::Canonical).unwrap();
        let (a, b) = (graph_cost(&ours).macs, graph_cost(&reference).macs);
        eprintln!("{name}: MACs ours {a}, ONNX export {b}");
        assert_eq!(a, b, "{name}: MACs differ from the ONNX export");
    }
}

#[test]
fn symbolic_batch_builds_for_every_family() {
    for name in ["levit_128s", "deit_tiny_distilled_patch16_224", "cswin_micro", "lvt"] {
        let options = BuildOptions { batch: Dim::sym("batch") };
        let model = vitc_arch::build_with(name, WeightSource::Seeded(3), &options).unwrap();
        vitc_ir::verify::verify(&model.graph).unwrap();
        let out = model.graph.value_type(model.graph.outputs[0].1);
        assert_eq!(out.shape, vec![Dim::sym("batch"), Dim::Known(1000)], "{name}");
    }
    let e = vitc_arch::build_with("lvt", WeightSource::Seeded(3), &BuildOptions { batch: Dim::Known(0) });
    assert!(e.unwrap_err().to_string().contains("batch"));
}
