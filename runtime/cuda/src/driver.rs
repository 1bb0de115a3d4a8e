//! The launcher proper, on the CUDA driver API (`cudarc::driver::result`,
//! thin wrappers of `cuInit`, `cuModuleLoadDataEx`, `cuMemAlloc`,
//! `cuLaunchKernel`, ...). One [`GpuModel`] owns a primary-context
//! reference, the loaded module, the weights and the arena of its largest
//! batch; calls run on the default stream and wait for completion.

use crate::Timings;
use crate::bundle::Bundle;
use crate::error::CudaError;
use cudarc::driver::{result, sys};
use std::ffi::{CString, c_void};
use std::time::Instant;
use vitc_manifest::{KernelInfo, Manifest};

/// Whether the CUDA driver library can be loaded (checked before any other call).
pub fn driver_present() -> bool {
    // SAFETY: only tries to open libcuda.so (dlopen); it touches no CUDA state.
    unsafe { sys::is_culib_present() }
}

fn drv(what: &str) -> impl Fn(result::DriverError) -> CudaError + '_ {
    move |e| CudaError::Driver(format!("{what}: {e}"))
}

/// A compiled model resident on one GPU.
pub struct GpuModel {
    device: sys::CUdevice,
    ctx: sys::CUcontext,
    module: sys::CUmodule,
    functions: Vec<(sys::CUfunction, KernelInfo)>,
    arena: sys::CUdeviceptr,
    weights: sys::CUdeviceptr,
    max_images: usize,
    manifest: Manifest,
}

impl GpuModel {
    /// Loads `bundle` on GPU `device`: JIT-compiles the PTX, uploads the
    /// weights and allocates the arena for the bundle's largest batch.
    pub fn new(bundle: &Bundle, device: usize) -> Result<GpuModel, CudaError> {
        if !driver_present() {
            return Err(CudaError::NoDriver);
        }
        result::init().map_err(drv("cuInit"))?;
        let count = result::device::get_count().map_err(drv("cuDeviceGetCount"))?;
        if count <= 0 {
            return Err(CudaError::Driver("the CUDA driver reports no GPU".into()));
        }
        let ordinal = i32::try_from(device)
            .ok()
            .filter(|&d| d < count)
            .ok_or_else(|| CudaError::Driver(format!("GPU {device} requested, the driver reports {count}")))?;
        let dev = result::device::get(ordinal).map_err(drv("cuDeviceGet"))?;
        // SAFETY: `dev` comes from cuDeviceGet; the attributes are plain queries.
        let (major, minor) = unsafe {
            (
                result::device::get_attribute(
                    dev,
                    sys::CUdevice_attribute::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
                )
                .map_err(drv("cuDeviceGetAttribute"))?,
                result::device::get_attribute(
                    dev,
                    sys::CUdevice_attribute::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
                )
                .map_err(drv("cuDeviceGetAttribute"))?,
            )
        };
        let sm = (major * 10 + minor) as u32;
        if sm < bundle.manifest.sm {
            return Err(CudaError::Call(format!(
                "the PTX targets sm_{} but GPU {device} is sm_{sm}; compile with --target ptx-sm{}",
                bundle.manifest.sm,
                if sm >= 90 { 90 } else { 80 }
            )));
        }
        // SAFETY: `dev` is valid; the context reference is released in Drop.
        let ctx = unsafe { result::primary_ctx::retain(dev) }.map_err(drv("cuDevicePrimaryCtxRetain"))?;
        let mut model = GpuModel {
            device: dev,
            ctx,
            module: std::ptr::null_mut(),
            functions: Vec::new(),
            arena: 0,
            weights: 0,
            max_images: bundle.max_images(),
            manifest: bundle.manifest.clone(),
        };
        model.bind()?;
        model.module = load_module(&bundle.ptx)?;
        for k in &bundle.manifest.kernels {
            let name =
                CString::new(k.entry.as_str()).map_err(|_| CudaError::Bundle(format!("bad entry {}", k.entry)))?;
            // SAFETY: the module was loaded above and stays loaded while `model` lives.
            let f = unsafe { result::module::get_function(model.module, name) }
                .map_err(drv(&format!("cuModuleGetFunction({})", k.entry)))?;
            model.functions.push((f, k.clone()));
        }
        let arena_bytes = model.manifest.arena.image_stride as usize * model.max_images;
        // SAFETY: plain device allocations (cuMemAlloc), freed in Drop; sizes are non-zero.
        unsafe {
            model.arena = result::malloc_sync(arena_bytes.max(256)).map_err(drv("cuMemAlloc (arena)"))?;
            result::memset_d8_sync(model.arena, 0, arena_bytes.max(256)).map_err(drv("cuMemsetD8"))?;
            model.weights = result::malloc_sync(bundle.weights.len().max(256)).map_err(drv("cuMemAlloc (weights)"))?;
            if !bundle.weights.is_empty() {
                result::memcpy_htod_sync(model.weights, &bundle.weights).map_err(drv("cuMemcpyHtoD (weights)"))?;
            }
        }
        Ok(model)
    }

