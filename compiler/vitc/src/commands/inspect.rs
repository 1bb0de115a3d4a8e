//! `vitc inspect MODEL.onnx | --arch NAME`: what is in a model and whether
//! vitc supports it (exit 2, the reason on stderr, when it does not);
//! `vitc archs`: the built-in architectures.

use super::format_count;
use anyhow::Result;
use std::path::Path;
use vitc_driver::{ModelSource, Stage};

pub fn inspect(source: &ModelSource) -> Result<()> {
    match source {
        ModelSource::Onnx(path) => inspect_onnx(path),
        ModelSource::Arch { name, weights } => inspect_arch(name, weights.as_deref()),
    }
}

fn inspect_arch(name: &str, weights: Option<&Path>) -> Result<()> {
    let model = match weights {
        Some(path) => vitc_arch::build_with(name, vitc_arch::WeightSource::File(path), &Default::default())?,
        None => vitc_arch::build_with(name, vitc_arch::WeightSource::Seeded(0), &Default::default())?,
    };
    println!("model:      {} ({})", model.info.name, model.info.description);
    println!("weights:    {}", weights.map_or("seeded demo weights (not trained)".into(), |p| p.display().to_string()));
    for &id in &model.graph.inputs {
        println!("input:      {}: {}", model.graph.node(id).name, model.graph.node(id).outputs[0]);
    }
    for (name, v) in &model.graph.outputs {
        println!("output:     {name}: {}", model.graph.value_type(*v));
    }
    println!("parameters: {} (learned; BatchNorm statistics excluded)", format_count(model.parameters));
    let mut graph = model.graph;
    vitc_driver::run_pipeline(&mut graph, Stage::Canonical)?;
    let cost = vitc_driver::graph_cost(&graph);
    println!("MACs:       {} ({:.1} M)", format_count(cost.macs), cost.macs as f64 / 1e6);
    println!("IR ops after canonicalisation: {}", graph.op_histogram().values().sum::<usize>());
    Ok(())
}

/// `vitc archs`: name, parameters and MACs of every built-in architecture
/// (built with seeded weights), beside the papers' figures.
pub fn archs() -> Result<()> {
    println!("{:<34} {:>10} {:>9} {:>10} {:>9}  description", "name", "params(M)", "paper", "GMACs", "paper");
    for info in vitc_arch::architectures() {
        let model = vitc_arch::build_with(info.name, vitc_arch::WeightSource::Seeded(0), &Default::default())?;
        let mut graph = model.graph;
        vitc_driver::run_pipeline(&mut graph, Stage::Canonical)?;
        let macs = vitc_driver::graph_cost(&graph).macs;
        let paper = |v: Option<f64>, digits: usize| v.map_or("-".to_string(), |v| format!("{v:.digits$}"));
        println!(
            "{:<34} {:>10.2} {:>9} {:>10.3} {:>9}  {}",
            info.name,
            model.parameters as f64 / 1e6,
            paper(info.paper_params_m, 1),
            macs as f64 / 1e9,
            paper(info.paper_gmacs, 3),
            info.description
        );
    }
    Ok(())
}

fn inspect_onnx(model: &Path) -> Result<()> {
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
    if !s.converted.is_empty() {
        let kinds: Vec<String> = s
            .converted
            .iter()
            .map(|(t, n)| {
                let to = vitc_onnx::proto::tensor_proto::DataType::from_str_name(&t.to_ascii_uppercase())
                    .and_then(|d| vitc_onnx::dtype_of(d as i32))
                    .map_or("?", |d| d.name());
                format!("{t} → {to} ({n})")
            })
            .collect();
        println!("converted:  {} (tensors and Cast targets; vitc computes in f32 and i64)", kinds.join(", "));
    }
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
            Err(e) => {
                println!("MACs:       unknown: the model does not import");
                return Err(e.context("the model does not import"));
            }
        }
    } else {
        println!("unsupported ops: {}", s.unsupported.len());
        for (node, op, domain) in &s.unsupported {
            let domain = if domain.is_empty() { "ai.onnx" } else { domain };
            println!("  {op} (domain {domain}) in node '{node}'");
        }
        anyhow::bail!(
            "{} unsupported op(s); the first is {} in node '{}'",
            s.unsupported.len(),
            s.unsupported[0].1,
            s.unsupported[0].0
        );
    }
    Ok(())
}
