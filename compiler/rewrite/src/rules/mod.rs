//! The rule tables, one file per theme.

mod activation;
mod batchnorm;
mod layout;
pub mod util;

use crate::analysis::TensorAnalysis;
use crate::lang::TensorNode;

/// A rewrite rule of the mid-end.
pub type Rule = egg::Rewrite<TensorNode, TensorAnalysis>;

/// Every rule, in theme order.
pub fn all() -> Vec<Rule> {
    let mut rules = Vec::new();
    rules.extend(activation::rules());
    rules.extend(batchnorm::rules());
    rules.extend(layout::rules());
    rules
}