    /// Makes this model's context current on the calling thread.
    fn bind(&self) -> Result<(), CudaError> {
        // SAFETY: `ctx` is a retained primary context, alive until Drop.
        unsafe { result::ctx::set_current(self.ctx) }.map_err(drv("cuCtxSetCurrent"))
    }

    /// The GPU's name.
    pub fn device_name(&self) -> String {
        result::device::get_name(self.device).unwrap_or_else(|_| "unknown GPU".into())
    }

    fn check(&self, inputs: &[&[f32]], images: usize) -> Result<(), CudaError> {
        if images == 0 || images > self.max_images {
            return Err(CudaError::Call(if self.manifest.batch.dynamic {
                format!("{images} images requested; the model takes 1 to {}", self.max_images)
            } else {
                format!("the model has a static batch; {images} calls requested at once")
            }));
        }
        if inputs.len() != self.manifest.inputs.len() {
            return Err(CudaError::Call(format!(
                "{} inputs given, the model takes {}",
                inputs.len(),
                self.manifest.inputs.len()
            )));
        }
        for (t, data) in self.manifest.inputs.iter().zip(inputs) {
            let want = Bundle::image_len(t) * images;
            if data.len() != want {
                return Err(CudaError::Call(format!("input '{}' has {} values, expected {want}", t.name, data.len())));
            }
        }
        Ok(())
    }

    fn upload(&self, inputs: &[&[f32]], images: usize) -> Result<(), CudaError> {
        let stride = self.manifest.arena.image_stride;
        for (t, data) in self.manifest.inputs.iter().zip(inputs) {
            let len = Bundle::image_len(t);
            for (b, chunk) in data.chunks_exact(len.max(1)).take(images).enumerate() {
                let dst = self.arena + b as u64 * stride + t.offset;
                // SAFETY: `dst .. dst + len·4` lies in image b's arena (checked by Manifest::from_json and `check`).
                unsafe { result::memcpy_htod_sync(dst, chunk) }.map_err(drv("cuMemcpyHtoD (input)"))?;
            }
        }
        Ok(())
    }

    fn launch_all(&self, images: usize) -> Result<(), CudaError> {
        let mut arena = self.arena;
        let mut weights = self.weights;
        let mut stride = self.manifest.arena.image_stride;
        for (f, k) in &self.functions {
            let mut params: [*mut c_void; 3] =
                [(&raw mut arena).cast(), (&raw mut weights).cast(), (&raw mut stride).cast()];
            // SAFETY: the entry takes exactly (u64 arena, u64 weights, u64 image_stride); the pointers
            // are valid device allocations sized for `images` arenas; the dims come from the manifest.
            unsafe {
                result::launch_kernel(
                    *f,
                    (k.grid[0], k.grid[1], images as u32),
                    (k.block[0], k.block[1], k.block[2]),
                    0,
                    std::ptr::null_mut(),
                    &mut params,
                )
            }
            .map_err(drv(&format!("cuLaunchKernel({})", k.entry)))?;
        }
        Ok(())
    }

    fn download(&self, images: usize) -> Result<Vec<Vec<f32>>, CudaError> {
        let stride = self.manifest.arena.image_stride;
        let mut outputs = Vec::with_capacity(self.manifest.outputs.len());
        for t in &self.manifest.outputs {
            let len = Bundle::image_len(t);
            let mut out = vec![0.0f32; len * images];
            for (b, chunk) in out.chunks_exact_mut(len.max(1)).take(images).enumerate() {
                let src = self.arena + b as u64 * stride + t.offset;
                // SAFETY: `src .. src + len·4` lies in image b's arena; the default stream was synchronised.
                unsafe { result::memcpy_dtoh_sync(chunk, src) }.map_err(drv("cuMemcpyDtoH (output)"))?;
            }
            outputs.push(out);
        }
        Ok(outputs)
    }

