//! Canonicalisation: the passes that run right after import, before any
//! rewrite. They fold everything that is known at compile time (shape
//! arithmetic, constant subgraphs), drop no-op nodes and dead code, and move
//! row selections up past row-wise ops (so unselected rows are never
//! computed), so later stages see the smallest graph with the same meaning.
//! A `scatter_nd` with constant indices becomes gathers and selects.

mod fold_constants;
mod fold_shapes;
mod identities;
mod scatter_gather;
mod select_rows;

pub use fold_constants::fold_constants;
pub use fold_shapes::fold_shape_values;
pub use identities::remove_identities;
pub use scatter_gather::scatters_as_gathers;
pub use select_rows::push_row_selections;

use vitc_ir::{Graph, IrResult};

/// What canonicalisation changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CanonStats {
    pub shapes_folded: usize,
    pub constants_folded: usize,
    pub identities_removed: usize,
    pub scatters_rewritten: usize,
    pub rows_selected: usize,
    pub dead_removed: usize,
}

/// Runs the canonicalisation passes to a fixed point, verifying the graph
/// after each round.
pub fn canonicalize(graph: &mut Graph) -> IrResult<CanonStats> {
    let mut stats = CanonStats::default();
    loop {
        let shapes = fold_shape_values(graph)?;
        let consts = fold_constants(graph)?;
        let ids = remove_identities(graph)?;
        let scatters = scatters_as_gathers(graph)?;
        let rows = push_row_selections(graph)?;
        let dead = graph.remove_dead_nodes();
        stats.shapes_folded += shapes;
        stats.constants_folded += consts;
        stats.identities_removed += ids;
        stats.scatters_rewritten += scatters;
        stats.rows_selected += rows;
        stats.dead_removed += dead;
        if shapes + consts + ids + scatters + rows + dead == 0 {
            break;
        }
    }
    graph.compact_weights();
    vitc_ir::verify::verify(graph)?;
    Ok(stats)
}
