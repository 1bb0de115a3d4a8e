//! `vitc compile`: native code (`-o X.so|X.o|X.a` and the header `X.h`), or
//! text with `--emit ir` (the IR after a pipeline stage), `--emit kernels`
//! (the lowered kernel program), `--emit asm` (the
//! backend's disassembly of every kernel) or `--emit llvm-ir`.
//!
//! Native pipeline: ONNX or `--arch` → canonical graph → egg rewrites (unless
//! `--after canonical`) → `vitc_lower::lower` →
//! `vitc_backend_cranelift::compile_object` (or, with `--backend llvm`,
//! `vitc_backend_llvm::compile_object`) → `vitc_link::link`.
//! `--time-passes` prints the time of every step.

use crate::args::{AfterStage, Backend, Emit};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::time::Instant;
use vitc_backend_cranelift::{Arch, Target as CodegenTarget};
use vitc_backend_llvm::LlvmTarget;
use vitc_driver::{ModelSource, PassTimes, Stage};
use vitc_ir::Graph;
use vitc_link::{LinkOptions, OutputKind, Target as LinkTarget};
use vitc_lower::Program;

/// What `vitc compile` was asked for.
pub struct CompileArgs {
    pub model: ModelSource,
    pub emit: Option<Emit>,
    pub after: AfterStage,
    pub time_passes: bool,
    pub output: Option<PathBuf>,
    pub target: Option<String>,
    pub name: Option<String>,
    pub backend: Backend,
    pub target_cpu: Option<String>,
    pub max_batch: usize,
}

