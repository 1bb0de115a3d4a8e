//! Where a definition's tensors come from, and the checks on them.
//!
//! A definition asks the [`WeightStore`] for each tensor by its reference
//! name and expected shape while it builds the graph. With a checkpoint the
//! store looks the name up and checks dtype and shape; without one it draws a
//! seeded stand-in ([`crate::seeded`]). When the graph is done,
//! [`WeightStore::finish`] reports any tensor of the file the definition never
//! asked for, so a checkpoint of another model (or another configuration)
//! is refused instead of silently half-used.
//!
//! Ignored: `*.num_batches_tracked` next to a BatchNorm the definition uses.
//! Optional: index buffers a definition can compute itself (LeViT's
//! non-persistent `attention_bias_idxs`); when present they are used, after a
//! dtype, shape and range check.

use crate::error::ArchError;
use crate::safetensors::{SafeTensors, StDType};
use crate::seeded::{Init, seeded_tensor};
use ndarray::ArrayD;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use vitc_ir::Tensor;

/// Where the weights of a build come from.
#[derive(Clone, Copy, Debug)]
pub enum WeightSource<'a> {
    /// Deterministic stand-ins drawn from this seed (not trained; for demos).
    Seeded(u64),
    /// A safetensors file with the reference parameter names.
    File(&'a Path),
    /// An already parsed safetensors file.
    Loaded(&'a SafeTensors),
}

/// Whether a tensor counts as a learned parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Trained by gradient descent (weights, biases, norm scales, tokens, bias tables).
    Parameter,
    /// A statistic or constant buffer (BatchNorm running mean and variance).
    Buffer,
}

enum Source<'a> {
    Seeded(u64),
    File(Cow<'a, SafeTensors>),
}

/// Hands out tensors by name and keeps track of what was used.
pub struct WeightStore<'a> {
    arch: &'static str,
    source: Source<'a>,
    used: BTreeSet<String>,
    parameters: u64,
    /// When set, every f32 tensor handed out is kept here (for exporting seeded weights).
    recorded: Option<BTreeMap<String, Tensor>>,
}

