//! The runtime through linked stub libraries: results against the Rust
//! reference for every thread count and batch, bit-identical results across
//! thread counts and concurrent contexts, the C API's argument checks (from
//! C, through `.so`, `.a` and `.o`), two models in one program, and aarch64
//! output under qemu.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

mod support;

use std::path::Path;
use std::process::Command;
use support::{build, build_api_test, build_in, parse_floats, run_ok, write_raw};
use vitc_link::{Target, stub};
use vitc_loader::ModelLibrary;
use vitc_testkit::{assert_within, require_tool};

const HOST: Target = Target::X86_64Linux;

fn reference(input: &[f32]) -> Vec<f32> {
    input.chunks(stub::INPUT_LEN).flat_map(stub::reference).collect()
}

#[test]
fn results_match_the_reference_for_any_threads_and_batch() {
    let b = build("dyn.so", "dyn", true, HOST);
    let lib = ModelLibrary::open(&b.lib, None).unwrap();
    assert_eq!(lib.prefix(), "dyn");
    assert_eq!(lib.name(), "stub model dyn");
    assert_eq!(lib.input_dims(), [-1, 64, 64]);
    assert_eq!(lib.output_dims(), [-1, 64]);
    assert_eq!((lib.input_len(), lib.output_len(), lib.max_batch()), (4096, 64, 8));
    assert!(lib.dynamic_batch());
    for batch in [1, 3, 8] {
        let input = stub::input(batch);
        let expected = reference(&input);
        let mut first: Option<Vec<f32>> = None;
        for threads in [1, 2, 3, 4, 8] {
            let mut ctx = lib.context(threads).unwrap();
            let mut out = vec![f32::NAN; batch * stub::OUTPUT_LEN];
            for _ in 0..3 {
                ctx.run(&input, &mut out, batch).unwrap();
            }
            assert_within(&out, &expected, 1e-5, &format!("batch {batch}, {threads} thread(s)"));
            match &first {
                None => first = Some(out),
                Some(f) => assert!(f.iter().zip(&out).all(|(a, b)| a.to_bits() == b.to_bits()), "threads {threads}"),
            }
        }
    }
}

#[test]
fn static_shapes_take_batch_one() {
    let b = build("fixed.so", "fixed", false, HOST);
    let lib = ModelLibrary::open(&b.lib, None).unwrap();
    assert_eq!(lib.input_dims(), [1, 64, 64]);
    assert_eq!(lib.max_batch(), 1);
    assert!(!lib.dynamic_batch());
    let mut ctx = lib.context(2).unwrap();
    let input = stub::input(2);
    let mut out = vec![0.0; 2 * stub::OUTPUT_LEN];
    ctx.run(&input[..stub::INPUT_LEN], &mut out[..stub::OUTPUT_LEN], 1).unwrap();
    assert_within(&out[..stub::OUTPUT_LEN], &stub::reference(&input[..stub::INPUT_LEN]), 1e-5, "the first image");
    let err = ctx.run(&input, &mut out, 2).unwrap_err().to_string();
    assert!(err.contains("fixed_run failed (status 2)") && err.contains("static shape, pass 1"), "{err}");
    let err = lib.context(0).err().unwrap().to_string();
    assert!(err.contains("threads must be between 1 and 256, got 0"), "{err}");
    let err = ctx.run(&input, &mut out, 1).unwrap_err().to_string();
    assert!(err.contains("the input has 8192 floats; batch 1 needs 4096"), "{err}");
}

#[test]
fn two_threads_with_two_contexts_are_bit_identical_to_one() {
    let b = build("conc.so", "conc", true, HOST);
    let lib = ModelLibrary::open(&b.lib, None).unwrap();
    let batch = 2;
    let input = stub::input(batch);
    let mut expected = vec![0.0; batch * stub::OUTPUT_LEN];
    lib.context(1).unwrap().run(&input, &mut expected, batch).unwrap();
    std::thread::scope(|s| {
        for threads in [2, 3] {
            let (lib, input, expected) = (&lib, &input, &expected);
            s.spawn(move || {
                let mut ctx = lib.context(threads).unwrap();
                let mut out = vec![0.0; batch * stub::OUTPUT_LEN];
                for run in 0..200 {
                    out.fill(f32::NAN);
                    ctx.run(input, &mut out, batch).unwrap();
                    let same = out.iter().zip(expected).all(|(a, b)| a.to_bits() == b.to_bits());
                    assert!(same, "run {run} with {threads} threads differs");
                }
            });
        }
    });
}

#[test]
fn prefix_override_and_missing_symbols() {
    let b = build("named.so", "named", true, HOST);
    assert_eq!(ModelLibrary::open(&b.lib, Some("named")).unwrap().prefix(), "named");
    let err = ModelLibrary::open(&b.lib, Some("other")).err().unwrap().to_string();
    assert!(err.contains("symbol other_create is missing"), "{err}");
    let err = ModelLibrary::open(Path::new("/nonexistent/x.so"), None).err().unwrap().to_string();
    assert!(err.contains("/nonexistent/x.so"), "{err}");
}

/// Runs the C API test program, checks it passed and returns its output row.
fn run_api_test(exe: &Path, runner: &[&str], input: &Path) -> Vec<f32> {
    let mut cmd = Command::new(runner.first().copied().unwrap_or(exe.to_str().unwrap()));
    if !runner.is_empty() {
        cmd.args(&runner[1..]).arg(exe);
    }
    let out = run_ok(cmd.arg(input));
    parse_floats(&out.stdout)
}

