//! The PTX path of the CLI: `vitc compile MODEL --target ptx-sm80|ptx-sm90
//! -o NAME.ptx` (writes `NAME.ptx`, `NAME.manifest.json` and
//! `NAME.weights`, all through temporary files renamed only when every one
//! was written), `--emit ptx` (the PTX text), and `vitc run NAME.ptx` /
//! `vitc bench NAME.ptx`, which need a build with `--features cuda` and a
//! CUDA driver.

use super::compile_args::{CompileArgs, load, prefix};
use crate::args::Emit;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::time::Instant;
use vitc_backend_ptx::PtxTarget;
use vitc_lower::Program;

/// Whether `vitc compile` was asked for PTX (`--target ptx-*` or `--emit ptx`).
pub fn wanted(target: Option<&str>, emit: Option<Emit>) -> bool {
    emit == Some(Emit::Ptx) || (target.is_some_and(PtxTarget::is_ptx) && matches!(emit, None | Some(Emit::Asm)))
}

/// Whether `path` names a compiled PTX model.
pub fn is_ptx(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "ptx")
}

fn lowered(args: &CompileArgs) -> Result<Program> {
    let (graph, _) = load(args)?;
    let mut program = vitc_lower::lower(
        &graph,
        &vitc_lower::LowerOptions { max_batch: args.max_batch, max_memory: args.max_memory, ..Default::default() },
    )
    .context("lowering")?;
    program.name = args.model.stem();
    Ok(program)
}

/// `vitc compile` for a PTX target.
pub fn compile(args: &CompileArgs) -> Result<()> {
    if args.backend.is_some() || args.target_cpu.is_some() {
        bail!("--backend and --target-cpu choose a CPU code generator; PTX targets have their own");
    }
    let target = match args.target.as_deref() {
        Some(t) if PtxTarget::is_ptx(t) => PtxTarget::parse(t)?,
        Some(t) => bail!("--emit ptx needs a PTX target (ptx-sm80 or ptx-sm90), not '{t}'"),
        None => PtxTarget::Sm80,
    };
    if args.emit == Some(Emit::Asm) {
        bail!("for PTX targets, ask for the kernels' code with --emit ptx");
    }
    let start = Instant::now();
    if args.emit == Some(Emit::Ptx) {
        let stem = PathBuf::from(args.model.stem());
        let prefix = prefix(args.name.as_deref(), args.output.as_deref().unwrap_or(&stem))?;
        let program = lowered(args)?;
        let module = vitc_backend_ptx::compile_ptx(&program, &prefix, target).context("generating PTX")?;
        return match args.output.as_deref() {
            Some(path) => super::write_atomically(path, module.ptx.as_bytes()),
            None => {
                use std::io::Write;
                // A closed pipe (`| head`) is not an error.
                let _ = std::io::stdout().lock().write_all(module.ptx.as_bytes());
                Ok(())
            }
        };
    }
    let Some(output) = args.output.as_deref() else {
        bail!("give the output with -o NAME.ptx (NAME.manifest.json and NAME.weights are written beside it)");
    };
    if !is_ptx(output) {
        bail!("the output of a PTX target must end in .ptx, not {}", output.display());
    }
    let prefix = prefix(args.name.as_deref(), output)?;
    let program = lowered(args)?;
    let lowered_s = start.elapsed().as_secs_f64();
    let module = vitc_backend_ptx::compile_ptx(&program, &prefix, target).context("generating PTX")?;
    let weights_path = output.with_extension("weights");
    let manifest_path = vitc_cuda::manifest_path(output);
    let file_name = |p: &Path| p.file_name().unwrap_or_default().to_string_lossy().into_owned();
    let manifest = vitc_backend_ptx::manifest(&program, &module, &file_name(output), &file_name(&weights_path));
    let json = manifest.to_json()?;
    write_all(&[
        (output, module.ptx.as_bytes()),
        (&manifest_path, json.as_bytes()),
        (&weights_path, &program.weights),
    ])?;
    let batch = if program.batch.dynamic {
        format!("dynamic batch up to {}", program.batch.max_batch)
    } else {
        "static shape".to_string()
    };
    println!(
        "compiled {} for {} in {:.2} s (import and lower {lowered_s:.2} s)",
        args.model.stem(),
        target.arch(),
        start.elapsed().as_secs_f64()
    );
    println!(
        "{}: {} kernels, {} bytes of PTX; arena {} bytes per image; {batch}",
        output.display(),
        module.entries.len(),
        super::format_count(module.ptx.len() as u64),
        super::format_count(program.arena_len as u64 * 4),
    );
    println!("{}: launch manifest", manifest_path.display());
    println!("{}: weights, {} bytes", weights_path.display(), super::format_count(program.weights.len() as u64));
    Ok(())
}

