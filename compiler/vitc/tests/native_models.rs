//! Whole models through native code: `vitc compile` → library → results
//! against the ONNX Runtime references in `../shared/models` (bound
//! `max|ours − ref| ≤ 1e-4 · max|ref|`), the C API checks through `.o` and
//! `.a`, concurrent contexts, the C example, aarch64 under qemu, and
//! `vitc bench`. A missing reference file or tool fails the test, naming it.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use vitc_loader::ModelLibrary;
use vitc_testkit::{assert_within, model_file, repo_root, require_tool};

const REL: f64 = 1e-4;

/// A directory under cargo's per-test scratch space.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("native-models").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `levit_128s` compiled once per test binary into `scratch/levit/levit.so`.
fn levit_so() -> &'static Path {
    static LIB: OnceLock<PathBuf> = OnceLock::new();
    LIB.get_or_init(|| {
        let model = model_file("levit_128s.onnx");
        let out = scratch("levit").join("levit.so");
        let result = compile_native(&model, &out, &[]);
        let stdout = String::from_utf8_lossy(&result.stdout);
        assert!(stdout.contains("weights") && stdout.contains("bytes") && stdout.contains(" s "), "{stdout}");
        out
    })
}

/// The reference input file of `name` and its ONNX Runtime output.
fn reference(name: &str) -> (PathBuf, Vec<f32>) {
    (model_file(&format!("{name}.input.npy")), read_npy(&model_file(&format!("{name}.output.npy"))).1)
}

#[test]
fn tiny_vit_matches_the_interpreter() {
    let dir = tempfile::tempdir().unwrap();
    let model = repo_root().join("examples/tiny_vit/tiny_vit.onnx");
    let input = repo_root().join("examples/tiny_vit/input.npy");
    compile_native(&model, &dir.path().join("tiny.so"), &[]);
    let (ours, interp) = (dir.path().join("ours.npy"), dir.path().join("interp.npy"));
    run_ok(vitc().arg("run").arg(dir.path().join("tiny.so")).arg("-i").arg(&input).arg("-o").arg(&ours));
    run_ok(vitc().arg("run").arg(&model).arg("-i").arg(&input).arg("-o").arg(&interp));
    let (a, b) = (read_npy(&ours), read_npy(&interp));
    assert_eq!(a.0, b.0);
    assert_within(&a.1, &b.1, REL, "tiny_vit vs the interpreter");
    assert!(dir.path().join("tiny.h").exists());
    let asm = run_ok(vitc().arg("compile").arg(&model).args(["--emit", "asm"]));
    assert!(!asm.stdout.is_empty());
}

#[test]
fn levit_so_matches_onnx_runtime() {
    let lib = levit_so();
    let (input, expected) = reference("levit_128s");
    for threads in ["1", "2"] {
        let y = scratch("levit").join(format!("y{threads}.npy"));
        run_ok(
            vitc().arg("run").arg(lib).arg("--input").arg(&input).arg("--output").arg(&y).args(["--threads", threads]),
        );
        let (dims, ours) = read_npy(&y);
        assert_eq!(dims, [1, 1000]);
        assert_within(&ours, &expected, REL, &format!("levit_128s.so, {threads} thread(s)"));
    }
}

#[test]
fn every_reference_model_matches_onnx_runtime() {
    for name in ["deit_tiny_patch16_224", "cswin_micro", "lvt"] {
        let model = model_file(&format!("{name}.onnx"));
        let dir = scratch(name);
        let lib = dir.join(format!("{name}.so"));
        compile_native(&model, &lib, &[]);
        let (input, expected) = reference(name);
        let y = dir.join("y.npy");
        run_ok(vitc().arg("run").arg(&lib).arg("--input").arg(&input).arg("--output").arg(&y).args(["--threads", "2"]));
        let ours = read_npy(&y).1;
        assert_within(&ours, &expected, REL, name);
        let name_from_library = ModelLibrary::open(&lib, None).unwrap().name().to_string();
        assert_eq!(name_from_library, name);
    }
}

#[test]
fn levit_dynamic_batch_matches_onnx_runtime() {
    let model = model_file("levit_128s_dynbatch.onnx");
    let dir = scratch("levit_dyn");
    let lib = dir.join("levit_dyn.so");
    compile_native(&model, &lib, &["--max-batch", "16"]);
    let y = dir.join("y.npy");
    let input = model_file("levit_128s_dynbatch.input_b16.npy");
    run_ok(vitc().arg("run").arg(&lib).arg("--input").arg(&input).arg("--output").arg(&y).args(["--threads", "2"]));
    let (dims, ours) = read_npy(&y);
    assert_eq!(dims, [16, 1000]);
    let expected = read_npy(&model_file("levit_128s_dynbatch.output_b16.npy")).1;
    assert_within(&ours, &expected, REL, "levit_128s_dynbatch at batch 16");
    let bench =
        run_ok(vitc().arg("bench").arg(&lib).args(["--batch", "4", "--threads", "2", "--warmup", "1", "--runs", "3"]));
    assert!(String::from_utf8_lossy(&bench.stdout).contains("\"input_shape\": [4, 3, 224, 224]"));
    // Batches 1 and 3 through the C API: the first images of the batch-16 pair.
    let (_, x) = read_npy(&input);
    let lib = ModelLibrary::open(&lib, None).unwrap();
    let mut ctx = lib.context(2).unwrap();
    for batch in [1, 3] {
        let mut out = vec![f32::NAN; batch * lib.output_len()];
        ctx.run(&x[..batch * lib.input_len()], &mut out, batch).unwrap();
        assert_within(&out, &expected[..batch * lib.output_len()], REL, &format!("C API at batch {batch}"));
    }
}

