//! Object emission: ELF machine, symbols, the weights data symbol, for
//! x86-64 (every feature level) and aarch64, with every kernel kind; plus
//! the textual CLIF and disassembly listings.

mod common;

use object::{Object, ObjectSection, ObjectSymbol, SectionKind, SymbolKind};
use vitc_backend_cranelift::{Target, compile_object, emit_clif, emit_disasm};
use vitc_lower::{
    Activation, BinaryOp, Conv2dGeom, GemmB, Kernel, Loc, MapOp, PoolKind, Program, ReduceOp, Strided, UnaryOp,
};
use vitc_lower::{Conv2d, ConvTranspose2d, Fill, Gather, Gemm, Im2col, LayerNorm, Map, Pool2d, Reduce, Softmax};

fn geom() -> Conv2dGeom {
    Conv2dGeom {
        c: 4,
        h: 8,
        w: 8,
        oc: 4,
        oh: 8,
        ow: 8,
        kh: 3,
        kw: 3,
        stride_h: 1,
        stride_w: 1,
        pad_top: 1,
        pad_left: 1,
        dil_h: 1,
        dil_w: 1,
        groups: 4,
    }
}

/// One kernel of every kind, each writing its own part of the arena.
fn all_kinds() -> Program {
    let st = |o: usize, s: &[isize]| Strided { at: Loc::arena(o), strides: s.to_vec() };
    let kernels = vec![
        Kernel::Fill(Fill { len: 10, value: 2.0, out: Loc::arena(1000) }),
        Kernel::Map(Map {
            op: MapOp::Unary(UnaryOp::Erf),
            dims: vec![4, 6],
            out: Loc::arena(1100),
            inputs: vec![st(100, &[6, 1])],
        }),
        Kernel::Map(Map {
            op: MapOp::Unary(UnaryOp::Log),
            dims: vec![4, 6],
            out: Loc::arena(1200),
            inputs: vec![st(100, &[1, 4])],
        }),
        Kernel::Map(Map {
            op: MapOp::Binary(BinaryOp::Pow),
            dims: vec![3, 5],
            out: Loc::arena(1300),
            inputs: vec![st(100, &[5, 1]), st(200, &[0, 0])],
        }),
        Kernel::Map(Map {
            op: MapOp::Unary(UnaryOp::Act(Activation::GeluTanh)),
            dims: vec![9],
            out: Loc::arena(1400),
            inputs: vec![st(100, &[1])],
        }),
        Kernel::Gemm(Gemm {
            m: 7,
            n: 13,
            k: 9,
            batch: 2,
            a: Loc::arena(0),
            lda: 9,
            a_batch_stride: 63,
            b: GemmB::Packed { at: Loc::weights(0), nr: vitc_lower::GEMM_NR, batch_stride: 0 },
            c: Loc::arena(1500),
            ldc: 13,
            c_batch_stride: 91,
            bias: Some(Loc::weights(0)),
            bias_batch_stride: 0,
            residual: Some(Loc::arena(300)),
            act: Activation::Gelu,
        }),
        Kernel::Gemm(Gemm {
            m: 7,
            n: 13,
            k: 9,
            batch: 1,
            a: Loc::arena(0),
            lda: 9,
            a_batch_stride: 0,
            b: GemmB::Strided { at: Loc::arena(400), row_stride: 1, col_stride: 9, batch_stride: 0 },
            c: Loc::arena(1700),
            ldc: 13,
            c_batch_stride: 0,
            bias: None,
            bias_batch_stride: 0,
            residual: None,
            act: Activation::None,
        }),
        Kernel::Softmax(Softmax { rows: 3, cols: 13, x: Loc::arena(0), out: Loc::arena(1900) }),
        Kernel::LayerNorm(LayerNorm {
            rows: 3,
            cols: 13,
            eps: 1e-5,
            x: Loc::arena(0),
            scale: Loc::weights(0),
            bias: None,
            out: Loc::arena(2000),
        }),
        Kernel::Reduce(Reduce {
            op: ReduceOp::Max,
            outer: 2,
            reduce: 5,
            inner: 3,
            src: Loc::arena(0),
            out: Loc::arena(2100),
        }),
        Kernel::Gather(Gather {
            outer: 2,
            src_axis: 4,
            inner: 3,
            indices: 2,
            table: Loc::weights(190),
            src: Loc::arena(0),
            out: Loc::arena(2150),
        }),
        Kernel::Im2col(Im2col { geom: geom(), x: Loc::arena(0), out: Loc::arena(2200) }),
        Kernel::Pool2d(Pool2d {
            kind: PoolKind::Avg,
            geom: geom(),
            count_include_pad: false,
            x: Loc::arena(0),
            out: Loc::arena(4600),
        }),
        Kernel::Conv2d(Conv2d {
            geom: geom(),
            x: Loc::arena(0),
            w: Loc::weights(0),
            bias: None,
            out: Loc::arena(4900),
            act: Activation::Relu,
        }),
        Kernel::ConvTranspose2d(ConvTranspose2d {
            geom: geom(),
            x: Loc::arena(0),
            w: Loc::weights(0),
            bias: None,
            out: Loc::arena(5200),
        }),
    ];
    let mut weights = vec![0.5f32; 200];
    weights[190..].fill(0.0); // the gather table: indices 0
    common::program(kernels, 6000, &weights)
}

