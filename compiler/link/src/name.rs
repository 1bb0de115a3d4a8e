//! The API prefix: a C identifier derived from the model or output name.

use crate::LinkError;

/// `name` made into a C identifier: characters other than ASCII letters,
/// digits and `_` become `_`; a leading digit (or an empty name) gets `m_` in
/// front.
pub fn sanitize_prefix(name: &str) -> String {
    let mut s: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert_str(0, "m_");
    }
    s
}

/// Checks that `prefix` is a C identifier (as given with `--name`).
pub fn validate_prefix(prefix: &str) -> Result<(), LinkError> {
    let mut chars = prefix.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok { Ok(()) } else { Err(LinkError::BadPrefix(prefix.to_string())) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitizes() {
        assert_eq!(sanitize_prefix("levit_128s"), "levit_128s");
        assert_eq!(sanitize_prefix("deit-tiny.v2"), "deit_tiny_v2");
        assert_eq!(sanitize_prefix("128s"), "m_128s");
        assert_eq!(sanitize_prefix(""), "m_");
        assert_eq!(sanitize_prefix("café"), "caf_");
    }

    #[test]
    fn validates() {
        assert!(validate_prefix("levit").is_ok());
        assert!(validate_prefix("_x9").is_ok());
        for bad in ["", "9a", "a-b", "a b", "é"] {
            assert!(validate_prefix(bad).is_err(), "{bad}");
        }
    }
}
