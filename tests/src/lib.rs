//! Shared helpers of vitc's integration tests: where the reference data
//! lives, the whole-model comparison rule, and skipping (or failing, on CI)
//! when data is missing.

use std::path::{Path, PathBuf};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// `../shared/models` beside the checkout (override with `VITC_MODELS_DIR`).
pub fn shared_models_dir() -> PathBuf {
    std::env::var_os("VITC_MODELS_DIR").map(PathBuf::from).unwrap_or_else(|| repo_root().join("../shared/models"))
}

/// Where the ONNX node test cases were generated (override with
/// `VITC_ONNX_NODE_DATA`); `tests/conformance/generate_node_data.py` writes them.
pub fn node_data_dir() -> PathBuf {
    std::env::var_os("VITC_ONNX_NODE_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("conformance-data/node"))
}

/// Whether this run is CI (`CI=true`), where missing data is a failure.
pub fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Returns true when `path` exists. Otherwise: on CI, panics (the data must
/// be there); elsewhere prints why the test is skipped and returns false.
pub fn require_data(path: &Path, what: &str) -> bool {
    if path.exists() {
        return true;
    }
    if on_ci() {
        panic!("{what} is missing at {} (CI=true, so this is a failure, not a skip)", path.display());
    }
    eprintln!("SKIPPED: {what} is missing at {}", path.display());
    false
}

/// Result of the whole-model comparison rule of `../shared/models/README.md`.
#[derive(Clone, Copy, Debug)]
pub struct Comparison {
    pub max_abs_diff: f64,
    pub max_abs_ref: f64,
    pub finite: bool,
}

impl Comparison {
    /// `max|ours − ref| / max|ref|`.
    pub fn relative_error(&self) -> f64 {
        self.max_abs_diff / self.max_abs_ref
    }

    /// `max|ours − ref| ≤ rel · max|ref|` and no NaN/Inf.
    pub fn passes(&self, rel: f64) -> bool {
        self.finite && self.max_abs_diff <= rel * self.max_abs_ref
    }
}

/// Compares `ours` with `reference` (same shape required) in f64.
pub fn compare(ours: &vitc_ir::Tensor, reference: &vitc_ir::Tensor) -> Result<Comparison, String> {
    if ours.dims() != reference.dims() {
        return Err(format!("shape {:?} differs from the reference's {:?}", ours.dims(), reference.dims()));
    }
    let a = ours.to_f64_vec();
    let b = reference.to_f64_vec();
    let finite = a.iter().all(|v| v.is_finite());
    let max_abs_diff = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
    let max_abs_ref = b.iter().map(|v| v.abs()).fold(0.0, f64::max);
    Ok(Comparison { max_abs_diff, max_abs_ref, finite })
}
