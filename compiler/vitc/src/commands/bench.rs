//! `vitc bench LIB.so`: latency of a compiled library's run calls, printed as
//! one JSON line with the fields of `../shared/bench/ort_bench.py`, so the two
//! can be compared in the same session.

use super::library::{input_items, is_shared_library, read_f32, shape_text};
use anyhow::{Result, bail};
use std::path::PathBuf;
use std::time::Instant;
use vitc_loader::ModelLibrary;

/// What `vitc bench` was asked for.
pub struct BenchArgs {
    pub library: PathBuf,
    pub threads: usize,
    pub batch: usize,
    pub warmup: usize,
    pub runs: usize,
    pub input: Option<PathBuf>,
    pub name: Option<String>,
}

/// Standard-normal floats from a fixed seed (SplitMix64 and Box–Muller).
pub(crate) fn standard_normal(n: usize) -> Vec<f32> {
    let mut state: u64 = 0;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| {
            let (u, v) = (1.0 - next(), next());
            ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
        })
        .collect()
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn round(x: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (x * scale).round() / scale
}

pub fn bench(a: &BenchArgs) -> Result<()> {
    if a.threads == 0 || a.batch == 0 || a.runs == 0 {
        bail!("--threads, --batch and --runs must be at least 1");
    }
    if !is_shared_library(&a.library)? {
        bail!("{} is not a shared library; build one with `vitc compile MODEL -o X.so`", a.library.display());
    }
    let load = Instant::now();
    let lib = ModelLibrary::open(&a.library, a.name.as_deref())?;
    let static_shape: Vec<usize> = lib.input_dims().iter().map(|&d| usize::try_from(d).unwrap_or(0)).collect();
    if !lib.dynamic_batch() && a.batch != 1 {
        bail!(
            "{} has the static shape {}; --batch {} is not possible (compile a model with a dynamic batch axis)",
            a.library.display(),
            shape_text(lib.input_dims()),
            a.batch
        );
    }
    if a.batch > lib.max_batch() {
        bail!("--batch {} exceeds the library's max batch {} (see vitc compile --max-batch)", a.batch, lib.max_batch());
    }
    let shape: Vec<usize> = if lib.dynamic_batch() {
        [a.batch].into_iter().chain(static_shape[1..].iter().copied()).collect()
    } else {
        static_shape
    };
    let input = match &a.input {
        Some(path) => {
            let (dims, data) = read_f32(path)?;
            input_items(&lib, &dims, &path.display().to_string())?;
            if dims != shape {
                bail!("{} has shape {dims:?}; --batch {} needs {shape:?}", path.display(), a.batch);
            }
            data
        }
        None => standard_normal(shape.iter().product()),
    };
    let mut ctx = lib.context(a.threads)?;
    let load_s = load.elapsed().as_secs_f64();
    let mut output = vec![0.0f32; a.batch * lib.output_len()];
    for _ in 0..a.warmup {
        ctx.run(&input, &mut output, a.batch)?;
    }
    let mut ms = Vec::with_capacity(a.runs);
    for _ in 0..a.runs {
        let t = Instant::now();
        ctx.run(&input, &mut output, a.batch)?;
        ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    ms.sort_by(f64::total_cmp);
    let median = if ms.len() % 2 == 1 { ms[ms.len() / 2] } else { (ms[ms.len() / 2 - 1] + ms[ms.len() / 2]) / 2.0 };
    let (min, mean) = (ms[0], ms.iter().sum::<f64>() / ms.len() as f64);
    let images = shape[0] as f64;
    let file = a.library.file_name().unwrap_or_default().to_string_lossy();
    let shape_json: Vec<String> = shape.iter().map(usize::to_string).collect();
    println!(
        "{{\"model\": {}, \"vitc\": \"{}\", \"prefix\": {}, \"threads\": {}, \"batch\": {}, \"input_shape\": [{}], \
         \"warmup\": {}, \"runs\": {}, \"median_ms\": {}, \"min_ms\": {}, \"mean_ms\": {}, \"images_per_s\": {}, \
         \"images_per_s_at_min\": {}, \"load_s\": {}}}",
        json_string(&file),
        env!("CARGO_PKG_VERSION"),
        json_string(lib.prefix()),
        a.threads,
        a.batch,
        shape_json.join(", "),
        a.warmup,
        a.runs,
        round(median, 4),
        round(min, 4),
        round(mean, 4),
        round(images / (median / 1e3), 2),
        round(images / (min / 1e3), 2),
        round(load_s, 3),
    );
    Ok(())
}