/// Builds `runtime/c/tests/api_test.c` against the static `lib` (`.o` or
/// `.a`, prefix `levit`) with `cc`, runs it (under `runner` when given) on
/// the LeViT reference input and returns the output row it prints.
fn api_test(cc: &str, lib: &Path, runner: &[&str]) -> Vec<f32> {
    api_test_model(cc, lib, runner, "levit_128s", "levit")
}

/// Builds `runtime/c/tests/api_test.c` against `lib` (API prefix `prefix`)
/// and runs it (under `runner`, e.g. qemu) on the reference input of `model`.
fn api_test_model(cc: &str, lib: &Path, runner: &[&str], model: &str, prefix: &str) -> Vec<f32> {
    let raw = lib.with_extension("input.f32");
    let floats: Vec<u8> = read_npy(&reference(model).0).1.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(&raw, floats).unwrap();
    let exe = lib.with_extension(format!("{}.api_test", lib.extension().unwrap().to_string_lossy()));
    run_ok(
        Command::new(cc)
            .args(["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-include"])
            .arg(lib.with_extension("h"))
            .arg(format!("-DMODEL={prefix}"))
            .arg(repo_root().join("runtime/c/tests/api_test.c"))
            .arg(lib)
            .args(["-lm", "-lpthread", "-o"])
            .arg(&exe),
    );
    let mut cmd = match runner.split_first() {
        Some((program, args)) => {
            let mut c = Command::new(program);
            c.args(args).arg(&exe);
            c
        }
        None => Command::new(&exe),
    };
    let out = run_ok(cmd.arg(&raw));
    String::from_utf8_lossy(&out.stdout).lines().map(|l| l.trim().parse().unwrap()).collect()
}

#[test]
fn levit_object_and_archive_pass_the_c_api_checks() {
    require_tool("cc");
    let dir = scratch("levit_static");
    for file in ["levit.o", "levit.a"] {
        let lib = dir.join(file);
        compile_native(&model_file("levit_128s.onnx"), &lib, &[]);
        assert_within(&api_test("cc", &lib, &[]), &reference("levit_128s").1, REL, file);
    }
}

#[test]
fn two_threads_with_two_contexts_are_bit_identical() {
    let lib = ModelLibrary::open(levit_so(), None).unwrap();
    let input = read_npy(&reference("levit_128s").0).1;
    let mut expected = vec![0.0; lib.output_len()];
    lib.context(1).unwrap().run(&input, &mut expected, 1).unwrap();
    std::thread::scope(|s| {
        for threads in [1, 2] {
            let (lib, input, expected) = (&lib, &input, &expected);
            s.spawn(move || {
                let mut ctx = lib.context(threads).unwrap();
                let mut out = vec![0.0; lib.output_len()];
                for run in 0..200 {
                    out.fill(f32::NAN);
                    ctx.run(input, &mut out, 1).unwrap();
                    assert!(
                        out.iter().zip(expected).all(|(a, b)| a.to_bits() == b.to_bits()),
                        "run {run} of the context with {threads} thread(s) differs"
                    );
                }
            });
        }
    });
}

#[test]
fn c_example_classifies_levit() {
    require_tool("make");
    let lib = levit_so();
    let out_dir = scratch("c_example");
    std::fs::copy(lib, out_dir.join("levit.so")).unwrap();
    std::fs::copy(lib.with_extension("h"), out_dir.join("levit.h")).unwrap();
    let (input, expected) = reference("levit_128s");
    let out = run_ok(
        Command::new("make")
            .arg("-C")
            .arg(repo_root().join("examples/c"))
            .arg(format!("OUT={}", out_dir.display()))
            .arg("-o")
            .arg(out_dir.join("levit.so"))
            .arg(format!("INPUT={}", input.display()))
            .arg("run"),
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let first = top5(&expected)[0];
    assert!(stdout.contains(&format!("image 0 top-5: {first} (")), "{stdout}");
}

#[test]
fn levit_aarch64_runs_under_qemu() {
    require_tool("aarch64-linux-gnu-gcc");
    require_tool("qemu-aarch64");
    let lib = scratch("levit_aarch64").join("levit.a");
    compile_native(&model_file("levit_128s.onnx"), &lib, &["--target", "aarch64-linux"]);
    let ours = api_test("aarch64-linux-gnu-gcc", &lib, &["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"]);
    assert_within(&ours, &reference("levit_128s").1, REL, "levit_128s on aarch64 (qemu)");
}

/// Every other reference model on aarch64 under qemu (LeViT is above).
#[test]
fn other_models_aarch64_run_under_qemu() {
    require_tool("aarch64-linux-gnu-gcc");
    require_tool("qemu-aarch64");
    for (model, prefix) in [("deit_tiny_patch16_224", "deit"), ("cswin_micro", "cswin"), ("lvt", "lvt")] {
        let onnx = model_file(&format!("{model}.onnx"));
        let lib = scratch("aarch64_models").join(format!("{prefix}.a"));
        compile_native(&onnx, &lib, &["--target", "aarch64-linux"]);
        let ours = api_test_model(
            "aarch64-linux-gnu-gcc",
            &lib,
            &["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"],
            model,
            prefix,
        );
        assert_within(&ours, &reference(model).1, REL, &format!("{model} on aarch64 (qemu)"));
        eprintln!("{model}: aarch64 under qemu matches");
    }
}
