//! Bad input through the CLI: each case exits with status 2, prints an error
//! that names the problem (and the node or input where there is one), does
//! not panic, and leaves no output file behind.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

use prost::Message;
use std::path::{Path, PathBuf};
use std::process::Command;
use vitc_onnx::proto::{ModelProto, NodeProto};

fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/tiny_vit")
}

fn example_model() -> ModelProto {
    let bytes = std::fs::read(example_dir().join("tiny_vit.onnx")).unwrap();
    ModelProto::decode(bytes.as_slice()).unwrap()
}

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("vitc-bad-input-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `vitc run MODEL --input INPUT --output OUT` and checks the failure.
fn assert_run_fails(scratch: &Scratch, model: &Path, input: &Path, expected: &[&str]) {
    let out = scratch.path("out.npy");
    let result = Command::new(env!("CARGO_BIN_EXE_vitc"))
        .arg("run")
        .arg(model)
        .arg("--input")
        .arg(input)
        .arg("--output")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(2), "exit status; stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "vitc panicked: {stderr}");
    for needle in expected {
        assert!(stderr.contains(needle), "stderr lacks '{needle}': {stderr}");
    }
    assert!(!out.exists(), "a failed run left {}", out.display());
}

fn model_with(scratch: &Scratch, edit: impl FnOnce(&mut ModelProto)) -> PathBuf {
    let mut m = example_model();
    edit(&mut m);
    scratch.write("edited.onnx", &m.encode_to_vec())
}

fn input() -> PathBuf {
    example_dir().join("input.npy")
}

#[test]
fn truncated_model() {
    let s = Scratch::new("truncated");
    let bytes = std::fs::read(example_dir().join("tiny_vit.onnx")).unwrap();
    let model = s.write("truncated.onnx", &bytes[..bytes.len() / 2]);
    assert_run_fails(&s, &model, &input(), &["truncated.onnx", "truncated or corrupt"]);
}

#[test]
fn random_bytes() {
    let s = Scratch::new("random");
    let bytes = vitc_testkit::Rng::new(4).bytes(4096);
    let model = s.write("random.onnx", &bytes);
    assert_run_fails(&s, &model, &input(), &["random.onnx"]);
}

#[test]
fn protobuf_that_is_not_a_model() {
    let s = Scratch::new("notmodel");
    let tensor =
        vitc_onnx::proto::TensorProto { dims: vec![2], data_type: 1, float_data: vec![1.0, 2.0], ..Default::default() };
    let model = s.write("tensor.onnx", &tensor.encode_to_vec());
    assert_run_fails(&s, &model, &input(), &["not an ONNX model"]);
}

#[test]
fn missing_initializer() {
    let s = Scratch::new("missinginit");
    let model = model_with(&s, |m| {
        let g = m.graph.as_mut().unwrap();
        g.initializer.retain(|t| t.name != "blocks.0.attn.qkv.weight_t");
    });
    assert_run_fails(&s, &model, &input(), &["blocks.0.attn.qkv.weight_t", "/blocks.0.attn.qkv/MatMul"]);
}

#[test]
fn unknown_op() {
    let s = Scratch::new("unknownop");
    let model = model_with(&s, |m| {
        let g = m.graph.as_mut().unwrap();
        let n = g.node.iter_mut().find(|n| n.op_type == "Erf").unwrap();
        n.op_type = "FancyErf".into();
    });
    assert_run_fails(&s, &model, &input(), &["FancyErf", "/blocks.0/mlp/act/Erf"]);
}

#[test]
fn cyclic_graph() {
    let s = Scratch::new("cycle");
    let model = model_with(&s, |m| {
        let g = m.graph.as_mut().unwrap();
        // Feed the last block's output back into the first LayerNorm.
        let last = g.node.iter().find(|n| n.name == "/blocks.1/Add_1").unwrap().output[0].clone();
        let first: &mut NodeProto = g.node.iter_mut().find(|n| n.name == "/blocks.0.norm1/LayerNormalization").unwrap();
        first.input[0] = last;
    });
    assert_run_fails(&s, &model, &input(), &["cycle"]);
}

#[test]
fn nonexistent_model_path() {
    let s = Scratch::new("nopath");
    assert_run_fails(&s, &s.path("does-not-exist.onnx"), &input(), &["does-not-exist.onnx"]);
}

#[test]
fn input_of_wrong_rank() {
    let s = Scratch::new("rank");
    let t = vitc_ir::Tensor::F32(vitc_ir::ndarray::ArrayD::zeros(vitc_ir::ndarray::IxDyn(&[3, 32, 32])));
    let bad = s.write("rank3.npy", &vitc_ir::npy::encode_npy(&t));
    let model = example_dir().join("tiny_vit.onnx");
    assert_run_fails(&s, &model, &bad, &["input", "[1,3,32,32]", "[3,32,32]", "rank 3 instead of 4"]);
}

#[test]
fn input_of_wrong_dtype() {
    let s = Scratch::new("dtype");
    let t = vitc_ir::Tensor::I64(vitc_ir::ndarray::ArrayD::zeros(vitc_ir::ndarray::IxDyn(&[1, 3, 32, 32])));
    let bad = s.write("int.npy", &vitc_ir::npy::encode_npy(&t));
    let model = example_dir().join("tiny_vit.onnx");
    assert_run_fails(&s, &model, &bad, &["input", "i64", "f32"]);
}

#[test]
fn npy_that_is_not_npy() {
    let s = Scratch::new("notnpy");
    let bad = s.write("garbage.npy", b"definitely not numpy");
    let model = example_dir().join("tiny_vit.onnx");
    assert_run_fails(&s, &model, &bad, &["garbage.npy", "not a valid .npy"]);
}

#[test]
fn npy_header_that_numpy_refuses() {
    let s = Scratch::new("badheader");
    let model = example_dir().join("tiny_vit.onnx");
    let good = std::fs::read(input()).unwrap();
    // The header of the example input, with one key renamed: numpy.load
    // raises "Header does not contain the correct keys".
    let at = good.windows(7).position(|w| w == b"'shape'").unwrap();
    let mut bad = good.clone();
    bad[at..at + 7].copy_from_slice(b"'shope'");
    let bad = s.write("renamed_key.npy", &bad);
    assert_run_fails(&s, &model, &bad, &["renamed_key.npy", "unexpected key 'shope'"]);
}

#[test]
fn unknown_cli_flag_is_a_usage_error() {
    let result = Command::new(env!("CARGO_BIN_EXE_vitc")).args(["run", "--bogus"]).output().unwrap();
    assert_eq!(result.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&result.stderr).contains("--bogus"));
}

