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
    /// Run a model with the reference interpreter and print the top-5 classes.
    ///
    /// Without MODEL, runs the embedded example (a tiny ViT with random weights)
    /// on its bundled input.
    Run {
        /// The ONNX model (default: the embedded example model).
        model: Option<PathBuf>,
        /// Input tensor (.npy); repeat for models with several inputs.
        #[arg(long, short)]
        input: Vec<PathBuf>,
        /// Where to write each output (.npy); repeat for several outputs.
        #[arg(long, short)]
        output: Vec<PathBuf>,
    },
    /// Compile a model.
    Compile {
        /// The ONNX model.
        model: PathBuf,
        /// What to produce.
        #[arg(long, value_enum)]
        emit: Option<Emit>,
        /// Stop the pipeline after this stage (with --emit ir).
        #[arg(long, value_enum, default_value = "canonical")]
        after: AfterStage,
        /// Output file (stdout when absent with --emit ir).
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Emit {
    /// The IR in its text form.
    Ir,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum AfterStage {
    /// As imported and shape-inferred.
    Imported,
    /// After constant/shape folding and no-op removal.
    Canonical,
}
