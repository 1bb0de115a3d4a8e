//! The CPU code generators behind one interface: what lowering needs from
//! them (the GEMM panel width), native code, the machine-code listing and
//! the linker's target. The CLI and the tests pick a [`Backend`] with
//! [`cpu_backend`] and then take one path, whichever it is.

use anyhow::{Context, Result};
use vitc_ir::Graph;
use vitc_link::Target as LinkTarget;
use vitc_lower::{LowerOptions, Program};

/// A CPU code generator for one target.
pub trait Backend {
    /// The target as `vitc compile` reports it (`host`, `znver4 with LLVM`).
    fn label(&self) -> String;
    /// The width of packed GEMM panels the generator's micro-kernel reads.
    fn gemm_panel_width(&self) -> Result<usize>;
    /// ELF relocatable objects that together hold one function per kernel
    /// and the weights symbol (the contract `vitc_link::link` takes); a
    /// generator that compiles in parallel returns one object per thread.
    fn objects(&self, program: &Program, prefix: &str) -> Result<Vec<Vec<u8>>>;
    /// The machine code of every kernel as text (`--emit asm`).
    fn asm(&self, program: &Program, prefix: &str) -> Result<String>;
    /// The target the object is linked for.
    fn link_target(&self) -> LinkTarget;

    /// Lowers `graph` with this generator's options, for up to `max_batch`
    /// images and `max_memory` bytes of arena and weights.
    fn lower(&self, graph: &Graph, max_batch: usize, max_memory: u64) -> Result<Program> {
        let options = LowerOptions { max_batch, gemm_nr: self.gemm_panel_width()?, max_memory };
        vitc_lower::lower(graph, &options).context("lowering")
    }
}

/// Which CPU code generator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    /// Cranelift: built in, 128-bit vectors, fast to compile.
    Cranelift,
    /// LLVM through inkwell (the cargo feature `llvm`): the fastest code.
    Llvm,
}

/// The generator `kind` for `target` (`host` when absent) and, for LLVM,
/// `target_cpu`; target names are checked here, before any work.
pub fn cpu_backend(kind: BackendKind, target: Option<&str>, target_cpu: Option<&str>) -> Result<Box<dyn Backend>> {
    match kind {
        BackendKind::Cranelift => {
            if target_cpu.is_some() {
                anyhow::bail!("--target-cpu applies to the LLVM backend (add --backend llvm)");
            }
            let name = target.unwrap_or("host");
            let t = vitc_backend_cranelift::Target::parse(name)?;
            Ok(Box::new(Cranelift { target: t, label: name.to_string() }))
        }
        BackendKind::Llvm => Ok(Box::new(Llvm(vitc_backend_llvm::LlvmTarget::parse(target, target_cpu)?))),
    }
}

/// Cranelift for one target.
pub struct Cranelift {
    pub target: vitc_backend_cranelift::Target,
    label: String,
}

impl Backend for Cranelift {
    fn label(&self) -> String {
        self.label.clone()
    }
    fn gemm_panel_width(&self) -> Result<usize> {
        Ok(vitc_lower::GEMM_NR)
    }
    fn objects(&self, program: &Program, prefix: &str) -> Result<Vec<Vec<u8>>> {
        Ok(vec![vitc_backend_cranelift::compile_object(program, prefix, &self.target).context("generating code")?])
    }
    fn asm(&self, program: &Program, prefix: &str) -> Result<String> {
        vitc_backend_cranelift::emit_disasm(program, prefix, &self.target).context("generating code")
    }
    fn link_target(&self) -> LinkTarget {
        match self.target.arch {
            vitc_backend_cranelift::Arch::X86_64 => LinkTarget::X86_64Linux,
            vitc_backend_cranelift::Arch::Aarch64 => LinkTarget::Aarch64Linux,
        }
    }
}

/// LLVM for one target and CPU.
pub struct Llvm(pub vitc_backend_llvm::LlvmTarget);

impl Backend for Llvm {
    fn label(&self) -> String {
        format!("{} with LLVM", self.0.name())
    }
    fn gemm_panel_width(&self) -> Result<usize> {
        Ok(vitc_backend_llvm::gemm_panel_width(&self.0)?)
    }
    fn objects(&self, program: &Program, prefix: &str) -> Result<Vec<Vec<u8>>> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        vitc_backend_llvm::compile_objects(program, prefix, &self.0, threads).context("generating code")
    }
    fn asm(&self, program: &Program, prefix: &str) -> Result<String> {
        vitc_backend_llvm::emit_asm(program, prefix, &self.0).context("generating code")
    }
    fn link_target(&self) -> LinkTarget {
        match self.0.arch {
            vitc_backend_llvm::Arch::X86_64 => LinkTarget::X86_64Linux,
            vitc_backend_llvm::Arch::Aarch64 => LinkTarget::Aarch64Linux,
        }
    }
}
