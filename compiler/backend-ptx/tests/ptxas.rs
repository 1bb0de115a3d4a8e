//! Every generated PTX assembles with NVIDIA's `ptxas`: `.target sm_80`
//! text for `-arch=sm_80` and `-arch=sm_90`, `.target sm_90` text for
//! `-arch=sm_90`. Modules checked:
//! a module holding every shared kernel sample (`vitc_testkit::kernels`:
//! every kernel variant, map op and activation; those with GEMM panels the
//! PTX kernels do not read must be refused) and the module of every shared
//! model.
//! Without `ptxas` (`bash .ci/setup` installs it) or the models the tests fail.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

mod common;

use vitc_backend_ptx::{Manifest, PtxTarget, compile_ptx, manifest};
use vitc_driver::Stage;
use vitc_lower::{LowerOptions, Program};
use vitc_testkit::kernels::{program, samples};

/// Summarises ptxas `-v` output: entries, most registers, spills.
fn summary(report: &str) -> String {
    let entries = report.matches("Compiling entry function").count();
    let regs = report
        .lines()
        .filter_map(|l| l.split("Used ").nth(1)?.split(' ').next()?.parse::<u32>().ok())
        .max()
        .unwrap_or(0);
    let spills: u32 = report
        .lines()
        .filter_map(|l| l.split(" bytes spill stores").next()?.rsplit(' ').next()?.parse::<u32>().ok())
        .sum();
    format!("{entries} entries, at most {regs} registers, {spills} bytes of spill stores")
}

fn check(name: &str, program: &Program) {
    let ptxas = common::ptxas();
    for target in [PtxTarget::Sm80, PtxTarget::Sm90] {
        let module = compile_ptx(program, name, target).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(module.entries.len(), program.kernels.len());
        // PTX for sm_80 also runs on sm_90 (JIT or ptxas); PTX for sm_90 only there.
        let archs: &[&str] = match target {
            PtxTarget::Sm80 => &["sm_80", "sm_90"],
            PtxTarget::Sm90 => &["sm_90"],
        };
        let report = common::assemble(&ptxas, &format!("{name}_{}", target.sm()), &module.ptx, archs);
        eprintln!(
            "{name} (.target {}): ptxas {archs:?} ok; {}: {}",
            target.arch(),
            archs[archs.len() - 1],
            summary(&report)
        );
    }
}

#[test]
fn every_sample_kernel_assembles() {
    let (wide, supported): (Vec<_>, Vec<_>) = samples().into_iter().partition(|s| s.wide_panels());
    // One module of every kernel, over the largest arena and weights.
    let kernels: Vec<_> = supported.iter().flat_map(|s| s.kernels.clone()).collect();
    let arena = supported.iter().map(|s| s.init.len()).max().unwrap();
    let weights = vec![0.0; supported.iter().map(|s| s.weights.len()).max().unwrap()];
    let mut program = program(kernels, arena, &weights);
    program.name = "catalogue".into();
    program.validate().unwrap();
    eprintln!("{} kernels of {} samples", program.kernels.len(), supported.len());
    check("catalogue", &program);
    assert!(!wide.is_empty());
    for s in wide {
        let err = compile_ptx(&s.program(), "t", PtxTarget::Sm80).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("packed GEMM panels of 16 columns"), "{}: {err:?}", s.name);
    }
}

fn check_model(model: &str) {
    let path = vitc_testkit::model_file(&format!("{model}.onnx"));
    let graph = vitc_driver::load_onnx(&path, Stage::Rewritten).unwrap();
    let mut program = vitc_lower::lower(&graph, &LowerOptions { max_batch: 256, ..Default::default() }).unwrap();
    program.name = model.to_string();
    let kinds = program.kernels.iter().fold(std::collections::BTreeMap::new(), |mut m, k| {
        *m.entry(k.name()).or_insert(0) += 1;
        m
    });
    eprintln!("{model}: {} kernels {kinds:?}", program.kernels.len());
    check(model, &program);
    // The manifest describes the module and reads back.
    let module = compile_ptx(&program, model, PtxTarget::Sm90).unwrap();
    let manifest = manifest(&program, &module, "m.ptx", "m.weights");
    assert_eq!(Manifest::from_json(&manifest.to_json().unwrap()).unwrap(), manifest);
}

#[test]
fn levit_128s_assembles() {
    check_model("levit_128s");
}

#[test]
fn levit_128s_dynbatch_assembles() {
    check_model("levit_128s_dynbatch");
}

#[test]
fn deit_tiny_assembles() {
    check_model("deit_tiny_patch16_224");
}

#[test]
fn cswin_micro_assembles() {
    check_model("cswin_micro");
}

#[test]
fn lvt_assembles() {
    check_model("lvt");
}
