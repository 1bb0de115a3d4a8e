//! vitc-loader: opens a vitc-generated shared library in the host process and
//! calls its C API (`{prefix}_create`, `{prefix}_run`, ...). Used by
//! `vitc run LIB.so`, `vitc bench` and the tests.
//!
//! The API prefix is found, in order, from the caller, from the library's
//! `vitc_model_prefix` string, or from the file stem.

mod elf_check;

pub use elf_check::{check_elf, check_elf_file};
use libloading::Library;
use std::ffi::{CStr, c_char, c_int, c_void};
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::Arc;

/// Why a library could not be loaded or a call failed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{}: {detail}", path.display())]
    Open { path: PathBuf, detail: String },
    #[error("{}: not a vitc model library: symbol {symbol} is missing ({detail})", path.display())]
    Symbol { path: PathBuf, symbol: String, detail: String },
    #[error("{function} failed (status {status}): {message}")]
    Call { function: String, status: i32, message: String },
    /// `create` returned NULL (it has no status code).
    #[error("{function} returned no context: {message}")]
    Create { function: String, message: String },
    #[error("{0}")]
    Argument(String),
}

type CreateFn = unsafe extern "C" fn(c_int) -> *mut c_void;
type RunFn = unsafe extern "C" fn(*mut c_void, *const f32, *mut f32, c_int) -> c_int;
type DestroyFn = unsafe extern "C" fn(*mut c_void);
type StrFn = unsafe extern "C" fn() -> *const c_char;
type IntFn = unsafe extern "C" fn() -> c_int;
type DimFn = unsafe extern "C" fn(c_int) -> c_int;
type LenFn = unsafe extern "C" fn() -> usize;

/// A loaded model library.
pub struct ModelLibrary {
    path: PathBuf,
    prefix: String,
    create: CreateFn,
    run: RunFn,
    destroy: DestroyFn,
    last_error: StrFn,
    input_dims: Vec<i64>,
    output_dims: Vec<i64>,
    input_len: usize,
    output_len: usize,
    max_batch: usize,
    name: String,
    // Last: the function pointers above point into it.
    _lib: Library,
}

/// A C string returned by the library, owned.
///
/// # Safety
/// `p` must be NULL or point to a NUL-terminated string valid for this call.
unsafe fn owned_string(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: non-null and NUL-terminated per this function's contract.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

impl ModelLibrary {
    /// Opens `path` and binds its API; `prefix` overrides the discovery.
    pub fn open(path: &Path, prefix: Option<&str>) -> Result<ModelLibrary, LoadError> {
        // dlopen searches the library path for names without a slash: pass an absolute path.
        let abs =
            path.canonicalize().map_err(|e| LoadError::Open { path: path.to_path_buf(), detail: e.to_string() })?;
        // A truncated file would kill the process inside dlopen (SIGBUS).
        check_elf_file(&abs).map_err(|detail| LoadError::Open { path: path.to_path_buf(), detail })?;
        // SAFETY: loading runs the library's initialisers; a vitc library has
        // none besides the C runtime's, and the caller asked for this file;
        // `check_elf_file` found every mapped byte inside it.
        let lib = unsafe { Library::new(&abs) }
            .map_err(|e| LoadError::Open { path: path.to_path_buf(), detail: e.to_string() })?;
        let missing = |symbol: &str, e: libloading::Error| LoadError::Symbol {
            path: path.to_path_buf(),
            symbol: symbol.to_string(),
            detail: e.to_string(),
        };
        let prefix = match prefix {
            Some(p) => p.to_string(),
            None => {
                // SAFETY: `vitc_model_prefix` is a NUL-terminated char array in
                // every vitc library; the symbol's address is the string.
                match unsafe { lib.get::<*const c_char>("vitc_model_prefix") } {
                    // SAFETY: the symbol is a NUL-terminated string living as long as `lib`.
                    Ok(sym) => unsafe { owned_string(*sym) },
                    Err(_) => path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(),
                }
            }
        };
        // Binds `{prefix}_{suffix}` as a function pointer of type `$ty`.
        macro_rules! bind {
            ($suffix:literal, $ty:ty) => {{
                let symbol = format!("{}_{}", prefix, $suffix);
                // SAFETY: the symbol, when present, is the vitc API function of
                // that name, whose C signature is `$ty` (see the generated
                // header); the pointer is copied out and used only while `lib`
                // is alive (it is stored alongside it).
                unsafe { lib.get::<$ty>(symbol.as_str()) }.map(|s| *s).map_err(|e| missing(&symbol, e))?
            }};
        }
        let create = bind!("create", CreateFn);
        let run = bind!("run", RunFn);
        let destroy = bind!("destroy", DestroyFn);
        let last_error = bind!("last_error", StrFn);
        let input_rank = bind!("input_rank", IntFn);
        let input_dim = bind!("input_dim", DimFn);
        let input_len = bind!("input_len", LenFn);
        let output_rank = bind!("output_rank", IntFn);
        let output_dim = bind!("output_dim", DimFn);
        let output_len = bind!("output_len", LenFn);
        let max_batch = bind!("max_batch", IntFn);
        let name = bind!("name", StrFn);
        let dims = |rank: IntFn, dim: DimFn| -> Vec<i64> {
            // SAFETY: the shape functions take no pointers and have no preconditions.
            let rank = unsafe { rank() };
            // SAFETY: as above; every axis is in 0..rank.
            (0..rank).map(|axis| i64::from(unsafe { dim(axis) })).collect()
        };
        // SAFETY: these functions take no arguments and have no preconditions.
        let (input_len, output_len, max_batch) = unsafe { (input_len(), output_len(), max_batch()) };
        // SAFETY: `name` returns a static NUL-terminated string.
        let name = unsafe { owned_string(name()) };
        Ok(ModelLibrary {
            path: abs,
            create,
            run,
            destroy,
            last_error,
            input_dims: dims(input_rank, input_dim),
            output_dims: dims(output_rank, output_dim),
            input_len,
            output_len,
            max_batch: usize::try_from(max_batch).unwrap_or(0),
            name,
            prefix,
            _lib: lib,
        })
    }

    /// The library's absolute path.
    pub fn path(&self) -> &Path {
        &self.path
    }
    /// The API prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }
    /// The model's name (`{prefix}_name()`).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Input shape of one call item; axis 0 is -1 when the batch is dynamic.
    pub fn input_dims(&self) -> &[i64] {
        &self.input_dims
    }
    /// Output shape of one call item; axis 0 is -1 when the batch is dynamic.
    pub fn output_dims(&self) -> &[i64] {
        &self.output_dims
    }
    /// Floats of one batch item of the input.
    pub fn input_len(&self) -> usize {
        self.input_len
    }
    /// Floats of one batch item of the output.
    pub fn output_len(&self) -> usize {
        self.output_len
    }
    /// Largest `batch` of a run (1 for a static shape).
    pub fn max_batch(&self) -> usize {
        self.max_batch
    }
    /// Whether the batch axis is dynamic.
    pub fn dynamic_batch(&self) -> bool {
        self.input_dims.first() == Some(&-1)
    }

    fn last_error(&self) -> String {
        // SAFETY: no preconditions; returns a thread-local NUL-terminated string.
        unsafe { owned_string((self.last_error)()) }
    }

    /// A context with `threads` threads.
    pub fn context(&self, threads: usize) -> Result<Context<'_>, LoadError> {
        Ok(Context { ptr: self.create(threads)?, lib: LibraryRef::Borrowed(self) })
    }

    /// A context with `threads` threads that keeps the library loaded (for
    /// hosts that cannot hold a borrow, such as the Python package).
    pub fn shared_context(lib: &Arc<ModelLibrary>, threads: usize) -> Result<Context<'static>, LoadError> {
        Ok(Context { ptr: lib.create(threads)?, lib: LibraryRef::Shared(Arc::clone(lib)) })
    }

    fn create(&self, threads: usize) -> Result<NonNull<c_void>, LoadError> {
        let threads = c_int::try_from(threads).unwrap_or(c_int::MAX);
        // SAFETY: `create` takes an int and reports bad values through NULL.
        let ptr = unsafe { (self.create)(threads) };
        NonNull::new(ptr).ok_or_else(|| LoadError::Create {
            function: format!("{}_create", self.prefix),
            message: self.last_error(),
        })
    }
}

