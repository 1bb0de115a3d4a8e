//! Dimensions and shapes, where a dimension may be a symbol (`batch`) times a
//! constant factor (`196*batch`, as a Flatten of `[batch, 196, C]` produces).

use std::fmt;
use std::sync::Arc;

/// One dimension of a value's shape.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Dim {
    /// A size known at compile time.
    Known(usize),
    /// `factor * name`, where `name` is fixed only when the model runs.
    Sym { name: Arc<str>, factor: usize },
}

impl Dim {
    /// A plain symbol (`factor` 1).
    pub fn sym(name: &str) -> Dim {
        Dim::Sym { name: Arc::from(name), factor: 1 }
    }

    /// The size when it is known.
    pub fn known(&self) -> Option<usize> {
        match self {
            Dim::Known(n) => Some(*n),
            Dim::Sym { .. } => None,
        }
    }

    /// `self * other`; `None` when both are symbolic (products of symbols are
    /// not representable).
    pub fn mul(&self, other: &Dim) -> Option<Dim> {
        match (self, other) {
            (Dim::Known(a), Dim::Known(b)) => a.checked_mul(*b).map(Dim::Known),
            (Dim::Known(k), Dim::Sym { name, factor }) | (Dim::Sym { name, factor }, Dim::Known(k)) => {
                if *k == 0 {
                    Some(Dim::Known(0))
                } else {
                    factor.checked_mul(*k).map(|factor| Dim::Sym { name: name.clone(), factor })
                }
            }
            _ => None,
        }
    }

    /// `self / other` when the division is exact and representable.
    pub fn div_exact(&self, other: &Dim) -> Option<Dim> {
        match (self, other) {
            (_, Dim::Known(0)) => None,
            (Dim::Known(a), Dim::Known(b)) => (a % b == 0).then(|| Dim::Known(a / b)),
            (Dim::Sym { name, factor }, Dim::Known(b)) => {
                (factor % b == 0).then(|| Dim::Sym { name: name.clone(), factor: factor / b })
            }
            (Dim::Sym { name: n1, factor: f1 }, Dim::Sym { name: n2, factor: f2 }) => {
                (n1 == n2 && f1 % f2 == 0).then(|| Dim::Known(f1 / f2))
            }
            (Dim::Known(_), Dim::Sym { .. }) => None,
        }
    }

    /// Replaces symbol `name` by `value`.
    pub fn bind(&self, name: &str, value: usize) -> Dim {
        match self {
            Dim::Sym { name: n, factor } if &**n == name => Dim::Known(factor.saturating_mul(value)),
            other => other.clone(),
        }
    }

    /// Parses `12`, `batch` or `196*batch`.
    pub fn parse(text: &str) -> Option<Dim> {
        let text = text.trim();
        if let Ok(n) = text.parse::<usize>() {
            return Some(Dim::Known(n));
        }
        let (factor, name) = match text.split_once('*') {
            Some((f, n)) => (f.trim().parse::<usize>().ok()?, n.trim()),
            None => (1, text),
        };
        let valid = !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        valid.then(|| Dim::Sym { name: Arc::from(name), factor })
    }
}

impl From<usize> for Dim {
    fn from(n: usize) -> Dim {
        Dim::Known(n)
    }
}

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dim::Known(n) => write!(f, "{n}"),
            Dim::Sym { name, factor: 1 } => write!(f, "{name}"),
            Dim::Sym { name, factor } => write!(f, "{factor}*{name}"),
        }
    }
}

/// A shape: one [`Dim`] per axis (empty for a scalar).
pub type Shape = Vec<Dim>;

/// Shape made of known sizes.
pub fn known_shape(dims: &[usize]) -> Shape {
    dims.iter().map(|&d| Dim::Known(d)).collect()
}

/// The sizes of a shape when every dimension is known.
pub fn shape_sizes(shape: &[Dim]) -> Option<Vec<usize>> {
    shape.iter().map(Dim::known).collect()
}

/// Product of all dimensions; `None` when it is not representable.
pub fn shape_numel(shape: &[Dim]) -> Option<Dim> {
    shape.iter().try_fold(Dim::Known(1), |acc, d| acc.mul(d))
}

/// Formats a shape as `[1,3,224,224]`.
pub fn format_shape(shape: &[Dim]) -> String {
    let dims: Vec<String> = shape.iter().map(Dim::to_string).collect();
    format!("[{}]", dims.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbolic_products_divide_back() {
        let b = Dim::sym("batch");
        let flat = b.mul(&Dim::Known(196)).unwrap();
        assert_eq!(flat.to_string(), "196*batch");
        assert_eq!(flat.div_exact(&Dim::Known(196)), Some(b.clone()));
        assert_eq!(flat.div_exact(&b), Some(Dim::Known(196)));
        assert_eq!(b.mul(&b), None);
        assert_eq!(Dim::parse("196*batch"), Some(flat));
        assert_eq!(Dim::parse("7"), Some(Dim::Known(7)));
        assert_eq!(Dim::parse("3x"), None);
    }

    #[test]
    fn binding_a_symbol_gives_a_size() {
        let flat = Dim::Sym { name: Arc::from("batch"), factor: 196 };
        assert_eq!(flat.bind("batch", 4), Dim::Known(784));
        assert_eq!(flat.bind("other", 4), flat);
    }
}
