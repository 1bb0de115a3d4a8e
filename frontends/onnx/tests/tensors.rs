//! Tensor decoding: raw and typed payloads, bools, external data (in a temp
//! dir made here), `.pb` tensor files, and payloads that do not fit.

mod common;

use common::*;
use prost::Message;
use vitc_ir::{DType, Tensor};
use vitc_onnx::proto::StringStringEntryProto;
use vitc_onnx::proto::TensorProto;
use vitc_onnx::proto::tensor_proto::DataLocation;
use vitc_onnx::{OnnxError, decode_tensor, encode_tensor};

fn decode(t: &TensorProto) -> Result<Tensor, OnnxError> {
    decode_tensor(t, &t.name, None)
}

#[test]
fn raw_float_data_is_little_endian() {
    let t = f32_tensor("w", &[2, 2], &[1.0, -2.5, 3.25, 0.0]);
    let d = decode(&t).unwrap();
    assert_eq!(d.dtype(), DType::F32);
    assert_eq!(d.dims(), &[2, 2]);
    assert_eq!(d.to_f64_vec(), vec![1.0, -2.5, 3.25, 0.0]);
}

#[test]
fn typed_fields_decode() {
    let t = TensorProto { dims: vec![3], data_type: FLOAT, float_data: vec![0.5, 1.5, 2.5], ..Default::default() };
    assert_eq!(decode(&t).unwrap().to_f64_vec(), vec![0.5, 1.5, 2.5]);
    let t = i64_tensor("i", &[2], &[-7, 1 << 40]);
    assert_eq!(decode(&t).unwrap().to_i64_vec(), vec![-7, 1 << 40]);
    let t = TensorProto { dims: vec![2], data_type: INT32, int32_data: vec![3, -4], ..Default::default() };
    let d = decode(&t).unwrap();
    assert_eq!((d.dtype(), d.to_i64_vec()), (DType::I32, vec![3, -4]));
}

#[test]
fn converted_types_decode_exactly() {
    use vitc_onnx::proto::tensor_proto::DataType as D;
    let raw = |data_type: D, bytes: Vec<u8>, n: i64| TensorProto {
        dims: vec![n],
        data_type: data_type as i32,
        raw_data: bytes,
        ..Default::default()
    };
    // float16: 1.0, -2.0, 65504 (largest), 2^-24 (smallest subnormal), -0.0, inf.
    let halves: [u16; 6] = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000, 0x7c00];
    let t = raw(D::Float16, halves.iter().flat_map(|h| h.to_le_bytes()).collect(), 6);
    let d = decode(&t).unwrap();
    assert_eq!(d.dtype(), DType::F32);
    assert_eq!(d.to_f64_vec(), vec![1.0, -2.0, 65504.0, 2f64.powi(-24), -0.0, f64::INFINITY]);
    assert!(d.to_f64_vec()[4].is_sign_negative());
    let t = TensorProto { dims: vec![1], data_type: D::Float16 as i32, int32_data: vec![0x3800], ..Default::default() };
    assert_eq!(decode(&t).unwrap().to_f64_vec(), vec![0.5]);
    // bfloat16 is the top half of a float32.
    let t = raw(D::Bfloat16, [0x3fc0u16, 0xc2f7].iter().flat_map(|h| h.to_le_bytes()).collect(), 2);
    assert_eq!(decode(&t).unwrap().to_f64_vec(), vec![1.5, -123.5]);
    // double rounds to the nearest float32.
    let t =
        TensorProto { dims: vec![2], data_type: D::Double as i32, double_data: vec![0.1, -3.0], ..Default::default() };
    assert_eq!(decode(&t).unwrap().to_f64_vec(), vec![f64::from(0.1f32), -3.0]);
    // Small and unsigned integers widen to int64.
    let t = raw(D::Int8, vec![0xff, 0x7f, 0x80], 3);
    let d = decode(&t).unwrap();
    assert_eq!((d.dtype(), d.to_i64_vec()), (DType::I64, vec![-1, 127, -128]));
    assert_eq!(decode(&raw(D::Uint8, vec![0xff, 1], 2)).unwrap().to_i64_vec(), vec![255, 1]);
    assert_eq!(decode(&raw(D::Uint16, vec![0xff, 0xff], 1)).unwrap().to_i64_vec(), vec![65535]);
    assert_eq!(decode(&raw(D::Int16, vec![0x00, 0x80], 1)).unwrap().to_i64_vec(), vec![-32768]);
    assert_eq!(decode(&raw(D::Uint32, u32::MAX.to_le_bytes().to_vec(), 1)).unwrap().to_i64_vec(), vec![4294967295]);
    let t =
        TensorProto { dims: vec![1], data_type: D::Uint64 as i32, uint64_data: vec![u64::MAX], ..Default::default() };
    let msg = decode(&t).unwrap_err().to_string();
    assert!(msg.contains("uint64 value 18446744073709551615 does not fit in int64"), "{msg}");
}

