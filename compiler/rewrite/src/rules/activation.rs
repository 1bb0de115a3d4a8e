//! Activation rules: exporters spell GELU out with `erf`; it becomes one op.

use super::Rule;
use super::util::{FnApplier, add_op, scalar, var};
use egg::rewrite;
use vitc_ir::{Attrs, OpKind};

fn near(v: Option<f32>, target: f32) -> bool {
    v.is_some_and(|v| (v - target).abs() <= 1e-6 * target.abs().max(1.0))
}

pub fn rules() -> Vec<Rule> {
    let gelu = |x: &str, div: &str, one: &str, half: &str| {
        let (x, div, one, half) = (var(x), var(div), var(one), var(half));
        FnApplier(move |eg: &mut crate::analysis::TensorGraph, _class, s: &egg::Subst| {
            let divisor_ok = near(scalar(eg, s[div]), std::f32::consts::SQRT_2);
            if !(divisor_ok && near(scalar(eg, s[one]), 1.0) && near(scalar(eg, s[half]), 0.5)) {
                return None;
            }
            Some(add_op(eg, OpKind::Gelu, &Attrs::new(), vec![s[x]]))
        })
    };
    vec![
        // x·(erf(x/√2)+1)·½, as the PyTorch exporter writes nn.GELU → gelu(x).
        rewrite!("gelu-from-erf-mul-half-last";
            "(mul (mul ?x (add (erf (div ?x ?s)) ?one)) ?half)" => { gelu("?x", "?s", "?one", "?half") }),
        // ½x·(1+erf(x/√2)), the textbook order → gelu(x).
        rewrite!("gelu-from-erf-half-first";
            "(mul (mul ?x ?half) (add ?one (erf (div ?x ?s))))" => { gelu("?x", "?s", "?one", "?half") }),
    ]
}