pub fn compile(args: CompileArgs) -> Result<()> {
    if super::ptx::wanted(args.target.as_deref(), args.emit) {
        return super::ptx::compile(&args);
    }
    let llvm = args.backend == Backend::Llvm || args.emit == Some(Emit::LlvmIr);
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

fn stage(after: AfterStage) -> Stage {
    match after {
        AfterStage::Imported => Stage::Imported,
        AfterStage::Canonical => Stage::Canonical,
        AfterStage::Rewrite => Stage::Rewritten,
    }
}

/// Loads the model up to `--after`, printing pass times when asked.
fn load(args: &CompileArgs) -> Result<(Graph, PassTimes)> {
    let (graph, times) = vitc_driver::load_timed(&args.model, stage(args.after))?;
    Ok((graph, times))
}

fn print_times(times: &PassTimes) {
    let total: f64 = times.iter().map(|(_, t)| t.as_secs_f64()).sum();
    eprintln!("{:<16} {:>10} {:>7}", "pass", "ms", "%");
    for (name, t) in times {
        let ms = t.as_secs_f64() * 1e3;
        eprintln!("{name:<16} {ms:>10.1} {:>6.1}%", 100.0 * t.as_secs_f64() / total.max(1e-9));
    }
    eprintln!("{:<16} {:>10.1}", "total", total * 1e3);
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
    let text = match args.backend {
        Backend::Cranelift => {
            let (target, _) = targets(args.target.as_deref())?;
            let (graph, _) = load(args)?;
            let program = lower(&graph, args.max_batch, vitc_lower::GEMM_NR)?;
            vitc_backend_cranelift::emit_disasm(&program, &prefix, &target).context("generating code")?
        }
        Backend::Llvm => {
            let (target, _) = llvm_targets(args)?;
            let (graph, _) = load(args)?;
            let program = lower(&graph, args.max_batch, vitc_backend_llvm::gemm_panel_width(&target)?)?;
            vitc_backend_llvm::emit_asm(&program, &prefix, &target).context("generating code")?
        }
    };
    write_text(args.output.as_deref(), &text)
}

/// The lowered kernel program in its text form (with the chosen backend's
/// GEMM panel width).
fn emit_kernels(args: &CompileArgs) -> Result<()> {
    let nr = match args.backend {
        Backend::Cranelift => vitc_lower::GEMM_NR,
        Backend::Llvm => vitc_backend_llvm::gemm_panel_width(&llvm_targets(args)?.0)?,
    };
    let (graph, _) = load(args)?;
    let program = lower(&graph, args.max_batch, nr)?;
    write_text(args.output.as_deref(), &program.to_string())
}

fn emit_llvm_ir(args: &CompileArgs) -> Result<()> {
    let stem = PathBuf::from(args.model.stem());
    let prefix = prefix(args.name.as_deref(), args.output.as_deref().unwrap_or(&stem))?;
    let (target, _) = llvm_targets(args)?;
    let (graph, _) = load(args)?;
    let program = lower(&graph, args.max_batch, vitc_backend_llvm::gemm_panel_width(&target)?)?;
    let text = vitc_backend_llvm::emit_llvm_ir(&program, &prefix, &target).context("generating LLVM IR")?;
    write_text(args.output.as_deref(), &text)
}

/// The code generator of a native compilation and its target.
enum Codegen {
    Cranelift(CodegenTarget),
    Llvm(LlvmTarget),
}

/// The LLVM target (`--target` and `--target-cpu`) and the linker's.
fn llvm_targets(args: &CompileArgs) -> Result<(LlvmTarget, LinkTarget)> {
    let target = LlvmTarget::parse(args.target.as_deref(), args.target_cpu.as_deref())?;
    let link = match target.arch {
        vitc_backend_llvm::Arch::X86_64 => LinkTarget::X86_64Linux,
        vitc_backend_llvm::Arch::Aarch64 => LinkTarget::Aarch64Linux,
    };
    Ok((target, link))
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

/// `--target`, or this machine (its architecture and features, FMA included).
fn target_name(name: Option<&str>) -> &str {
    name.unwrap_or("host")
}

/// The code generator's target and the linker's, from `--target`.
fn targets(name: Option<&str>) -> Result<(CodegenTarget, LinkTarget)> {
    let target = CodegenTarget::parse(target_name(name))?;
    let link = match target.arch {
        Arch::X86_64 => LinkTarget::X86_64Linux,
        Arch::Aarch64 => LinkTarget::Aarch64Linux,
    };
    Ok((target, link))
}

/// The API prefix: `--name` (checked), else the stem of `path` made a C identifier.
fn prefix(name: Option<&str>, path: &Path) -> Result<String> {
    match name {
        Some(name) => {
            vitc_link::validate_prefix(name).context("--name")?;
            Ok(name.to_string())
        }
        None => Ok(vitc_link::sanitize_prefix(&path.file_stem().unwrap_or_default().to_string_lossy())),
    }
}

/// Lowers with the backend's panel width for packed GEMM operands.
fn lower(graph: &Graph, max_batch: usize, gemm_nr: usize) -> Result<Program> {
    Ok(vitc_lower::lower(graph, &vitc_lower::LowerOptions { max_batch, gemm_nr })?)
}

fn native(args: &CompileArgs) -> Result<()> {
    let Some(output) = args.output.as_deref() else {
        bail!("give the output with -o (X.so, X.o or X.a), or ask for text with --emit ir|asm");
    };
    // Everything that can be checked cheaply comes before the compilation.
    let kind = OutputKind::from_path(output)?;
    let prefix = prefix(args.name.as_deref(), output)?;
    let (codegen, link_target, target_label) = match args.backend {
        Backend::Cranelift => {
            let (t, l) = targets(args.target.as_deref())?;
            (Codegen::Cranelift(t), l, target_name(args.target.as_deref()).to_string())
        }
        Backend::Llvm => {
            let (t, l) = llvm_targets(args)?;
            let label = format!("{} with LLVM", t.name());
            (Codegen::Llvm(t), l, label)
        }
    };
    link_target.toolchain()?;

    let start = Instant::now();
    let (graph, mut times) = load(args)?;
    let t = Instant::now();
    let gemm_nr = match &codegen {
        Codegen::Cranelift(_) => vitc_lower::GEMM_NR,
        Codegen::Llvm(t) => vitc_backend_llvm::gemm_panel_width(t)?,
    };
    let mut program = lower(&graph, args.max_batch, gemm_nr).context("lowering")?;
    times.push(("lower", t.elapsed()));
    // Exported graphs are mostly called "main_graph" or "torch_jit": the file names the model.
    program.name = args.model.stem();
    let lowered = start.elapsed();
    let t = Instant::now();
    let object = match &codegen {
        Codegen::Cranelift(t) => {
            vitc_backend_cranelift::compile_object(&program, &prefix, t).context("generating code")?
        }
        Codegen::Llvm(t) => vitc_backend_llvm::compile_object(&program, &prefix, t).context("generating code")?,
    };
    times.push(("codegen", t.elapsed()));
    let generated = start.elapsed();
    let t = Instant::now();
    let linked =
        vitc_link::link(&program, &object, &LinkOptions { prefix: prefix.clone(), target: link_target }, output)
            .context("linking")?;
    times.push(("link", t.elapsed()));
    let total = start.elapsed();
    if args.time_passes {
        print_times(&times);
    }

    let kind = match kind {
        OutputKind::SharedLibrary => "shared library",
        OutputKind::Object => "object",
        OutputKind::StaticArchive => "static archive",
    };
    println!(
        "compiled {} for {} in {:.2} s (import and lower {:.2} s, code generation {:.2} s, link {:.2} s)",
        args.model.stem(),
        target_label,
        total.as_secs_f64(),
        lowered.as_secs_f64(),
        (generated - lowered).as_secs_f64(),
        (total - generated).as_secs_f64()
    );
    let batch = if program.batch.dynamic {
        format!("dynamic batch up to {}", program.batch.max_batch)
    } else {
        "static shape".to_string()
    };
    println!(
        "{}: {kind}, {} bytes; weights {} bytes; {} kernels; arena {} bytes; {batch}",
        linked.output.display(),
        super::format_count(linked.bytes),
        super::format_count(program.weights.len() as u64),
        program.kernels.len(),
        super::format_count(program.arena_len as u64 * 4),
    );
    println!("{}: C API {prefix}_create/_run/_destroy/...", linked.header.display());
    Ok(())
}
