//! The fuzz harness: mutated models through the whole CLI (`compile --emit
//! kernels|asm`, `compile -o X.so` with the link, `run` on the interpreter,
//! `inspect`; with the `llvm` feature, also `--backend llvm --emit asm`),
//! each in its own process, so aborts, signals and hangs are caught as well
//! as panics.
//!
//! Every execution must end within 10 s (30 s for the interpreter, which
//! may run a valid but large mutant, for the link and for LLVM) with exit 0 or 2,
//! print no panic, and leave no file (output, header, temporary file or
//! link folder) when it failed. A failing input is saved under
//! `target/fuzz-failures/` and named in the test failure.
//!
//! - `fuzz_seeded_run`: a short, seeded run (`VITC_FUZZ_EXECS`, default 400
//!   executions); `VITC_FUZZ_SECONDS=3600` runs for that long instead and
//!   `VITC_FUZZ_SEED` picks the seed. It prints executions per second.
//! - `fuzz_corpus_replays`: every model in `tests/fuzz-corpus/` (hand-made
//!   cases from issue #14 and every failure a run has found) goes through
//!   each command.
//!
//! The mutations mix byte-level damage (overwritten bytes, truncation) with
//! model-level edits that keep the protobuf valid: attribute values and
//! graph-input dimensions set to extreme values, op types swapped, inputs,
//! initializers and nodes dropped, element types changed.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

use prost::Message;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use vitc_onnx::proto::ModelProto;
use vitc_testkit::{Rng, repo_root};

/// Integers that break arithmetic.
const EXTREMES: [i64; 10] = [0, -1, 1, 2, 7, 1 << 16, 1 << 31, 1 << 40, i64::MAX, i64::MIN];
/// Op types a node may be switched to.
const OPS: [&str; 14] = [
    "Relu",
    "Conv",
    "MaxPool",
    "AveragePool",
    "Softmax",
    "Gather",
    "Reshape",
    "Transpose",
    "Pad",
    "Resize",
    "Mod",
    "Concat",
    "ReduceMean",
    "NoSuchOp",
];

/// The models mutations start from: the valid ones (the example model and
/// the corpus's `valid_*`), then the rest of the corpus.
fn seeds() -> (Vec<ModelProto>, Vec<ModelProto>) {
    let decode =
        |f: &PathBuf| ModelProto::decode(std::fs::read(f).unwrap().as_slice()).unwrap_or_else(|e| panic!("{f:?}: {e}"));
    let mut valid = vec![decode(&repo_root().join("examples/tiny_vit/tiny_vit.onnx"))];
    let mut broken = Vec::new();
    for f in corpus() {
        let named_valid = f.file_name().is_some_and(|n| n.to_string_lossy().starts_with("valid_"));
        if named_valid { valid.push(decode(&f)) } else { broken.push(decode(&f)) }
    }
    (valid, broken)
}

fn corpus() -> Vec<PathBuf> {
    let dir = repo_root().join("tests/fuzz-corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "onnx"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} holds no models", dir.display());
    files
}