fn check_elf(target: Target, machine: u16) {
    let prog = all_kinds();
    let bytes = compile_object(&prog, "vit", &target).expect("compile");
    assert_eq!(&bytes[..4], b"\x7fELF");
    assert_eq!(u16::from_le_bytes([bytes[18], bytes[19]]), machine, "{target:?}");
    let file = object::File::parse(&*bytes).expect("parse");
    for i in 0..prog.kernels.len() {
        let name = format!("vit_k{i}");
        let sym = file.symbols().find(|s| s.name() == Ok(name.as_str())).unwrap_or_else(|| panic!("{name}"));
        assert_eq!(sym.kind(), SymbolKind::Text);
        assert!(sym.is_global() && sym.is_definition());
    }
    let w = file.symbols().find(|s| s.name() == Ok("vit_weights")).expect("weights symbol");
    assert_eq!(w.kind(), SymbolKind::Data);
    assert!(w.is_global());
    assert_eq!(w.size(), prog.weights.len() as u64);
    let sec = file.section_by_index(w.section_index().expect("section")).expect("section");
    assert_eq!(sec.kind(), SectionKind::ReadOnlyData, "weights are read-only");
    assert!(sec.align() >= 64);
    assert_eq!(w.address() % 64, 0);
    let data = sec.data().expect("data");
    let off = (w.address() - sec.address()) as usize;
    assert_eq!(&data[off..off + prog.weights.len()], &prog.weights[..]);
    // The only undefined symbol is powf (the Pow map).
    let undefined: Vec<_> = file.symbols().filter(|s| s.is_undefined() && !s.name().unwrap_or("").is_empty()).collect();
    let names: Vec<_> = undefined.iter().map(|s| s.name().unwrap_or("")).collect();
    assert_eq!(names, vec!["powf"], "{target:?}");
}

#[test]
fn x86_64_objects() {
    for name in ["x86_64-linux", "x86_64-v2-linux", "x86_64-v3-linux"] {
        check_elf(Target::parse(name).expect("target"), 62);
    }
}

#[test]
fn aarch64_object() {
    let t = Target::parse("aarch64-linux").expect("target");
    assert!(t.has_fma);
    check_elf(t, 183);
}

#[test]
fn listings() {
    let prog = all_kinds();
    let t = Target::parse("x86_64-v3-linux").expect("target");
    let clif = emit_clif(&prog, "vit", &t).expect("clif");
    assert!(clif.contains("; vit_k5 (gemm)"));
    assert!(clif.contains("fma.f32x4"));
    let asm = emit_disasm(&prog, "vit", &t).expect("disasm");
    assert!(asm.contains("vfmadd"), "FMA instructions in the GEMM");
    let a64 = emit_disasm(&prog, "vit", &Target::AARCH64).expect("disasm");
    assert!(a64.contains("fmla"));
    let sse = emit_disasm(&prog, "vit", &Target::X86_64).expect("disasm");
    assert!(!sse.contains("vfmadd") && !sse.contains("Fma"), "no FMA, no FMA libcalls on baseline x86-64");
}

/// Links the object into a shared library with `-z text` (fails on text
/// relocations) with the C compiler for that target, which must be installed.
fn links_as_shared_library(target: Target, cc: &str) {
    vitc_testkit::require_tool(cc);
    let dir = std::env::temp_dir().join(format!("vitc-cranelift-so-{}-{}", std::process::id(), target.name()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let obj = dir.join("m.o");
    std::fs::write(&obj, compile_object(&all_kinds(), "vit", &target).expect("compile")).expect("write");
    let out = std::process::Command::new(cc)
        .args(["-shared", "-Wl,-z,text", "-o"])
        .arg(dir.join("m.so"))
        .arg(&obj)
        .arg("-lm")
        .output()
        .expect("cc");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success(), "{cc}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn objects_link_into_shared_libraries() {
    if cfg!(target_arch = "x86_64") {
        links_as_shared_library(Target::X86_64_V3, "cc");
    }
    links_as_shared_library(Target::AARCH64, "aarch64-linux-gnu-gcc");
}

#[test]
fn invalid_programs_are_errors() {
    let mut p = all_kinds();
    p.kernels.push(Kernel::Fill(Fill { len: 10, value: 0.0, out: Loc::arena(5995) }));
    assert!(compile_object(&p, "vit", &Target::X86_64).is_err(), "write past the arena");
    let mut p = all_kinds();
    p.weights[190 * 4] = 9; // gather index 9 on an axis of 4
    assert!(compile_object(&p, "vit", &Target::X86_64).is_err(), "gather index out of range");
    let mut p = all_kinds();
    if let Kernel::Conv2d(Conv2d { geom, .. }) = &mut p.kernels[13] {
        geom.stride_h = 0;
    }
    let err = compile_object(&p, "vit", &Target::X86_64).expect_err("zero stride");
    assert!(err.to_string().contains("vit_k13") || err.to_string().contains("stride"), "{err}");
}

#[test]
fn targets_parse() {
    assert!(Target::parse("riscv64-linux").is_err());
    let host = Target::host().expect("host");
    assert_eq!(Target::parse("host").expect("host"), host);
    assert!(!Target::parse("x86_64-linux").expect("x86").has_fma);
    for name in ["x86_64-linux", "x86_64-v2-linux", "x86_64-v3-linux", "aarch64-linux"] {
        assert_eq!(Target::parse(name).expect("target").name(), name);
    }
}
