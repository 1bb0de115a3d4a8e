//! Linking the stub model: each output kind, what a `.so` depends on and
//! exports, generated C that compiles warning-free, and failures that leave
//! nothing behind.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

mod support;

use std::process::Command;
use support::{build, run_ok};
use vitc_link::{LinkError, LinkOptions, Target, c_sources, link, stub};

const HOST: Target = Target::X86_64Linux;

#[test]
fn shared_library_depends_only_on_libc_libm_libpthread() {
    let b = build("model.so", "model", true, HOST);
    let dynamic = String::from_utf8(run_ok(Command::new("readelf").arg("-d").arg(&b.lib)).stdout).unwrap();
    let needed: Vec<&str> = dynamic
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .map(|l| l.rsplit('[').next().unwrap().trim_end_matches(']'))
        .collect();
    assert!(!needed.is_empty(), "{dynamic}");
    // ld-linux (glibc's dynamic loader) provides __tls_get_addr for the thread-local error message.
    for lib in &needed {
        let glibc = ["libc.so.6", "libm.so.6", "libpthread.so.0"].contains(lib) || lib.starts_with("ld-linux");
        assert!(glibc, "unexpected dependency {lib}");
    }
    assert!(dynamic.contains("Library soname: [model.so]"), "{dynamic}");
    assert!(!dynamic.contains("TEXTREL"), "text relocations: {dynamic}");
    let ldd = String::from_utf8(run_ok(Command::new("ldd").arg(&b.lib)).stdout).unwrap();
    assert!(!ldd.contains("not found"), "{ldd}");
    let stack = String::from_utf8(run_ok(Command::new("readelf").arg("-lW").arg(&b.lib)).stdout).unwrap();
    let gnu_stack = stack.lines().find(|l| l.contains("GNU_STACK")).unwrap();
    assert!(!gnu_stack.contains("RWE"), "executable stack: {gnu_stack}");
}

#[test]
fn shared_library_exports_only_the_api() {
    let b = build("model.so", "model", true, HOST);
    let nm = String::from_utf8(run_ok(Command::new("nm").args(["-D", "--defined-only"]).arg(&b.lib)).stdout).unwrap();
    let mut exported: Vec<&str> = nm.lines().filter_map(|l| l.split_whitespace().nth(2)).collect();
    exported.sort_unstable();
    let mut expected: Vec<String> = vitc_link::API_FUNCTIONS.iter().map(|f| format!("model_{f}")).collect();
    expected.push(vitc_link::PREFIX_SYMBOL.into());
    expected.sort_unstable();
    assert_eq!(exported, expected);
}

#[test]
fn object_and_archive_keep_only_the_api_global() {
    for file in ["model.o", "model.a"] {
        let b = build(file, "model", false, HOST);
        let nm =
            String::from_utf8(run_ok(Command::new("nm").args(["-g", "--defined-only"]).arg(&b.lib)).stdout).unwrap();
        let globals: Vec<&str> = nm.lines().filter_map(|l| l.split_whitespace().nth(2)).collect();
        assert_eq!(globals.len(), vitc_link::API_FUNCTIONS.len() + 1, "{file}: {nm}");
        assert!(globals.iter().all(|s| s.starts_with("model_") || *s == "vitc_model_prefix"), "{file}: {nm}");
        assert!(!globals.contains(&"model_k0") && !globals.contains(&"model_weights"), "{file}: {nm}");
    }
}

#[test]
fn generated_c_compiles_without_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (dynamic, prefix) in [(true, "dyn"), (false, "stat")] {
        let program = stub::program("quote\" and */ and \\ and é", dynamic, 4);
        let sources = c_sources(&program, prefix, HOST, prefix).unwrap();
        std::fs::write(d.join("vitc_runtime.c"), vitc_link::RUNTIME_C).unwrap();
        std::fs::write(d.join("vitc_runtime.h"), vitc_link::RUNTIME_H).unwrap();
        std::fs::write(d.join("vitc_model.h"), &sources.header).unwrap();
        std::fs::write(d.join("glue.c"), &sources.glue).unwrap();
        for std in ["-std=c11", "-std=c17", "-std=gnu11"] {
            run_ok(
                Command::new("cc")
                    .args([std, "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic"])
                    .args(["-c", "glue.c", "-o", "glue.o"])
                    .current_dir(d),
            );
        }
        // The header alone, from C and C++.
        std::fs::write(d.join("use.c"), "#include \"vitc_model.h\"\nint main(void) { return 0; }\n").unwrap();
        run_ok(
            Command::new("cc")
                .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-c", "use.c"])
                .current_dir(d),
        );
        vitc_testkit::require_tool("c++");
        std::fs::write(d.join("use.cc"), "#include \"vitc_model.h\"\nint main() { return 0; }\n").unwrap();
        run_ok(Command::new("c++").args(["-Wall", "-Wextra", "-Werror", "-c", "use.cc"]).current_dir(d));
    }
    // The runtime on its own, with external linkage.
    run_ok(
        Command::new("cc")
            .args(["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic", "-DVITC_RT_API=", "-c"])
            .arg(d.join("vitc_runtime.c"))
            .arg("-o")
            .arg(d.join("rt.o")),
    );
}

