//! Objects, run for real: every shared kernel sample (`vitc_testkit::kernels`;
//! those with GEMM panels Cranelift does not read are refused, see
//! `samples.rs`) is compiled to an ELF
//! object, linked with a small C driver (which passes the object's own
//! `{prefix}_weights` symbol) and run with chunked calls — natively on an
//! x86-64 host (`cc`), and for aarch64 through `aarch64-linux-gnu-gcc
//! -static` and `qemu-aarch64`. The arena written back is compared with the
//! naive implementation. A missing tool fails the test.

mod common;

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use common::{Rng, assert_close, naive, program};
use vitc_backend_cranelift::{Target, compile_object};
use vitc_testkit::require_tool;

fn f32_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

const DRIVER_MAIN: &str = r#"
int main(int argc, char **argv) {
    if (argc != 5) return 2;
    int s = atoi(argv[1]);
    FILE *f = fopen(argv[2], "rb");
    if (!f) return 3;
    fseek(f, 0, SEEK_END);
    long bytes = ftell(f);
    fseek(f, 0, SEEK_SET);
    float *arena = malloc(bytes + 64);
    if (fread(arena, 1, bytes, f) != (size_t)bytes) return 4;
    fclose(f);
    FILE *p = fopen(argv[3], "r");
    if (!p) return 5;
    unsigned k; unsigned long long a, b;
    while (fscanf(p, "%u %llu %llu", &k, &a, &b) == 3) KERNELS[s][k](arena, WEIGHTS[s], a, b);
    fclose(p);
    FILE *o = fopen(argv[4], "wb");
    if (!o || fwrite(arena, 1, bytes, o) != (size_t)bytes) return 6;
    fclose(o);
    return 0;
}
"#;

#[test]
fn aarch64_under_qemu() {
    require_tool("aarch64-linux-gnu-gcc");
    require_tool("qemu-aarch64");
    run_samples(Target::AARCH64, "aarch64-linux-gnu-gcc", Some("qemu-aarch64"));
}

#[test]
fn x86_64_native() {
    if !cfg!(target_arch = "x86_64") {
        eprintln!("note: not an x86-64 host; native x86-64 object execution not tested");
        return;
    }
    require_tool("cc");
    run_samples(Target::host().expect("host"), "cc", None);
    run_samples(Target::X86_64, "cc", None);
}

/// Compiles, links and runs every sample for `target`.
fn run_samples(target: Target, cc: &str, runner: Option<&str>) {
    let dir = std::env::temp_dir().join(format!("vitc-cranelift-run-{}-{}", std::process::id(), target.name()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let samples: Vec<_> = vitc_testkit::kernels::samples().into_iter().filter(|s| !s.wide_panels()).collect();
    let mut c = String::from("#include <stdio.h>\n#include <stdlib.h>\n#include <stdint.h>\n");
    c.push_str("typedef void (*kfn)(float *, const float *, uint64_t, uint64_t);\n");
    let mut objects = Vec::new();
    for (i, s) in samples.iter().enumerate() {
        let prog = program(s.kernels.clone(), s.init.len(), &s.weights);
        let obj = compile_object(&prog, &format!("s{i}"), &target).expect("compile");
        let path = dir.join(format!("s{i}.o"));
        std::fs::write(&path, obj).expect("write object");
        objects.push(path);
        writeln!(c, "extern const float s{i}_weights[];").expect("write to a String");
        for k in 0..s.kernels.len() {
            writeln!(c, "void s{i}_k{k}(float *, const float *, uint64_t, uint64_t);").expect("write to a String");
        }
        let list: Vec<String> = (0..s.kernels.len()).map(|k| format!("s{i}_k{k}")).collect();
        writeln!(c, "static kfn K{i}[] = {{{}}};", list.join(", ")).expect("write to a String");
    }
    let n = samples.len();
    let tables: Vec<String> = (0..n).map(|i| format!("K{i}")).collect();
    let weights: Vec<String> = (0..n).map(|i| format!("s{i}_weights")).collect();
    writeln!(c, "static kfn *KERNELS[] = {{{}}};", tables.join(", ")).expect("write to a String");
    writeln!(c, "static const float *WEIGHTS[] = {{{}}};", weights.join(", ")).expect("write to a String");
    c.push_str(DRIVER_MAIN);
    let driver = dir.join("driver.c");
    std::fs::write(&driver, c).expect("driver");
    let exe = dir.join("run");
    let out = Command::new(cc)
        .args(["-O1", "-static", "-o"])
        .arg(&exe)
        .arg(&driver)
        .args(&objects)
        .arg("-lm")
        .output()
        .expect("gcc");
    assert!(out.status.success(), "link failed: {}", String::from_utf8_lossy(&out.stderr));

    let mut rng = Rng::new(5);
    for (i, s) in samples.iter().enumerate() {
        let prog = program(s.kernels.clone(), s.init.len(), &s.weights);
        let mut expected = s.init.clone();
        naive::run_program(&prog, &mut expected, &s.weights);
        // Every kernel in three chunks.
        let mut plan = String::new();
        for (k, kernel) in s.kernels.iter().enumerate() {
            let e = kernel.extent();
            let (a, b) = (rng.below(e + 1), rng.below(e + 1));
            let (a, b) = (a.min(b), a.max(b));
            writeln!(plan, "{k} 0 {a}\n{k} {a} {b}\n{k} {b} {e}").expect("write to a String");
        }
        let (input, plan_path, output) = (dir.join("in.bin"), dir.join("plan.txt"), dir.join("out.bin"));
        std::fs::write(&input, f32_bytes(&s.init)).expect("input");
        std::fs::write(&plan_path, plan).expect("plan");
        let mut cmd = match runner {
            Some(r) => {
                let mut c = Command::new(r);
                c.arg(&exe);
                c
            }
            None => Command::new(&exe),
        };
        let run = cmd
            .arg(i.to_string())
            .args([&input, &plan_path, &output].map(|p: &std::path::PathBuf| p.as_os_str().to_owned()))
            .output()
            .expect("qemu");
        assert!(run.status.success(), "{}: exit {:?} {}", s.name, run.status, String::from_utf8_lossy(&run.stderr));
        let got: Vec<f32> = std::fs::read(Path::new(&output))
            .expect("output")
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        assert_close(&got, &expected, 2e-5, 2e-5, &format!("{} {}", target.name(), s.name));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
