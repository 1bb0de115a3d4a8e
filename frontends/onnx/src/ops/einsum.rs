//! [Einsum](https://onnx.ai/onnx/operators/onnx__Einsum.html), opsets 12–28
//! (versions 12 and 28; 28 only adds bfloat16). The `equation` attribute is
//! required.
//!
//! The IR's `einsum` takes any equation (the interpreter runs them all); the
//! lowering handles permutations and batched matrix products. So that every
//! equation reaches it in that form, the frontend first normalises each
//! operand (shapes known at compile time):
//!
//! 1. `...` becomes fresh labels (upper-case letters the equation does not
//!    use), right-aligned across operands as broadcasting aligns them;
//! 2. a label repeated within one operand takes that operand's diagonal
//!    (the two axes moved last, flattened, every `n + 1`-th element
//!    gathered);
//! 3. a label of one operand that neither the output nor another operand
//!    names is summed out (`reduce_sum`).
//!
//! The remaining `einsum` has distinct labels per operand and no ellipsis.

use super::NodeCtx;
use super::compose::Compose;
use crate::error::Result;
use vitc_ir::dim::shape_sizes;
use vitc_ir::infer::parse_einsum;
use vitc_ir::{Attr, Attrs, Graph, OpKind, Value};

pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, kind: OpKind) -> Result<Vec<Value>> {
    let Some(equation) = n.attr_str("equation")? else {
        return Err(n.attr_err("equation", "the attribute is required"));
    };
    let spec = parse_einsum(&equation).map_err(|m| n.attr_err("equation", m))?;
    let mut b = Compose::new(n);
    let operands: Vec<Value> = (0..n.inputs.len()).map(|i| b.required(i, "Inputs")).collect::<Result<_>>()?;
    if spec.inputs.len() != operands.len() {
        return Err(n.err(format!("the equation names {} operands, found {}", spec.inputs.len(), operands.len())));
    }
    let Some(mut dims) = operands.iter().map(|&v| shape_sizes(&g.value_type(v).shape)).collect::<Option<Vec<_>>>()
    else {
        // Symbolic shapes: keep the node as it is.
        return n.direct(g, kind);
    };
    // 1. The ellipsis as fresh labels, right-aligned.
    let fresh: Vec<char> = ('A'..='Z').filter(|c| !equation.contains(*c)).collect();
    let mut spans = Vec::with_capacity(dims.len());
    for (i, (t, d)) in spec.inputs.iter().zip(&dims).enumerate() {
        let explicit = t.iter().filter(|&&c| c != '.').count();
        spans.push(match (t.contains(&'.'), d.len().checked_sub(explicit)) {
            (true, Some(span)) => span,
            (false, _) => 0,
            (true, None) => return Err(n.err(format!("operand {i} has rank {} but {explicit} labels", d.len()))),
        });
    }
    let widest = spans.iter().copied().max().unwrap_or(0);
    if widest > fresh.len() {
        return Err(n.err("the ellipsis covers more axes than there are free labels"));
    }
    let expand = |term: &[char], span: usize| -> Vec<char> {
        term.iter().flat_map(|&c| if c == '.' { fresh[widest - span..widest].to_vec() } else { vec![c] }).collect()
    };
    let mut terms: Vec<Vec<char>> = spec.inputs.iter().zip(&spans).map(|(t, &s)| expand(t, s)).collect();
    let output = expand(&spec.output, widest);
    let mut values = operands;
    for (i, term) in terms.iter_mut().enumerate() {
        if term.len() != dims[i].len() {
            return Err(n.err(format!(
                "operand {i} has rank {} but the equation gives it {} labels",
                dims[i].len(),
                term.len()
            )));
        }
        // 2. Diagonals of repeated labels.
        while let Some((a, c)) = term.iter().enumerate().find_map(|(a, c)| term[a + 1..].contains(c).then_some((a, *c)))
        {
            let other = a + 1 + term[a + 1..].iter().position(|x| *x == c).unwrap_or(0);
            if dims[i][a] != dims[i][other] {
                return Err(
                    n.err(format!("label '{c}' of operand {i} has sizes {} and {}", dims[i][a], dims[i][other]))
                );
            }
            let size = dims[i][a];
            let rest: Vec<usize> = (0..term.len()).filter(|&k| k != a && k != other).collect();
            let mut perm: Vec<i64> = rest.iter().map(|&k| k as i64).collect();
            perm.extend([a as i64, other as i64]);
            let moved = b.op_with(g, OpKind::Transpose, Attrs::new().with("perm", Attr::Ints(perm)), &[values[i]])?;
            let mut flat: Vec<i64> = rest.iter().map(|&k| dims[i][k] as i64).collect();
            flat.push((size * size) as i64);
            let flat_shape = b.ints(g, &flat);
            let flat = b.op(g, OpKind::Reshape, &[moved, flat_shape])?;
            let diagonal: Vec<i64> = (0..size as i64).map(|k| k * (size as i64 + 1)).collect();
            let diagonal = b.ints(g, &diagonal);
            let axis = Attrs::new().with("axis", Attr::Int(rest.len() as i64));
            values[i] = b.op_with(g, OpKind::Gather, axis, &[flat, diagonal])?;
            let mut next_dims: Vec<usize> = rest.iter().map(|&k| dims[i][k]).collect();
            next_dims.push(size);
            let mut next_term: Vec<char> = rest.iter().map(|&k| term[k]).collect();
            next_term.push(c);
            dims[i] = next_dims;
            *term = next_term;
        }
    }
    // 3. Labels only this operand names, summed out.
    for i in 0..terms.len() {
        let alone: Vec<usize> = (0..terms[i].len())
            .filter(|&k| {
                let c = terms[i][k];
                !output.contains(&c) && terms.iter().enumerate().all(|(j, t)| j == i || !t.contains(&c))
            })
            .collect();
        if alone.is_empty() {
            continue;
        }
        let axes = Attrs::new()
            .with("axes", Attr::Ints(alone.iter().map(|&k| k as i64).collect()))
            .with("keepdims", Attr::Int(0));
        values[i] = b.op_with(g, OpKind::ReduceSum, axes, &[values[i]])?;
        terms[i] = (0..terms[i].len()).filter(|k| !alone.contains(k)).map(|k| terms[i][k]).collect();
    }
    let lhs: Vec<String> = terms.iter().map(|t| t.iter().collect()).collect();
    let normalised = format!("{}->{}", lhs.join(","), output.iter().collect::<String>());
    b.last_with(g, OpKind::Einsum, Attrs::new().with("equation", Attr::Str(normalised)), &values)
}