#[test]
fn c_api_rejects_bad_arguments_through_so_a_and_o() {
    for dynamic in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let input = stub::input(1);
        let raw = dir.path().join("input.f32");
        write_raw(&raw, &input);
        for (file, extra) in [("m.so", vec!["-L.", "-l:m.so", "-Wl,-rpath,$ORIGIN"]), ("m.a", vec![]), ("m.o", vec![])]
        {
            let lib = build_in(dir.path(), file, "m", dynamic, HOST);
            let mut args: Vec<String> =
                extra.iter().map(|s| s.replace("-L.", &format!("-L{}", dir.path().display()))).collect();
            if !file.ends_with(".so") {
                args = vec![lib.display().to_string(), "-lm".into(), "-lpthread".into()];
            }
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let exe = build_api_test("cc", &lib, "m", &args);
            let what = format!("api_test with {file} (dynamic batch: {dynamic})");
            assert_within(&run_api_test(&exe, &[], &raw), &stub::reference(&input), 1e-5, &what);
        }
    }
}

#[test]
fn two_models_link_into_one_program() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = build_in(d, "a.a", "alpha", true, HOST);
    let b = build_in(d, "b.o", "beta", false, HOST);
    let src = d.join("two.c");
    std::fs::write(
        &src,
        r#"#include "a.h"
#include "b.h"
#include <stdio.h>
#include <string.h>
static float in[4096], out[64];
int main(void) {
    alpha_context *a = alpha_create(2);
    beta_context *b = beta_create(1);
    if (!a || !b) return 1;
    if (alpha_run(a, in, out, 1) != VITC_OK || beta_run(b, in, out, 1) != VITC_OK) return 2;
    if (beta_run((beta_context *)a, in, out, 1) != VITC_ERR_CONTEXT) return 3;
    if (!strstr(beta_last_error(), "created by alpha_create")) return 4;
    if (alpha_max_batch() != 8 || beta_max_batch() != 1) return 5;
    alpha_destroy(a);
    beta_destroy(b);
    puts("ok");
    return 0;
}
"#,
    )
    .unwrap();
    let exe = d.join("two");
    let out = run_ok(
        Command::new("cc")
            .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-o"])
            .arg(&exe)
            .arg(&src)
            .arg(&a)
            .arg(&b)
            .args(["-lm", "-lpthread"])
            .current_dir(d),
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("warning"), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8(run_ok(&mut Command::new(&exe)).stdout).unwrap(), "ok\n");
}

#[test]
fn aarch64_output_runs_under_qemu() {
    require_tool("aarch64-linux-gnu-gcc");
    require_tool("qemu-aarch64");
    let dir = tempfile::tempdir().unwrap();
    let input = stub::input(1);
    let raw = dir.path().join("input.f32");
    write_raw(&raw, &input);
    let rpath = format!("-Wl,-rpath,{}", dir.path().display());
    for file in ["m.so", "m.a", "m.o"] {
        let lib = build_in(dir.path(), file, "m", true, Target::Aarch64Linux);
        let so_args = [format!("-L{}", dir.path().display()), "-l:m.so".into(), rpath.clone()];
        let args: Vec<String> = if file == "m.so" {
            so_args.to_vec()
        } else {
            vec![lib.display().to_string(), "-lm".into(), "-lpthread".into()]
        };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let exe = build_api_test("aarch64-linux-gnu-gcc", &lib, "m", &args);
        let out = run_api_test(&exe, &["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"], &raw);
        assert_within(&out, &stub::reference(&input), 1e-5, &format!("api_test with {file} on aarch64 (qemu)"));
    }
}

/// Compiles the glue, the runtime, the stub kernels and `runtime/c/tests/stress.c`
/// as one program with `-fsanitize=thread` and runs it: concurrent contexts
/// with 2–4 threads each, results bit-identical, no data race reported.
#[test]
fn stress_is_clean_under_thread_sanitizer() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let program = stub::program("stress", true, 4);
    let sources = vitc_link::c_sources(&program, "s", HOST, "s").unwrap();
    for (name, text) in [
        ("vitc_runtime.c", vitc_link::RUNTIME_C),
        ("vitc_runtime.h", vitc_link::RUNTIME_H),
        ("vitc_model.h", sources.header.as_str()),
        ("glue.c", sources.glue.as_str()),
        ("stub.c", stub::c_source("s").as_str()),
    ] {
        std::fs::write(d.join(name), text).unwrap();
    }
    let stress = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../runtime/c/tests/stress.c");
    let build = Command::new("cc")
        .args(["-std=c11", "-O1", "-g", "-fsanitize=thread", "-pthread", "-Wall", "-Wextra", "-Werror"])
        .args(["-include", "vitc_model.h", "-DMODEL=s", "glue.c", "stub.c"])
        .arg(&stress)
        .args(["-o", "stress", "-lm"])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "cc -fsanitize=thread failed (the ThreadSanitizer runtime comes with gcc from `bash .ci/setup`, \
         Debian: build-essential): {}",
        String::from_utf8_lossy(&build.stderr)
    );
    let out = run_ok(Command::new(d.join("stress")).env("TSAN_OPTIONS", "halt_on_error=1 exitcode=66"));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ok\n");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("ThreadSanitizer"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
