//! Driving LLVM: modules with one function per kernel
//! (`{prefix}_k{index}`, C ABI
//! `void f(float *arena, const float *weights, uint64_t start, uint64_t end)`)
//! and the read-only, 64-byte-aligned `{prefix}_weights` constant; the
//! target machine from an [`LlvmTarget`]; the `default<O3>` pipeline; and
//! the ELF objects, assembly or IR text. Objects are compiled in parallel:
//! the kernels are split into one module per thread (kernels never call
//! each other, so the modules are independent), each with its own LLVM
//! context, optimised and emitted on its own thread.

use inkwell::OptimizationLevel;
use inkwell::attributes::{Attribute, AttributeLoc};
use inkwell::context::Context;
use inkwell::module::{Linkage, Module};
use inkwell::passes::PassBuilderOptions;
use inkwell::targets::{CodeModel, FileType, InitializationConfig, RelocMode, Target, TargetMachine, TargetTriple};
use inkwell::values::FunctionValue;
use vitc_lower::{Kernel, Program, WEIGHT_ALIGN};

use crate::fx::{Fx, Isa, R};
use crate::{Arch, LlvmError, LlvmTarget, attention, gemm, kernel_symbol, weights_symbol};

/// A target resolved against LLVM: triple, CPU and feature strings, and
/// what the kernels may assume.
pub(crate) struct Resolved {
    pub triple: &'static str,
    pub cpu: String,
    pub features: String,
    pub isa: Isa,
}

/// Resolves `native` to the host's CPU and features and derives the
/// kernels' vector width.
pub(crate) fn resolve(target: &LlvmTarget) -> Resolved {
    let (cpu, features) = if target.is_native() {
        let cpu = TargetMachine::get_host_cpu_name().to_string();
        let feats = TargetMachine::get_host_cpu_features().to_string();
        (cpu, feats)
    } else {
        (target.cpu.clone(), target.features.clone())
    };
    let has = |f: &str| features.split(',').any(|x| x == format!("+{f}"));
    let isa = match target.arch {
        Arch::Aarch64 => Isa { lanes: 4, fma: true, aarch64: true },
        Arch::X86_64 => {
            let wide = if target.is_native() {
                has("avx2") && has("fma")
            } else {
                LlvmTarget::named_cpu_has_avx2_fma(&cpu) || (has("avx2") && has("fma"))
            };
            let wider = wide
                && if target.is_native() {
                    has("avx512f")
                } else {
                    LlvmTarget::named_cpu_has_avx512(&cpu) || has("avx512f")
                };
            let lanes = if wider {
                16
            } else if wide {
                8
            } else {
                4
            };
            Isa { lanes, fma: wide || has("fma"), aarch64: false }
        }
    };
    Resolved { triple: target.arch.triple(), cpu, features, isa }
}

/// Registers LLVM's x86 and aarch64 targets (once, before any thread
/// makes a target machine).
fn initialise_targets() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let config = InitializationConfig::default();
        Target::initialize_x86(&config);
        Target::initialize_aarch64(&config);
    });
}

/// The LLVM target machine (PIC, `-O3`).
fn machine(r: &Resolved) -> R<TargetMachine> {
    initialise_targets();
    let triple = TargetTriple::create(r.triple);
    let t = Target::from_triple(&triple).map_err(|e| LlvmError::Target(format!("{}: {e}", r.triple)))?;
    t.create_target_machine(
        &triple,
        &r.cpu,
        &r.features,
        OptimizationLevel::Aggressive,
        RelocMode::PIC,
        CodeModel::Default,
    )
    .ok_or_else(|| LlvmError::Target(format!("LLVM has no target machine for {} cpu {}", r.triple, r.cpu)))
}

/// Emits the body of one kernel: GEMM and attention here, every other
/// kernel through the shared CPU loop layer (`vitc_lower::cpu`).
fn build_kernel(fx: &mut Fx<'_, '_>, kernel: &Kernel) -> R<()> {
    match kernel {
        Kernel::Gemm(g) => gemm::emit_gemm(fx, g),
        Kernel::Attention(a) => attention::emit_attention(fx, a),
        other => fx.elem(fx.isa.lanes, |e| vitc_lower::cpu::emit_kernel(e, other)).map(|_| ()),
    }
}

