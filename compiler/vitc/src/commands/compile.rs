//! `vitc compile`: native code (`-o X.so|X.o|X.a` and the header `X.h`), or
//! text with `--emit ir` (the IR after a pipeline stage), `--emit kernels`
//! (the lowered kernel program), `--emit asm` (the
//! backend's disassembly of every kernel) or `--emit llvm-ir`.
//!
//! Native pipeline: ONNX or `--arch` → canonical graph → egg rewrites (unless
//! `--after canonical`) → the driver's [`vitc_driver::Backend`] (Cranelift,
//! or LLVM with `--backend llvm`): lowering with its options, then code
//! generation → `vitc_link::link`.
//! `--time-passes` prints the time of every step.

use super::compile_args::{CompileArgs, load, prefix, stage};
use crate::args::{Backend, Emit};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use vitc_backend_llvm::LlvmTarget;
use vitc_driver::{Backend as _, BackendKind, NativeOptions, PassTimes, Stage};
use vitc_link::OutputKind;

pub fn compile(args: CompileArgs) -> Result<()> {
    if super::ptx::wanted(args.target.as_deref(), args.emit) {
        return super::ptx::compile(&args);
    }
    let llvm = args.backend_kind() == Backend::Llvm || args.emit == Some(Emit::LlvmIr);
    if args.target_cpu.is_some() && !llvm {
        bail!("--target-cpu applies to the LLVM backend: add --backend llvm");
    }
    if llvm && !vitc_backend_llvm::AVAILABLE {
        bail!("{}", vitc_backend_llvm::NOT_BUILT);
    }
    match args.emit {
        Some(Emit::Ir) => emit_ir(&args),
        Some(Emit::Kernels) => emit_kernels(&args),
        Some(Emit::Asm) => emit_asm(&args),
        Some(Emit::LlvmIr) => emit_llvm_ir(&args),
        Some(Emit::Dot) => emit_dot(&args),
        Some(Emit::Ptx) => super::ptx::compile(&args),
        None => native(&args),
    }
}

fn print_times(times: &PassTimes) {
    let total: f64 = times.iter().map(|(_, t)| t.as_secs_f64()).sum();
    notice!("{:<16} {:>10} {:>7}", "pass", "ms", "%");
    for (name, t) in times {
        let ms = t.as_secs_f64() * 1e3;
        notice!("{name:<16} {ms:>10.1} {:>6.1}%", 100.0 * t.as_secs_f64() / total.max(1e-9));
    }
    notice!("{:<16} {:>10.1}", "total", total * 1e3);
}

fn emit_ir(args: &CompileArgs) -> Result<()> {
    let (graph, times) = load(args)?;
    if args.time_passes {
        print_times(&times);
    }
    let text = vitc_ir::text::print_graph(&graph)?;
    write_text(args.output.as_deref(), &text)
}

/// Graphviz of the canonical graph ("before") and of the graph after the
/// rewrites ("after"), as two digraphs in one file.
fn emit_dot(args: &CompileArgs) -> Result<()> {
    let mut before = vitc_driver::load(&args.model, Stage::Canonical)?;
    let mut text = vitc_ir::dot::to_dot(&before, "before")?;
    vitc_driver::run_pipeline(&mut before, Stage::Rewritten)?;
    text.push_str(&vitc_ir::dot::to_dot(&before, "after")?);
    write_text(args.output.as_deref(), &text)
}

fn emit_asm(args: &CompileArgs) -> Result<()> {
    let stem = PathBuf::from(args.model.stem());
    let prefix = prefix(args.name.as_deref(), args.output.as_deref().unwrap_or(&stem))?;
    let backend = backend(args)?;
    let (graph, _) = load(args)?;
    let program = backend.lower(&graph, args.max_batch, args.max_memory)?;
    write_text(args.output.as_deref(), &backend.asm(&program, &prefix)?)
}

/// The lowered kernel program in its text form (with the chosen backend's
/// GEMM panel width).
fn emit_kernels(args: &CompileArgs) -> Result<()> {
    let backend = backend(args)?;
    let (graph, _) = load(args)?;
    let program = backend.lower(&graph, args.max_batch, args.max_memory)?;
    write_text(args.output.as_deref(), &program.to_string())
}

fn emit_llvm_ir(args: &CompileArgs) -> Result<()> {
    let stem = PathBuf::from(args.model.stem());
    let prefix = prefix(args.name.as_deref(), args.output.as_deref().unwrap_or(&stem))?;
    let backend = vitc_driver::Llvm(LlvmTarget::parse(args.target.as_deref(), args.target_cpu.as_deref())?);
    let (graph, _) = load(args)?;
    let program = backend.lower(&graph, args.max_batch, args.max_memory)?;
    let text = vitc_backend_llvm::emit_llvm_ir(&program, &prefix, &backend.0).context("generating LLVM IR")?;
    write_text(args.output.as_deref(), &text)
}

/// The code generator `--backend`, `--target` and `--target-cpu` ask for.
fn backend(args: &CompileArgs) -> Result<Box<dyn vitc_driver::Backend>> {
    let kind = match args.backend_kind() {
        Backend::Cranelift => BackendKind::Cranelift,
        Backend::Llvm => BackendKind::Llvm,
    };
    vitc_driver::cpu_backend(kind, args.target.as_deref(), args.target_cpu.as_deref())
}

fn write_text(output: Option<&Path>, text: &str) -> Result<()> {
    match output {
        Some(path) => super::write_atomically(path, text.as_bytes()),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

fn native(args: &CompileArgs) -> Result<()> {
    let Some(output) = args.output.as_deref() else {
        bail!("give the output with -o (X.so, X.o or X.a), or ask for text with --emit ir|asm");
    };
    // Everything that can be checked cheaply comes before the compilation.
    let kind = OutputKind::from_path(output)?;
    let prefix = prefix(args.name.as_deref(), output)?;
    let backend = backend(args)?;
    let options = NativeOptions {
        prefix: prefix.clone(),
        stage: stage(args.after),
        max_batch: args.max_batch,
        max_memory: args.max_memory,
    };
    let build = vitc_driver::compile_native(&args.model, backend.as_ref(), &options, output)?;
    if args.time_passes {
        print_times(&build.times);
    }
    let kind = match kind {
        OutputKind::SharedLibrary => "shared library",
        OutputKind::Object => "object",
        OutputKind::StaticArchive => "static archive",
    };
    println!(
        "compiled {} for {} in {:.2} s (import and lower {:.2} s, code generation {:.2} s, link {:.2} s)",
        build.name,
        backend.label(),
        build.total.as_secs_f64(),
        build.lowered.as_secs_f64(),
        (build.generated - build.lowered).as_secs_f64(),
        (build.total - build.generated).as_secs_f64()
    );
    let batch = if build.dynamic_batch {
        format!("dynamic batch up to {}", build.max_batch)
    } else {
        "static shape".to_string()
    };
    println!(
        "{}: {kind}, {} bytes; weights {} bytes; {} kernels; arena {} bytes; {batch}",
        build.linked.output.display(),
        super::format_count(build.linked.bytes),
        super::format_count(build.weight_bytes),
        build.kernels,
        super::format_count(build.arena_bytes),
    );
    println!("{}: C API {prefix}_create/_run/_destroy/...", build.linked.header.display());
    Ok(())
}