/// Writes every file to a temporary name first and renames them only when
/// all were written, so a failure leaves no partial output.
fn write_all(files: &[(&Path, &[u8])]) -> Result<()> {
    let tmp = |p: &Path| {
        p.with_file_name(format!(".{}.tmp{}", p.file_name().unwrap_or_default().to_string_lossy(), std::process::id()))
    };
    let cleanup = || {
        for (p, _) in files {
            let _ = std::fs::remove_file(tmp(p));
        }
    };
    let _interrupted: Vec<vitc_link::Pending> = files.iter().map(|(p, _)| vitc_link::pending(&tmp(p))).collect();
    for (p, bytes) in files {
        if let Err(e) = std::fs::write(tmp(p), bytes) {
            cleanup();
            bail!("writing {}: {e}", p.display());
        }
    }
    for (p, _) in files {
        if let Err(e) = std::fs::rename(tmp(p), p) {
            cleanup();
            bail!("writing {}: {e}", p.display());
        }
    }
    Ok(())
}

/// Reads an f32 `.npy` input (shape and values).
fn read_input(path: &Path) -> Result<(Vec<usize>, Vec<f32>)> {
    let t = vitc_ir::npy::read_npy(path)?;
    let dims = t.dims().to_vec();
    let data: Vec<f32> = t.to_f64_vec().into_iter().map(|v| v as f32).collect();
    Ok((dims, data))
}

/// Images in an input of shape `dims` for a model input of one image `one`.
fn images_of(dims: &[usize], one: &[u64], dynamic: bool, what: &str) -> Result<usize> {
    let per: usize = one.iter().product::<u64>() as usize;
    let total: usize = dims.iter().product();
    let same_tail = dims.len() == one.len() && dims[1..].iter().zip(&one[1..]).all(|(&a, &b)| a as u64 == b);
    if dynamic && same_tail && per > 0 && total.is_multiple_of(per) {
        return Ok(total / per);
    }
    if dims.iter().map(|&d| d as u64).eq(one.iter().copied()) {
        return Ok(1);
    }
    bail!("{what} has shape {dims:?}; the model takes {one:?}{}", if dynamic { " with any batch" } else { "" })
}

/// `vitc run NAME.ptx --input IN.npy [--output OUT.npy]`.
pub fn run(path: &Path, inputs: &[PathBuf], outputs: &[PathBuf]) -> Result<()> {
    let bundle = vitc_cuda::Bundle::load(path)?;
    let m = &bundle.manifest;
    if inputs.len() != m.inputs.len() {
        bail!("{} takes {} input(s), {} given with --input", path.display(), m.inputs.len(), inputs.len());
    }
    if !outputs.is_empty() && outputs.len() != m.outputs.len() {
        bail!("the model has {} output(s), {} given with --output", m.outputs.len(), outputs.len());
    }
    let mut data = Vec::new();
    let mut images = None;
    for (p, t) in inputs.iter().zip(&m.inputs) {
        let (dims, values) = read_input(p).with_context(|| format!("reading {}", p.display()))?;
        let n = images_of(&dims, &t.dims, m.batch.dynamic, &p.display().to_string())?;
        if images.is_some_and(|i| i != n) {
            bail!("the inputs hold different numbers of images");
        }
        images = Some(n);
        data.push(values);
    }
    let images = images.unwrap_or(1);
    let mut model = vitc_cuda::GpuModel::new(&bundle, 0)?;
    let refs: Vec<&[f32]> = data.iter().map(Vec::as_slice).collect();
    let results = model.run(&refs, images)?;
    for ((t, values), out) in m.outputs.iter().zip(&results).zip(outputs) {
        let mut dims: Vec<usize> = t.dims.iter().map(|&d| d as usize).collect();
        if m.batch.dynamic && !dims.is_empty() {
            dims[0] *= images;
        }
        let array = vitc_ir::ndarray::ArrayD::from_shape_vec(vitc_ir::ndarray::IxDyn(&dims), values.clone())?;
        super::write_atomically(out, &vitc_ir::npy::encode_npy(&vitc_ir::Tensor::F32(array)))
            .with_context(|| format!("saving {}", out.display()))?;
    }
    for (t, values) in m.outputs.iter().zip(&results) {
        let mut dims: Vec<usize> = t.dims.iter().map(|&d| d as usize).collect();
        if m.batch.dynamic && !dims.is_empty() {
            dims[0] *= images;
        }
        if let Ok(a) = vitc_ir::ndarray::ArrayD::from_shape_vec(vitc_ir::ndarray::IxDyn(&dims), values.clone()) {
            super::run::print_top5(&t.name, &vitc_ir::Tensor::F32(a));
        }
    }
    notice!("ran {} on {} ({images} image(s))", path.display(), model.device_name());
    Ok(())
}

