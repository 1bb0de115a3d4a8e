//! Sweep over the ONNX backend node tests: `conformance-data/node` (which
//! `bash .ci/setup` generates), or the folder `VITC_ONNX_NODE_DATA` names,
//! of `<case>/model.onnx` + `<case>/test_data_set_0/output_*.pb` (the
//! layout of `onnx/backend/test/data/node`). Every case whose ops and types
//! this frontend supports must load, and its graph outputs must have the
//! dtype and shape of the expected outputs. Cases that feed axes, shapes or
//! scales as graph inputs are loaded again with every input frozen to its
//! test value (vitc needs those at compile time). Missing data fails the
//! test. `VITC_ONNX_NODE_DATA_VERBOSE=1` also lists the unsupported cases
//! and why.

use prost::Message;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use vitc_ir::Graph;
use vitc_ir::dim::shape_sizes;
use vitc_onnx::proto::TensorProto;
use vitc_onnx::{LoadOptions, OnnxError};

/// Loads a case as is, or with its inputs frozen when it needs constants.
fn load_case(case: &Path) -> Result<Graph, OnnxError> {
    let model = case.join("model.onnx");
    match vitc_onnx::load_model(&model) {
        Err(OnnxError::Unsupported { .. } | OnnxError::Ir(_)) => {
            let mut options = LoadOptions::default();
            for j in 0.. {
                let file = case.join(format!("test_data_set_0/input_{j}.pb"));
                let Ok(bytes) = std::fs::read(&file) else { break };
                let Ok(proto) = TensorProto::decode(bytes.as_slice()) else { break };
                let Ok(t) = vitc_onnx::decode_tensor(&proto, &proto.name, None) else { break };
                options.frozen_inputs.insert(proto.name.clone(), Arc::new(t));
            }
            vitc_onnx::load_model_with(&model, &options)
        }
        other => other,
    }
}

#[test]
fn backend_node_cases_load_with_the_expected_output_types() {
    let root = vitc_testkit::require(vitc_testkit::node_data_dir(), "the ONNX node test data");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("model.onnx").exists())
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no <case>/model.onnx in {}", root.display());
    let verbose = std::env::var_os("VITC_ONNX_NODE_DATA_VERBOSE").is_some();
    let (mut loaded, mut unsupported) = (0, 0);
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        match load_case(case) {
            Ok(g) => {
                loaded += 1;
                for (j, (out_name, v)) in g.outputs.iter().enumerate() {
                    let file = case.join(format!("test_data_set_0/output_{j}.pb"));
                    let Ok(expected) = vitc_onnx::read_tensor_file(&file) else { continue };
                    let ty = g.value_type(*v);
                    let dims = shape_sizes(&ty.shape);
                    if ty.dtype != expected.dtype() || dims.as_deref().is_some_and(|d| d != expected.dims()) {
                        failures.push(format!(
                            "{name}: output '{out_name}' is {ty}, expected {}{:?}",
                            expected.dtype(),
                            expected.dims()
                        ));
                    }
                }
            }
            Err(e) if e.is_unsupported() => {
                unsupported += 1;
                if verbose {
                    eprintln!("unsupported {name}: {e}");
                }
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    eprintln!("{} cases: {loaded} loaded, {unsupported} unsupported, {} failed", cases.len(), failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
