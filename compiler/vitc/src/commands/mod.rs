//! One module per subcommand.

mod bench;
mod compile;
mod inspect;
mod library;
mod run;

use crate::args::{Cli, Command};
use anyhow::{Result, bail};
use std::path::Path;

pub fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Inspect { model } => inspect::inspect(&model),
        Command::Run { model, input, output, threads, name } => match model {
            Some(path) if library::is_shared_library(&path)? => {
                library::run(&path, &input, &output, threads.unwrap_or(1), name.as_deref())
            }
            model => {
                if threads.is_some() || name.is_some() {
                    bail!(
                        "--threads and --name apply to compiled libraries (vitc run LIB.so); the interpreter runs ONNX models"
                    );
                }
                run::run(model.as_deref(), &input, &output)
            }
        },
        Command::Compile { model, emit, after, output, target, name, max_batch } => {
            compile::compile(compile::CompileArgs { model, emit, after, output, target, name, max_batch })
        }
        Command::Bench { library, threads, batch, warmup, runs, input, name } => {
            bench::bench(&bench::BenchArgs { library, threads, batch, warmup, runs, input, name })
        }
    }
}

/// `n` with thousands separators: 1234567 → "1,234,567".
pub fn format_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
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
