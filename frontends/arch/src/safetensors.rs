//! Reading (and writing) the safetensors format.
//!
//! A file is an 8-byte little-endian header length `N`, `N` bytes of JSON
//! (`{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]},
//! "__metadata__": {"key": "value"}}`), then the raw little-endian data;
//! offsets are relative to the start of the data. Reference:
//! <https://github.com/huggingface/safetensors#format>.
//!
//! This reader is written here instead of using the `safetensors` crate: the
//! format is small, the crate would add `serde`/`serde_json` to the build,
//! and reading it ourselves lets every error name the file and the tensor.
//! It checks the header length, the JSON, every entry's dtype, shape and
//! offsets (inside the data, sized `numel × dtype size`, no overlaps), and
//! that the data is not truncated. Tensors are decoded on demand.

use crate::error::ArchError;
use crate::json::{self, Json};
use ndarray::{ArrayD, IxDyn};
use std::collections::BTreeMap;
use std::path::Path;
use vitc_ir::Tensor;

/// Largest header accepted (the format's own limit is 100 MB).
const MAX_HEADER: u64 = 100 << 20;

/// The element types of the format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StDType {
    Bool,
    U8,
    I8,
    I16,
    U16,
    F16,
    BF16,
    I32,
    U32,
    F32,
    I64,
    U64,
    F64,
}

impl StDType {
    const ALL: [(StDType, &'static str, usize); 13] = [
        (StDType::Bool, "BOOL", 1),
        (StDType::U8, "U8", 1),
        (StDType::I8, "I8", 1),
        (StDType::I16, "I16", 2),
        (StDType::U16, "U16", 2),
        (StDType::F16, "F16", 2),
        (StDType::BF16, "BF16", 2),
        (StDType::I32, "I32", 4),
        (StDType::U32, "U32", 4),
        (StDType::F32, "F32", 4),
        (StDType::I64, "I64", 8),
        (StDType::U64, "U64", 8),
        (StDType::F64, "F64", 8),
    ];

    /// Parses the header spelling (`"F32"`).
    pub fn from_name(name: &str) -> Option<StDType> {
        StDType::ALL.iter().find(|(_, n, _)| *n == name).map(|(d, _, _)| *d)
    }

    /// The header spelling.
    pub fn name(self) -> &'static str {
        StDType::ALL.iter().find(|(d, _, _)| *d == self).map_or("?", |(_, n, _)| n)
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        StDType::ALL.iter().find(|(d, _, _)| *d == self).map_or(1, |(_, _, s)| *s)
    }
}

/// One header entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorInfo {
    pub dtype: StDType,
    pub shape: Vec<usize>,
    /// Byte range inside the data section.
    pub begin: usize,
    pub end: usize,
}

/// A parsed safetensors file: header entries plus the data bytes.
#[derive(Clone, Debug)]
pub struct SafeTensors {
    /// Where the bytes came from (for messages).
    pub path: String,
    pub tensors: BTreeMap<String, TensorInfo>,
    pub metadata: BTreeMap<String, String>,
    data: Vec<u8>,
}

