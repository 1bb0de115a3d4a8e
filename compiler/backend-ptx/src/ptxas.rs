//! Finding and running NVIDIA's `ptxas` to validate generated PTX without a
//! GPU: `$VITC_PTXAS`, then the `nvidia-cuda-nvcc-cu12` wheel in the
//! project's `.venv` (installed by `.ci/setup`), then `PATH`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Where `ptxas` is, or why it was not found.
pub fn find(repo_root: &Path) -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("VITC_PTXAS") {
        let p = PathBuf::from(p);
        return if p.is_file() { Ok(p) } else { Err(format!("VITC_PTXAS={} is not a file", p.display())) };
    }
    let lib = repo_root.join(".venv/lib");
    if let Ok(entries) = std::fs::read_dir(&lib) {
        let mut found: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path().join("site-packages/nvidia/cuda_nvcc/bin/ptxas"))
            .filter(|p| p.is_file())
            .collect();
        found.sort();
        if let Some(p) = found.pop() {
            return Ok(p);
        }
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let p = dir.join("ptxas");
            if p.is_file() {
                return Ok(p);
            }
        }
    }
    Err(format!(
        "ptxas not found: set VITC_PTXAS, run .ci/setup (installs nvidia-cuda-nvcc-cu12 into {}), or put ptxas on PATH",
        repo_root.join(".venv").display()
    ))
}

/// Assembles `ptx_file` for `arch` (e.g. `sm_90`); returns ptxas's messages
/// (`-v` resource usage) or its error output.
pub fn assemble(ptxas: &Path, ptx_file: &Path, arch: &str, verbose: bool) -> Result<String, String> {
    let out = std::env::temp_dir().join(format!(
        "vitc-ptxas-{}-{}.cubin",
        std::process::id(),
        ptx_file.file_stem().unwrap_or_default().to_string_lossy()
    ));
    let mut cmd = Command::new(ptxas);
    cmd.arg(format!("-arch={arch}")).arg("-o").arg(&out);
    if verbose {
        cmd.arg("-v");
    }
    let result = cmd.arg(ptx_file).output().map_err(|e| format!("running {}: {e}", ptxas.display()))?;
    let _ = std::fs::remove_file(&out);
    let text = format!("{}{}", String::from_utf8_lossy(&result.stdout), String::from_utf8_lossy(&result.stderr));
    if result.status.success() { Ok(text) } else { Err(text) }
}
