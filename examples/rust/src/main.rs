//! Classifies images with a vitc-compiled model linked statically (see
//! build.rs): `cargo run --release -- INPUT.npy [THREADS]` prints the top-5
//! classes of each image.

use std::ffi::{CStr, c_char, c_int, c_void};
use std::process::ExitCode;

mod ffi {
    use super::{c_char, c_int, c_void};
    include!(concat!(env!("OUT_DIR"), "/bindings.rs"));
}

/// A context of the linked model (its working memory and threads).
struct Model {
    ctx: *mut c_void,
}

fn last_error() -> String {
    // SAFETY: returns a NUL-terminated thread-local string owned by the library.
    unsafe { CStr::from_ptr(ffi::model_last_error()) }.to_string_lossy().into_owned()
}

impl Model {
    fn new(threads: usize) -> Result<Model, String> {
        // SAFETY: create takes any int and reports bad values through NULL.
        let ctx = unsafe { ffi::model_create(c_int::try_from(threads).unwrap_or(0)) };
        if ctx.is_null() { Err(last_error()) } else { Ok(Model { ctx }) }
    }

    fn input_len() -> usize {
        // SAFETY: no arguments, no preconditions.
        unsafe { ffi::model_input_len() }
    }

    fn output_len() -> usize {
        // SAFETY: no arguments, no preconditions.
        unsafe { ffi::model_output_len() }
    }

    /// Runs `input.len() / input_len` images.
    fn run(&mut self, input: &[f32]) -> Result<Vec<f32>, String> {
        let batch = input.len() / Model::input_len();
        if batch == 0 || !input.len().is_multiple_of(Model::input_len()) {
            return Err(format!("{} floats is not a whole number of {}-float images", input.len(), Model::input_len()));
        }
        let mut output = vec![0.0f32; batch * Model::output_len()];
        let batch = c_int::try_from(batch).map_err(|_| "batch too large".to_string())?;
        // SAFETY: ctx is live; input and output hold batch images of the
        // model's sizes (the library rejects a batch above its maximum).
        let status = unsafe { ffi::model_run(self.ctx, input.as_ptr(), output.as_mut_ptr(), batch) };
        if status == 0 { Ok(output) } else { Err(last_error()) }
    }
}

impl Drop for Model {
    fn drop(&mut self) {
        // SAFETY: ctx came from model_create and is destroyed once.
        unsafe { ffi::model_destroy(self.ctx) }
    }
}

/// The float32 payload of a little-endian, C-order `.npy` file.
fn read_npy(path: &str) -> Result<Vec<f32>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(format!("{path}: not an .npy file"));
    }
    let (len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        _ if bytes.len() >= 12 => (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12),
        _ => return Err(format!("{path}: truncated header")),
    };
    let header = String::from_utf8_lossy(bytes.get(start..start + len).ok_or("truncated header")?);
    if !header.contains("'<f4'") || !header.contains("'fortran_order': False") {
        return Err(format!("{path}: the input must be float32 in C order"));
    }
    Ok(bytes[start + len..].chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(input), threads) = (args.get(1), args.get(2).and_then(|t| t.parse().ok()).unwrap_or(1)) else {
        eprintln!("usage: {} INPUT.npy [THREADS]", args[0]);
        return ExitCode::from(2);
    };
    let result = read_npy(input).and_then(|x| Model::new(threads)?.run(&x));
    let logits = match result {
        Ok(logits) => logits,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    // SAFETY: returns a static NUL-terminated string.
    let name = unsafe { CStr::from_ptr(ffi::model_name()) }.to_string_lossy();
    // SAFETY: no arguments, no preconditions.
    let max_batch = unsafe { ffi::model_max_batch() };
    println!("model {name} (max batch {max_batch}), {threads} thread(s)");
    for (i, row) in logits.chunks(Model::output_len()).enumerate() {
        let mut ranked: Vec<(usize, f32)> = row.iter().copied().enumerate().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        let top: Vec<String> = ranked.iter().take(5).map(|(c, v)| format!("{c} ({v:.4})")).collect();
        println!("image {i} top-5: {}", top.join(", "));
    }
    ExitCode::SUCCESS
}
