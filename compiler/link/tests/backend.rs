//! The Cranelift backend's object through the linker and the runtime: a
//! hand-built program (GEMM, ReLU, GEMM: kernels the backend implements) is
//! compiled, linked into a `.so` and run with several thread counts and
//! batches; results equal `vitc_lower::reference` within rounding and are
//! bit-identical whatever the thread count (kernels computed in chunks).

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

mod support;

use vitc_link::{LinkOptions, Target, link, stub};
use vitc_loader::ModelLibrary;
use vitc_lower::Gemm;
use vitc_lower::IoSlot;
use vitc_testkit::assert_within;

/// The stub program without its final reduction, the ReLU fused into the
/// first GEMM (the backend refuses the stub's in-place map: a kernel may not
/// read what it writes); the output is the second GEMM's result.
fn backend_program() -> vitc_lower::Program {
    let mut program = stub::program("gemm_relu_gemm", true, 4);
    program.kernels.truncate(3);
    program.kernels.remove(1);
    if let vitc_lower::Kernel::Gemm(Gemm { act, .. }) = &mut program.kernels[0] {
        *act = vitc_lower::Activation::Relu;
    }
    program.outputs[0] =
        IoSlot { name: "y".into(), dims: vec![1, stub::N, stub::N], offset: 0, dtype: vitc_lower::DType::F32 };
    program
}

#[test]
fn backend_object_runs_chunked_on_any_thread_count() {
    let program = backend_program();
    let target = vitc_backend_cranelift::Target::parse("x86_64-linux").unwrap();
    let object = vitc_backend_cranelift::compile_object(&program, "grg", &target).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("grg.so");
    link(
        &program,
        std::slice::from_ref(&object),
        &LinkOptions { prefix: "grg".into(), target: Target::X86_64Linux },
        &out,
    )
    .unwrap();
    let lib = ModelLibrary::open(&out, None).unwrap();
    let batch = 3;
    let input = stub::input(batch);
    let expected = vitc_lower::reference::execute_batch(&program, &[&input], batch, 1).unwrap().remove(0);
    let mut first: Option<Vec<f32>> = None;
    for threads in [1, 2, 3, 5] {
        let mut out = vec![f32::NAN; batch * stub::INPUT_LEN];
        lib.context(threads).unwrap().run(&input, &mut out, batch).unwrap();
        assert_within(&out, &expected, 1e-5, &format!("{threads} thread(s)"));
        match &first {
            None => first = Some(out),
            Some(f) => assert!(f.iter().zip(&out).all(|(a, b)| a.to_bits() == b.to_bits()), "threads {threads}"),
        }
    }
}

/// A shared library must not need relocations in read-only sections
/// (`DT_TEXTREL`): hardened systems refuse to load it, and every process
/// gets private copies of the relocated pages. Nor may the object, linked
/// into a PIE executable, make the linker warn.
#[test]
fn backend_object_links_without_text_relocations() {
    let program = backend_program();
    let target = vitc_backend_cranelift::Target::parse("x86_64-linux").unwrap();
    let object = vitc_backend_cranelift::compile_object(&program, "grg", &target).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let so = dir.path().join("grg.so");
    link(
        &program,
        std::slice::from_ref(&object),
        &LinkOptions { prefix: "grg".into(), target: Target::X86_64Linux },
        &so,
    )
    .unwrap();
    let dynamic = support::run_ok(std::process::Command::new("readelf").arg("-d").arg(&so)).stdout;
    let dynamic = String::from_utf8_lossy(&dynamic);
    assert!(!dynamic.contains("TEXTREL"), "the .so has text relocations (absolute pointers in .eh_frame?): {dynamic}");
    let a = dir.path().join("grg.a");
    link(
        &program,
        std::slice::from_ref(&object),
        &LinkOptions { prefix: "grg".into(), target: Target::X86_64Linux },
        &a,
    )
    .unwrap();
    let out = support::run_ok(
        std::process::Command::new("cc")
            .args(["-std=c11", "-pie", "-fPIE", "-include"])
            .arg(dir.path().join("grg.h"))
            .arg("-DMODEL=grg")
            .arg(support::api_test_source())
            .arg(&a)
            .args(["-lm", "-lpthread", "-o"])
            .arg(dir.path().join("pie")),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("warning"), "linking the .a into a PIE executable: {stderr}");
}

#[test]
fn backend_aarch64_object_runs_under_qemu() {
    vitc_testkit::require_tool("aarch64-linux-gnu-gcc");
    vitc_testkit::require_tool("qemu-aarch64");
    let mut program = backend_program();
    program.batch = vitc_lower::BatchPlan { dynamic: false, max_batch: 1 };
    let target = vitc_backend_cranelift::Target::parse("aarch64-linux").unwrap();
    let object = vitc_backend_cranelift::compile_object(&program, "grg", &target).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = stub::input(1);
    let raw = dir.path().join("input.f32");
    support::write_raw(&raw, &input);
    for file in ["grg.so", "grg.a"] {
        let out = dir.path().join(file);
        link(
            &program,
            std::slice::from_ref(&object),
            &LinkOptions { prefix: "grg".into(), target: Target::Aarch64Linux },
            &out,
        )
        .unwrap();
        let args: Vec<String> = if file.ends_with(".so") {
            vec![
                format!("-L{}", dir.path().display()),
                "-l:grg.so".into(),
                format!("-Wl,-rpath,{}", dir.path().display()),
            ]
        } else {
            vec![out.display().to_string(), "-lm".into(), "-lpthread".into()]
        };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let exe = support::build_api_test("aarch64-linux-gnu-gcc", &out, "grg", &args);
        let run = support::run_ok(
            std::process::Command::new("qemu-aarch64").args(["-L", "/usr/aarch64-linux-gnu"]).arg(&exe).arg(&raw),
        );
        let expected = vitc_lower::reference::execute(&program, &[&input], 1).unwrap().remove(0);
        assert_within(&support::parse_floats(&run.stdout), &expected, 1e-5, &format!("api_test with {file} (qemu)"));
    }
}
