//! `vitc compile MODEL --emit ir`: the imported, canonicalised IR.

use crate::args::{AfterStage, Emit};
use anyhow::{Result, bail};
use std::path::Path;
use vitc_driver::Stage;

pub fn compile(model: &Path, emit: Option<Emit>, after: AfterStage, output: Option<&Path>) -> Result<()> {
    let stage = match after {
        AfterStage::Imported => Stage::Imported,
        AfterStage::Canonical => Stage::Canonical,
    };
    let Some(Emit::Ir) = emit else {
        bail!("native code output is not available yet (it arrives with the Cranelift backend); use --emit ir");
    };
    let graph = vitc_driver::load_onnx(model, stage)?;
    let text = vitc_ir::text::print_graph(&graph)?;
    match output {
        Some(path) => super::write_atomically(path, text.as_bytes()),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}