impl SafeTensors {
    /// Reads and checks a file.
    pub fn read(path: &Path) -> Result<SafeTensors, ArchError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|cause| ArchError::Io { path: shown.clone(), cause })?;
        SafeTensors::parse(bytes, &shown)
    }

    /// Parses and checks the bytes of a file; `path` is used in messages.
    pub fn parse(mut bytes: Vec<u8>, path: &str) -> Result<SafeTensors, ArchError> {
        let truncated = |message: String| ArchError::Truncated { path: path.to_string(), message };
        let bad = |message: String| ArchError::BadHeader { path: path.to_string(), message };
        let len_bytes: [u8; 8] = bytes
            .get(..8)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| truncated(format!("{} bytes, fewer than the 8-byte header length", bytes.len())))?;
        let header_len = u64::from_le_bytes(len_bytes);
        if header_len > MAX_HEADER {
            return Err(bad(format!("header length {header_len} exceeds the {MAX_HEADER}-byte limit")));
        }
        let header_end = 8 + header_len as usize;
        if bytes.len() < header_end {
            return Err(truncated(format!("header of {header_len} bytes, but only {} follow", bytes.len() - 8)));
        }
        let text = std::str::from_utf8(&bytes[8..header_end]).map_err(|e| bad(format!("not UTF-8: {e}")))?;
        let root = json::parse(text).map_err(|e| bad(format!("invalid JSON: {e}")))?;
        let Json::Object(members) = root else {
            return Err(bad(format!("the header is {}, not an object", root.kind())));
        };
        let data_len = bytes.len() - header_end;
        let mut tensors = BTreeMap::new();
        let mut metadata = BTreeMap::new();
        for (name, entry) in &members {
            if name == "__metadata__" {
                let Json::Object(items) = entry else {
                    return Err(bad("'__metadata__' is not an object".into()));
                };
                for (k, v) in items {
                    let v = v.as_str().ok_or_else(|| bad(format!("metadata '{k}' is not a string")))?;
                    metadata.insert(k.clone(), v.to_string());
                }
                continue;
            }
            let info = tensor_info(name, entry).map_err(&bad)?;
            if info.end > data_len {
                return Err(truncated(format!(
                    "tensor '{name}' ends at data byte {}, but the file holds {data_len} data bytes",
                    info.end
                )));
            }
            if tensors.insert(name.clone(), info).is_some() {
                return Err(bad(format!("tensor '{name}' appears twice")));
            }
        }
        let mut ranges: Vec<(usize, usize, &str)> =
            tensors.iter().map(|(n, t)| (t.begin, t.end, n.as_str())).filter(|(b, e, _)| b < e).collect();
        ranges.sort_unstable();
        if let Some(w) = ranges.windows(2).find(|w| w[1].0 < w[0].1) {
            return Err(bad(format!("tensors '{}' and '{}' overlap", w[0].2, w[1].2)));
        }
        bytes.drain(..header_end);
        Ok(SafeTensors { path: path.to_string(), tensors, metadata, data: bytes })
    }

    /// The entry `name`, if present.
    pub fn info(&self, name: &str) -> Option<&TensorInfo> {
        self.tensors.get(name)
    }

    /// The raw little-endian bytes of `name`.
    pub fn bytes(&self, name: &str) -> Option<&[u8]> {
        self.tensors.get(name).and_then(|t| self.data.get(t.begin..t.end))
    }

    /// Decodes an F32 tensor (`None` if absent or of another dtype).
    pub fn f32_array(&self, name: &str) -> Option<ArrayD<f32>> {
        let info = self.info(name).filter(|t| t.dtype == StDType::F32)?;
        let values = self.bytes(name)?.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        ArrayD::from_shape_vec(IxDyn(&info.shape), values).ok()
    }

    /// Decodes an integer tensor (I64, I32, I16, I8, U8) widened to i64.
    pub fn i64_array(&self, name: &str) -> Option<ArrayD<i64>> {
        let info = self.info(name)?;
        let bytes = self.bytes(name)?;
        let values: Vec<i64> = match info.dtype {
            StDType::I64 => bytes
                .chunks_exact(8)
                .map(|c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                .collect(),
            StDType::I32 => {
                bytes.chunks_exact(4).map(|c| i64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]]))).collect()
            }
            StDType::I16 => bytes.chunks_exact(2).map(|c| i64::from(i16::from_le_bytes([c[0], c[1]]))).collect(),
            StDType::I8 => bytes.iter().map(|&b| i64::from(b as i8)).collect(),
            StDType::U8 => bytes.iter().map(|&b| i64::from(b)).collect(),
            _ => return None,
        };
        ArrayD::from_shape_vec(IxDyn(&info.shape), values).ok()
    }
}

fn tensor_info(name: &str, entry: &Json) -> Result<TensorInfo, String> {
    let field = |key: &str| entry.get(key).ok_or_else(|| format!("tensor '{name}' has no '{key}'"));
    let dtype_name = field("dtype")?.as_str().ok_or_else(|| format!("tensor '{name}': 'dtype' is not a string"))?;
    let dtype =
        StDType::from_name(dtype_name).ok_or_else(|| format!("tensor '{name}': unknown dtype '{dtype_name}'"))?;
    let ints = |key: &str| -> Result<Vec<usize>, String> {
        field(key)?
            .as_array()
            .ok_or_else(|| format!("tensor '{name}': '{key}' is not an array"))?
            .iter()
            .map(|v| {
                v.as_u64()
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or_else(|| format!("tensor '{name}': '{key}' holds a non-integer"))
            })
            .collect()
    };
    let shape = ints("shape")?;
    let offsets = ints("data_offsets")?;
    let [begin, end] = offsets[..] else {
        return Err(format!("tensor '{name}': 'data_offsets' must hold 2 numbers, found {}", offsets.len()));
    };
    if end < begin {
        return Err(format!("tensor '{name}': data_offsets [{begin}, {end}] end before they begin"));
    }
    let numel = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    let size = numel.and_then(|n| n.checked_mul(dtype.size()));
    if size != Some(end - begin) {
        return Err(format!(
            "tensor '{name}': {dtype_name}{shape:?} needs {} bytes, but data_offsets [{begin}, {end}] span {}",
            size.map_or_else(|| "too many".to_string(), |s| s.to_string()),
            end - begin
        ));
    }
    Ok(TensorInfo { dtype, shape, begin, end })
}

