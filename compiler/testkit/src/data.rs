//! Where the tests' reference data lives, and [`require`]: a test whose
//! data is missing fails with a message naming the file and how to get it.
//! It never passes by skipping, on CI or anywhere else.

use std::path::{Path, PathBuf};

/// The repository root (the checkout this crate was built from).
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    // This crate is `compiler/testkit`.
    manifest.ancestors().nth(2).map_or_else(|| manifest.join("../.."), Path::to_path_buf)
}

/// The reference models and their ONNX Runtime outputs: `VITC_MODELS_DIR`,
/// or `../shared/models` beside the checkout.
pub fn models_dir() -> PathBuf {
    std::env::var_os("VITC_MODELS_DIR").map_or_else(|| repo_root().join("../shared/models"), PathBuf::from)
}

/// The ONNX node test cases: `VITC_ONNX_NODE_DATA`, or
/// `conformance-data/node` in the checkout (`bash .ci/setup` generates them
/// with `tests/conformance/generate_node_data.py`).
pub fn node_data_dir() -> PathBuf {
    std::env::var_os("VITC_ONNX_NODE_DATA").map_or_else(|| repo_root().join("conformance-data/node"), PathBuf::from)
}

/// How to get what lives under `path`.
fn how_to_get(path: &Path) -> String {
    if path.starts_with(node_data_dir()) {
        "`bash .ci/setup` generates the ONNX node test data (or set VITC_ONNX_NODE_DATA)".to_string()
    } else if path.starts_with(models_dir()) {
        match std::env::var_os("VITC_MODELS_DIR") {
            Some(dir) => format!("the reference models are taken from VITC_MODELS_DIR={}", dir.to_string_lossy()),
            None => format!(
                "the reference models live in ../shared/models beside the checkout ({}); set VITC_MODELS_DIR to \
                 use another folder",
                models_dir().display()
            ),
        }
    } else {
        "`bash .ci/setup` installs the test tools and generates the test data".to_string()
    }
}

/// Returns `path` if it exists; otherwise panics, naming `what`, the
/// missing file and how to get it. Tests call this before reading their
/// data, so that missing data is a failure and never a silent pass.
#[track_caller]
pub fn require(path: impl AsRef<Path>, what: &str) -> PathBuf {
    let path = path.as_ref();
    if !path.exists() {
        panic!(
            "{what} is missing: {} does not exist; {} (a test whose data is missing fails, it is never skipped)",
            path.display(),
            how_to_get(path)
        );
    }
    path.to_path_buf()
}

/// `file` (e.g. `levit_128s.onnx`) in [`models_dir`], which must exist.
#[track_caller]
pub fn model_file(file: &str) -> PathBuf {
    require(models_dir().join(file), &format!("reference file {file}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repo_root_holds_the_workspace() {
        assert!(repo_root().join("Cargo.toml").is_file());
        assert!(repo_root().join("compiler/testkit").is_dir());
    }

    #[test]
    fn require_returns_an_existing_path() {
        let manifest = repo_root().join("Cargo.toml");
        assert_eq!(require(&manifest, "the workspace manifest"), manifest);
    }

    #[test]
    fn require_names_the_missing_file() {
        let missing = models_dir().join("no_such_model.onnx");
        let err = std::panic::catch_unwind(|| require(&missing, "the model nobody exported")).unwrap_err();
        let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(msg.contains("the model nobody exported is missing"), "{msg}");
        assert!(msg.contains("no_such_model.onnx"), "{msg}");
        assert!(msg.contains("VITC_MODELS_DIR"), "{msg}");
    }
}
