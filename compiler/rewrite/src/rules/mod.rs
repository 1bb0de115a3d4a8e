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

/// The rule groups, in the order [`all`] runs them.
pub const GROUPS: [&str; 6] = ["activation", "attention", "lepe", "batchnorm", "layout", "normalization"];

/// A rule-group name that is not one of [`GROUPS`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownGroup(pub String);

impl std::fmt::Display for UnknownGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown rule group '{}' (the groups are: {})", self.0, GROUPS.join(", "))
    }
}

impl std::error::Error for UnknownGroup {}

/// The rules of one theme, by name (one of [`GROUPS`]); any other name is
/// an error naming it and listing the groups.
pub fn group(name: &str) -> Result<Vec<Rule>, UnknownGroup> {
    Ok(match name {
        "activation" => activation::rules(),
        "attention" => attention::rules(),
        "batchnorm" => batchnorm::rules(),
        "layout" => layout::rules(),
        "lepe" => lepe::rules(),
        "normalization" => normalization::rules(),
        _ => return Err(UnknownGroup(name.to_string())),
    })
}

/// Every rule, in theme order ([`GROUPS`]).
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_group_is_an_error_listing_the_groups() {
        let err = group("fusion").expect_err("'fusion' is not a group");
        assert_eq!(err, UnknownGroup("fusion".into()));
        assert_eq!(
            err.to_string(),
            "unknown rule group 'fusion' (the groups are: activation, attention, lepe, batchnorm, layout, normalization)"
        );
        // Names are exact: no case folding, no prefixes.
        assert!(group("Activation").is_err());
        assert!(group("").is_err());
    }

    #[test]
    fn every_group_is_known_and_all_runs_them_in_order() {
        let mut names = Vec::new();
        for g in GROUPS {
            let rules = group(g).unwrap_or_else(|e| panic!("{e}"));
            assert!(!rules.is_empty(), "group {g} has no rules");
            names.extend(rules.iter().map(|r| r.name.to_string()));
        }
        let all_names: Vec<String> = all().iter().map(|r| r.name.to_string()).collect();
        assert_eq!(all_names, names);
    }
}