#[test]
fn embedded_example_runs_and_matches_onnx_runtime() {
    let s = Scratch::new("example");
    let out = s.path("y.npy");
    let result = Command::new(env!("CARGO_BIN_EXE_vitc")).arg("run").arg("--output").arg(&out).output().unwrap();
    assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
    assert!(String::from_utf8_lossy(&result.stdout).contains("output[0] top-5: "));
    let ours = vitc_ir::npy::read_npy(&out).unwrap().to_f64_vec();
    let reference = vitc_ir::npy::read_npy(&example_dir().join("output.npy")).unwrap().to_f64_vec();
    let max_ref = reference.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let max_diff = ours.iter().zip(&reference).fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    assert!(max_diff <= 1e-4 * max_ref, "max diff {max_diff} vs max|ref| {max_ref}");
}

/// `vitc compile MODEL -o OUT` with `extra` flags: exit 2, the expected words
/// on stderr, no OS error text printed twice.
fn assert_compile_fails(model: &Path, out: &Path, expected: &[&str]) -> String {
    let result =
        Command::new(env!("CARGO_BIN_EXE_vitc")).arg("compile").arg(model).arg("-o").arg(out).output().unwrap();
    let stderr = String::from_utf8_lossy(&result.stderr).into_owned();
    assert_eq!(result.status.code(), Some(2), "exit status; stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "vitc panicked: {stderr}");
    for needle in expected {
        assert!(stderr.contains(needle), "stderr lacks '{needle}': {stderr}");
    }
    stderr
}

#[test]
fn library_path_that_is_a_directory_writes_no_header() {
    let s = Scratch::new("outdir");
    let out = s.path("model.so");
    std::fs::create_dir(&out).unwrap();
    let old_header = s.write("model.h", b"/* the user's own header */\n");
    assert_compile_fails(&example_dir().join("tiny_vit.onnx"), &out, &["model.so", "is a directory"]);
    assert_eq!(
        std::fs::read(&old_header).unwrap(),
        b"/* the user's own header */\n",
        "the existing header was overwritten"
    );
    let left: Vec<_> = std::fs::read_dir(&s.0).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left.len(), 2, "files left behind: {left:?}");
}

#[test]
fn header_path_that_is_a_directory_writes_no_library() {
    let s = Scratch::new("hdrdir");
    std::fs::create_dir(s.path("model.h")).unwrap();
    let out = s.path("model.so");
    assert_compile_fails(&example_dir().join("tiny_vit.onnx"), &out, &["model.h", "is a directory"]);
    assert!(!out.exists(), "a failed compile left {}", out.display());
}

