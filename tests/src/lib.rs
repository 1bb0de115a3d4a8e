//! vitc's cross-crate integration tests (`tests/*.rs`): ONNX node
//! conformance on the interpreter, whole models, IR snapshots and fusion
//! counts. Their helpers (where the reference data lives, failing when it is
//! missing, the whole-model comparison rule) come from `vitc-testkit`.
