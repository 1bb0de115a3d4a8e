//! Turning a [`Program`] into Cranelift functions and an ELF object:
//! one function per kernel (`{prefix}_k{index}`, C ABI
//! `void f(float *arena, const float *weights, uint64_t start, uint64_t end)`)
//! and the read-only, 64-byte-aligned `{prefix}_weights` data symbol.
//! [`define_kernels`] works on any [`Module`], so tests and in-process
//! runners can use `cranelift-jit` with exactly the code an object gets.

use cranelift_codegen::Context;
use cranelift_codegen::ir::{Function, Signature, UserFuncName};
use cranelift_codegen::isa::{TargetFrontendConfig, TargetIsa};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_module::{DataDescription, FuncId, Linkage, Module, ModuleError, ModuleReloc, default_libcall_names};
use cranelift_object::{ObjectBuilder, ObjectModule};
use vitc_lower::{Kernel, Program, WEIGHT_ALIGN, kernel_symbol, weights_symbol};

use crate::emit::{Fx, kernel_signature};
use crate::{BackendError, Target, attention, gemm};
use vitc_lower::Gemm;

/// Emits the body of one kernel into `func` (whose signature must be the
/// kernel signature). `resolve` maps imported names (`powf`) to the index of
/// their `UserExternalName`.
pub(crate) fn build_kernel(
    func: &mut Function,
    kernel: &Kernel,
    target: &Target,
    frontend: TargetFrontendConfig,
    resolve: &mut dyn FnMut(&str, &Signature) -> Result<u32, BackendError>,
) -> Result<(), BackendError> {
    let mut fctx = FunctionBuilderContext::new();
    let b = FunctionBuilder::new(func, &mut fctx);
    let mut fx = Fx::new(b, *target, frontend, resolve);
    match kernel {
        Kernel::Gemm(g) => gemm::emit_gemm(&mut fx, g)?,
        Kernel::Attention(a) => attention::emit_attention(&mut fx, a)?,
        other => {
            vitc_lower::cpu::emit_kernel(&mut fx, other);
        }
    }
    fx.finish()
}

/// Kernels compiled with `opt_level=none`. The GEMM micro-kernel is written
/// in the order it should execute (per k step: B loads, then per row a
/// broadcast and its multiply-adds). The e-graph pass keeps loads in place
/// but sinks all arithmetic to the end of the unrolled loop body, so every
/// load of four k steps is live at once and the accumulators spill (measured
/// on LeViT's 196×384×128: 32 GFLOP/s optimised, 46 GFLOP/s in order).
fn keeps_order(kernel: &Kernel) -> bool {
    matches!(kernel, Kernel::Gemm(Gemm { .. }))
}

fn module_err(what: &str, e: ModuleError) -> BackendError {
    let detail = match &e {
        ModuleError::Compilation(cranelift_codegen::CodegenError::Verifier(errs)) => format!("verifier: {errs}"),
        other => other.to_string(),
    };
    BackendError::Codegen(format!("{what}: {detail}"))
}

/// Declares and defines every kernel of `program` in `module` with the given
/// linkage; returns their ids in kernel order. Imports (`powf`) are declared
/// on first use. The caller validates the program ([`compile_object`]
/// does); kernel tests also run programs outside the contract (in-place
/// maps) through it.
pub fn define_kernels<M: Module>(
    module: &mut M,
    program: &Program,
    prefix: &str,
    target: &Target,
    linkage: Linkage,
) -> Result<Vec<FuncId>, BackendError> {
    let frontend = module.isa().frontend_config();
    let ordered = target.isa_with(module.isa().flags().is_pic(), false)?;
    let sig = kernel_signature(frontend.default_call_conv);
    let mut ids = Vec::with_capacity(program.kernels.len());
    let mut ctx = module.make_context();
    for (index, kernel) in program.kernels.iter().enumerate() {
        let name = kernel_symbol(prefix, index);
        let id = module.declare_function(&name, linkage, &sig).map_err(|e| module_err(&name, e))?;
        ctx.clear();
        ctx.func.signature = sig.clone();
        ctx.func.name = UserFuncName::user(0, id.as_u32());
        {
            let mut resolve = |import: &str, s: &Signature| -> Result<u32, BackendError> {
                module
                    .declare_function(import, Linkage::Import, s)
                    .map(|f| f.as_u32())
                    .map_err(|e| module_err(import, e))
            };
            build_kernel(&mut ctx.func, kernel, target, frontend, &mut resolve)
                .map_err(|e| e.context(&format!("{name} ({})", kernel.name())))?;
        }
        let what = format!("{name} ({})", kernel.name());
        if keeps_order(kernel) {
            // Compiled without the e-graph pass (see `keeps_order`), then
            // handed to the module as bytes plus relocations.
            ctx.compile(&*ordered, &mut Default::default())
                .map_err(|e| BackendError::Codegen(format!("{what}: {:?}", e.inner)))?;
            let code = ctx.compiled_code().ok_or_else(|| BackendError::Codegen(format!("{what}: no code")))?;
            let alignment = code.buffer.alignment as u64;
            let bytes = code.code_buffer().to_vec();
            let relocs: Vec<ModuleReloc> =
                code.buffer.relocs().iter().map(|r| ModuleReloc::from_mach_reloc(r, &ctx.func, id)).collect();
            module.define_function_bytes(id, alignment, &bytes, &relocs).map_err(|e| module_err(&what, e))?;
        } else {
            module.define_function(id, &mut ctx).map_err(|e| module_err(&what, e))?;
        }
        ids.push(id);
    }
    Ok(ids)
}

