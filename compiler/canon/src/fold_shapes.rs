//! Folds small integer values whose contents are fully known from shapes
//! (`Shape → Gather → Concat` chains) into constants.

use std::sync::Arc;
use vitc_ir::infer::shape_value::{SymInt, shape_value};
use vitc_ir::{DType, Graph, IrResult, OpKind, Tensor, Value};

/// Replaces every non-constant integer value whose contents are known
/// numbers by a constant. Returns how many values were folded.
pub fn fold_shape_values(graph: &mut Graph) -> IrResult<usize> {
    let mut folded = 0;
    for id in graph.topo_order()? {
        let node = graph.node(id);
        if matches!(node.op, OpKind::Input | OpKind::Const) || node.outputs.len() != 1 {
            continue;
        }
        let v = Value::first(id);
        let Some(values) = shape_value(graph, v) else { continue };
        let Some(ints) = values.iter().map(SymInt::as_int).collect::<Option<Vec<i64>>>() else { continue };
        let ty = graph.value_type(v).clone();
        let tensor = match ty.dtype {
            DType::I64 => Tensor::I64(
                vitc_ir::ndarray::ArrayD::from_shape_vec(shape_dims(&ty.shape, ints.len()), ints).map_err(bad)?,
            ),
            DType::I32 => Tensor::I32(
                vitc_ir::ndarray::ArrayD::from_shape_vec(
                    shape_dims(&ty.shape, ints.len()),
                    ints.iter().map(|&x| x as i32).collect(),
                )
                .map_err(bad)?,
            ),
            _ => continue,
        };
        let name = format!("{}.folded", graph.node(id).name);
        let c = graph.add_const(&name, Arc::new(tensor));
        graph.replace_uses(v, c);
        folded += 1;
    }
    Ok(folded)
}

fn shape_dims(shape: &[vitc_ir::Dim], len: usize) -> vitc_ir::ndarray::IxDyn {
    if shape.is_empty() { vitc_ir::ndarray::IxDyn(&[]) } else { vitc_ir::ndarray::IxDyn(&[len]) }
}

fn bad(e: vitc_ir::ndarray::ShapeError) -> vitc_ir::IrError {
    vitc_ir::IrError::Graph(format!("folding a shape value: {e}"))
}
