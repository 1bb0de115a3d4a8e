//! vitc's mid-end: the graph goes into an `egg` e-graph with a pure-Rust
//! type analysis, the fusion rules (grouped by theme under [`rules`]) run to
//! saturation or a limit, and the cheapest equivalent graph comes back.
//!
//! Rule authoring policy (after Cranelift's `opts/`):
//! - every rule is named, rewrites in one direction, and has a one-line comment;
//! - a rule never makes the graph worse under [`cost::TrafficCost`];
//! - no general commutativity or associativity (they blow up the e-graph):
//!   rules match the forms exporters actually write, listing variants explicitly;
//! - rules that need constants or attributes check them in their condition.

pub mod analysis;
pub mod bridge;
pub mod cost;
pub mod lang;
pub mod rules;

use std::time::{Duration, Instant};
use vitc_ir::{Graph, IrResult};

/// What a rewrite run did.
#[derive(Clone, Debug, Default)]
pub struct RewriteStats {
    pub iterations: usize,
    pub enodes: usize,
    pub eclasses: usize,
    pub stop_reason: String,
    pub saturate_time: Duration,
    pub extract_time: Duration,
    pub nodes_before: usize,
    pub nodes_after: usize,
}

/// Limits of one run.
pub const ITER_LIMIT: usize = 24;
pub const NODE_LIMIT: usize = 200_000;
pub const TIME_LIMIT: Duration = Duration::from_secs(5);

/// Rewrites `graph` with every rule group and extracts the cheapest result.
pub fn rewrite(graph: &Graph) -> IrResult<(Graph, RewriteStats)> {
    rewrite_with(graph, &rules::all())
}

/// Rewrites `graph` with the given rules.
pub fn rewrite_with(graph: &Graph, rules: &[rules::Rule]) -> IrResult<(Graph, RewriteStats)> {
    let loaded = bridge::to_egraph(graph)?;
    let start = Instant::now();
    let runner = egg::Runner::default()
        .with_egraph(loaded.egraph)
        .with_iter_limit(ITER_LIMIT)
        .with_node_limit(NODE_LIMIT)
        .with_time_limit(TIME_LIMIT)
        .run(rules);
    let saturate_time = start.elapsed();
    let start = Instant::now();
    let cost = cost::TrafficCost { egraph: &runner.egraph };
    let out = bridge::from_egraph(&runner.egraph, &loaded.roots, cost, graph)?;
    let extract_time = start.elapsed();
    vitc_ir::verify::verify(&out)?;
    let stats = RewriteStats {
        iterations: runner.iterations.len(),
        enodes: runner.egraph.total_number_of_nodes(),
        eclasses: runner.egraph.number_of_classes(),
        stop_reason: format!("{:?}", runner.stop_reason),
        saturate_time,
        extract_time,
        nodes_before: graph.op_histogram().values().sum(),
        nodes_after: out.op_histogram().values().sum(),
    };
    Ok((out, stats))
}