#[test]
fn bools_from_int32_data_and_raw_bytes() {
    let t = TensorProto { dims: vec![3], data_type: BOOL, int32_data: vec![1, 0, 1], ..Default::default() };
    let d = decode(&t).unwrap();
    assert_eq!(d.dtype(), DType::Bool);
    assert_eq!(d.to_i64_vec(), vec![1, 0, 1]);
    let t = TensorProto { dims: vec![2, 2], data_type: BOOL, raw_data: vec![0, 1, 1, 0], ..Default::default() };
    assert_eq!(decode(&t).unwrap().to_i64_vec(), vec![0, 1, 1, 0]);
}

#[test]
fn scalars_and_empty_tensors() {
    let t = f32_tensor("s", &[], &[4.0]);
    let d = decode(&t).unwrap();
    assert_eq!((d.dims().len(), d.to_f64_vec()), (0, vec![4.0]));
    let t = TensorProto { dims: vec![0, 3], data_type: INT64, ..Default::default() };
    assert!(decode(&t).unwrap().is_empty());
}

#[test]
fn encode_then_decode_round_trips() {
    let t = Tensor::i64_vec(&[1, 2, 3]);
    assert_eq!(decode(&encode_tensor(&t, "x")).unwrap(), t);
    let t = Tensor::f32_scalar(-0.125);
    assert_eq!(decode(&encode_tensor(&t, "y")).unwrap(), t);
}

#[test]
fn payloads_that_do_not_fit_are_errors() {
    let mut t = f32_tensor("w", &[2, 3], &[1.0; 5]);
    let msg = decode(&t).unwrap_err().to_string();
    assert!(msg.contains("tensor 'w'") && msg.contains("20 bytes, expected 24"), "{msg}");
    t.raw_data = Vec::new();
    t.float_data = vec![1.0; 7];
    let msg = decode(&t).unwrap_err().to_string();
    assert!(msg.contains("float_data holds 7 values, expected 6"), "{msg}");
    let t = TensorProto { name: "n".into(), dims: vec![-1], data_type: FLOAT, ..Default::default() };
    assert!(decode(&t).unwrap_err().to_string().contains("negative dimension -1"));
    let t = TensorProto { name: "big".into(), dims: vec![1 << 40, 1 << 40], data_type: FLOAT, ..Default::default() };
    assert!(decode(&t).unwrap_err().to_string().contains("overflows"));
    let t = TensorProto { name: "h".into(), dims: vec![1], data_type: 10, ..Default::default() };
    let msg = decode(&t).unwrap_err().to_string();
    assert!(msg.contains("tensor 'h': holds no data (raw_data and int32_data are empty)"), "{msg}");
    let t = TensorProto { name: "q".into(), dims: vec![1], data_type: 17, raw_data: vec![0], ..Default::default() };
    let msg = decode(&t).unwrap_err().to_string();
    assert!(msg.contains("tensor 'q': unsupported element type float8e4m3fn"), "{msg}");
}

fn external(name: &str, dims: &[i64], location: &str, offset: Option<u64>, length: Option<u64>) -> TensorProto {
    let mut entries = vec![("location", location.to_string())];
    if let Some(o) = offset {
        entries.push(("offset", o.to_string()));
    }
    if let Some(l) = length {
        entries.push(("length", l.to_string()));
    }
    TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: FLOAT,
        data_location: DataLocation::External as i32,
        external_data: entries.into_iter().map(|(k, v)| StringStringEntryProto { key: k.into(), value: v }).collect(),
        ..Default::default()
    }
}