#[test]
fn os_errors_are_printed_once() {
    let s = Scratch::new("oserr");
    let result = Command::new(env!("CARGO_BIN_EXE_vitc")).arg("inspect").arg(&s.0).output().unwrap();
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(2), "stderr: {stderr}");
    assert_eq!(stderr.matches("os error").count(), 1, "the OS error is repeated: {stderr}");
}

/// Runs `vitc ARGS…`, which must fail within 10 s with exit 2, no panic, and
/// every `expected` text on stderr.
fn assert_fails_fast(args: &[&std::ffi::OsStr], expected: &[&str]) {
    let start = std::time::Instant::now();
    let result = Command::new(env!("CARGO_BIN_EXE_vitc")).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(2), "{args:?}: exit status; stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?}: vitc panicked: {stderr}");
    for needle in expected {
        assert!(stderr.contains(needle), "{args:?}: stderr lacks '{needle}': {stderr}");
    }
    assert!(start.elapsed().as_secs() < 10, "{args:?} took {:?}", start.elapsed());
}

/// The example model with the patch-embedding Conv's attribute `name` set
/// to `values`.
fn conv_attribute(s: &Scratch, name: &str, values: Vec<i64>) -> PathBuf {
    model_with(s, |m| {
        let conv = &mut m.graph.as_mut().unwrap().node[0];
        assert_eq!(conv.op_type, "Conv");
        conv.attribute.retain(|a| a.name != name);
        conv.attribute.push(vitc_onnx::proto::AttributeProto {
            name: name.to_string(),
            r#type: 7, // INTS
            ints: values,
            ..Default::default()
        });
    })
}

#[test]
fn huge_pads_are_rejected_early_by_every_command() {
    let s = Scratch::new("hugepads");
    let model = conv_attribute(&s, "pads", vec![1 << 40; 4]);
    let so = s.path("m.so");
    let m = model.as_os_str();
    let expected = ["/patch_embed/proj/Conv", "attribute 'pads' value 1099511627776 is beyond the limit of 65536"];
    assert_fails_fast(&["inspect".as_ref(), m], &expected);
    assert_fails_fast(&["compile".as_ref(), m, "--emit".as_ref(), "ir".as_ref()], &expected);
    assert_fails_fast(&["compile".as_ref(), m, "-o".as_ref(), so.as_os_str()], &expected);
    assert_fails_fast(&["run".as_ref(), m], &expected);
    assert!(!so.exists() && !s.path("m.h").exists(), "a failed compile left output");
}

#[test]
fn huge_kernel_is_rejected_early() {
    let s = Scratch::new("hugekernel");
    let model = conv_attribute(&s, "strides", vec![1, 1 << 40]);
    let m = model.as_os_str();
    assert_fails_fast(&["compile".as_ref(), m, "--emit".as_ref(), "asm".as_ref()], &["beyond the limit"]);
}

#[test]
fn huge_graph_input_is_rejected_before_the_demo_input_is_built() {
    let s = Scratch::new("hugeinput");
    let model = model_with(&s, |m| {
        use vitc_onnx::proto::tensor_shape_proto::dimension::Value;
        let input = &mut m.graph.as_mut().unwrap().input[0];
        let shape = input.r#type.as_mut().unwrap().value.as_mut().unwrap();
        let vitc_onnx::proto::type_proto::Value::TensorType(t) = shape else { panic!("not a tensor input") };
        for d in &mut t.shape.as_mut().unwrap().dim[2..] {
            d.value = Some(Value::DimValue(1 << 20));
        }
    });
    assert_fails_fast(&["run".as_ref(), model.as_os_str()], &["input", "elements, more than the limit of 1073741824"]);
}

#[test]
fn conv_of_integers_names_the_conv() {
    let s = Scratch::new("intconv");
    let model = model_with(&s, |m| {
        let input = &mut m.graph.as_mut().unwrap().input[0];
        let vitc_onnx::proto::type_proto::Value::TensorType(t) = input.r#type.as_mut().unwrap().value.as_mut().unwrap()
        else {
            panic!("not a tensor input")
        };
        t.elem_type = 7; // INT64
    });
    assert_fails_fast(
        &["compile".as_ref(), model.as_os_str(), "--emit".as_ref(), "ir".as_ref()],
        &["/patch_embed/proj/Conv", "input is i64 and weights are f32; both must be f32"],
    );
}

