//! `vitc._native`: the Rust half of the Python package. It compiles a model
//! into a shared library (the same `vitc_driver::compile_native` path as
//! `vitc compile -o X.so`), loads a library, and runs float32 numpy batches
//! through it with the GIL released, and preprocesses images as timm does. The Python half (`python/vitc/`) wraps
//! it in `vitc.compile`, `vitc.load` and the `Model` class.

use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use vitc_driver::{BackendKind, ModelSource, NativeOptions, Stage};
use vitc_loader::{Context, ModelLibrary};
use vitc_preprocess::{Filter, IMAGENET_CLASSES, Preprocess};

pyo3::create_exception!(_native, VitcError, PyException, "An error reported by vitc; the message names the problem.");

/// Turns any vitc error into a `VitcError` carrying its whole message chain.
fn vitc_error(e: impl Into<anyhow::Error>) -> PyErr {
    VitcError::new_err(format!("{:#}", e.into()))
}

/// Compiles a model (an ONNX file or a built-in architecture) into the shared
/// library `output`; returns the C API prefix.
#[pyfunction]
#[pyo3(signature = (output, model=None, arch=None, weights=None, backend="llvm", max_batch=64, max_memory=4u64 << 30, name=None))]
#[allow(clippy::too_many_arguments)] // the keyword arguments of `vitc.compile`
fn compile_library(
    py: Python<'_>,
    output: PathBuf,
    model: Option<PathBuf>,
    arch: Option<String>,
    weights: Option<PathBuf>,
    backend: &str,
    max_batch: usize,
    max_memory: u64,
    name: Option<String>,
) -> PyResult<String> {
    let source = match (model, arch) {
        (Some(path), None) => {
            if weights.is_some() {
                return Err(VitcError::new_err("weights= applies to arch=, not to an ONNX model"));
            }
            ModelSource::Onnx(path)
        }
        (None, Some(name)) => ModelSource::Arch { name, weights },
        (Some(_), Some(_)) => return Err(VitcError::new_err("give a model file or arch=, not both")),
        (None, None) => return Err(VitcError::new_err("give a model file or arch=")),
    };
    let kind = match backend {
        "llvm" => BackendKind::Llvm,
        "cranelift" => BackendKind::Cranelift,
        other => return Err(VitcError::new_err(format!("backend must be \"llvm\" or \"cranelift\", not {other:?}"))),
    };
    if kind == BackendKind::Llvm && !vitc_backend_llvm::AVAILABLE {
        return Err(VitcError::new_err(vitc_backend_llvm::NOT_BUILT));
    }
    if max_batch == 0 {
        return Err(VitcError::new_err("max_batch must be at least 1"));
    }
    let prefix = match name {
        Some(name) => {
            vitc_link::validate_prefix(&name).map_err(vitc_error)?;
            name
        }
        None => vitc_link::sanitize_prefix(&output.file_stem().unwrap_or_default().to_string_lossy()),
    };
    let options = NativeOptions { prefix: prefix.clone(), stage: Stage::Rewritten, max_batch, max_memory };
    py.detach(|| {
        let backend = vitc_driver::cpu_backend(kind, None, None)?;
        vitc_driver::compile_native(&source, backend.as_ref(), &options, &output)
    })
    .map_err(vitc_error)?;
    Ok(prefix)
}

/// A loaded model library with one context (its arena and worker threads).
#[pyclass(name = "Library", module = "vitc._native")]
struct Library {
    lib: Arc<ModelLibrary>,
    /// One call at a time, as the C API requires.
    context: Mutex<Context<'static>>,
}

/// The data pointer of a C-contiguous float32 numpy array with `count`
/// elements, read from its `__array_interface__` (which the array keeps
/// valid while it is referenced).
fn float32_data(array: &Bound<'_, PyAny>, count: usize, what: &str, writable: bool) -> PyResult<usize> {
    let interface = array.getattr("__array_interface__")?;
    let interface = interface.cast::<PyDict>()?;
    let get = |key: &str| -> PyResult<Bound<'_, PyAny>> {
        interface.get_item(key)?.ok_or_else(|| VitcError::new_err(format!("{what}: no '{key}' in the array interface")))
    };
    let typestr: String = get("typestr")?.extract()?;
    if typestr != "<f4" {
        return Err(VitcError::new_err(format!("{what} must be float32, not {typestr}")));
    }
    if !get("strides")?.is_none() {
        return Err(VitcError::new_err(format!("{what} must be C-contiguous")));
    }
    let shape = get("shape")?;
    let shape = shape.cast::<PyTuple>()?;
    let elements = shape.iter().try_fold(1usize, |n, d| Ok::<_, PyErr>(n.saturating_mul(d.extract::<usize>()?)))?;
    if elements != count {
        return Err(VitcError::new_err(format!("{what} has {elements} elements; {count} expected")));
    }
    let (address, read_only): (usize, bool) = get("data")?.extract()?;
    if writable && read_only {
        return Err(VitcError::new_err(format!("{what} is read-only")));
    }
    Ok(address)
}

