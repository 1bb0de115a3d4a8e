//! What `vitc compile` was asked for, and the steps every output kind
//! shares (loading up to `--after`, the C API prefix); `compile.rs` (native
//! code and text) and `ptx.rs` (PTX) build on them.

use crate::args::{AfterStage, Backend, Emit};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use vitc_driver::{ModelSource, PassTimes, Stage};
use vitc_ir::Graph;

/// What `vitc compile` was asked for.
pub struct CompileArgs {
    pub model: ModelSource,
    pub emit: Option<Emit>,
    pub after: AfterStage,
    pub time_passes: bool,
    pub output: Option<PathBuf>,
    pub target: Option<String>,
    pub name: Option<String>,
    /// `--backend` when given; [`CompileArgs::backend_kind`] resolves the default.
    pub backend: Option<Backend>,
    pub target_cpu: Option<String>,
    pub max_batch: usize,
    /// `--max-memory`, in bytes.
    pub max_memory: u64,
}

impl CompileArgs {
    /// The CPU code generator: `--backend`, else LLVM where this build has
    /// it, else Cranelift.
    pub fn backend_kind(&self) -> Backend {
        self.backend.unwrap_or(if vitc_backend_llvm::AVAILABLE { Backend::Llvm } else { Backend::Cranelift })
    }
}

/// The pipeline stage `--after` names.
pub fn stage(after: AfterStage) -> Stage {
    match after {
        AfterStage::Imported => Stage::Imported,
        AfterStage::Canonical => Stage::Canonical,
        AfterStage::Rewrite => Stage::Rewritten,
    }
}

/// Loads the model up to `--after`, printing pass times when asked.
pub fn load(args: &CompileArgs) -> Result<(Graph, PassTimes)> {
    let (graph, times) = vitc_driver::load_timed(&args.model, stage(args.after))?;
    Ok((graph, times))
}

/// The API prefix: `--name` (checked), else the stem of `path` made a C identifier.
pub fn prefix(name: Option<&str>, path: &Path) -> Result<String> {
    match name {
        Some(name) => {
            vitc_link::validate_prefix(name).context("--name")?;
            Ok(name.to_string())
        }
        None => Ok(vitc_link::sanitize_prefix(&path.file_stem().unwrap_or_default().to_string_lossy())),
    }
}
