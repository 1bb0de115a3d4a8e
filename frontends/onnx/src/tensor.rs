//! Decoding `TensorProto`s (initializers, `Constant` values, backend-test
//! `.pb` files) into IR [`Tensor`]s.
//!
//! The IR holds FLOAT, INT64, INT32 and BOOL as they are. Other numeric
//! types are converted on import ([`dtype_of`], [`is_converted`]):
//! FLOAT16, BFLOAT16 and DOUBLE to float32 (exact for the 16-bit types;
//! DOUBLE rounded to nearest), and INT8, UINT8, INT16, UINT16, UINT32 and
//! UINT64 to int64 (exact; a UINT64 value above 2^63 − 1 is an error). The
//! computation is then float32 / int64 (docs/onnx-frontend.md). Any other
//! type (float8, int4, strings, complex, ...) is an
//! [`OnnxError::UnsupportedDtype`].
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

/// The IR dtype that holds an ONNX `TensorProto.DataType` code, when the
/// type is supported (see the module docs for the converted ones).
pub fn dtype_of(data_type: i32) -> Option<DType> {
    use DataType::*;
    match DataType::try_from(data_type).ok()? {
        Float | Float16 | Bfloat16 | Double => Some(DType::F32),
        Int64 | Int8 | Uint8 | Int16 | Uint16 | Uint32 | Uint64 => Some(DType::I64),
        Int32 => Some(DType::I32),
        Bool => Some(DType::Bool),
        _ => None,
    }
}

/// Whether a supported ONNX element type is converted to another IR dtype
/// on import (FLOAT16 → f32, UINT8 → i64, ...).
pub fn is_converted(data_type: i32) -> bool {
    dtype_of(data_type).is_some_and(|d| onnx_dtype(d) as i32 != data_type)
}

/// Bytes per element of a supported ONNX element type in `raw_data`.
fn raw_size(data_type: DataType) -> usize {
    use DataType::*;
    match data_type {
        Int8 | Uint8 | Bool => 1,
        Float16 | Bfloat16 | Int16 | Uint16 => 2,
        Float | Int32 | Uint32 => 4,
        _ => 8,
    }
}

/// The float32 value of IEEE half-precision bits (exact).
pub fn f16_to_f32(bits: u16) -> f32 {
    let sign = u32::from(bits >> 15) << 31;
    let exponent = u32::from((bits >> 10) & 0x1f);
    let mantissa = u32::from(bits & 0x3ff);
    let magnitude = match exponent {
        0 => {
            // Zero or subnormal: mantissa · 2^-24.
            let v = mantissa as f32 * 2f32.powi(-24);
            return if sign == 0 { v } else { -v };
        }
        0x1f => 0x7f80_0000 | (mantissa << 13),
        _ => ((exponent + 112) << 23) | (mantissa << 13),
    };
    f32::from_bits(sign | magnitude)
}

/// The float32 value of bfloat16 bits (exact).
pub fn bf16_to_f32(bits: u16) -> f32 {
    f32::from_bits(u32::from(bits) << 16)
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
    let unsupported =
        || OnnxError::UnsupportedDtype { what: format!("tensor '{label}'"), dtype: dtype_name(t.data_type) };
    dtype_of(t.data_type).ok_or_else(unsupported)?;
    let dtype = DataType::try_from(t.data_type).map_err(|_| unsupported())?;
    if t.segment.is_some() {
        return Err(OnnxError::tensor(label, "segmented tensors are not supported"));
    }
    let dims = tensor_dims(t, label)?;
    let overflow = || OnnxError::tensor(label, format!("the size of dims {dims:?} overflows"));
    let count = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)).ok_or_else(overflow)?;
    let size = count.checked_mul(raw_size(dtype)).ok_or_else(overflow)?;
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