#[pymethods]
impl Library {
    /// Opens the library at `path` and creates a context with `threads` threads.
    #[new]
    #[pyo3(signature = (path, threads=1, name=None))]
    fn new(path: PathBuf, threads: usize, name: Option<String>) -> PyResult<Library> {
        let lib = Arc::new(ModelLibrary::open(&path, name.as_deref()).map_err(vitc_error)?);
        let context = ModelLibrary::shared_context(&lib, threads).map_err(vitc_error)?;
        Ok(Library { lib, context: Mutex::new(context) })
    }

    /// Input shape of one call; axis 0 is -1 when the batch is dynamic.
    #[getter]
    fn input_dims(&self) -> Vec<i64> {
        self.lib.input_dims().to_vec()
    }
    /// Output shape of one call; axis 0 is -1 when the batch is dynamic.
    #[getter]
    fn output_dims(&self) -> Vec<i64> {
        self.lib.output_dims().to_vec()
    }
    /// The largest batch of one call (1 for a static shape).
    #[getter]
    fn max_batch(&self) -> usize {
        self.lib.max_batch()
    }
    /// The model's name.
    #[getter]
    fn name(&self) -> String {
        self.lib.name().to_string()
    }
    /// The library's absolute path.
    #[getter]
    fn path(&self) -> PathBuf {
        self.lib.path().to_path_buf()
    }

    /// Runs `batch` items from the float32 array `input` into `output`,
    /// both C-contiguous with exactly `batch` items; the GIL is released
    /// while the model runs.
    fn run(&self, py: Python<'_>, input: &Bound<'_, PyAny>, output: &Bound<'_, PyAny>, batch: usize) -> PyResult<()> {
        let lib = &self.lib;
        if batch == 0 || batch > lib.max_batch() {
            let max = lib.max_batch();
            return Err(VitcError::new_err(format!("batch {batch} is outside 1..={max} for this library")));
        }
        let n_in = batch * lib.input_len();
        let n_out = batch * lib.output_len();
        let input_at = float32_data(input, n_in, "the input", false)?;
        let output_at = float32_data(output, n_out, "the output", true)?;
        let overlap = input_at < output_at + 4 * n_out && output_at < input_at + 4 * n_in;
        if overlap {
            return Err(VitcError::new_err("the input and the output must not share memory"));
        }
        py.detach(|| {
            // SAFETY: both addresses come from the array interface of live
            // numpy arrays (`input` and `output` stay referenced by this
            // frame until the call returns), each C-contiguous float32 with
            // exactly `n_in` / `n_out` elements (checked above), the output
            // writable and distinct from the input; numpy arrays cannot be
            // resized while another reference to them exists.
            let (x, y) = unsafe {
                (
                    std::slice::from_raw_parts(input_at as *const f32, n_in),
                    std::slice::from_raw_parts_mut(output_at as *mut f32, n_out),
                )
            };
            let mut context = self.context.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            context.run(x, y, batch)
        })
        .map_err(vitc_error)
    }
}

/// Decodes and preprocesses images as timm's evaluation transform does;
/// returns the float32 bytes of the `(len(paths), 3, size, size)` batch.
#[pyfunction]
#[pyo3(signature = (paths, size, crop_pct, mean, std, interpolation))]
fn preprocess_images(
    py: Python<'_>,
    paths: Vec<PathBuf>,
    size: usize,
    crop_pct: f64,
    mean: [f32; 3],
    std: [f32; 3],
    interpolation: &str,
) -> PyResult<Vec<u8>> {
    let filter = Filter::parse(interpolation).ok_or_else(|| {
        VitcError::new_err(format!("interpolation must be \"bicubic\" or \"bilinear\", not {interpolation:?}"))
    })?;
    let options = Preprocess { size, crop_pct, mean, std, filter };
    let images = py.detach(|| paths.iter().map(|p| options.image_file(p)).collect::<Result<Vec<_>, _>>());
    let images = images.map_err(vitc_error)?;
    Ok(images.iter().flatten().flat_map(|v| v.to_le_bytes()).collect())
}

/// The ImageNet-1k class names, index order.
#[pyfunction]
fn imagenet_class_names() -> Vec<&'static str> {
    IMAGENET_CLASSES.lines().collect()
}

/// Whether this build has the LLVM backend.
#[pyfunction]
fn has_llvm() -> bool {
    vitc_backend_llvm::AVAILABLE
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("VitcError", m.py().get_type::<VitcError>())?;
    m.add_function(wrap_pyfunction!(compile_library, m)?)?;
    m.add_function(wrap_pyfunction!(has_llvm, m)?)?;
    m.add_function(wrap_pyfunction!(preprocess_images, m)?)?;
    m.add_function(wrap_pyfunction!(imagenet_class_names, m)?)?;
    m.add_class::<Library>()?;
    Ok(())
}