#[test]
fn interrupted_link_leaves_no_temporary_folder() {
    // DeiT-Ti links a 23 MB library: its `.vitc-link-*` folder lives long
    // enough to be seen; SIGTERM then must leave nothing behind.
    let s = Scratch::new("sigterm");
    let model = vitc_testkit::model_file("deit_tiny_patch16_224.onnx");
    let out = s.path("m.so");
    let mut child = Command::new(env!("CARGO_BIN_EXE_vitc"))
        .arg("compile")
        .arg(&model)
        .arg("-o")
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let link_dir = || {
        std::fs::read_dir(&s.0).unwrap().any(|e| e.unwrap().file_name().to_string_lossy().starts_with(".vitc-link-"))
    };
    let start = std::time::Instant::now();
    while !link_dir() {
        assert!(child.try_wait().unwrap().is_none(), "vitc finished before its link folder was seen");
        assert!(start.elapsed().as_secs() < 60, "no link folder appeared");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: sending a signal to our own child process, which has not been
    // waited for yet (so the pid cannot have been reused).
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let status = child.wait().unwrap();
    assert!(!status.success(), "vitc was not interrupted: {status}");
    let left: Vec<_> = std::fs::read_dir(&s.0).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "an interrupted compile left {left:?}");
}

#[test]
fn memory_limit_is_checked_before_allocating() {
    let model = example_dir().join("tiny_vit.onnx");
    let m = model.as_os_str();
    let flag = |v: &'static str| -> [&std::ffi::OsStr; 2] { ["--max-memory".as_ref(), v.as_ref()] };
    let compile = ["compile".as_ref(), m, "--emit".as_ref(), "kernels".as_ref()];
    assert_fails_fast(
        &[&compile[..], &flag("64K")].concat(),
        &["more than the memory limit of 65536 bytes (--max-memory)"],
    );
    assert_fails_fast(&[&["run".as_ref(), m][..], &flag("1K")].concat(), &["more than the memory limit of 1024 bytes"]);
    assert_fails_fast(&[&compile[..], &flag("0")].concat(), &["'0' is not a size"]);
    assert_fails_fast(&[&compile[..], &flag("3X")].concat(), &["'3X' is not a size"]);
    // The same model fits the default limit and a generous explicit one.
    let ok = Command::new(env!("CARGO_BIN_EXE_vitc")).args([&compile[..], &flag("1G")].concat()).output().unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
}

/// Runs `vitc ARGS…` with a file-size limit of zero bytes, which makes every
/// write fail as a full disk does (EFBIG; SIGXFSZ is ignored so the write
/// returns the error instead of killing the process).
fn vitc_on_a_full_disk(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 0 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_vitc"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn full_disk_leaves_no_temporary_file() {
    let s = Scratch::new("fulldisk");
    let model = example_dir().join("tiny_vit.onnx");
    let ir = s.path("model.ir");
    let logits = s.path("logits.npy");
    let input = input();
    let cases: [Vec<&std::ffi::OsStr>; 2] = [
        vec!["compile".as_ref(), model.as_ref(), "--emit".as_ref(), "ir".as_ref(), "-o".as_ref(), ir.as_ref()],
        vec!["run".as_ref(), model.as_ref(), "--input".as_ref(), input.as_ref(), "--output".as_ref(), logits.as_ref()],
    ];
    for (args, out) in cases.iter().zip([&ir, &logits]) {
        let result = vitc_on_a_full_disk(args);
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert_eq!(result.status.code(), Some(2), "{args:?}: exit status; stderr: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: vitc panicked: {stderr}");
        let name = out.file_name().unwrap().to_string_lossy();
        assert!(stderr.contains(&format!("writing {}", out.display())), "{args:?}: no path in: {stderr}");
        assert!(stderr.contains("File too large"), "{args:?}: no OS reason in: {stderr}");
        let left: Vec<_> = std::fs::read_dir(&s.0).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(left.is_empty(), "{args:?}: writing {name} left {left:?}");
    }
    // With stderr itself redirected to the full disk, the message is lost but
    // the exit status still says what happened (2, not a panic's 101).
    let stderr_file = std::env::temp_dir().join(format!("vitc-fulldisk-stderr-{}", std::process::id()));
    let result = Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 0 && exec \"$0\" \"$@\" 2>\"$STDERR_FILE\"")
        .arg(env!("CARGO_BIN_EXE_vitc"))
        .args(&cases[0])
        .env("STDERR_FILE", &stderr_file)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&stderr_file);
    assert_eq!(result.status.code(), Some(2), "with stderr on the full disk: {result:?}");
}