/// Serialises tensors (in name order) with optional metadata. Integer IR
/// tensors are written as I64/I32, bools as BOOL.
pub fn serialize(tensors: &BTreeMap<String, Tensor>, metadata: &BTreeMap<String, String>) -> Vec<u8> {
    let mut header = String::from("{");
    let mut data: Vec<u8> = Vec::new();
    if !metadata.is_empty() {
        let items: Vec<String> = metadata.iter().map(|(k, v)| format!("{}:{}", quote(k), quote(v))).collect();
        header.push_str(&format!("\"__metadata__\":{{{}}}", items.join(",")));
    }
    for (name, t) in tensors {
        let begin = data.len();
        let dtype = match t {
            Tensor::F32(a) => {
                a.iter().for_each(|v| data.extend_from_slice(&v.to_le_bytes()));
                "F32"
            }
            Tensor::I64(a) => {
                a.iter().for_each(|v| data.extend_from_slice(&v.to_le_bytes()));
                "I64"
            }
            Tensor::I32(a) => {
                a.iter().for_each(|v| data.extend_from_slice(&v.to_le_bytes()));
                "I32"
            }
            Tensor::Bool(a) => {
                a.iter().for_each(|&v| data.push(u8::from(v)));
                "BOOL"
            }
        };
        let shape: Vec<String> = t.dims().iter().map(usize::to_string).collect();
        if header.len() > 1 {
            header.push(',');
        }
        header.push_str(&format!(
            "{}:{{\"dtype\":\"{dtype}\",\"shape\":[{}],\"data_offsets\":[{begin},{}]}}",
            quote(name),
            shape.join(","),
            data.len()
        ));
    }
    header.push('}');
    // Pad the header with spaces so the data starts 8-byte aligned.
    while !header.len().is_multiple_of(8) {
        header.push(' ');
    }
    let mut out = Vec::with_capacity(8 + header.len() + data.len());
    out.extend_from_slice(&(header.len() as u64).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&data);
    out
}

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn sample() -> Vec<u8> {
        let mut t = BTreeMap::new();
        t.insert(
            "a".to_string(),
            Tensor::F32(ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![1.0, -2.0, 3.5, 0.0]).unwrap()),
        );
        t.insert("b\"q".to_string(), Tensor::i64_vec(&[7, -1]));
        let mut m = BTreeMap::new();
        m.insert("format".to_string(), "pt".to_string());
        serialize(&t, &m)
    }

    #[test]
    fn round_trips() {
        let st = SafeTensors::parse(sample(), "mem").unwrap();
        assert_eq!(st.metadata.get("format").map(String::as_str), Some("pt"));
        assert_eq!(st.f32_array("a").unwrap().iter().copied().collect::<Vec<_>>(), vec![1.0, -2.0, 3.5, 0.0]);
        assert_eq!(st.i64_array("b\"q").unwrap().iter().copied().collect::<Vec<_>>(), vec![7, -1]);
        assert!(st.f32_array("b\"q").is_none());
        assert_eq!(st.info("a").unwrap().shape, vec![2, 2]);
    }

    #[test]
    fn rejects_truncation_and_bad_headers() {
        let good = sample();
        for cut in [0, 5, 8, 20, good.len() - 1] {
            let e = SafeTensors::parse(good[..cut].to_vec(), "f").unwrap_err();
            assert!(matches!(e, ArchError::Truncated { .. } | ArchError::BadHeader { .. }), "cut {cut}: {e}");
        }
        let e = SafeTensors::parse(good[..good.len() - 1].to_vec(), "f").unwrap_err();
        assert!(matches!(e, ArchError::Truncated { .. }), "{e}");
        let with = |header: &str, data: usize| {
            let mut b = (header.len() as u64).to_le_bytes().to_vec();
            b.extend_from_slice(header.as_bytes());
            b.extend(std::iter::repeat_n(0u8, data));
            SafeTensors::parse(b, "f")
        };
        for (h, msg) in [
            ("[]", "not an object"),
            ("{\"a\":{\"dtype\":\"Q8\",\"shape\":[1],\"data_offsets\":[0,1]}}", "unknown dtype"),
            ("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", "needs 8 bytes"),
            ("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", "end before"),
            ("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", "no 'data_offsets'"),
            ("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", "non-integer"),
            (
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[2,6]}}",
                "overlap",
            ),
            ("{\"a\":", "invalid JSON"),
        ] {
            let e = with(h, 8).unwrap_err().to_string();
            assert!(e.contains(msg), "{h}: {e}");
        }
        let mut huge = u64::MAX.to_le_bytes().to_vec();
        huge.extend_from_slice(b"{}");
        assert!(SafeTensors::parse(huge, "f").unwrap_err().to_string().contains("limit"));
    }
}
