//! Command-line arguments.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "vitc", version, about = "Ahead-of-time compiler for vision-transformer image classifiers")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Show a model's inputs, outputs, opset, ops, parameters, MACs and unsupported ops.
    Inspect {
        /// The ONNX model.
        model: PathBuf,
    },
    /// Run a model and print the top-5 classes: an ONNX model with the
    /// reference interpreter, or a shared library built by `vitc compile`.
    ///
    /// Without MODEL, runs the embedded example (a tiny ViT with random weights)
    /// on its bundled input.
    Run {
        /// The ONNX model or a compiled `.so` (default: the embedded example model).
        model: Option<PathBuf>,
        /// Input tensor (.npy); repeat for models with several inputs.
        #[arg(long, short)]
        input: Vec<PathBuf>,
        /// Where to write each output (.npy); repeat for several outputs.
        #[arg(long, short)]
        output: Vec<PathBuf>,
        /// Threads of the compiled library's context (shared libraries only; default 1).
        #[arg(long)]
        threads: Option<usize>,
        /// API prefix of the library (default: its `vitc_model_prefix` symbol, else the file stem).
        #[arg(long)]
        name: Option<String>,
    },
    /// Compile a model: `-o X.so`, `X.o` or `X.a` (the extension decides) writes
    /// native code and the C header `X.h`; `--emit ir|asm` writes text instead.
    Compile {
        /// The ONNX model.
        model: PathBuf,
        /// Write text instead of native code.
        #[arg(long, value_enum)]
        emit: Option<Emit>,
        /// Stop the pipeline after this stage (with --emit ir).
        #[arg(long, value_enum, default_value = "canonical")]
        after: AfterStage,
        /// Output file: .so, .o or .a for native code; with --emit, a text file (stdout when absent).
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Target: x86_64-linux (portable x86-64), x86_64-v2-linux, x86_64-v3-linux (AVX2 and FMA),
        /// aarch64-linux, or host (this machine's features). Default: the portable target of this
        /// machine's architecture.
        #[arg(long)]
        target: Option<String>,
        /// Prefix of the C API (default: the output file's stem made a C identifier).
        #[arg(long)]
        name: Option<String>,
        /// Largest batch one call may pass, for models with a dynamic batch axis.
        #[arg(long, default_value_t = 64)]
        max_batch: usize,
    },
    /// Time a compiled shared library; prints one JSON line like `ort_bench.py`.
    Bench {
        /// A shared library built by `vitc compile -o X.so`.
        library: PathBuf,
        /// Threads of the context (the calling thread included).
        #[arg(long, default_value_t = 1)]
        threads: usize,
        /// Images per call (1 for a model with a static shape).
        #[arg(long, default_value_t = 1)]
        batch: usize,
        /// Untimed calls first.
        #[arg(long, default_value_t = 10)]
        warmup: usize,
        /// Timed calls.
        #[arg(long, default_value_t = 50)]
        runs: usize,
        /// Input (.npy) instead of generated standard-normal data.
        #[arg(long)]
        input: Option<PathBuf>,
        /// API prefix of the library (default: its `vitc_model_prefix` symbol, else the file stem).
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Emit {
    /// The IR in its text form.
    Ir,
    /// The machine code of every kernel, as the backend's disassembly.
    Asm,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum AfterStage {
    /// As imported and shape-inferred.
    Imported,
    /// After constant/shape folding and no-op removal.
    Canonical,
}