#[test]
fn header_documents_shapes_and_batch() {
    let dynamic = c_sources(&stub::program("m", true, 16), "m", HOST, "m").unwrap().header;
    assert!(dynamic.contains("shape [batch, 64, 64]"), "{dynamic}");
    assert!(dynamic.contains("#define M_MAX_BATCH 16"), "{dynamic}");
    assert!(dynamic.contains("#define M_INPUT_LEN 4096"), "{dynamic}");
    assert!(dynamic.contains("m_context *m_create(int threads);"), "{dynamic}");
    assert!(dynamic.contains("cc app.c -L. -l:m.so"), "{dynamic}");
    let fixed = c_sources(&stub::program("m", false, 16), "m", HOST, "m").unwrap().header;
    assert!(fixed.contains("shape [1, 64, 64]") && fixed.contains("#define M_MAX_BATCH 1"), "{fixed}");
    assert!(fixed.contains("`batch` must be 1"), "{fixed}");
}

fn assert_left_nothing(dir: &std::path::Path) {
    let left: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn failures_leave_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.so");
    let program = stub::program("m", true, 4);
    let object = stub::object("m", HOST).unwrap();
    let opts = |prefix: &str| LinkOptions { prefix: prefix.into(), target: HOST };

    // The object defines m_k*, not other_k*: the link fails on undefined symbols.
    let err = link(&program, std::slice::from_ref(&object), &opts("other"), &out).unwrap_err();
    assert!(matches!(err, LinkError::Tool { .. }), "{err}");
    assert!(err.to_string().contains("other_k0"), "{err}");
    assert_left_nothing(dir.path());

    let err = link(&program, std::slice::from_ref(&object), &opts("m"), &dir.path().join("m.dll")).unwrap_err();
    assert!(err.to_string().contains(".so, .o or .a"), "{err}");
    let err = link(&program, std::slice::from_ref(&object), &opts("9m"), &out).unwrap_err();
    assert!(matches!(err, LinkError::BadPrefix(_)), "{err}");
    let err = link(&program, &[b"not an object".to_vec()], &opts("m"), &out).unwrap_err();
    assert!(err.to_string().contains("not a 64-bit little-endian ELF"), "{err}");
    let err = link(&program, &[object.clone(), b"not an object".to_vec()], &opts("m"), &out).unwrap_err();
    assert!(err.to_string().contains("not a 64-bit little-endian ELF"), "every object is checked: {err}");
    let err = link(&program, &[], &opts("m"), &out).unwrap_err();
    assert!(err.to_string().contains("no object"), "{err}");
    let err = link(
        &program,
        std::slice::from_ref(&object),
        &LinkOptions { prefix: "m".into(), target: Target::Aarch64Linux },
        &out,
    )
    .unwrap_err();
    assert!(err.to_string().contains("built for x86_64-linux, the target is aarch64-linux"), "{err}");

    let mut two_inputs = program.clone();
    two_inputs.inputs.push(two_inputs.inputs[0].clone());
    let err = link(&two_inputs, std::slice::from_ref(&object), &opts("m"), &out).unwrap_err();
    assert!(err.to_string().contains("one input and one output; this model has 2 input(s)"), "{err}");
    let mut outside = program.clone();
    outside.outputs[0].offset = outside.arena_len;
    let err = link(&outside, std::slice::from_ref(&object), &opts("m"), &out).unwrap_err();
    assert!(err.to_string().contains("outside the arena"), "{err}");
    let mut int_output = program.clone();
    int_output.outputs[0].dtype = vitc_lower::DType::I64;
    let err = link(&int_output, std::slice::from_ref(&object), &opts("m"), &out).unwrap_err();
    assert!(matches!(err, LinkError::NonF32Io { what: "output", .. }), "{err}");
    assert!(err.to_string().contains("output 'output' is i64; the C API passes f32 tensors only"), "{err}");
    let err = link(&program, std::slice::from_ref(&object), &opts("m"), &dir.path().join("missing/m.so")).unwrap_err();
    assert!(matches!(err, LinkError::Io { .. }), "{err}");
    assert_left_nothing(dir.path());

    // A success replaces an older output and header.
    std::fs::write(&out, b"old").unwrap();
    std::fs::write(dir.path().join("m.h"), b"old").unwrap();
    link(&program, std::slice::from_ref(&object), &opts("m"), &out).unwrap();
    assert!(std::fs::read(&out).unwrap().starts_with(b"\x7fELF"));
    assert!(std::fs::read_to_string(dir.path().join("m.h")).unwrap().contains("m_run"));
    let mut names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    names.sort();
    assert_eq!(names, ["m.h", "m.so"]);
}
