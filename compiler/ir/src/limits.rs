//! Sanity limits on sizes, checked where the IR makes or re-checks a type
//! (shape inference, graph inputs and constants in the verifier) and where
//! window attributes are read, so every command (`inspect`, `--emit ir`,
//! `compile`, the interpreter) rejects an absurd model the same way, early,
//! before anything is allocated or generated.

use crate::dim::{Dim, format_shape};

/// Most elements one tensor may have: 2^30 (4 GiB of f32). No image
/// classifier comes near it; a model that does is corrupt or hostile.
pub const MAX_TENSOR_ELEMENTS: u64 = 1 << 30;

/// Largest kernel size, stride, dilation or padding of a window op: 2^16.
pub const MAX_WINDOW: i64 = 1 << 16;

/// Checks that a shape's known dimensions multiply to at most
/// [`MAX_TENSOR_ELEMENTS`] (symbolic dimensions count as 1).
pub fn check_tensor_size(shape: &[Dim]) -> Result<(), String> {
    let mut n: u64 = 1;
    for d in shape {
        if let Some(k) = d.known() {
            n = n.saturating_mul(k as u64);
        }
    }
    if n > MAX_TENSOR_ELEMENTS {
        return Err(format!(
            "shape {} has {} elements, more than the limit of {MAX_TENSOR_ELEMENTS} (4 GiB of f32)",
            format_shape(shape),
            if n == u64::MAX { "over 2^64".to_string() } else { n.to_string() }
        ));
    }
    Ok(())
}

/// Checks one window attribute value (`what` names it).
pub fn check_window_value(what: &str, v: i64) -> Result<(), String> {
    if v > MAX_WINDOW {
        return Err(format!("{what} {v} is beyond the limit of {MAX_WINDOW}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tensor_limit_counts_known_dims_and_saturates() {
        assert!(check_tensor_size(&[Dim::Known(1 << 15), Dim::Known(1 << 15)]).is_ok());
        let e = check_tensor_size(&[Dim::Known(1 << 16), Dim::Known(1 << 15)]).unwrap_err();
        assert!(e.contains("2147483648 elements"), "{e}");
        let e = check_tensor_size(&[Dim::Known(1 << 40), Dim::Known(1 << 40)]).unwrap_err();
        assert!(e.contains("over 2^64"), "{e}");
        assert!(check_tensor_size(&[Dim::sym("batch"), Dim::Known(1 << 20)]).is_ok());
    }

    #[test]
    fn window_values_are_bounded() {
        assert!(check_window_value("pad", 1 << 16).is_ok());
        assert!(check_window_value("pad", (1 << 16) + 1).unwrap_err().contains("pad 65537"));
    }
}
