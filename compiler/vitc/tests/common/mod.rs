//! Helpers shared by the native-output tests: the vitc binary, stub
//! libraries built without a backend (`vitc_link::stub`), `.npy` files.
//! Reference data, tools and the whole-model rule come from `vitc-testkit`.

#![allow(dead_code)] // each test file uses a different subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use vitc_ir::Tensor;
use vitc_ir::ndarray::{ArrayD, IxDyn};
use vitc_link::{LinkOptions, Target, stub};

pub fn vitc() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vitc"))
}

pub fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs a vitc command expected to fail: status 2, no panic, `needles` in stderr.
pub fn assert_fails(cmd: &mut Command, needles: &[&str]) {
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{cmd:?}: stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "vitc panicked: {stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "stderr lacks '{needle}': {stderr}");
    }
}

/// Links the stub model into `dir/file` with API prefix `prefix`.
pub fn stub_library(dir: &Path, file: &str, prefix: &str, dynamic: bool) -> PathBuf {
    let program = stub::program("stub", dynamic, 8);
    let object = stub::object(prefix, Target::X86_64Linux).unwrap();
    let out = dir.join(file);
    vitc_link::link(&program, &[object], &LinkOptions { prefix: prefix.into(), target: Target::X86_64Linux }, &out)
        .unwrap();
    out
}

pub fn write_npy(path: &Path, dims: &[usize], data: Vec<f32>) {
    let t = Tensor::F32(ArrayD::from_shape_vec(IxDyn(dims), data).unwrap());
    std::fs::write(path, vitc_ir::npy::encode_npy(&t)).unwrap();
}

pub fn read_npy(path: &Path) -> (Vec<usize>, Vec<f32>) {
    match vitc_ir::npy::read_npy(path).unwrap() {
        Tensor::F32(a) => (a.shape().to_vec(), a.iter().copied().collect()),
        other => panic!("{}: not f32: {:?}", path.display(), other.dtype()),
    }
}

/// The stub's expected output for a batch of images.
pub fn stub_reference(input: &[f32]) -> Vec<f32> {
    input.chunks(stub::INPUT_LEN).flat_map(stub::reference).collect()
}

/// Indices of the five largest values of `row`, largest first.
pub fn top5(row: &[f32]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..row.len()).collect();
    idx.sort_by(|&a, &b| row[b].total_cmp(&row[a]));
    idx.truncate(5);
    idx
}

/// `vitc compile MODEL -o OUT ARGS...`, which must succeed.
pub fn compile_native(model: &Path, out: &Path, args: &[&str]) -> Output {
    run_ok(vitc().arg("compile").arg(model).arg("-o").arg(out).args(args))
}
