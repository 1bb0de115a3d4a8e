//! Code-generation targets: the architecture, the CPU features the kernels
//! may use, and the Cranelift ISA built from them.
//!
//! `x86_64-linux` is the portable x86-64 baseline (SSE2 only, no FMA);
//! `x86_64-v2-linux` adds SSE4.2 and `x86_64-v3-linux` AVX2 and FMA, the
//! level of every x86-64 server CPU since 2013. [`Target::host`] detects the
//! features of the machine it runs on. aarch64 always has NEON and `fmla`.

use std::sync::Arc;

use cranelift_codegen::isa::{self, TargetIsa};
use cranelift_codegen::settings::{self, Configurable};

use crate::BackendError;

/// Instruction-set architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Arch {
    X86_64,
    Aarch64,
}

/// What the generated code may assume about the CPU it runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Target {
    pub arch: Arch,
    /// Fused multiply-add on vectors (`vfmadd…ps` on x86-64, `fmla` on
    /// aarch64). Without it a multiply-add is `fmul` + `fadd`.
    pub has_fma: bool,
    /// x86-64: SSE4.1 (`roundps`, `blendvps`, `pmulld`).
    pub has_sse41: bool,
    /// x86-64: AVX (VEX three-operand encodings; required by FMA).
    pub has_avx: bool,
    /// x86-64: AVX2 (`vbroadcastss` from a register).
    pub has_avx2: bool,
}

impl Target {
    /// Portable x86-64 (SSE2).
    pub const X86_64: Target =
        Target { arch: Arch::X86_64, has_fma: false, has_sse41: false, has_avx: false, has_avx2: false };
    /// x86-64-v3: AVX2 and FMA.
    pub const X86_64_V3: Target =
        Target { arch: Arch::X86_64, has_fma: true, has_sse41: true, has_avx: true, has_avx2: true };
    /// aarch64 (NEON, `fmla`).
    pub const AARCH64: Target =
        Target { arch: Arch::Aarch64, has_fma: true, has_sse41: false, has_avx: false, has_avx2: false };

    /// The machine this process runs on.
    pub fn host() -> Result<Target, BackendError> {
        #[cfg(target_arch = "x86_64")]
        {
            let has_avx = std::arch::is_x86_feature_detected!("avx");
            Ok(Target {
                arch: Arch::X86_64,
                has_fma: has_avx && std::arch::is_x86_feature_detected!("fma"),
                has_sse41: std::arch::is_x86_feature_detected!("sse4.1")
                    && std::arch::is_x86_feature_detected!("sse4.2")
                    && std::arch::is_x86_feature_detected!("ssse3"),
                has_avx,
                has_avx2: has_avx && std::arch::is_x86_feature_detected!("avx2"),
            })
        }
        #[cfg(target_arch = "aarch64")]
        {
            Ok(Target::AARCH64)
        }
        #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
        {
            Err(BackendError::Target(format!("unsupported host architecture {}", std::env::consts::ARCH)))
        }
    }

    /// Parses a target name: `x86_64-linux`, `x86_64-v2-linux`,
    /// `x86_64-v3-linux`, `aarch64-linux`, or `host` / `native`.
    pub fn parse(name: &str) -> Result<Target, BackendError> {
        let mut v2 = Target::X86_64;
        v2.has_sse41 = true;
        match name {
            "x86_64-linux" | "x86_64-unknown-linux-gnu" => Ok(Target::X86_64),
            "x86_64-v2-linux" => Ok(v2),
            "x86_64-v3-linux" => Ok(Target::X86_64_V3),
            "aarch64-linux" | "aarch64-unknown-linux-gnu" => Ok(Target::AARCH64),
            "host" | "native" => Target::host(),
            other => Err(BackendError::Target(format!(
                "unknown target `{other}` (expected x86_64-linux, x86_64-v2-linux, x86_64-v3-linux, aarch64-linux or host)"
            ))),
        }
    }

