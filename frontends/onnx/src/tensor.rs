//! Decoding `TensorProto`s (initializers, `Constant` values, backend-test
//! `.pb` files) into IR [`Tensor`]s.
//!
//! Supported element types are those of the IR: FLOAT, INT64, INT32 and BOOL.
//! Any other type (DOUBLE, FLOAT16, the 8-bit integers, strings, ...) is an
//! [`OnnxError::UnsupportedDtype`]; nothing is converted silently.
//!
//! The payload comes from, in this order of precedence:
//! - external data (`data_location = EXTERNAL`; keys `location`, `offset`,
//!   `length`; `location` is relative to the model's directory and may not
//!   leave it),
//! - `raw_data` when it is not empty (little-endian, bools one byte each),
//! - the typed fields: `float_data`, `int64_data`, and `int32_data` for both
//!   INT32 and BOOL.
//!
//! The element count must match the product of `dims` exactly.

use crate::error::{OnnxError, Result};
use crate::proto::TensorProto;
use crate::proto::tensor_proto::{DataLocation, DataType};
use ndarray::{ArrayD, IxDyn};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};
use vitc_ir::{DType, Tensor};

/// The IR dtype of an ONNX `TensorProto.DataType` code, when the IR has one.
pub fn dtype_of(data_type: i32) -> Option<DType> {
    match DataType::try_from(data_type).ok()? {
        DataType::Float => Some(DType::F32),
        DataType::Int64 => Some(DType::I64),
        DataType::Int32 => Some(DType::I32),
        DataType::Bool => Some(DType::Bool),
        _ => None,
    }
}

/// The ONNX name of a `TensorProto.DataType` code in lower case (`float`,
/// `int64`, `float16`, ...), or `unknown (N)`.
pub fn dtype_name(data_type: i32) -> String {
    match DataType::try_from(data_type) {
        Ok(dt) => dt.as_str_name().to_ascii_lowercase(),
        Err(_) => format!("unknown ({data_type})"),
    }
}

/// The ONNX `TensorProto.DataType` code of an IR dtype.
pub fn onnx_dtype(dtype: DType) -> DataType {
    match dtype {
        DType::F32 => DataType::Float,
        DType::I64 => DataType::Int64,
        DType::I32 => DataType::Int32,
        DType::Bool => DataType::Bool,
    }
}

/// Encodes an IR tensor as a `TensorProto` with little-endian `raw_data`
/// (the inverse of [`decode_tensor`]; used to write test data).
pub fn encode_tensor(t: &Tensor, name: &str) -> TensorProto {
    let raw: Vec<u8> = match t {
        Tensor::F32(a) => a.iter().flat_map(|v| v.to_le_bytes()).collect(),
        Tensor::I64(a) => a.iter().flat_map(|v| v.to_le_bytes()).collect(),
        Tensor::I32(a) => a.iter().flat_map(|v| v.to_le_bytes()).collect(),
        Tensor::Bool(a) => a.iter().map(|&v| u8::from(v)).collect(),
    };
    TensorProto {
        dims: t.dims().iter().map(|&d| d as i64).collect(),
        data_type: onnx_dtype(t.dtype()) as i32,
        name: name.to_string(),
        raw_data: raw,
        ..TensorProto::default()
    }
}

/// How a tensor is called in messages: its name, or `fallback` when unnamed.
pub(crate) fn label<'a>(t: &'a TensorProto, fallback: &'a str) -> &'a str {
    match t.name.as_str() {
        "" => fallback,
        name => name,
    }
}

/// Decodes one tensor. `label` names it in errors; `base_dir` is the model's
/// directory, needed only for external data.
pub fn decode_tensor(t: &TensorProto, label: &str, base_dir: Option<&Path>) -> Result<Tensor> {
    let dtype = dtype_of(t.data_type).ok_or_else(|| OnnxError::UnsupportedDtype {
        what: format!("tensor '{label}'"),
        dtype: dtype_name(t.data_type),
    })?;
    if t.segment.is_some() {
        return Err(OnnxError::tensor(label, "segmented tensors are not supported"));
    }
    let dims = tensor_dims(t, label)?;
    let overflow = || OnnxError::tensor(label, format!("the size of dims {dims:?} overflows"));
    let count = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)).ok_or_else(overflow)?;
    let size = count.checked_mul(dtype.size_bytes()).ok_or_else(overflow)?;
    let external;
    let raw: Option<&[u8]> = if t.data_location() == DataLocation::External {
        external = read_external(t, label, base_dir, size)?;
        Some(&external)
    } else {
        (!t.raw_data.is_empty()).then_some(t.raw_data.as_slice())
    };
    match raw {
        Some(bytes) => from_raw(bytes, dtype, &dims, count, label),
        None => from_typed(t, dtype, &dims, count, label),
    }
}

/// The dims of a tensor as sizes (negative dims are an error).
fn tensor_dims(t: &TensorProto, label: &str) -> Result<Vec<usize>> {
    t.dims
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| OnnxError::tensor(label, format!("negative dimension {d}"))))
        .collect()
}

/// Copies `N` bytes into an array (`chunk` has exactly `N` bytes).
fn le<const N: usize>(chunk: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(chunk);
    out
}

