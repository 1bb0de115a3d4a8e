//! The rule tables, one file per theme.

mod activation;
mod attention;
mod batchnorm;
mod layout;
mod lepe;
mod normalization;
pub mod util;

use crate::analysis::TensorAnalysis;
use crate::lang::TensorNode;

/// A rewrite rule of the mid-end.
pub type Rule = egg::Rewrite<TensorNode, TensorAnalysis>;

/// The rules of one theme, by name (`activation`, `attention`, `batchnorm`, `layout`, `lepe`, `normalization`).
pub fn group(name: &str) -> Vec<Rule> {
    match name {
        "activation" => activation::rules(),
        "attention" => attention::rules(),
        "batchnorm" => batchnorm::rules(),
        "layout" => layout::rules(),
        "lepe" => lepe::rules(),
        "normalization" => normalization::rules(),
        _ => Vec::new(),
    }
}

/// Every rule, in theme order.
pub fn all() -> Vec<Rule> {
    let mut rules = Vec::new();
    rules.extend(activation::rules());
    rules.extend(attention::rules());
    rules.extend(lepe::rules());
    rules.extend(batchnorm::rules());
    rules.extend(layout::rules());
    rules.extend(normalization::rules());
    rules
}