#[test]
fn external_data_is_read_relative_to_the_model() {
    let dir = temp_dir("external");
    let mut bytes = vec![0xAAu8; 8]; // 8 bytes of padding before the tensor
    for v in [1.0f32, 2.0, 3.0, 4.0] {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    std::fs::write(dir.join("weights.bin"), &bytes).unwrap();

    let t = external("w", &[2, 2], "weights.bin", Some(8), Some(16));
    assert_eq!(decode_tensor(&t, "w", Some(&dir)).unwrap().to_f64_vec(), vec![1.0, 2.0, 3.0, 4.0]);
    // Without `length`, the size follows from dtype and dims.
    let t = external("w", &[3], "weights.bin", Some(12), None);
    assert_eq!(decode_tensor(&t, "w", Some(&dir)).unwrap().to_f64_vec(), vec![2.0, 3.0, 4.0]);

    // Through a whole model file: w is an external initializer next to it.
    let m = model(
        17,
        vec![value_info("x", FLOAT, &["2", "2"])],
        vec![external("w", &[2, 2], "weights.bin", Some(8), Some(16))],
        vec![node("Add", &["x", "w"], &["y"], vec![])],
        vec![value_info("y", FLOAT, &["2", "2"])],
    );
    let path = dir.join("with_external.onnx");
    std::fs::write(&path, encode(&m)).unwrap();
    let g = vitc_onnx::load_model(&path).unwrap();
    let (_, w) = g.weights.iter().next().unwrap();
    assert_eq!(w.name, "w");
    assert_eq!(w.tensor.to_f64_vec(), vec![1.0, 2.0, 3.0, 4.0]);
    // From bytes without a base directory, the data cannot be found.
    let msg = vitc_onnx::load_model_bytes(&encode(&m), None).unwrap_err().to_string();
    assert!(msg.contains("tensor 'w': external data file weights.bin") && msg.contains("base_dir"), "{msg}");
}

#[test]
fn missing_or_short_external_data_is_an_error() {
    let dir = temp_dir("external-bad");
    std::fs::write(dir.join("short.bin"), [0u8; 10]).unwrap();
    let t = external("w", &[4], "missing.bin", None, None);
    let err = decode_tensor(&t, "w", Some(&dir)).unwrap_err();
    assert!(matches!(err, OnnxError::ExternalData { .. }));
    let msg = err.to_string();
    assert!(msg.contains("tensor 'w'") && msg.contains("missing.bin") && msg.contains("cannot open"), "{msg}");
    let t = external("w", &[4], "short.bin", Some(0), None);
    let msg = decode_tensor(&t, "w", Some(&dir)).unwrap_err().to_string();
    assert!(msg.contains("short.bin") && msg.contains("the file is 10 bytes"), "{msg}");
    let t = external("w", &[4], "short.bin", Some(8), Some(16));
    assert!(decode_tensor(&t, "w", Some(&dir)).unwrap_err().to_string().contains("bytes 8..24"));
    let t = external("w", &[1], "../outside.bin", None, None);
    let msg = decode_tensor(&t, "w", Some(&dir)).unwrap_err().to_string();
    assert!(msg.contains("inside the model's directory"), "{msg}");
}

#[test]
fn tensor_files_in_the_backend_test_format() {
    let dir = temp_dir("pb");
    let path = dir.join("input_0.pb");
    let t = f32_tensor("x", &[1, 3], &[0.25, 0.5, 0.75]);
    std::fs::write(&path, t.encode_to_vec()).unwrap();
    let d = vitc_onnx::read_tensor_file(&path).unwrap();
    assert_eq!((d.dims(), d.to_f64_vec()), (&[1usize, 3][..], vec![0.25, 0.5, 0.75]));

    std::fs::write(&path, [0xFFu8, 0xFF, 0xFF]).unwrap();
    let msg = vitc_onnx::read_tensor_file(&path).unwrap_err().to_string();
    assert!(msg.contains("input_0.pb") && msg.contains("not a valid ONNX protobuf"), "{msg}");
    let msg = vitc_onnx::read_tensor_file(&dir.join("absent.pb")).unwrap_err().to_string();
    assert!(msg.contains("absent.pb"), "{msg}");
}
