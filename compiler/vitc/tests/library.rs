//! `vitc run LIB.so`, `vitc bench LIB.so` and the argument checks of
//! `vitc compile -o`, with stub libraries (no lowering or backend needed):
//! results, exit status 2 with a message on bad input, no partial outputs.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

mod common;

use common::*;
use vitc_link::stub;
use vitc_testkit::{assert_within, repo_root};

#[test]
fn run_library_matches_the_reference() {
    let dir = tempfile::tempdir().unwrap();
    let lib = stub_library(dir.path(), "stub.so", "stub", true);
    // 20 images with a max batch of 8: three calls.
    for images in [1, 20] {
        let input = stub::input(images);
        let (x, y) = (dir.path().join("x.npy"), dir.path().join("y.npy"));
        write_npy(&x, &[images, 64, 64], input.clone());
        let out =
            run_ok(vitc().arg("run").arg(&lib).arg("--input").arg(&x).arg("--output").arg(&y).args(["--threads", "2"]));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(stdout.lines().filter(|l| l.contains("top-5")).count(), images, "{stdout}");
        let (dims, ours) = read_npy(&y);
        assert_eq!(dims, [images, 64]);
        let expected = stub_reference(&input);
        assert_within(&ours, &expected, 1e-5, "the library output");
        let first = top5(&expected[..64]).iter().map(|c| format!("{c} (")).collect::<Vec<_>>();
        assert!(first.iter().all(|c| stdout.lines().next().unwrap().contains(c.as_str())), "{stdout}");
    }
}

#[test]
fn run_library_rejects_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lib = stub_library(d, "stub.so", "stub", true);
    let fixed = stub_library(d, "fixed.so", "fixed", false);
    let object = stub_library(d, "stub.o", "stub", true);
    let x = d.join("x.npy");
    let y = d.join("y.npy");
    write_npy(&x, &[2, 64, 63], vec![0.0; 2 * 64 * 63]);
    let run = |lib: &std::path::Path| {
        let mut c = vitc();
        c.arg("run").arg(lib).arg("--input").arg(&x).arg("--output").arg(&y);
        c
    };
    assert_fails(&mut run(&lib), &["x.npy has shape [2, 64, 63]", "takes [batch, 64, 64]"]);
    write_npy(&x, &[2, 64, 64], vec![0.0; 2 * 64 * 64]);
    assert_fails(&mut run(&fixed), &["x.npy has shape [2, 64, 64]", "takes [1, 64, 64]"]);
    assert_fails(&mut run(&object), &["not a shared library"]);
    // `create` returns NULL, which has no status code: the message names the function and its reason.
    let zero_threads = run(&lib).args(["--threads", "0"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&zero_threads.stderr);
    assert_eq!(zero_threads.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("stub_create returned no context"), "{stderr}");
    assert!(stderr.contains("threads must be between 1 and 256, got 0"), "{stderr}");
    assert!(!stderr.contains("status"), "a NULL context has no status: {stderr}");
    assert_fails(run(&lib).args(["--name", "nope"]), &["symbol nope_create is missing"]);
    let arm = d.join("arm.so");
    let program = stub::program("stub", true, 8);
    let object = stub::object("arm", vitc_link::Target::Aarch64Linux);
    if let Ok(object) = object {
        let opts = vitc_link::LinkOptions { prefix: "arm".into(), target: vitc_link::Target::Aarch64Linux };
        vitc_link::link(&program, &[object], &opts, &arm).unwrap();
        assert_fails(&mut run(&arm), &["arm.so is built for aarch64-linux; this machine is x86_64-linux"]);
    }
    std::fs::write(d.join("fake.so"), b"not elf").unwrap();
    assert_fails(&mut run(&d.join("fake.so")), &["not an ELF shared library"]);
    assert_fails(&mut run(&d.join("missing.so")), &["missing.so"]);
    let model = repo_root().join("examples/tiny_vit/tiny_vit.onnx");
    assert_fails(vitc().arg("run").arg(&model).args(["--threads", "2"]), &["--threads and --name apply to compiled"]);
    assert!(!y.exists());
}

#[test]
fn truncated_library_is_an_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lib = stub_library(d, "stub.so", "stub", true);
    let bytes = std::fs::read(&lib).unwrap();
    let cut = d.join("cut.so");
    for len in [64, 4096, bytes.len() / 2, bytes.len() - 1] {
        std::fs::write(&cut, &bytes[..len]).unwrap();
        // SIGBUS inside dlopen would end the process without an exit status.
        assert_fails(vitc().arg("run").arg(&cut), &["cut.so", "truncated or corrupt"]);
        assert_fails(vitc().arg("bench").arg(&cut), &["cut.so", "truncated or corrupt"]);
    }
}

#[test]
fn bench_prints_one_json_line() {
    let dir = tempfile::tempdir().unwrap();
    let lib = stub_library(dir.path(), "stub.so", "stub", true);
    let out =
        run_ok(vitc().arg("bench").arg(&lib).args(["--threads", "2", "--batch", "4", "--warmup", "1", "--runs", "5"]));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    for field in [
        "{\"model\": \"stub.so\"",
        "\"prefix\": \"stub\"",
        "\"threads\": 2",
        "\"batch\": 4",
        "\"input_shape\": [4, 64, 64]",
        "\"runs\": 5",
        "\"median_ms\": ",
        "\"min_ms\": ",
        "\"mean_ms\": ",
        "\"images_per_s\": ",
        "\"images_per_s_at_min\": ",
    ] {
        assert!(stdout.contains(field), "missing {field}: {stdout}");
    }
    let x = dir.path().join("x.npy");
    write_npy(&x, &[4, 64, 64], stub::input(4));
    run_ok(vitc().arg("bench").arg(&lib).arg("--input").arg(&x).args(["--batch", "4", "--runs", "2"]));
    assert_fails(vitc().arg("bench").arg(&lib).arg("--input").arg(&x).args(["--batch", "2"]), &["needs [2, 64, 64]"]);
    assert_fails(vitc().arg("bench").arg(&lib).args(["--batch", "9"]), &["exceeds the library's max batch 8"]);
    let fixed = stub_library(dir.path(), "fixed.so", "fixed", false);
    assert_fails(vitc().arg("bench").arg(&fixed).args(["--batch", "2"]), &["static shape [1, 64, 64]"]);
    assert_fails(vitc().arg("bench").arg(&lib).args(["--runs", "0"]), &["at least 1"]);
}

#[test]
fn compile_checks_arguments_before_compiling() {
    let dir = tempfile::tempdir().unwrap();
    let model = repo_root().join("examples/tiny_vit/tiny_vit.onnx");
    let compile = |out: &str| {
        let mut c = vitc();
        c.arg("compile").arg(&model).arg("-o").arg(dir.path().join(out));
        c
    };
    assert_fails(&mut compile("m.dll"), &["m.dll", "must be .so, .o or .a"]);
    assert_fails(compile("m.so").args(["--target", "sparc-linux"]), &["unknown target `sparc-linux`"]);
    assert_fails(compile("m.so").args(["--name", "9lives"]), &["--name", "'9lives' is not a valid C identifier"]);
    let empty = dir.path().join("empty-path");
    std::fs::create_dir(&empty).unwrap();
    assert_fails(
        compile("m.so").args(["--target", "aarch64-linux"]).env("PATH", &empty),
        &["aarch64-linux-gnu-gcc is not installed", "apt-get install gcc-aarch64-linux-gnu"],
    );
    assert_fails(vitc().arg("compile").arg(&model), &["give the output with -o"]);
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, ["empty-path"]);
}
