//! Comparing results: element by element ([`assert_close`]) and by the
//! whole-model rule of `../shared/models/README.md`,
//! `max|ours − ref| ≤ rel · max|ref|` with no NaN or infinity
//! ([`assert_within`] on `f32` slices, [`compare`] on tensors).

/// Whether `got` is within `tol_abs + tol_rel·|expected|` of `expected`.
/// Equal values (infinities included) and two NaNs agree; otherwise the
/// expected value must be finite and the difference within the bound (so a
/// NaN, or an infinity where a finite value is expected, never passes).
pub fn close(got: f32, expected: f32, tol_abs: f32, tol_rel: f32) -> bool {
    got == expected
        || (got.is_nan() && expected.is_nan())
        || (expected.is_finite() && (got - expected).abs() <= tol_abs + tol_rel * expected.abs())
}

/// Asserts `got` and `expected` have the same length and every element
/// agrees by [`close`]; the message names `what`, the first element that
/// does not, both values and the bound.
#[track_caller]
pub fn assert_close(got: &[f32], expected: &[f32], tol_abs: f32, tol_rel: f32, what: &str) {
    assert_eq!(got.len(), expected.len(), "{what}: {} values, expected {}", got.len(), expected.len());
    if let Some((i, (&x, &y))) =
        got.iter().zip(expected).enumerate().find(|(_, (x, y))| !close(**x, **y, tol_abs, tol_rel))
    {
        let bound = tol_abs + tol_rel * y.abs();
        panic!(
            "{what}: element {i}: got {x}, expected {y}: |diff| {} exceeds {bound:e} \
             ({tol_abs:e} + {tol_rel:e}·|expected|)",
            (x - y).abs()
        );
    }
}

/// Asserts the whole-model rule: same length, every value of `ours` finite
/// and `max|ours − reference| ≤ rel · max|reference|`, evaluated in f64
/// (exact for f32 values); the message names `what`, the element that
/// differs most, both values and the bound.
#[track_caller]
pub fn assert_within(ours: &[f32], reference: &[f32], rel: f64, what: &str) {
    assert_eq!(ours.len(), reference.len(), "{what}: {} values, expected {}", ours.len(), reference.len());
    if let Some(i) = ours.iter().position(|v| !v.is_finite()) {
        panic!("{what}: element {i} is {} (the reference gives {})", ours[i], reference[i]);
    }
    let max_ref = reference.iter().fold(0.0f64, |m, v| m.max(f64::from(*v).abs()));
    let bound = rel * max_ref;
    let (i, diff) = ours
        .iter()
        .zip(reference)
        .map(|(a, b)| (f64::from(*a) - f64::from(*b)).abs())
        .enumerate()
        .fold((0usize, 0.0f64), |w, (i, d)| if d > w.1 || d.is_nan() { (i, d) } else { w });
    assert!(
        diff <= bound,
        "{what}: element {i}: got {}, expected {}: |diff| {diff:e} exceeds {bound:e} ({rel:e}·max|ref| {max_ref})",
        ours[i],
        reference[i]
    );
}

/// Result of the whole-model rule on two tensors, in f64.
#[derive(Clone, Copy, Debug)]
pub struct Comparison {
    /// `max|ours − ref|`.
    pub max_abs_diff: f64,
    /// `max|ref|`.
    pub max_abs_ref: f64,
    /// No NaN or infinity in ours.
    pub finite: bool,
}

impl Comparison {
    /// `max|ours − ref| / max|ref|`.
    pub fn relative_error(&self) -> f64 {
        self.max_abs_diff / self.max_abs_ref
    }

    /// `max|ours − ref| ≤ rel · max|ref|` and no NaN or infinity.
    pub fn passes(&self, rel: f64) -> bool {
        self.finite && self.max_abs_diff <= rel * self.max_abs_ref
    }
}

/// Compares `ours` with `reference` (the same shape is required) in f64.
pub fn compare(ours: &vitc_ir::Tensor, reference: &vitc_ir::Tensor) -> Result<Comparison, String> {
    if ours.dims() != reference.dims() {
        return Err(format!("shape {:?} differs from the reference's {:?}", ours.dims(), reference.dims()));
    }
    let a = ours.to_f64_vec();
    let b = reference.to_f64_vec();
    let finite = a.iter().all(|v| v.is_finite());
    let max_abs_diff = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
    let max_abs_ref = b.iter().map(|v| v.abs()).fold(0.0, f64::max);
    Ok(Comparison { max_abs_diff, max_abs_ref, finite })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
        let err = std::panic::catch_unwind(f).unwrap_err();
        err.downcast_ref::<String>().cloned().unwrap_or_default()
    }

    #[test]
    fn close_agrees_within_the_bound_only() {
        assert!(close(1.0, 1.0, 0.0, 0.0));
        assert!(close(f32::NAN, f32::NAN, 0.0, 0.0));
        assert!(close(f32::INFINITY, f32::INFINITY, 0.0, 0.0));
        assert!(close(1.0 + 1e-6, 1.0, 0.0, 2e-6));
        assert!(!close(1.0 + 1e-5, 1.0, 1e-6, 1e-6));
        assert!(!close(f32::NAN, 1.0, 1.0, 1.0));
        assert!(!close(1.0, f32::NAN, 1.0, 1.0));
        // A finite value where an infinity is expected never passes.
        assert!(!close(1e30, f32::INFINITY, 1.0, 1.0));
        assert!(!close(f32::NEG_INFINITY, f32::INFINITY, 1.0, 1.0));
    }

    #[test]
    fn assert_close_names_the_element_both_values_and_the_bound() {
        assert_close(&[1.0, 2.0], &[1.0, 2.0 + 1e-7], 1e-6, 0.0, "ok");
        let msg = message(|| assert_close(&[1.0, 2.5], &[1.0, 2.0], 1e-3, 1e-2, "case"));
        assert!(msg.contains("case: element 1: got 2.5, expected 2"), "{msg}");
        assert!(msg.contains("exceeds 2.1e-2"), "{msg}");
        let msg = message(|| assert_close(&[1.0], &[1.0, 2.0], 0.0, 0.0, "short"));
        assert!(msg.contains("short: 1 values, expected 2"), "{msg}");
    }

    #[test]
    fn assert_within_is_the_whole_model_rule() {
        assert_within(&[1.0, -4.0], &[1.0 + 3e-5, -4.0], 1e-5, "ok");
        let msg = message(|| assert_within(&[1.0, -4.0], &[1.0 + 5e-5, -4.0], 1e-5, "model"));
        assert!(msg.contains("model: element 0: got 1, expected 1.00005"), "{msg}");
        let msg = message(|| assert_within(&[f32::NAN, 1.0], &[0.0, 1.0], 1.0, "nan"));
        assert!(msg.contains("nan: element 0 is NaN"), "{msg}");
    }

    #[test]
    fn compare_measures_relative_error() {
        use vitc_ir::ndarray::{ArrayD, IxDyn};
        let t = |v: Vec<f32>| vitc_ir::Tensor::F32(ArrayD::from_shape_vec(IxDyn(&[v.len()]), v).unwrap());
        let c = compare(&t(vec![1.0, 2.0]), &t(vec![1.0, 4.0])).unwrap();
        assert_eq!((c.max_abs_diff, c.max_abs_ref), (2.0, 4.0));
        assert!(c.passes(0.5) && !c.passes(0.4));
        assert!(compare(&t(vec![1.0]), &t(vec![1.0, 2.0])).is_err());
    }
}
