//! Reading and writing NumPy `.npy` files (format 1.0–3.0, little-endian,
//! C order) for f32, i64, i32 and bool tensors.

use crate::tensor::Tensor;
use header::{NpyHeader, parse_header};
use ndarray::{ArrayD, IxDyn};
use std::path::Path;

mod header;

/// Why an `.npy` file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum NpyError {
    #[error("{path}: {cause}")]
    Io { path: String, cause: std::io::Error },
    #[error("{path}: not a valid .npy file: {message}")]
    Format { path: String, message: String },
}

const MAGIC: &[u8] = b"\x93NUMPY";

/// Reads a `.npy` file.
pub fn read_npy(path: &Path) -> Result<Tensor, NpyError> {
    let bytes = std::fs::read(path).map_err(|cause| NpyError::Io { path: path.display().to_string(), cause })?;
    decode_npy(&bytes).map_err(|message| NpyError::Format { path: path.display().to_string(), message })
}

/// Decodes the bytes of a `.npy` file.
pub fn decode_npy(bytes: &[u8]) -> Result<Tensor, String> {
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err("missing the \\x93NUMPY magic".into());
    }
    let (major, minor) = (bytes[6], bytes[7]);
    let (header_len, start) = match (major, minor) {
        (1, 0) => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10usize),
        (2 | 3, 0) => {
            let b = bytes.get(8..12).ok_or("truncated header")?;
            (u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize, 12)
        }
        _ => return Err(format!("unsupported format version {major}.{minor} (numpy writes 1.0, 2.0 or 3.0)")),
    };
    let header = bytes.get(start..start.saturating_add(header_len)).ok_or("truncated header")?;
    let header = std::str::from_utf8(header).map_err(|_| "header is not text")?;
    let NpyHeader { descr, fortran_order, shape: dims } = parse_header(header)?;
    if fortran_order {
        return Err("Fortran-order arrays are not supported; save with np.ascontiguousarray".into());
    }
    let descr = descr.as_str();
    let count = dims
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .filter(|&n| n.checked_mul(8).is_some())
        .ok_or_else(|| format!("shape {dims:?} has too many elements"))?;
    let data = &bytes[start + header_len..];
    let need = |size: usize| -> Result<&[u8], String> {
        data.get(..count * size)
            .ok_or_else(|| format!("expected {} bytes of data for shape {dims:?}, found {}", count * size, data.len()))
    };
    let shape = IxDyn(&dims);
    let shape_err = |e: ndarray::ShapeError| e.to_string();
    Ok(match descr {
        "<f4" => Tensor::F32(
            ArrayD::from_shape_vec(
                shape,
                need(4)?.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect(),
            )
            .map_err(shape_err)?,
        ),
        "<i8" => Tensor::I64(
            ArrayD::from_shape_vec(
                shape,
                need(8)?
                    .chunks_exact(8)
                    .map(|c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                    .collect(),
            )
            .map_err(shape_err)?,
        ),
        "<i4" => Tensor::I32(
            ArrayD::from_shape_vec(
                shape,
                need(4)?.chunks_exact(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect(),
            )
            .map_err(shape_err)?,
        ),
        "|b1" => {
            Tensor::Bool(ArrayD::from_shape_vec(shape, need(1)?.iter().map(|&b| b != 0).collect()).map_err(shape_err)?)
        }
        other => return Err(format!("dtype '{other}' is not supported (use float32, int64, int32 or bool)")),
    })
}

/// Encodes a tensor as `.npy` (format 1.0).
pub fn encode_npy(t: &Tensor) -> Vec<u8> {
    let descr = match t {
        Tensor::F32(_) => "<f4",
        Tensor::I64(_) => "<i8",
        Tensor::I32(_) => "<i4",
        Tensor::Bool(_) => "|b1",
    };
    let dims: Vec<String> = t.dims().iter().map(usize::to_string).collect();
    let shape = if dims.len() == 1 { format!("({},)", dims[0]) } else { format!("({})", dims.join(", ")) };
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    let total = MAGIC.len() + 4 + header.len() + 1;
    header.push_str(&" ".repeat((64 - total % 64) % 64));
    header.push('\n');
    let mut out = Vec::with_capacity(MAGIC.len() + 4 + header.len() + t.size_bytes());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    match t {
        Tensor::F32(a) => a.iter().for_each(|v| out.extend_from_slice(&v.to_le_bytes())),
        Tensor::I64(a) => a.iter().for_each(|v| out.extend_from_slice(&v.to_le_bytes())),
        Tensor::I32(a) => a.iter().for_each(|v| out.extend_from_slice(&v.to_le_bytes())),
        Tensor::Bool(a) => a.iter().for_each(|v| out.push(u8::from(*v))),
    }
    out
}

/// Writes a tensor to `path` atomically (a temporary file renamed into place),
/// so a failure never leaves a partial file.
pub fn write_npy(path: &Path, t: &Tensor) -> Result<(), NpyError> {
    let io = |cause| NpyError::Io { path: path.display().to_string(), cause };
    let tmp = path.with_extension(format!("npy.tmp{}", std::process::id()));
    if let Err(e) = std::fs::write(&tmp, encode_npy(t)) {
        // A full disk leaves a partly written temporary file: remove it.
        let _ = std::fs::remove_file(&tmp);
        return Err(io(e));
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_each_dtype() {
        let tensors = [
            Tensor::F32(ArrayD::from_shape_vec(IxDyn(&[2, 3]), vec![1.0, -2.5, 3.25, 0.0, f32::MAX, 1e-30]).unwrap()),
            Tensor::I64(ArrayD::from_shape_vec(IxDyn(&[3]), vec![-1, 0, i64::MAX]).unwrap()),
            Tensor::I32(ArrayD::from_shape_vec(IxDyn(&[]), vec![7]).unwrap()),
            Tensor::Bool(ArrayD::from_shape_vec(IxDyn(&[2]), vec![true, false]).unwrap()),
        ];
        for t in tensors {
            let bytes = encode_npy(&t);
            assert_eq!((bytes.len() - t.size_bytes()) % 64, 0, "header is 64-byte aligned");
            assert_eq!(decode_npy(&bytes).unwrap(), t);
        }
    }

    #[test]
    fn reads_a_file_written_by_numpy() {
        // np.save of np.array([[1, 2]], dtype=np.float32), bytes as numpy 2.x writes them.
        let mut bytes = b"\x93NUMPY\x01\x00v\x00".to_vec();
        let mut header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }".to_string();
        header.push_str(&" ".repeat(118 - header.len() - 1));
        header.push('\n');
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(&1.0f32.to_le_bytes());
        bytes.extend_from_slice(&2.0f32.to_le_bytes());
        let t = decode_npy(&bytes).unwrap();
        assert_eq!(t.dims(), &[1, 2]);
        assert_eq!(t.to_f64_vec(), vec![1.0, 2.0]);
    }

    #[test]
    fn rejects_bad_files_with_reasons() {
        assert!(decode_npy(b"hello").unwrap_err().contains("magic"));
        let mut bytes = encode_npy(&Tensor::f32_scalar(1.0));
        bytes.truncate(bytes.len() - 2);
        assert!(decode_npy(&bytes).unwrap_err().contains("expected 4 bytes"));
        let mut f64_file = encode_npy(&Tensor::f32_scalar(1.0));
        let at = f64_file.windows(3).position(|w| w == b"<f4").unwrap();
        f64_file[at + 2] = b'8';
        assert!(decode_npy(&f64_file).unwrap_err().contains("'<f8' is not supported"));
    }
}