/// One model-level mutation of `m`.
fn mutate_model(m: &mut ModelProto, rng: &mut Rng) {
    let Some(g) = m.graph.as_mut() else { return };
    match rng.below(6) {
        0 => {
            // An integer attribute set to an extreme value.
            let nodes: Vec<usize> = (0..g.node.len())
                .filter(|&i| g.node[i].attribute.iter().any(|a| !a.ints.is_empty() || a.i != 0))
                .collect();
            if let Some(&n) = nodes.get(rng.below(nodes.len().max(1))) {
                let attrs = &mut g.node[n].attribute;
                let k = rng.below(attrs.len());
                let a = &mut attrs[k];
                let v = EXTREMES[rng.below(EXTREMES.len())];
                if a.ints.is_empty() {
                    a.i = v;
                } else {
                    let k = rng.below(a.ints.len());
                    a.ints[k] = v;
                }
            }
        }
        1 => {
            // A graph-input dimension set to an extreme value.
            use vitc_onnx::proto::tensor_shape_proto::dimension::Value;
            use vitc_onnx::proto::type_proto::Value as Type;
            if let Some(Some(Type::TensorType(t))) =
                g.input.first_mut().and_then(|i| i.r#type.as_mut()).map(|t| t.value.as_mut())
                && let Some(shape) = t.shape.as_mut()
                && !shape.dim.is_empty()
            {
                let k = rng.below(shape.dim.len());
                shape.dim[k].value = Some(Value::DimValue(EXTREMES[rng.below(EXTREMES.len())]));
            }
        }
        2 if !g.node.is_empty() => {
            let n = rng.below(g.node.len());
            g.node[n].op_type = OPS[rng.below(OPS.len())].to_string();
        }
        3 if !g.node.is_empty() => {
            let n = rng.below(g.node.len());
            if rng.below(2) == 0 {
                g.node.remove(n);
            } else if !g.node[n].input.is_empty() {
                let k = rng.below(g.node[n].input.len());
                g.node[n].input.remove(k);
            }
        }
        4 if !g.initializer.is_empty() => {
            let k = rng.below(g.initializer.len());
            if rng.below(2) == 0 {
                g.initializer.remove(k);
            } else if let Some(d) = g.initializer[k].dims.first_mut() {
                *d = EXTREMES[rng.below(EXTREMES.len())];
            }
        }
        _ => {
            use vitc_onnx::proto::type_proto::Value as Type;
            if let Some(Some(Type::TensorType(t))) =
                g.input.first_mut().and_then(|i| i.r#type.as_mut()).map(|t| t.value.as_mut())
            {
                t.elem_type = [0, 2, 7, 9, 10, 11, 99][rng.below(7)];
            }
        }
    }
}

/// A mutant of one of the seeds (a valid one four times in five):
/// model-level edits, then sometimes byte damage.
fn mutant(seeds: &(Vec<ModelProto>, Vec<ModelProto>), rng: &mut Rng) -> Vec<u8> {
    let pool = if seeds.1.is_empty() || rng.below(5) > 0 { &seeds.0 } else { &seeds.1 };
    let mut m = pool[rng.below(pool.len())].clone();
    for _ in 0..rng.below(3) {
        mutate_model(&mut m, rng);
    }
    let mut bytes = m.encode_to_vec();
    // Overwritten bytes mostly land in weights: a valid model with odd
    // values, which goes all the way through.
    match rng.below(6) {
        0 | 2 | 3 if !bytes.is_empty() => {
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(bytes.len());
                bytes[at] = rng.byte();
            }
        }
        1 => bytes.truncate(rng.below(bytes.len() + 1)),
        _ => {}
    }
    bytes
}

/// What one execution runs.
#[derive(Clone, Copy, Debug, PartialEq)]
enum FuzzCommand {
    EmitKernels,
    EmitAsm,
    EmitLlvmAsm,
    Link,
    Interpret,
    Inspect,
}

/// How many commands `fuzz_command` cycles through.
const COMMANDS: usize = 8;

/// The command of execution `n`: the cheap ones most often, one in eight a
/// whole compile and link, and LLVM's code generation when it is built in.
fn fuzz_command(n: usize) -> FuzzCommand {
    use FuzzCommand::*;
    match n % COMMANDS {
        0 | 4 => EmitKernels,
        1 => EmitAsm,
        5 if cfg!(feature = "llvm") => EmitLlvmAsm,
        5 => EmitAsm,
        2 => Interpret,
        3 | 6 => Inspect,
        _ => Link,
    }
}

/// Runs one command on `model` and checks the promise; `Ok` says whether
/// the command succeeded (exit 0), `Err` what broke. `scratch` holds only
/// the model when it is called, and again when it returns.
fn check(model: &Path, command: usize, scratch: &Path) -> Result<bool, String> {
    let command = fuzz_command(command);
    let out = scratch.join(if command == FuzzCommand::Link { "out.so" } else { "out.txt" });
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vitc"));
    match command {
        FuzzCommand::EmitKernels => cmd.arg("compile").arg(model).args(["--emit", "kernels", "-o"]).arg(&out),
        FuzzCommand::EmitAsm => {
            cmd.arg("compile").arg(model).args(["--backend", "cranelift", "--emit", "asm", "-o"]).arg(&out)
        }
        FuzzCommand::EmitLlvmAsm => {
            cmd.arg("compile").arg(model).args(["--backend", "llvm", "--emit", "asm", "-o"]).arg(&out)
        }
        FuzzCommand::Link => cmd.arg("compile").arg(model).args(["--backend", "cranelift", "-o"]).arg(&out),
        FuzzCommand::Interpret => cmd.arg("run").arg(model).arg("--output").arg(&out),
        FuzzCommand::Inspect => cmd.arg("inspect").arg(model),
    };
    // The interpreter may take longer on a valid but large mutant (a batch
    // of 2^16 images is a legal model), the link runs the C compiler, and
    // LLVM takes 2 s on the example model alone (more on a loaded machine);
    // everything else gets 10 s.
    let slow = matches!(command, FuzzCommand::Interpret | FuzzCommand::Link | FuzzCommand::EmitLlvmAsm);
    let limit = Duration::from_secs(if slow { 30 } else { 10 });
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().map_err(|e| e.to_string())?;
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().map_err(|e| e.to_string())? {
            break s;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{cmd:?} ran past {limit:?}"));
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        use std::io::Read;
        let _ = e.read_to_string(&mut stderr);
    }
    match status.code() {
        None => return Err(format!("{cmd:?} was killed by a signal ({status}); stderr: {stderr}")),
        Some(0 | 2) => {}
        Some(c) => return Err(format!("{cmd:?} exited with {c}; stderr: {stderr}")),
    }
    if stderr.contains("panicked") {
        return Err(format!("{cmd:?} panicked: {stderr}"));
    }
    let left: Vec<PathBuf> = std::fs::read_dir(scratch)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p != model)
        .collect();
    let succeeded = status.code() == Some(0);
    if !succeeded && !left.is_empty() {
        return Err(format!("{cmd:?} failed but left {left:?}; stderr: {stderr}"));
    }
    for path in left {
        if path != out && path != out.with_extension("h") {
            return Err(format!("{cmd:?} succeeded but left {} beside its output", path.display()));
        }
        std::fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(succeeded)
}

/// Saves a failing input and returns where.
fn keep_failure(bytes: &[u8], n: usize) -> PathBuf {
    let dir = repo_root().join("target/fuzz-failures");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("failure-{}-{n}.onnx", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn fuzz_seeded_run() {
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    let seconds = env("VITC_FUZZ_SECONDS");
    let execs = env("VITC_FUZZ_EXECS").unwrap_or(400);
    let mut rng = Rng::new(env("VITC_FUZZ_SEED").unwrap_or(14));
    let seeds = seeds();
    let scratch = tempfile::tempdir().unwrap();
    let model = scratch.path().join("mutant.onnx");
    let start = Instant::now();
    let (mut n, mut succeeded) = (0usize, 0usize);
    loop {
        let done = match seconds {
            Some(s) => start.elapsed().as_secs() >= s,
            None => n as u64 >= execs,
        };
        if done {
            break;
        }
        let bytes = mutant(&seeds, &mut rng);
        std::fs::write(&model, &bytes).unwrap();
        match check(&model, n, scratch.path()) {
            Ok(ok) => succeeded += usize::from(ok),
            Err(e) => panic!("execution {n}: {e}\ninput kept as {}", keep_failure(&bytes, n).display()),
        }
        n += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "fuzz: {n} executions in {secs:.1} s ({:.1}/s), {succeeded} exited 0, the rest 2; no abort, panic, signal or timeout",
        n as f64 / secs
    );
    // Mutants that still compile or run are what reach the back end.
    assert!(succeeded > 0, "no mutant got through: the mutations are too destructive to test much");
}

#[test]
fn fuzz_corpus_replays() {
    let scratch = tempfile::tempdir().unwrap();
    for file in corpus() {
        for command in 0..COMMANDS {
            if let Err(e) = check(&file, command, scratch.path()) {
                panic!("{}: {e}", file.display());
            }
        }
    }
}
