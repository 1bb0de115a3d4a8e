//! `vitc inspect MODEL.onnx`: what is in a model and whether vitc supports it.

use super::format_count;
use anyhow::Result;
use std::path::Path;
use vitc_driver::Stage;

pub fn inspect(model: &Path) -> Result<()> {
    let s = vitc_onnx::summarize(model)?;
    println!("model:      {} (graph '{}')", model.display(), s.graph_name);
    println!(
        "format:     ONNX IR version {}, producer {}",
        s.ir_version,
        if s.producer.is_empty() { "?" } else { &s.producer }
    );
    let opsets: Vec<String> =
        s.opsets.iter().map(|(d, v)| format!("{} {v}", if d.is_empty() { "ai.onnx" } else { d })).collect();
    println!("opset:      {}", opsets.join(", "));
    for (label, values) in [("input", &s.inputs), ("output", &s.outputs)] {
        for v in values {
            let dims = v.dims.as_ref().map_or("?".to_string(), |d| d.join(","));
            println!("{label}:{:pad$}{}: {}[{dims}]", "", v.name, v.elem_type, pad = 11 - label.len() - 1);
        }
    }
    let mut hist: Vec<(&String, &usize)> = s.op_histogram.iter().collect();
    hist.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let ops: Vec<String> = hist.iter().map(|(op, n)| format!("{op} {n}")).collect();
    println!("nodes:      {} ({})", s.node_count, ops.join(", "));
    println!(
        "parameters: {} (float elements of initializers and constants of ≥ {} elements, BatchNorm statistics included)",
        format_count(s.parameter_count),
        vitc_onnx::PARAM_CONSTANT_MIN_ELEMENTS
    );
    if s.unsupported.is_empty() {
        println!("unsupported ops: none");
        // MACs need types: import, canonicalise, and count.
        match vitc_driver::load_onnx(model, Stage::Canonical) {
            Ok(graph) => {
                let cost = vitc_driver::graph_cost(&graph);
                let note =
                    if graph.inputs.iter().any(|&i| graph.node(i).outputs[0].shape.iter().any(|d| d.known().is_none()))
                    {
                        " per image (symbolic batch counted as 1)"
                    } else {
                        ""
                    };
                println!("MACs:       {} ({:.1} M){note}", format_count(cost.macs), cost.macs as f64 / 1e6);
                println!("IR ops after canonicalisation: {}", graph.op_histogram().values().sum::<usize>());
            }
            Err(e) => println!("MACs:       unknown: the model does not import: {e:#}"),
        }
    } else {
        println!("unsupported ops: {}", s.unsupported.len());
        for (node, op, domain) in &s.unsupported {
            let domain = if domain.is_empty() { "ai.onnx" } else { domain };
            println!("  {op} (domain {domain}) in node '{node}'");
        }
    }
    Ok(())
}
