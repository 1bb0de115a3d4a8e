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
        /// The ONNX model (or use --arch).
        #[arg(required_unless_present = "arch")]
        model: Option<PathBuf>,
        #[command(flatten)]
        arch: ArchArgs,
    },
    /// List the built-in architectures with their parameters and MACs.
    Archs,
    /// Run a model and print the top-5 classes: an ONNX model with the
    /// reference interpreter, or a shared library built by `vitc compile`.
    ///
    /// Without MODEL, runs the embedded example (a tiny ViT with random weights)
    /// on its bundled input.
    Run {
        /// The ONNX model, a compiled `.so`, or a `.ptx` (needs `--features cuda` and a GPU) (default:
        /// the embedded example model).
        model: Option<PathBuf>,
        /// Input tensor (.npy); repeat for models with several inputs.
        #[arg(long, short)]
        input: Vec<PathBuf>,
        /// Where to write each output (.npy); repeat for several outputs.
        #[arg(long, short)]
        output: Vec<PathBuf>,
        #[command(flatten)]
        images: ImageArgs,
        /// Threads of the compiled library's context (shared libraries only; default 1).
        #[arg(long)]
        threads: Option<usize>,
        /// API prefix of the library (default: its `vitc_model_prefix` symbol, else the file stem).
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        arch: ArchArgs,
        /// Most memory the interpreter may need for the model's tensors (ONNX models): bytes, or with
        /// a K, M or G suffix.
        #[arg(long, default_value = "4G", value_parser = parse_size)]
        max_memory: u64,
    },
    /// Compile a model: `-o X.so`, `X.o` or `X.a` (the extension decides) writes
    /// native code and the C header `X.h`; `--emit ir|kernels|asm` writes text instead.
    Compile {
        /// The ONNX model (or use --arch).
        #[arg(required_unless_present = "arch")]
        model: Option<PathBuf>,
        #[command(flatten)]
        arch: ArchArgs,
        /// Write text instead of native code.
        #[arg(long, value_enum)]
        emit: Option<Emit>,
        /// Stop the pipeline after this stage (`canonical` turns the rewrites off).
        #[arg(long, value_enum, default_value = "rewrite")]
        after: AfterStage,
        /// Print the time each pass took (to stderr).
        #[arg(long)]
        time_passes: bool,
        /// Output file: .so, .o or .a for native code; with --emit, a text file (stdout when absent).
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Target: host (this machine and its features, e.g. FMA), x86_64-linux (portable x86-64),
        /// x86_64-v2-linux, x86_64-v3-linux (AVX2 and FMA), aarch64-linux, or ptx-sm80 / ptx-sm90
        /// (NVIDIA GPUs: `-o NAME.ptx` writes NAME.ptx, NAME.manifest.json and NAME.weights). Default: host.
        #[arg(long)]
        target: Option<String>,
        /// Prefix of the C API (default: the output file's stem made a C identifier).
        #[arg(long)]
        name: Option<String>,
        /// Code generator: llvm (AVX-512, AVX2/FMA and NEON kernels, the fastest code; the default
        /// when built in, as `cargo build --release` does) or cranelift (compiles fastest; the
        /// default of a `--no-default-features` build).
        #[arg(long, value_enum)]
        backend: Option<Backend>,
        /// With --backend llvm: the LLVM CPU to generate code for (x86-64-v3 for portable AVX2+FMA,
        /// znver3, neoverse-n1, ...; `native` = this machine). Default: this machine's CPU on the host
        /// target, the target's baseline otherwise.
        #[arg(long)]
        target_cpu: Option<String>,
        /// Largest batch one call may pass, for models with a dynamic batch axis.
        #[arg(long, default_value_t = 64)]
        max_batch: usize,
        /// Most memory the compiled program may need (activation arena for --max-batch images plus
        /// weights): bytes, or with a K, M or G suffix (powers of 1024).
        #[arg(long, default_value = "4G", value_parser = parse_size)]
        max_memory: u64,
    },
    /// Time a compiled shared library; prints one JSON line like `ort_bench.py`.
    Bench {
        /// A shared library built by `vitc compile -o X.so`, or a `.ptx` built with `--target ptx-sm80|ptx-sm90`
        /// (needs `--features cuda` and a GPU).
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
    /// The kernel program: the lowering's output, one line per kernel.
    Kernels,
    /// The machine code of every kernel, as the backend's disassembly.
    Asm,
    /// The optimised LLVM IR of every kernel (LLVM backend).
    LlvmIr,
    /// Graphviz of the graph before and after the rewrites (two digraphs).
    Dot,
    /// The PTX text of every kernel (for --target ptx-sm80 or ptx-sm90; default sm80).
    Ptx,
}

/// The code generator of `vitc compile`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    /// Cranelift: built in, 128-bit vectors.
    Cranelift,
    /// LLVM 19 through inkwell (cargo feature `llvm`).
    Llvm,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum AfterStage {
    /// As imported and shape-inferred.
    Imported,
    /// After constant/shape folding and no-op removal.
    Canonical,
    /// After the egg mid-end (fused attention, BatchNorm folding, GELU, ...).
    Rewrite,
}

/// Images as the input (`vitc run --image`), preprocessed as timm's
/// evaluation transform does.
#[derive(clap::Args, Debug, Clone)]
pub struct ImageArgs {
    /// Images (JPEG, PNG, WebP) to classify instead of --input; several make one batch.
    #[arg(long, num_args = 1.., conflicts_with = "input")]
    pub image: Vec<PathBuf>,
    /// Side of the centre crop (default: the model's input height, which must equal its width).
    #[arg(long, requires = "image")]
    pub size: Option<usize>,
    /// The crop's share of the resized shorter side: the image is resized to size / crop-pct first.
    #[arg(long, default_value_t = vitc_preprocess::DEFAULT_CROP_PCT, requires = "image")]
    pub crop_pct: f64,
    /// Per-channel mean subtracted after scaling to [0, 1] (R G B; default ImageNet's).
    #[arg(long, num_args = 3, value_names = ["R", "G", "B"], requires = "image")]
    pub mean: Option<Vec<f32>>,
    /// Per-channel standard deviation divided by (R G B; default ImageNet's).
    #[arg(long, num_args = 3, value_names = ["R", "G", "B"], requires = "image")]
    pub std: Option<Vec<f32>>,
    /// Resampling filter of the resize.
    #[arg(long, value_enum, default_value = "bicubic", requires = "image")]
    pub interpolation: Interpolation,
}

/// `--interpolation`: Pillow's filters, as timm names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Interpolation {
    Bicubic,
    Bilinear,
}

/// A built-in architecture instead of an ONNX file.
#[derive(clap::Args, Debug, Clone)]
pub struct ArchArgs {
    /// Build the model from a built-in architecture definition (see `vitc archs`).
    #[arg(long)]
    pub arch: Option<String>,
    /// Weights for --arch (safetensors, reference parameter names). Without it:
    /// seeded, untrained demo weights.
    #[arg(long, requires = "arch")]
    pub weights: Option<PathBuf>,
}

/// A size in bytes: a number, optionally with a K, M or G suffix (powers of 1024).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (digits, scale) = match t.char_indices().last() {
        Some((i, 'K' | 'k')) => (&t[..i], 1u64 << 10),
        Some((i, 'M' | 'm')) => (&t[..i], 1 << 20),
        Some((i, 'G' | 'g')) => (&t[..i], 1 << 30),
        _ => (t, 1),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("'{text}' is not a size (a positive number of bytes, optionally with K, M or G)"))
}