/// How a [`Context`] holds its library.
enum LibraryRef<'l> {
    Borrowed(&'l ModelLibrary),
    Shared(Arc<ModelLibrary>),
}

impl std::ops::Deref for LibraryRef<'_> {
    type Target = ModelLibrary;
    fn deref(&self) -> &ModelLibrary {
        match self {
            LibraryRef::Borrowed(lib) => lib,
            LibraryRef::Shared(lib) => lib,
        }
    }
}

/// A context of a [`ModelLibrary`]: the model's memory and worker threads.
pub struct Context<'l> {
    lib: LibraryRef<'l>,
    ptr: NonNull<c_void>,
}

// SAFETY: a context may be used from any thread, one at a time (the C API's
// contract); `&mut self` on `run` guarantees the "one at a time".
unsafe impl Send for Context<'_> {}

impl Context<'_> {
    /// Runs `batch` items: `input` must hold `batch × input_len` floats and
    /// `output` `batch × output_len`.
    pub fn run(&mut self, input: &[f32], output: &mut [f32], batch: usize) -> Result<(), LoadError> {
        let lib = &*self.lib;
        let wrong = |what: &str, have: usize, per: usize| {
            LoadError::Argument(format!("{what} has {have} floats; batch {batch} needs {}", batch * per))
        };
        if Some(input.len()) != batch.checked_mul(lib.input_len) {
            return Err(wrong("the input", input.len(), lib.input_len));
        }
        if Some(output.len()) != batch.checked_mul(lib.output_len) {
            return Err(wrong("the output", output.len(), lib.output_len));
        }
        let batch = c_int::try_from(batch).unwrap_or(c_int::MAX);
        // SAFETY: the context is live (owned by self); input and output hold
        // the number of floats the call reads and writes (checked above; the C
        // side rejects a batch outside 1..max_batch before touching them).
        let status = unsafe { (lib.run)(self.ptr.as_ptr(), input.as_ptr(), output.as_mut_ptr(), batch) };
        if status == 0 {
            Ok(())
        } else {
            Err(LoadError::Call { function: format!("{}_run", lib.prefix), status, message: lib.last_error() })
        }
    }
}

impl Drop for Context<'_> {
    fn drop(&mut self) {
        // SAFETY: the pointer came from `create` and is destroyed once, here.
        unsafe { (self.lib.destroy)(self.ptr.as_ptr()) }
    }
}
