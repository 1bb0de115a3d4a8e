//! The catalogue: every built-in architecture by name, with its family,
//! description, the paper's parameter and compute figures, and the
//! configuration its family's builder takes. Each family keeps its table of
//! configurations ([`Variant`]s) in its own module; this file only chains the
//! tables and dispatches to the family builder.

use crate::builder::{Builder, R};
use crate::cswin::{self, CswinConfig};
use crate::deit::{self, DeitConfig};
use crate::error::ArchError;
use crate::levit::{self, LevitConfig};
use crate::lvt::{self, LvtConfig};
use std::fmt;
use vitc_ir::Value;

/// One named configuration of a family.
#[derive(Clone, Copy, Debug)]
pub struct Variant<C: 'static> {
    pub name: &'static str,
    pub description: &'static str,
    /// The paper's (parameters in millions, GMACs at 224²), where it gives them.
    pub paper: Option<(f64, f64)>,
    pub config: C,
}

/// The model families of the built-in definitions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    Levit,
    Deit,
    Cswin,
    Lvt,
}

impl Family {
    pub fn name(self) -> &'static str {
        match self {
            Family::Levit => "LeViT",
            Family::Deit => "DeiT",
            Family::Cswin => "CSWin",
            Family::Lvt => "LVT",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What [`crate::architectures`] lists for each built-in architecture.
#[derive(Clone, Debug, PartialEq)]
pub struct ArchInfo {
    /// The name [`crate::build`] takes (`levit_128s`).
    pub name: &'static str,
    pub family: Family,
    /// One line: the model, its source and its configuration.
    pub description: &'static str,
    /// Parameters in millions, as the paper reports them.
    pub paper_params_m: Option<f64>,
    /// Multiply-accumulates in billions at 224², as the paper reports them.
    pub paper_gmacs: Option<f64>,
}

/// A family's configuration, resolved.
#[derive(Clone, Copy, Debug)]
pub enum Definition {
    Levit(&'static LevitConfig),
    Deit(&'static DeitConfig),
    Cswin(&'static CswinConfig),
    Lvt(&'static LvtConfig),
}

fn info<C>(v: &Variant<C>, family: Family) -> ArchInfo {
    ArchInfo {
        name: v.name,
        family,
        description: v.description,
        paper_params_m: v.paper.map(|p| p.0),
        paper_gmacs: v.paper.map(|p| p.1),
    }
}

/// Every architecture with its definition, families in a fixed order.
pub fn entries() -> Vec<(ArchInfo, Definition)> {
    let mut out = Vec::new();
    out.extend(levit::CONFIGS.iter().map(|v| (info(v, Family::Levit), Definition::Levit(&v.config))));
    out.extend(deit::CONFIGS.iter().map(|v| (info(v, Family::Deit), Definition::Deit(&v.config))));
    out.extend(cswin::CONFIGS.iter().map(|v| (info(v, Family::Cswin), Definition::Cswin(&v.config))));
    out.extend(lvt::CONFIGS.iter().map(|v| (info(v, Family::Lvt), Definition::Lvt(&v.config))));
    out
}

/// The entry called `name`, or an error listing the known names.
pub fn lookup(name: &str) -> Result<(ArchInfo, Definition), ArchError> {
    let all = entries();
    let known = all.iter().map(|(i, _)| i.name).collect::<Vec<_>>().join(", ");
    all.into_iter()
        .find(|(i, _)| i.name == name)
        .ok_or_else(|| ArchError::UnknownArchitecture { name: name.to_string(), known })
}

/// Runs the family builder: logits `[batch, 1000]` from the image `x`.
pub fn build_definition(b: &mut Builder<'_>, x: Value, def: Definition) -> R<Value> {
    match def {
        Definition::Levit(c) => levit::build(b, x, c),
        Definition::Deit(c) => deit::build(b, x, c),
        Definition::Cswin(c) => cswin::build(b, x, c),
        Definition::Lvt(c) => lvt::build(b, x, c),
    }
}