impl<'a> WeightStore<'a> {
    /// Opens the source for building `arch` (reads the file, if any).
    pub fn open(arch: &'static str, source: WeightSource<'a>) -> Result<WeightStore<'a>, ArchError> {
        let source = match source {
            WeightSource::Seeded(seed) => Source::Seeded(seed),
            WeightSource::File(path) => Source::File(Cow::Owned(SafeTensors::read(path)?)),
            WeightSource::Loaded(st) => Source::File(Cow::Borrowed(st)),
        };
        Ok(WeightStore { arch, source, used: BTreeSet::new(), parameters: 0, recorded: None })
    }

    /// Keeps a copy of every f32 tensor handed out (see [`WeightStore::take_recorded`]).
    pub fn record(mut self) -> WeightStore<'a> {
        self.recorded = Some(BTreeMap::new());
        self
    }

    /// The tensors handed out since [`WeightStore::record`], by name.
    pub fn take_recorded(&mut self) -> BTreeMap<String, Tensor> {
        self.recorded.take().unwrap_or_default()
    }

    fn path(&self) -> String {
        match &self.source {
            Source::Seeded(seed) => format!("<seeded weights, seed {seed}>"),
            Source::File(st) => st.path.clone(),
        }
    }

    /// The f32 tensor `name` of shape `shape`.
    pub fn f32(&mut self, name: &str, shape: &[usize], init: Init, kind: Kind) -> Result<ArrayD<f32>, ArchError> {
        if self.used.insert(name.to_string()) && kind == Kind::Parameter {
            self.parameters += shape.iter().product::<usize>() as u64;
        }
        let a = self.lookup_f32(name, shape, init)?;
        if let Some(rec) = self.recorded.as_mut() {
            rec.insert(name.to_string(), Tensor::F32(a.clone()));
        }
        Ok(a)
    }

    fn lookup_f32(&self, name: &str, shape: &[usize], init: Init) -> Result<ArrayD<f32>, ArchError> {
        let st = match &self.source {
            Source::Seeded(seed) => return Ok(seeded_tensor(*seed, name, shape, init)),
            Source::File(st) => st,
        };
        let info = st.info(name).ok_or_else(|| ArchError::MissingTensor {
            path: st.path.clone(),
            arch: self.arch,
            name: name.to_string(),
            expected: shape.to_vec(),
        })?;
        if info.dtype != StDType::F32 {
            return Err(ArchError::WrongDType {
                path: st.path.clone(),
                arch: self.arch,
                name: name.to_string(),
                expected: "F32".into(),
                found: info.dtype.name().into(),
            });
        }
        if info.shape != shape {
            return Err(ArchError::ShapeMismatch {
                path: st.path.clone(),
                arch: self.arch,
                name: name.to_string(),
                expected: shape.to_vec(),
                found: info.shape.clone(),
            });
        }
        st.f32_array(name).ok_or_else(|| ArchError::BadValue {
            path: st.path.clone(),
            name: name.to_string(),
            message: "could not decode the data".into(),
        })
    }

    /// An integer index buffer the definition can compute (`computed`); the
    /// file's copy is used when present, after checking it is an I64/I32
    /// tensor of the same shape with values in `0..bound`.
    pub fn index(&mut self, name: &str, computed: ArrayD<i64>, bound: usize) -> Result<ArrayD<i64>, ArchError> {
        let st = match &self.source {
            Source::Seeded(_) => return Ok(computed),
            Source::File(st) => st,
        };
        let Some(info) = st.info(name) else {
            return Ok(computed);
        };
        self.used.insert(name.to_string());
        if !matches!(info.dtype, StDType::I64 | StDType::I32) {
            return Err(ArchError::WrongDType {
                path: st.path.clone(),
                arch: self.arch,
                name: name.to_string(),
                expected: "I64".into(),
                found: info.dtype.name().into(),
            });
        }
        if info.shape != computed.shape() {
            return Err(ArchError::ShapeMismatch {
                path: st.path.clone(),
                arch: self.arch,
                name: name.to_string(),
                expected: computed.shape().to_vec(),
                found: info.shape.clone(),
            });
        }
        let bad = |message: String| ArchError::BadValue { path: st.path.clone(), name: name.to_string(), message };
        let values = st.i64_array(name).ok_or_else(|| bad("could not decode the data".into()))?;
        if let Some(v) = values.iter().find(|&&v| v < 0 || v as u64 >= bound as u64) {
            return Err(bad(format!("index {v} is outside 0..{bound}")));
        }
        Ok(values)
    }

    /// Checks that every tensor of the file was used; returns the number of
    /// learned parameters (f32 elements of [`Kind::Parameter`] tensors).
    pub fn finish(self) -> Result<u64, ArchError> {
        let path = self.path();
        if let Source::File(st) = &self.source {
            let unexpected: Vec<&String> = st
                .tensors
                .keys()
                .filter(|name| !self.used.contains(*name))
                .filter(|name| {
                    // A BatchNorm's step counter is ignored when the BatchNorm itself is used.
                    !name
                        .strip_suffix("num_batches_tracked")
                        .is_some_and(|prefix| self.used.contains(&format!("{prefix}running_mean")))
                })
                .collect();
            if !unexpected.is_empty() {
                const SHOWN: usize = 8;
                let mut names: Vec<String> = unexpected.iter().take(SHOWN).map(|n| format!("'{n}'")).collect();
                if unexpected.len() > SHOWN {
                    names.push(format!("and {} more", unexpected.len() - SHOWN));
                }
                return Err(ArchError::UnexpectedTensors {
                    path,
                    arch: self.arch,
                    count: unexpected.len(),
                    names: names.join(", "),
                });
            }
        }
        Ok(self.parameters)
    }
}