/// Declares a kernel function with the kernel signature and attributes:
/// `nounwind`, `noalias` arena and weights, read-only weights.
fn declare<'c>(ctx: &'c Context, module: &Module<'c>, name: &str, lanes: u32) -> FunctionValue<'c> {
    let ptr = ctx.ptr_type(inkwell::AddressSpace::default());
    let i64t = ctx.i64_type();
    let ty = ctx.void_type().fn_type(&[ptr.into(), ptr.into(), i64t.into(), i64t.into()], false);
    let f = module.add_function(name, ty, Some(Linkage::External));
    let attr = |n: &str| ctx.create_enum_attribute(Attribute::get_named_enum_kind_id(n), 0);
    f.add_attribute(AttributeLoc::Function, attr("nounwind"));
    for p in 0..2 {
        f.add_attribute(AttributeLoc::Param(p), attr("noalias"));
        f.add_attribute(AttributeLoc::Param(p), attr("nocapture"));
    }
    f.add_attribute(AttributeLoc::Param(1), attr("readonly"));
    if lanes == 16 {
        // The kernels' <16 x float> are meant as zmm registers: without
        // these, LLVM splits them in two for CPUs that prefer 256 bits.
        for key in ["prefer-vector-width", "min-legal-vector-width"] {
            f.add_attribute(AttributeLoc::Function, ctx.create_string_attribute(key, "512"));
        }
    }
    f
}

/// What one module holds: some kernels, and maybe the weights.
struct Part<'p> {
    kernels: Vec<usize>,
    weights: Option<&'p [u8]>,
}

/// The whole program as one module.
fn whole(program: &Program) -> Part<'_> {
    Part { kernels: (0..program.kernels.len()).collect(), weights: Some(&program.weights) }
}

/// A kernel's share of LLVM's time, roughly: the fused attention and the
/// GEMM micro-kernels are most of the code.
fn llvm_weight(kernel: &Kernel) -> u64 {
    match kernel {
        Kernel::Attention(_) => 8,
        Kernel::Gemm(_) => 3,
        _ => 1,
    }
}

/// Splits the kernels into at most `parts` modules of similar LLVM work
/// (heaviest first, each to the lightest module); the first holds the weights.
fn split(program: &Program, parts: usize) -> Vec<Part<'_>> {
    let parts = parts.clamp(1, program.kernels.len().max(1));
    let mut order: Vec<usize> = (0..program.kernels.len()).collect();
    order.sort_by_key(|&k| std::cmp::Reverse(llvm_weight(&program.kernels[k])));
    let mut load = vec![0u64; parts];
    let mut split: Vec<Part<'_>> = (0..parts).map(|_| Part { kernels: Vec::new(), weights: None }).collect();
    for k in order {
        let lightest = (0..parts).min_by_key(|&p| load[p]).unwrap_or(0);
        load[lightest] += llvm_weight(&program.kernels[k]);
        split[lightest].kernels.push(k);
    }
    split[0].weights = Some(&program.weights);
    split
}

/// Builds one module (unoptimised) with the kernels and weights of `part`.
fn build_module<'c>(ctx: &'c Context, program: &Program, part: &Part<'_>, prefix: &str, r: &Resolved) -> R<Module<'c>> {
    let module = ctx.create_module(prefix);
    module.set_triple(&TargetTriple::create(r.triple));
    for &index in &part.kernels {
        let kernel = &program.kernels[index];
        let name = kernel_symbol(prefix, index);
        let f = declare(ctx, &module, &name, r.isa.lanes);
        let what = format!("{name} ({})", kernel.name());
        let mut fx = Fx::new(ctx, &module, f, r.isa).map_err(|e| e.context(&what))?;
        build_kernel(&mut fx, kernel).map_err(|e| e.context(&what))?;
        fx.finish().map_err(|e| e.context(&what))?;
    }
    if let Some(weights) = part.weights {
        let bytes = ctx.const_string(weights, false);
        let g = module.add_global(bytes.get_type(), None, &weights_symbol(prefix));
        g.set_initializer(&bytes);
        g.set_constant(true);
        g.set_alignment(WEIGHT_ALIGN as u32);
        g.set_linkage(Linkage::External);
    }
    module.verify().map_err(|e| LlvmError::Codegen(format!("LLVM verifier: {}", e.to_string())))?;
    Ok(module)
}

