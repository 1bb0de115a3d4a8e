//! On a machine with an NVIDIA GPU (and a build with `--features cuda`):
//! every shared model compiled to PTX runs through the launcher and matches
//! the ONNX Runtime reference by the shared rule `max|ours − ref| ≤ 1e-4 ·
//! max|ref|`. Without the feature the GPU tests are ignored (and say so);
//! with it, a missing CUDA driver or reference file fails them.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

use std::path::Path;
use vitc_backend_ptx::{Manifest, PtxTarget, compile_ptx, manifest};
use vitc_cuda::{Bundle, GpuModel};

fn check(model: &str, input: &str, output: &str) {
    if !vitc_cuda::BUILT_WITH_CUDA {
        panic!("the GPU tests need a build with the `cuda` feature: cargo test -p vitc-cuda --features cuda");
    }
    assert!(
        vitc_cuda::driver_present(),
        "no CUDA driver (libcuda.so) on this machine: the GPU tests need an NVIDIA GPU and its driver"
    );
    let path = vitc_testkit::model_file(&format!("{model}.onnx"));
    let graph = vitc_driver::load_onnx(&path, vitc_driver::Stage::Rewritten).unwrap();
    let mut program =
        vitc_lower::lower(&graph, &vitc_lower::LowerOptions { max_batch: 16, ..Default::default() }).unwrap();
    program.name = model.to_string();
    let module = compile_ptx(&program, "m", PtxTarget::Sm80).unwrap();
    let out = std::env::temp_dir().join(format!("vitc-cuda-test-{}-{model}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    let ptx = out.join("m.ptx");
    std::fs::write(&ptx, &module.ptx).unwrap();
    std::fs::write(out.join("m.weights"), &program.weights).unwrap();
    let manifest = manifest(&program, &module, "m.ptx", "m.weights");
    std::fs::write(vitc_cuda::manifest_path(&ptx), manifest.to_json().unwrap()).unwrap();
    let bundle = Bundle::load(&ptx).unwrap();
    let x = vitc_ir::npy::read_npy(&vitc_testkit::model_file(input)).unwrap();
    let reference = vitc_ir::npy::read_npy(&vitc_testkit::model_file(output)).unwrap();
    let data: Vec<f32> = x.to_f64_vec().into_iter().map(|v| v as f32).collect();
    let images = if program.batch.dynamic { x.dims()[0] } else { 1 };
    let mut gpu = GpuModel::new(&bundle, 0).unwrap();
    let y = gpu.run(&[&data], images).unwrap();
    let want = reference.to_f64_vec();
    let max_ref = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let max_diff = y[0].iter().zip(&want).fold(0.0f64, |m, (a, b)| m.max((f64::from(*a) - b).abs()));
    eprintln!("{model} on {}: max_abs_diff={max_diff:.3e} max_abs_ref={max_ref:.4}", gpu.device_name());
    assert!(y[0].iter().all(|v| v.is_finite()), "{model}: non-finite outputs");
    assert!(max_diff <= 1e-4 * max_ref, "{model}: relative error {:.3e}", max_diff / max_ref);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
#[cfg_attr(not(feature = "cuda"), ignore = "needs an NVIDIA GPU and `--features cuda`")]
fn levit_128s_runs_on_the_gpu() {
    check("levit_128s", "levit_128s.input.npy", "levit_128s.output.npy");
}

#[test]
#[cfg_attr(not(feature = "cuda"), ignore = "needs an NVIDIA GPU and `--features cuda`")]
fn levit_128s_dynbatch_16_runs_on_the_gpu() {
    check("levit_128s_dynbatch", "levit_128s_dynbatch.input_b16.npy", "levit_128s_dynbatch.output_b16.npy");
}

#[test]
#[cfg_attr(not(feature = "cuda"), ignore = "needs an NVIDIA GPU and `--features cuda`")]
fn deit_tiny_runs_on_the_gpu() {
    check("deit_tiny_patch16_224", "deit_tiny_patch16_224.input.npy", "deit_tiny_patch16_224.output.npy");
}

#[test]
#[cfg_attr(not(feature = "cuda"), ignore = "needs an NVIDIA GPU and `--features cuda`")]
fn cswin_micro_runs_on_the_gpu() {
    check("cswin_micro", "cswin_micro.input.npy", "cswin_micro.output.npy");
}

#[test]
#[cfg_attr(not(feature = "cuda"), ignore = "needs an NVIDIA GPU and `--features cuda`")]
fn lvt_runs_on_the_gpu() {
    check("lvt", "lvt.input.npy", "lvt.output.npy");
}

#[test]
fn a_missing_bundle_is_a_clear_error() {
    let err = Bundle::load(Path::new("/nonexistent/m.ptx")).unwrap_err().to_string();
    assert!(err.contains("reading the PTX"), "{err}");
    if !vitc_cuda::BUILT_WITH_CUDA {
        let bundle = Bundle {
            manifest: Manifest::from_json(&minimal_manifest()).unwrap(),
            ptx: String::new(),
            weights: Vec::new(),
        };
        let err = GpuModel::new(&bundle, 0).err().unwrap().to_string();
        assert!(err.contains("--features cuda"), "{err}");
    }
}

fn minimal_manifest() -> String {
    r#"{"format": "vitc-ptx-manifest", "version": 1, "model": "m", "sm": 80, "ptx_version": "7.8", "ptx": "m.ptx",
        "weights": {"file": "m.weights", "bytes": 0, "align": 64}, "arena": {"bytes": 256, "image_stride": 256},
        "batch": {"dynamic": false, "max_batch": 1}, "params": ["arena", "weights", "image_stride"],
        "inputs": [], "outputs": [], "kernels": []}"#
        .to_string()
}
