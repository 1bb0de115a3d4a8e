//! Concrete tensors: weights in the side table, interpreter values, test data.

use crate::dim::{Shape, known_shape};
use crate::dtype::DType;
use ndarray::{ArrayD, IxDyn};

/// A dense, row-major tensor of one of the IR's dtypes.
#[derive(Clone, Debug, PartialEq)]
pub enum Tensor {
    F32(ArrayD<f32>),
    I64(ArrayD<i64>),
    I32(ArrayD<i32>),
    Bool(ArrayD<bool>),
}

/// Applies the same expression to whichever array a tensor holds.
#[macro_export]
macro_rules! map_tensor {
    ($t:expr, $a:ident => $body:expr) => {
        match $t {
            $crate::Tensor::F32($a) => $crate::Tensor::F32($body),
            $crate::Tensor::I64($a) => $crate::Tensor::I64($body),
            $crate::Tensor::I32($a) => $crate::Tensor::I32($body),
            $crate::Tensor::Bool($a) => $crate::Tensor::Bool($body),
        }
    };
}

/// Evaluates the same expression on whichever array a tensor holds.
#[macro_export]
macro_rules! with_tensor {
    ($t:expr, $a:ident => $body:expr) => {
        match $t {
            $crate::Tensor::F32($a) => $body,
            $crate::Tensor::I64($a) => $body,
            $crate::Tensor::I32($a) => $body,
            $crate::Tensor::Bool($a) => $body,
        }
    };
}

impl Tensor {
    pub fn dtype(&self) -> DType {
        match self {
            Tensor::F32(_) => DType::F32,
            Tensor::I64(_) => DType::I64,
            Tensor::I32(_) => DType::I32,
            Tensor::Bool(_) => DType::Bool,
        }
    }

    pub fn dims(&self) -> &[usize] {
        with_tensor!(self, a => a.shape())
    }

    /// The shape as IR dims (all known).
    pub fn shape(&self) -> Shape {
        known_shape(self.dims())
    }

    pub fn len(&self) -> usize {
        with_tensor!(self, a => a.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A zero-filled tensor.
    pub fn zeros(dtype: DType, dims: &[usize]) -> Tensor {
        let shape = IxDyn(dims);
        match dtype {
            DType::F32 => Tensor::F32(ArrayD::zeros(shape)),
            DType::I64 => Tensor::I64(ArrayD::zeros(shape)),
            DType::I32 => Tensor::I32(ArrayD::zeros(shape)),
            DType::Bool => Tensor::Bool(ArrayD::from_elem(shape, false)),
        }
    }

    /// A rank-1 i64 tensor.
    pub fn i64_vec(values: &[i64]) -> Tensor {
        Tensor::I64(ArrayD::from_shape_vec(IxDyn(&[values.len()]), values.to_vec()).expect("rank-1 shape matches"))
    }

    /// A rank-0 f32 tensor.
    pub fn f32_scalar(value: f32) -> Tensor {
        Tensor::F32(ArrayD::from_elem(IxDyn(&[]), value))
    }

    /// Elements as i64 (integers and bools widen; f32 truncates), row-major.
    pub fn to_i64_vec(&self) -> Vec<i64> {
        match self {
            Tensor::F32(a) => a.iter().map(|&v| v as i64).collect(),
            Tensor::I64(a) => a.iter().copied().collect(),
            Tensor::I32(a) => a.iter().map(|&v| i64::from(v)).collect(),
            Tensor::Bool(a) => a.iter().map(|&v| i64::from(v)).collect(),
        }
    }

    /// Elements as f64, row-major (for printing and comparison).
    pub fn to_f64_vec(&self) -> Vec<f64> {
        match self {
            Tensor::F32(a) => a.iter().map(|&v| f64::from(v)).collect(),
            Tensor::I64(a) => a.iter().map(|&v| v as f64).collect(),
            Tensor::I32(a) => a.iter().map(|&v| f64::from(v)).collect(),
            Tensor::Bool(a) => a.iter().map(|&v| f64::from(u8::from(v))).collect(),
        }
    }

    /// Size of the payload in bytes.
    pub fn size_bytes(&self) -> usize {
        self.len() * self.dtype().size_bytes()
    }

    /// The f32 array, or an error naming what was found instead.
    pub fn as_f32(&self) -> Result<&ArrayD<f32>, String> {
        match self {
            Tensor::F32(a) => Ok(a),
            other => Err(format!("expected f32 tensor, found {}", other.dtype())),
        }
    }
}
