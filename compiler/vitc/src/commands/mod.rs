//! One module per subcommand.

mod compile;
mod inspect;
mod run;

use crate::args::{Cli, Command};
use anyhow::Result;
use std::path::Path;

pub fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Inspect { model } => inspect::inspect(&model),
        Command::Run { model, input, output } => run::run(model.as_deref(), &input, &output),
        Command::Compile { model, emit, after, output } => compile::compile(&model, emit, after, output.as_deref()),
    }
}

/// Writes `bytes` to `path` through a temporary file renamed into place, so a
/// failure never leaves a partial file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    use anyhow::Context;
    let tmp = path.with_file_name(format!(
        ".{}.tmp{}",
        path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        std::process::id()
    ));
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", path.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        anyhow::anyhow!("writing {}: {e}", path.display())
    })
}