fn from_raw(bytes: &[u8], dtype: DType, dims: &[usize], count: usize, label: &str) -> Result<Tensor> {
    let expected = count.saturating_mul(dtype.size_bytes());
    if bytes.len() != expected {
        return Err(OnnxError::tensor(
            label,
            format!("raw data holds {} bytes, expected {expected} ({count} × {dtype} for dims {dims:?})", bytes.len()),
        ));
    }
    match dtype {
        DType::F32 => {
            build(label, dims, bytes.chunks_exact(4).map(|c| f32::from_le_bytes(le(c))).collect(), Tensor::F32)
        }
        DType::I64 => {
            build(label, dims, bytes.chunks_exact(8).map(|c| i64::from_le_bytes(le(c))).collect(), Tensor::I64)
        }
        DType::I32 => {
            build(label, dims, bytes.chunks_exact(4).map(|c| i32::from_le_bytes(le(c))).collect(), Tensor::I32)
        }
        DType::Bool => build(label, dims, bytes.iter().map(|&b| b != 0).collect(), Tensor::Bool),
    }
}

fn from_typed(t: &TensorProto, dtype: DType, dims: &[usize], count: usize, label: &str) -> Result<Tensor> {
    let check = |field: &str, len: usize| {
        if len == count {
            Ok(())
        } else if len == 0 {
            Err(OnnxError::tensor(
                label,
                format!("holds no data (raw_data and {field} are empty), expected {count} values"),
            ))
        } else {
            Err(OnnxError::tensor(label, format!("{field} holds {len} values, expected {count} for dims {dims:?}")))
        }
    };
    match dtype {
        DType::F32 => {
            check("float_data", t.float_data.len())?;
            build(label, dims, t.float_data.clone(), Tensor::F32)
        }
        DType::I64 => {
            check("int64_data", t.int64_data.len())?;
            build(label, dims, t.int64_data.clone(), Tensor::I64)
        }
        DType::I32 => {
            check("int32_data", t.int32_data.len())?;
            build(label, dims, t.int32_data.clone(), Tensor::I32)
        }
        DType::Bool => {
            check("int32_data", t.int32_data.len())?;
            build(label, dims, t.int32_data.iter().map(|&v| v != 0).collect(), Tensor::Bool)
        }
    }
}

fn build<T>(label: &str, dims: &[usize], data: Vec<T>, wrap: fn(ArrayD<T>) -> Tensor) -> Result<Tensor> {
    ArrayD::from_shape_vec(IxDyn(dims), data)
        .map(wrap)
        .map_err(|e| OnnxError::tensor(label, format!("data does not fit dims {dims:?}: {e}")))
}

/// Reads the bytes of an externally stored tensor. `expected` is the payload
/// size implied by dtype and dims, used when the `length` key is absent.
fn read_external(t: &TensorProto, label: &str, base_dir: Option<&Path>, expected: usize) -> Result<Vec<u8>> {
    let mut location = None;
    let mut offset = 0u64;
    let mut length = None;
    let bad = |file: PathBuf, message: String| OnnxError::ExternalData { tensor: label.to_string(), file, message };
    for entry in &t.external_data {
        let value = entry.value.as_str();
        let number = |key: &str| {
            value.parse::<u64>().map_err(|_| {
                OnnxError::tensor(
                    label,
                    format!("external data key '{key}' must be a non-negative integer, found '{value}'"),
                )
            })
        };
        match entry.key.as_str() {
            "location" => location = Some(value),
            "offset" => offset = number("offset")?,
            "length" => length = Some(number("length")?),
            _ => {} // `checksum` and unknown keys are not needed to read the data
        }
    }
    let location =
        location.ok_or_else(|| OnnxError::tensor(label, "external data without a 'location' key".to_string()))?;
    let relative = Path::new(location);
    if !relative.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir)) {
        return Err(bad(
            relative.to_path_buf(),
            "the location must be a relative path inside the model's directory".into(),
        ));
    }
    let Some(base) = base_dir else {
        return Err(bad(
            relative.to_path_buf(),
            "external data needs the model's directory (load the model from a file, or pass base_dir)".into(),
        ));
    };
    let file = base.join(relative);
    let want = length.unwrap_or(expected as u64);
    let mut f = File::open(&file).map_err(|e| bad(file.clone(), format!("cannot open: {e}")))?;
    let size = f.metadata().map_err(|e| bad(file.clone(), format!("cannot stat: {e}")))?.len();
    let end = offset.saturating_add(want);
    if end > size {
        return Err(bad(
            file,
            format!(
                "the file is {size} bytes but the tensor needs bytes {offset}..{end} (offset {offset}, length {want})"
            ),
        ));
    }
    let want = usize::try_from(want).map_err(|_| bad(file.clone(), format!("length {want} is too large")))?;
    f.seek(SeekFrom::Start(offset)).map_err(|e| bad(file.clone(), format!("cannot seek to {offset}: {e}")))?;
    let mut bytes = vec![0u8; want];
    f.read_exact(&mut bytes).map_err(|e| bad(file.clone(), format!("cannot read {want} bytes at {offset}: {e}")))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dtype_codes_and_names() {
        assert_eq!(dtype_of(DataType::Float as i32), Some(DType::F32));
        assert_eq!(dtype_of(DataType::Bool as i32), Some(DType::Bool));
        assert_eq!(dtype_of(DataType::Double as i32), None);
        assert_eq!(dtype_name(DataType::Float16 as i32), "float16");
        assert_eq!(dtype_name(999), "unknown (999)");
        for d in DType::ALL {
            assert_eq!(dtype_of(onnx_dtype(d) as i32), Some(d));
        }
    }

    #[test]
    fn labels_fall_back_when_unnamed() {
        let t = TensorProto::default();
        assert_eq!(label(&t, "input_0"), "input_0");
        let t = TensorProto { name: "w".into(), ..TensorProto::default() };
        assert_eq!(label(&t, "input_0"), "w");
    }
}