/// The ELF relocatable object of a program (see the crate docs). The
/// program is checked first ([`Program::validate`], the kernel contract).
pub fn compile_object(program: &Program, prefix: &str, target: &Target) -> Result<Vec<u8>, BackendError> {
    program.validate().map_err(BackendError::Invalid)?;
    let isa = target.isa(true)?;
    let mut builder = ObjectBuilder::new(isa, prefix.to_string(), default_libcall_names())
        .map_err(|e| module_err("object builder", e))?;
    // No `.eh_frame`: cranelift-object writes its FDEs with absolute
    // function addresses, which in a shared library means text relocations
    // (DT_TEXTREL). The kernels are leaf functions that never unwind, and
    // they keep frame pointers for debuggers and profilers.
    builder.unwind_info(false);
    let mut module = ObjectModule::new(builder);
    define_kernels(&mut module, program, prefix, target, Linkage::Export)?;
    let wname = weights_symbol(prefix);
    let wid = module.declare_data(&wname, Linkage::Export, false, false).map_err(|e| module_err(&wname, e))?;
    let mut data = DataDescription::new();
    data.define(program.weights.clone().into_boxed_slice());
    data.set_align(WEIGHT_ALIGN as u64);
    module.define_data(wid, &data).map_err(|e| module_err(&wname, e))?;
    module.finish().emit().map_err(|e| BackendError::Object(e.to_string()))
}

/// Builds the (unoptimised) Cranelift IR of every kernel; imports get
/// consecutive user-name indices.
fn build_all(
    program: &Program,
    prefix: &str,
    target: &Target,
    isa: &dyn TargetIsa,
) -> Result<Vec<(String, Function)>, BackendError> {
    program.validate().map_err(BackendError::Invalid)?;
    let frontend = isa.frontend_config();
    let mut imports: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for (index, kernel) in program.kernels.iter().enumerate() {
        let name = kernel_symbol(prefix, index);
        let mut func =
            Function::with_name_signature(UserFuncName::testcase(&name), kernel_signature(frontend.default_call_conv));
        let mut resolve = |import: &str, _: &Signature| -> Result<u32, BackendError> {
            let i = match imports.iter().position(|n| n == import) {
                Some(i) => i,
                None => {
                    imports.push(import.to_string());
                    imports.len() - 1
                }
            };
            Ok(i as u32 + 1)
        };
        build_kernel(&mut func, kernel, target, frontend, &mut resolve)
            .map_err(|e| e.context(&format!("{name} ({})", kernel.name())))?;
        out.push((format!("{name} ({})", kernel.name()), func));
    }
    Ok(out)
}

/// Runs Cranelift's IR verifier on every kernel as built (the compile path
/// runs it only in debug builds).
pub fn verify(program: &Program, target: &Target) -> Result<(), BackendError> {
    let isa = target.isa(true)?;
    for (title, func) in build_all(program, "verify", target, &*isa)? {
        cranelift_codegen::verify_function(&func, &*isa)
            .map_err(|e| BackendError::Codegen(format!("{title}: verifier: {e}")))?;
    }
    Ok(())
}

/// Textual Cranelift IR of every kernel, as built (before optimisation).
pub fn emit_clif(program: &Program, prefix: &str, target: &Target) -> Result<String, BackendError> {
    let isa = target.isa(true)?;
    let mut s = String::new();
    for (title, func) in build_all(program, prefix, target, &*isa)? {
        s.push_str(&format!("; {title}\n{}\n", func.display()));
    }
    Ok(s)
}

/// Cranelift's disassembly of the final machine code (VCode after register
/// allocation) of every kernel.
pub fn emit_disasm(program: &Program, prefix: &str, target: &Target) -> Result<String, BackendError> {
    let isa = target.isa(true)?;
    let mut s = String::new();
    for (title, func) in build_all(program, prefix, target, &*isa)? {
        let mut ctx = Context::for_function(func);
        ctx.set_disasm(true);
        let mut cp = Default::default();
        let code = ctx.compile(&*isa, &mut cp).map_err(|e| BackendError::Codegen(format!("{title}: {:?}", e.inner)))?;
        let size = code.code_buffer().len();
        let vcode = code.vcode.clone().unwrap_or_default();
        s.push_str(&format!("; {title}: {size} bytes\n{vcode}\n"));
    }
    Ok(s)
}
