//! Activation rules: exporters spell GELU out with `erf`; it becomes one op.

use super::Rule;
use super::util::{FnApplier, add_op, scalar, var};
use egg::rewrite;
use std::f32::consts::{FRAC_1_SQRT_2, SQRT_2};
use vitc_ir::{Attrs, OpKind};

fn near(v: Option<f32>, target: f32) -> bool {
    v.is_some_and(|v| (v - target).abs() <= 1e-6 * target.abs().max(1.0))
}

pub fn rules() -> Vec<Rule> {
    // `scale` is the divisor √2 (`div`) or the factor 1/√2 (`mul`).
    let gelu = |x: &str, div: &str, one: &str, half: &str, scale: f32| {
        let (x, div, one, half) = (var(x), var(div), var(one), var(half));
        FnApplier(move |eg: &mut crate::analysis::TensorGraph, _class, s: &egg::Subst| {
            let divisor_ok = near(scalar(eg, s[div]), scale);
            if !(divisor_ok && near(scalar(eg, s[one]), 1.0) && near(scalar(eg, s[half]), 0.5)) {
                return None;
            }
            Some(add_op(eg, OpKind::Gelu, &Attrs::new(), vec![s[x]]))
        })
    };
    vec![
        // x·(erf(x/√2)+1)·½, as the PyTorch exporter writes nn.GELU → gelu(x).
        rewrite!("gelu-from-erf-mul-half-last";
            "(mul (mul ?x (add (erf (div ?x ?s)) ?one)) ?half)" => { gelu("?x", "?s", "?one", "?half", SQRT_2) }),
        // ½x·(1+erf(x/√2)), the textbook order → gelu(x).
        rewrite!("gelu-from-erf-half-first";
            "(mul (mul ?x ?half) (add ?one (erf (div ?x ?s))))" => { gelu("?x", "?s", "?one", "?half", SQRT_2) }),
        // x·(erf(x·(1/√2))+1)·½, the exporter's order with a multiplied scale → gelu(x).
        rewrite!("gelu-from-erf-scaled-half-last";
            "(mul (mul ?x (add (erf (mul ?x ?s)) ?one)) ?half)" => { gelu("?x", "?s", "?one", "?half", FRAC_1_SQRT_2) }),
        // ½x·(1+erf(x·(1/√2))) → gelu(x).
        rewrite!("gelu-from-erf-scaled-half-first";
            "(mul (mul ?x ?half) (add ?one (erf (mul ?x ?s))))" => { gelu("?x", "?s", "?one", "?half", FRAC_1_SQRT_2) }),
    ]
}