    /// The name [`Target::parse`] reads back (`x86_64-v3-linux`, ...);
    /// feature sets between the named levels print as `x86_64-linux+…`.
    pub fn name(&self) -> String {
        let mut v2 = Target::X86_64;
        v2.has_sse41 = true;
        match *self {
            t if t == Target::AARCH64 || t.arch == Arch::Aarch64 => "aarch64-linux".into(),
            t if t == Target::X86_64 => "x86_64-linux".into(),
            t if t == v2 => "x86_64-v2-linux".into(),
            t if t == Target::X86_64_V3 => "x86_64-v3-linux".into(),
            t => {
                let feats: Vec<&str> =
                    [(t.has_sse41, "sse4.1"), (t.has_avx, "avx"), (t.has_avx2, "avx2"), (t.has_fma, "fma")]
                        .iter()
                        .filter(|(on, _)| *on)
                        .map(|(_, n)| *n)
                        .collect();
                format!("x86_64-linux+{}", feats.join(","))
            }
        }
    }

    /// The LLVM-style triple Cranelift is configured with.
    pub fn triple(&self) -> &'static str {
        match self.arch {
            Arch::X86_64 => "x86_64-unknown-linux-gnu",
            Arch::Aarch64 => "aarch64-unknown-linux-gnu",
        }
    }

    /// Whether `fma` lowers to one instruction (otherwise the kernels emit
    /// `fmul` + `fadd`; Cranelift would turn a vector `fma` into libcalls).
    pub fn native_fma(&self) -> bool {
        match self.arch {
            Arch::X86_64 => self.has_fma && self.has_avx,
            Arch::Aarch64 => true,
        }
    }

    /// Builds the Cranelift ISA: `opt_level=speed`, position-independent code
    /// when `pic` (objects linked into shared libraries), the verifier in
    /// debug builds, and the ISA flags of the features above.
    pub fn isa(&self, pic: bool) -> Result<Arc<dyn TargetIsa>, BackendError> {
        self.isa_with(pic, true)
    }

    /// [`Target::isa`] with the e-graph optimiser on (`opt_level=speed`) or
    /// off (`none`: instructions keep the order the emitter wrote them in,
    /// which the GEMM micro-kernel relies on).
    pub fn isa_with(&self, pic: bool, optimize: bool) -> Result<Arc<dyn TargetIsa>, BackendError> {
        let mut shared = settings::builder();
        let flag = |b: &mut settings::Builder, k: &str, v: &str| {
            b.set(k, v).map_err(|e| BackendError::Target(format!("flag {k}={v}: {e}")))
        };
        flag(&mut shared, "opt_level", if optimize { "speed" } else { "none" })?;
        flag(&mut shared, "is_pic", if pic { "true" } else { "false" })?;
        flag(&mut shared, "enable_verifier", if cfg!(debug_assertions) { "true" } else { "false" })?;
        // Leaf kernels never unwind; objects carry no `.eh_frame`.
        flag(&mut shared, "unwind_info", "false")?;
        // Packed GEMM panels live on the stack: probe large frames inline.
        flag(&mut shared, "enable_probestack", "true")?;
        flag(&mut shared, "probestack_strategy", "inline")?;
        let mut builder =
            isa::lookup_by_name(self.triple()).map_err(|e| BackendError::Target(format!("{}: {e}", self.triple())))?;
        if self.arch == Arch::X86_64 {
            let on = |b: bool| if b { "true" } else { "false" };
            let isa_flag = |b: &mut isa::Builder, k: &str, v: &str| {
                b.set(k, v).map_err(|e| BackendError::Target(format!("ISA flag {k}={v}: {e}")))
            };
            for k in ["has_sse3", "has_ssse3", "has_sse41", "has_sse42"] {
                isa_flag(&mut builder, k, on(self.has_sse41))?;
            }
            isa_flag(&mut builder, "has_avx", on(self.has_avx))?;
            isa_flag(&mut builder, "has_avx2", on(self.has_avx2 && self.has_avx))?;
            isa_flag(&mut builder, "has_fma", on(self.native_fma()))?;
        }
        builder
            .finish(settings::Flags::new(shared))
            .map_err(|e| BackendError::Target(format!("{}: {e}", self.triple())))
    }
}
