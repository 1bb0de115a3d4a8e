//! Op attributes: a small typed map with accessors that report what is wrong.

use std::collections::BTreeMap;
use std::fmt;

/// One attribute value.
#[derive(Clone, Debug, PartialEq)]
pub enum Attr {
    Int(i64),
    Float(f32),
    Ints(Vec<i64>),
    Floats(Vec<f32>),
    Str(String),
}

impl fmt::Display for Attr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Attr::Int(v) => write!(f, "{v}"),
            Attr::Float(v) => write!(f, "{}", FloatText(*v)),
            Attr::Ints(v) => {
                let items: Vec<String> = v.iter().map(i64::to_string).collect();
                write!(f, "[{}]", items.join(","))
            }
            Attr::Floats(v) => {
                let items: Vec<String> = v.iter().map(|x| FloatText(*x).to_string()).collect();
                write!(f, "f[{}]", items.join(","))
            }
            Attr::Str(s) => write!(f, "{s:?}"),
        }
    }
}

/// Prints an f32 so that it parses back to the same bits, always with a
/// decimal point or exponent so that it reads as a float.
pub struct FloatText(pub f32);

impl fmt::Display for FloatText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        if v.is_nan() {
            f.write_str("nan")
        } else if v.is_infinite() {
            f.write_str(if v > 0.0 { "inf" } else { "-inf" })
        } else {
            let s = format!("{v:?}");
            f.write_str(&s)
        }
    }
}

/// The attributes of one node, sorted by name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Attrs(pub BTreeMap<String, Attr>);

impl Attrs {
    pub fn new() -> Attrs {
        Attrs::default()
    }

    pub fn set(&mut self, name: &str, value: Attr) -> &mut Attrs {
        self.0.insert(name.to_string(), value);
        self
    }

    /// Builder form of [`Attrs::set`].
    pub fn with(mut self, name: &str, value: Attr) -> Attrs {
        self.set(name, value);
        self
    }

    pub fn get(&self, name: &str) -> Option<&Attr> {
        self.0.get(name)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// An integer attribute, `default` when absent.
    pub fn int_or(&self, name: &str, default: i64) -> Result<i64, String> {
        match self.0.get(name) {
            None => Ok(default),
            Some(Attr::Int(v)) => Ok(*v),
            Some(other) => Err(format!("attribute '{name}' must be an int, found {other}")),
        }
    }

    /// A float attribute (ints widen), `default` when absent.
    pub fn float_or(&self, name: &str, default: f32) -> Result<f32, String> {
        match self.0.get(name) {
            None => Ok(default),
            Some(Attr::Float(v)) => Ok(*v),
            Some(Attr::Int(v)) => Ok(*v as f32),
            Some(other) => Err(format!("attribute '{name}' must be a float, found {other}")),
        }
    }

    /// An int-list attribute, `None` when absent.
    pub fn ints(&self, name: &str) -> Result<Option<&[i64]>, String> {
        match self.0.get(name) {
            None => Ok(None),
            Some(Attr::Ints(v)) => Ok(Some(v)),
            Some(other) => Err(format!("attribute '{name}' must be a list of ints, found {other}")),
        }
    }

    /// A string attribute, `default` when absent.
    pub fn str_or<'a>(&'a self, name: &str, default: &'a str) -> Result<&'a str, String> {
        match self.0.get(name) {
            None => Ok(default),
            Some(Attr::Str(v)) => Ok(v),
            Some(other) => Err(format!("attribute '{name}' must be a string, found {other}")),
        }
    }
}

impl fmt::Display for Attrs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let items: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
        write!(f, "{{{}}}", items.join(", "))
    }
}