/// `vitc bench NAME.ptx --batch B`: one JSON line like the library bench.
pub fn bench(a: &super::bench::BenchArgs) -> Result<()> {
    if a.batch == 0 || a.runs == 0 {
        bail!("--batch and --runs must be at least 1");
    }
    if a.threads != 1 || a.name.is_some() {
        bail!("--threads and --name apply to shared libraries, not to PTX models");
    }
    let load = Instant::now();
    let bundle = vitc_cuda::Bundle::load(&a.library)?;
    let m = &bundle.manifest;
    if m.inputs.len() != 1 {
        bail!("vitc bench drives single-input models; {} has {}", a.library.display(), m.inputs.len());
    }
    if a.batch > bundle.max_images() {
        bail!(
            "--batch {} exceeds what {} takes ({}; see vitc compile --max-batch)",
            a.batch,
            a.library.display(),
            bundle.max_images()
        );
    }
    let per = vitc_cuda::Bundle::image_len(&m.inputs[0]);
    let input = match &a.input {
        Some(p) => {
            let (dims, values) = read_input(p)?;
            if images_of(&dims, &m.inputs[0].dims, m.batch.dynamic, &p.display().to_string())? != a.batch {
                bail!("{} does not hold --batch {} images", p.display(), a.batch);
            }
            values
        }
        None => super::bench::standard_normal(per * a.batch),
    };
    let mut model = vitc_cuda::GpuModel::new(&bundle, 0)?;
    let load_s = load.elapsed().as_secs_f64();
    let t = model.time(&[&input], a.batch, a.warmup, a.runs)?;
    let median = |v: &[f64]| {
        let mut s = v.to_vec();
        s.sort_by(f64::total_cmp);
        let n = s.len();
        if n % 2 == 1 { s[n / 2] } else { (s[n / 2 - 1] + s[n / 2]) / 2.0 }
    };
    let (call, kernels) = (median(&t.call_ms), median(&t.kernels_ms));
    let kmin = t.kernels_ms.iter().copied().fold(f64::INFINITY, f64::min);
    let r = |x: f64| (x * 1e4).round() / 1e4;
    println!(
        "{{\"model\": \"{}\", \"vitc\": \"{}\", \"device\": \"{}\", \"batch\": {}, \"warmup\": {}, \"runs\": {}, \
         \"median_ms\": {}, \"kernels_median_ms\": {}, \"kernels_min_ms\": {}, \"images_per_s\": {}, \
         \"kernel_images_per_s\": {}, \"load_s\": {}}}",
        a.library.file_name().unwrap_or_default().to_string_lossy().replace('"', "'"),
        env!("CARGO_PKG_VERSION"),
        model.device_name().replace('"', "'"),
        a.batch,
        a.warmup,
        a.runs,
        r(call),
        r(kernels),
        r(kmin),
        r(a.batch as f64 / (call / 1e3)),
        r(a.batch as f64 / (kernels / 1e3)),
        r(load_s),
    );
    Ok(())
}