    /// Runs `images` images (each input holds them back to back); returns
    /// each output the same way.
    pub fn run(&mut self, inputs: &[&[f32]], images: usize) -> Result<Vec<Vec<f32>>, CudaError> {
        self.check(inputs, images)?;
        self.bind()?;
        self.upload(inputs, images)?;
        self.launch_all(images)?;
        result::ctx::synchronize().map_err(drv("running the kernels"))?;
        self.download(images)
    }

    /// Times `runs` calls after `warmup` untimed ones.
    pub fn time(&mut self, inputs: &[&[f32]], images: usize, warmup: usize, runs: usize) -> Result<Timings, CudaError> {
        for _ in 0..warmup {
            self.run(inputs, images)?;
        }
        let start = result::event::create(sys::CUevent_flags::CU_EVENT_DEFAULT).map_err(drv("cuEventCreate"))?;
        let end = result::event::create(sys::CUevent_flags::CU_EVENT_DEFAULT).map_err(drv("cuEventCreate"))?;
        let mut t = Timings::default();
        let mut timed = || -> Result<(), CudaError> {
            for _ in 0..runs {
                let clock = Instant::now();
                self.upload(inputs, images)?;
                // SAFETY: events created above, recorded on the default stream of the current context.
                unsafe { result::event::record(start, std::ptr::null_mut()) }.map_err(drv("cuEventRecord"))?;
                self.launch_all(images)?;
                // SAFETY: as above.
                unsafe { result::event::record(end, std::ptr::null_mut()) }.map_err(drv("cuEventRecord"))?;
                result::ctx::synchronize().map_err(drv("running the kernels"))?;
                self.download(images)?;
                t.call_ms.push(clock.elapsed().as_secs_f64() * 1e3);
                // SAFETY: both events have completed (the context was synchronised).
                let ms = unsafe { result::event::elapsed(start, end) }.map_err(drv("cuEventElapsedTime"))?;
                t.kernels_ms.push(f64::from(ms));
            }
            Ok(())
        };
        let outcome = timed();
        // SAFETY: the events are no longer used.
        unsafe {
            let _ = result::event::destroy(start);
            let _ = result::event::destroy(end);
        }
        outcome.map(|()| t)
    }
}

/// `cuModuleLoadDataEx` with the JIT error log captured into the error.
fn load_module(ptx: &str) -> Result<sys::CUmodule, CudaError> {
    let image = CString::new(ptx).map_err(|_| CudaError::Bundle("the PTX text contains a NUL byte".into()))?;
    let mut log = vec![0u8; 1 << 16];
    let mut options =
        [sys::CUjit_option::CU_JIT_ERROR_LOG_BUFFER, sys::CUjit_option::CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES];
    let mut values: [*mut c_void; 2] = [log.as_mut_ptr().cast(), log.len() as *mut c_void];
    let mut module: sys::CUmodule = std::ptr::null_mut();
    // SAFETY: `image` is a NUL-terminated PTX string; the option arrays have 2 entries each; the log
    // buffer outlives the call and its size is passed by value as the driver expects.
    let status = unsafe {
        sys::cuModuleLoadDataEx(&raw mut module, image.as_ptr().cast(), 2, options.as_mut_ptr(), values.as_mut_ptr())
    };
    match status.result() {
        Ok(()) => Ok(module),
        Err(e) => {
            let text = String::from_utf8_lossy(&log[..log.iter().position(|&b| b == 0).unwrap_or(log.len())])
                .trim()
                .to_string();
            Err(CudaError::Driver(format!("loading the PTX (cuModuleLoadDataEx): {e}\n{text}")))
        }
    }
}

impl Drop for GpuModel {
    fn drop(&mut self) {
        // SAFETY: each handle was created by this model and is released once; errors at teardown are ignored.
        unsafe {
            let _ = result::ctx::set_current(self.ctx);
            if self.arena != 0 {
                let _ = result::free_sync(self.arena);
            }
            if self.weights != 0 {
                let _ = result::free_sync(self.weights);
            }
            if !self.module.is_null() {
                let _ = result::module::unload(self.module);
            }
            let _ = result::primary_ctx::release(self.device);
        }
    }
}
