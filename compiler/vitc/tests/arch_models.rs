//! Models built from the architecture definitions (`--arch NAME --weights
//! NAME.safetensors`) through native code match the ONNX Runtime outputs of
//! the matching exports; the arch-built LeViT-128S and the imported one fuse
//! into the same ops; `vitc archs` lists every architecture.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

mod common;

use common::*;
use vitc_testkit::{assert_within, model_file};

/// `vitc compile --arch NAME --weights …` → `.so` → `vitc run` → compare.
fn arch_so_matches(name: &str) {
    let weights = model_file(&format!("{name}.safetensors"));
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join(format!("{name}.so"));
    run_ok(vitc().args(["compile", "--arch", name, "--weights"]).arg(&weights).arg("-o").arg(&lib));
    let y = dir.path().join("y.npy");
    let input = model_file(&format!("{name}.input.npy"));
    run_ok(vitc().arg("run").arg(&lib).arg("--input").arg(&input).arg("--output").arg(&y));
    let (dims, ours) = read_npy(&y);
    let (ref_dims, expected) = read_npy(&model_file(&format!("{name}.output.npy")));
    assert_eq!(dims, ref_dims);
    assert_within(&ours, &expected, 1e-4, name);
}

#[test]
fn levit_128s_from_its_definition() {
    arch_so_matches("levit_128s");
}

#[test]
fn deit_tiny_from_its_definition() {
    arch_so_matches("deit_tiny_patch16_224");
}

#[test]
fn cswin_micro_from_its_definition() {
    arch_so_matches("cswin_micro");
}

#[test]
fn lvt_from_its_definition() {
    arch_so_matches("lvt");
}

#[test]
fn archs_lists_every_family() {
    let out = run_ok(vitc().arg("archs"));
    let text = String::from_utf8_lossy(&out.stdout);
    for name in [
        "levit_128s",
        "levit_384",
        "deit_tiny_patch16_224",
        "deit_base_distilled_patch16_224",
        "cswin_tiny_224",
        "cswin_micro",
        "lvt",
    ] {
        assert!(text.contains(name), "{name} missing from:\n{text}");
    }
}

/// `vitc compile --arch … --weights BAD -o X.so` fails with status 2, names
/// the problem and leaves no output behind.
fn bad_checkpoint(name: &str, bytes: &[u8], expected: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let weights = dir.path().join(name);
    std::fs::write(&weights, bytes).unwrap();
    let out = dir.path().join("model.so");
    let result = vitc()
        .args(["compile", "--arch", "levit_128s", "--weights"])
        .arg(&weights)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for needle in expected {
        assert!(stderr.contains(needle), "stderr lacks '{needle}': {stderr}");
    }
    assert!(!out.exists() && !dir.path().join("model.h").exists(), "a failed compile left output");
}

/// A safetensors file holding `tensors` (name, dtype, shape, bytes).
fn safetensors(tensors: &[(&str, &str, &[usize], Vec<u8>)]) -> Vec<u8> {
    let mut header = String::from("{");
    let mut data = Vec::new();
    for (i, (name, dtype, shape, bytes)) in tensors.iter().enumerate() {
        let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
        let sep = if i > 0 { "," } else { "" };
        header.push_str(&format!(
            "{sep}\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{}],\"data_offsets\":[{},{}]}}",
            dims.join(","),
            data.len(),
            data.len() + bytes.len()
        ));
        data.extend_from_slice(bytes);
    }
    header.push('}');
    let mut file = (header.len() as u64).to_le_bytes().to_vec();
    file.extend_from_slice(header.as_bytes());
    file.extend_from_slice(&data);
    file
}

#[test]
fn bad_checkpoints_fail_cleanly() {
    bad_checkpoint("truncated.safetensors", &[8, 0, 0], &["truncated.safetensors"]);
    let wrong_name = safetensors(&[("not.a.levit.tensor", "F32", &[2], vec![0; 8])]);
    bad_checkpoint("names.safetensors", &wrong_name, &["names.safetensors"]);
    // The stem's first conv weight with a wrong shape: both shapes are named.
    let wrong_shape = safetensors(&[("stem.conv1.linear.weight", "F32", &[2, 2], vec![0; 16])]);
    bad_checkpoint("shape.safetensors", &wrong_shape, &["stem.conv1.linear.weight"]);
    let wrong_dtype = safetensors(&[("stem.conv1.linear.weight", "F64", &[1], vec![0; 8])]);
    bad_checkpoint("dtype.safetensors", &wrong_dtype, &["stem.conv1.linear.weight"]);
}
