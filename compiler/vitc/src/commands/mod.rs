//! One module per subcommand.

/// Prints a line to stderr, ignoring a failed write (a redirected stderr on a
/// full disk), where `eprintln!` would panic.
macro_rules! notice {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod bench;
mod compile;
mod compile_args;
mod image;
mod inspect;
mod library;
mod ptx;
mod run;

use crate::args::{ArchArgs, Cli, Command};
use anyhow::{Result, bail};
use std::path::Path;
use vitc_driver::ModelSource;

pub fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Inspect { model, arch } => inspect::inspect(&source(model, arch, "inspect")?),
        Command::Archs => inspect::archs(),
        Command::Run { model, input, output, images, threads, name, arch: arch_args, max_memory } => match model {
            Some(path) if ptx::is_ptx(&path) => {
                if threads.is_some() || name.is_some() {
                    bail!("--threads and --name apply to shared libraries, not to PTX models");
                }
                if !images.image.is_empty() {
                    bail!("--image applies to ONNX models and shared libraries, not to PTX models");
                }
                ptx::run(&path, &input, &output)
            }
            Some(path) if library::is_shared_library(&path)? => {
                library::run(&path, &input, &images, &output, threads.unwrap_or(1), name.as_deref())
            }
            model => {
                if threads.is_some() || name.is_some() {
                    bail!(
                        "--threads and --name apply to compiled libraries (vitc run LIB.so); the interpreter runs ONNX models"
                    );
                }
                let source = match (model, arch_args.arch) {
                    (None, None) => None,
                    (model, arch) => Some(source(model, ArchArgs { arch, weights: arch_args.weights }, "run")?),
                };
                run::run(source.as_ref(), &input, &images, &output, max_memory)
            }
        },
        Command::Compile {
            model,
            arch,
            emit,
            after,
            time_passes,
            output,
            target,
            name,
            backend,
            target_cpu,
            max_batch,
            max_memory,
        } => {
            let model = source(model, arch, "compile")?;
            compile::compile(compile_args::CompileArgs {
                model,
                emit,
                after,
                time_passes,
                output,
                target,
                name,
                backend,
                target_cpu,
                max_batch,
                max_memory,
            })
        }
        Command::Bench { library, threads, batch, warmup, runs, input, name } => {
            let args = bench::BenchArgs { library, threads, batch, warmup, runs, input, name };
            if ptx::is_ptx(&args.library) { ptx::bench(&args) } else { bench::bench(&args) }
        }
    }
}

/// The model a command works on: an ONNX file or `--arch NAME [--weights F]`.
fn source(model: Option<std::path::PathBuf>, arch: ArchArgs, command: &str) -> Result<ModelSource> {
    match (model, arch.arch) {
        (Some(path), None) => Ok(ModelSource::Onnx(path)),
        (None, Some(name)) => Ok(ModelSource::Arch { name, weights: arch.weights }),
        (Some(_), Some(_)) => bail!("vitc {command}: give either a model file or --arch, not both"),
        (None, None) => bail!("vitc {command}: give a model file or --arch NAME"),
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
    let _interrupted = vitc_link::pending(&tmp);
    if let Err(e) = std::fs::write(&tmp, bytes) {
        // A full disk leaves a partly written temporary file: remove it.
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("writing {}", path.display()));
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        anyhow::anyhow!("writing {}: {e}", path.display())
    })
}
