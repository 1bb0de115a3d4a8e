//! Helpers of the vitc-arch integration tests: where the reference data
//! lives, skipping (or failing on CI) when it is missing, and the
//! whole-model comparison rule `max|ours − ref| ≤ 1e-4 · max|ref|`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use vitc_ir::Tensor;

/// `/work/shared/models` beside the checkout (override with `VITC_MODELS_DIR`).
pub fn models_dir() -> PathBuf {
    std::env::var_os("VITC_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/models"))
}

/// Whether this run is CI (`CI=true`), where missing data is a failure.
pub fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// True when every path exists; otherwise panics on CI or prints why the test is skipped.
pub fn require(paths: &[&Path], what: &str) -> bool {
    if let Some(missing) = paths.iter().find(|p| !p.exists()) {
        if on_ci() {
            panic!("{what}: {} is missing (CI=true, so this is a failure, not a skip)", missing.display());
        }
        eprintln!("SKIPPED {what}: {} is missing", missing.display());
        return false;
    }
    true
}

/// `(max|ours − ref|, max|ref|, all finite)`; panics on a shape mismatch.
pub fn compare(ours: &Tensor, reference: &Tensor) -> (f64, f64, bool) {
    assert_eq!(ours.dims(), reference.dims(), "output shape differs from the reference");
    let a = ours.to_f64_vec();
    let b = reference.to_f64_vec();
    let finite = a.iter().all(|v| v.is_finite());
    let diff = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
    let max_ref = b.iter().map(|v| v.abs()).fold(0.0, f64::max);
    (diff, max_ref, finite)
}