fn from_raw(bytes: &[u8], dtype: DataType, dims: &[usize], count: usize, label: &str) -> Result<Tensor> {
    let size = raw_size(dtype);
    let expected = count.saturating_mul(size);
    if bytes.len() != expected {
        let name = dtype.as_str_name().to_ascii_lowercase();
        return Err(OnnxError::tensor(
            label,
            format!("raw data holds {} bytes, expected {expected} ({count} × {name} for dims {dims:?})", bytes.len()),
        ));
    }
    let chunks = bytes.chunks_exact(size);
    let u16s = || chunks.clone().map(|c| u16::from_le_bytes(le(c)));
    use DataType::*;
    match dtype {
        Float => build(label, dims, chunks.map(|c| f32::from_le_bytes(le(c))).collect(), Tensor::F32),
        Double => build(label, dims, chunks.map(|c| f64::from_le_bytes(le(c)) as f32).collect(), Tensor::F32),
        Float16 => build(label, dims, u16s().map(f16_to_f32).collect(), Tensor::F32),
        Bfloat16 => build(label, dims, u16s().map(bf16_to_f32).collect(), Tensor::F32),
        Int32 => build(label, dims, chunks.map(|c| i32::from_le_bytes(le(c))).collect(), Tensor::I32),
        Bool => build(label, dims, bytes.iter().map(|&b| b != 0).collect(), Tensor::Bool),
        Int8 => build(label, dims, bytes.iter().map(|&b| i64::from(b as i8)).collect(), Tensor::I64),
        Uint8 => build(label, dims, bytes.iter().map(|&b| i64::from(b)).collect(), Tensor::I64),
        Int16 => build(label, dims, chunks.map(|c| i64::from(i16::from_le_bytes(le(c)))).collect(), Tensor::I64),
        Uint16 => build(label, dims, u16s().map(i64::from).collect(), Tensor::I64),
        Uint32 => build(label, dims, chunks.map(|c| i64::from(u32::from_le_bytes(le(c)))).collect(), Tensor::I64),
        Uint64 => {
            let values = chunks.map(|c| u64::from_le_bytes(le(c)));
            build(label, dims, unsigned_to_i64(values, label)?, Tensor::I64)
        }
        _ => build(label, dims, chunks.map(|c| i64::from_le_bytes(le(c))).collect(), Tensor::I64),
    }
}

/// UINT64 values as int64; a value above `i64::MAX` is an error.
fn unsigned_to_i64(values: impl Iterator<Item = u64>, label: &str) -> Result<Vec<i64>> {
    values
        .map(|v| {
            i64::try_from(v).map_err(|_| OnnxError::tensor(label, format!("uint64 value {v} does not fit in int64")))
        })
        .collect()
}

fn from_typed(t: &TensorProto, dtype: DataType, dims: &[usize], count: usize, label: &str) -> Result<Tensor> {
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
    let int32s = || -> Result<&[i32]> {
        check("int32_data", t.int32_data.len())?;
        Ok(&t.int32_data)
    };
    use DataType::*;
    match dtype {
        Float => {
            check("float_data", t.float_data.len())?;
            build(label, dims, t.float_data.clone(), Tensor::F32)
        }
        Double => {
            check("double_data", t.double_data.len())?;
            build(label, dims, t.double_data.iter().map(|&v| v as f32).collect(), Tensor::F32)
        }
        // The 16-bit floats keep their bits in the low half of int32_data.
        Float16 => build(label, dims, int32s()?.iter().map(|&v| f16_to_f32(v as u16)).collect(), Tensor::F32),
        Bfloat16 => build(label, dims, int32s()?.iter().map(|&v| bf16_to_f32(v as u16)).collect(), Tensor::F32),
        Int32 => build(label, dims, int32s()?.to_vec(), Tensor::I32),
        Bool => build(label, dims, int32s()?.iter().map(|&v| v != 0).collect(), Tensor::Bool),
        Int8 | Uint8 | Int16 | Uint16 => {
            build(label, dims, int32s()?.iter().map(|&v| i64::from(v)).collect(), Tensor::I64)
        }
        Uint32 | Uint64 => {
            check("uint64_data", t.uint64_data.len())?;
            build(label, dims, unsigned_to_i64(t.uint64_data.iter().copied(), label)?, Tensor::I64)
        }
        _ => {
            check("int64_data", t.int64_data.len())?;
            build(label, dims, t.int64_data.clone(), Tensor::I64)
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
        assert_eq!(dtype_of(DataType::Double as i32), Some(DType::F32));
        assert_eq!(dtype_of(DataType::Float8e4m3fn as i32), None);
        assert!(is_converted(DataType::Float16 as i32) && !is_converted(DataType::Float as i32));
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