/// Builds and optimises the module of `part`; `f` turns it into the
/// output. The program must have passed [`Program::validate`].
fn optimised<T>(
    program: &Program,
    part: &Part<'_>,
    prefix: &str,
    r: &Resolved,
    f: &mut dyn FnMut(&Module<'_>, &TargetMachine) -> R<T>,
) -> R<T> {
    let tm = machine(r)?;
    let ctx = Context::create();
    let module = build_module(&ctx, program, part, prefix, r)?;
    module.set_data_layout(&tm.get_target_data().get_data_layout());
    // The kernels are vectorised by construction.
    let opts = PassBuilderOptions::create();
    opts.set_loop_vectorization(false);
    opts.set_loop_slp_vectorization(false);
    module
        .run_passes("default<O3>", &tm, opts)
        .map_err(|e| LlvmError::Codegen(format!("optimisation: {}", e.to_string())))?;
    f(&module, &tm)
}

/// The object code of one module.
fn object(module: &Module<'_>, tm: &TargetMachine) -> R<Vec<u8>> {
    let buf = tm
        .write_to_memory_buffer(module, FileType::Object)
        .map_err(|e| LlvmError::Codegen(format!("object emission: {}", e.to_string())))?;
    Ok(buf.as_slice().to_vec())
}

/// The ELF relocatable object of a program: the kernels and the weights.
/// The program is checked first ([`Program::validate`]).
pub fn compile_object(program: &Program, prefix: &str, target: &LlvmTarget) -> Result<Vec<u8>, LlvmError> {
    program.validate().map_err(LlvmError::Invalid)?;
    optimised(program, &whole(program), prefix, &resolve(target), &mut object)
}

/// The program as up to `threads` ELF relocatable objects compiled in
/// parallel, together the same code as [`compile_object`]'s one object.
pub fn compile_objects(
    program: &Program,
    prefix: &str,
    target: &LlvmTarget,
    threads: usize,
) -> Result<Vec<Vec<u8>>, LlvmError> {
    program.validate().map_err(LlvmError::Invalid)?;
    let r = resolve(target);
    initialise_targets();
    let parts = split(program, threads);
    std::thread::scope(|scope| {
        let r = &r;
        let running: Vec<_> =
            parts.iter().map(|part| scope.spawn(move || optimised(program, part, prefix, r, &mut object))).collect();
        running
            .into_iter()
            .map(|t| t.join().unwrap_or_else(|_| Err(LlvmError::Codegen("a code generation thread panicked".into()))))
            .collect()
    })
}

/// The program with a placeholder weights blob, for listings (the blob is
/// only data and may be megabytes).
fn for_listing(program: &Program) -> R<Program> {
    program.validate().map_err(LlvmError::Invalid)?;
    let mut light = program.clone();
    light.weights = vec![0; program.weights.len().min(64)];
    Ok(light)
}

/// The optimised LLVM IR of every kernel (the weights constant is a
/// placeholder of at most 64 bytes).
pub fn emit_llvm_ir(program: &Program, prefix: &str, target: &LlvmTarget) -> Result<String, LlvmError> {
    let light = for_listing(program)?;
    optimised(&light, &whole(&light), prefix, &resolve(target), &mut |module, _| {
        Ok(module.print_to_string().to_string())
    })
}

/// The assembly of every kernel.
pub fn emit_asm(program: &Program, prefix: &str, target: &LlvmTarget) -> Result<String, LlvmError> {
    let light = for_listing(program)?;
    optimised(&light, &whole(&light), prefix, &resolve(target), &mut |module, tm| {
        let buf = tm
            .write_to_memory_buffer(module, FileType::Assembly)
            .map_err(|e| LlvmError::Codegen(format!("assembly emission: {}", e.to_string())))?;
        Ok(String::from_utf8_lossy(buf.as_slice()).into_owned())
    })
}
