//! The driver: loads a model from any frontend and runs the pass pipeline.
//! Everything the CLI does goes through here, so tests exercise the same path:
//! loading, the pass pipeline, and the CPU code generators behind one
//! [`Backend`] interface.

mod backend;
mod cost;
mod native;
mod pipeline;

pub use backend::{Backend, BackendKind, Cranelift, Llvm, cpu_backend};
pub use cost::{GraphCost, check_interpreter_memory, graph_cost};
pub use native::{NativeBuild, NativeOptions, compile_native};
pub use pipeline::{
    ModelSource, PassTimes, Stage, load, load_onnx, load_onnx_bytes, load_timed, run_pipeline, run_pipeline_timed,
};
