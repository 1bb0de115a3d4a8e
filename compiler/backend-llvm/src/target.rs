//! What the LLVM backend generates code for: the architecture and the CPU
//! (`--target-cpu`). The CPU decides the instructions LLVM may use and the
//! vector width of the kernels: 512-bit `<16 x float>` on x86-64 CPUs with
//! AVX-512 (`x86-64-v4`, Skylake-SP and later Xeons, Zen 4), 256-bit
//! `<8 x float>` with FMA on CPUs with AVX2 + FMA (`x86-64-v3` and every
//! server CPU since 2013), 128-bit `<4 x float>` on older x86-64 and on
//! aarch64 (NEON, `fmla`).
//!
//! `native` (the default on the host architecture) means the CPU this
//! compiler runs on, with all its features, as LLVM detects them.

use crate::LlvmError;

/// Instruction-set architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Arch {
    X86_64,
    Aarch64,
}

impl Arch {
    /// The architecture of the machine this process runs on, if supported.
    pub fn host() -> Option<Arch> {
        if cfg!(target_arch = "x86_64") {
            Some(Arch::X86_64)
        } else if cfg!(target_arch = "aarch64") {
            Some(Arch::Aarch64)
        } else {
            None
        }
    }

    /// The LLVM triple.
    pub fn triple(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64-unknown-linux-gnu",
            Arch::Aarch64 => "aarch64-unknown-linux-gnu",
        }
    }
}

/// An LLVM code-generation target.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LlvmTarget {
    pub arch: Arch,
    /// An LLVM CPU name (`x86-64-v3`, `znver3`, `neoverse-n1`, ...) or
    /// `native` for the host's CPU and features.
    pub cpu: String,
    /// Extra LLVM feature string (`+neon`, ...), added to the CPU's.
    pub features: String,
}

/// x86-64 CPU names whose feature set includes AVX2 and FMA but not
/// AVX-512 (the kernels then use 256-bit vectors); those with AVX-512 are
/// in [`AVX512_CPUS`].
const AVX2_FMA_CPUS: &[&str] = &[
    "x86-64-v3",
    "haswell",
    "broadwell",
    "skylake",
    "alderlake",
    "raptorlake",
    "meteorlake",
    "arrowlake",
    "arrowlake-s",
    "lunarlake",
    "pantherlake",
    "gracemont",
    "sierraforest",
    "grandridge",
    "clearwaterforest",
    "znver1",
    "znver2",
    "znver3",
];

/// x86-64 CPU names whose feature set includes AVX-512F (the kernels then
/// use 512-bit vectors).
const AVX512_CPUS: &[&str] = &[
    "x86-64-v4",
    "skylake-avx512",
    "skx",
    "cascadelake",
    "cooperlake",
    "cannonlake",
    "icelake-client",
    "icelake-server",
    "tigerlake",
    "rocketlake",
    "sapphirerapids",
    "emeraldrapids",
    "graniterapids",
    "graniterapids-d",
    "znver4",
    "znver5",
];

impl LlvmTarget {
    /// The default CPU of an architecture: `native` on the host's own
    /// architecture, else `generic` (+NEON) for aarch64 and `x86-64-v3`
    /// for x86-64.
    pub fn new(arch: Arch) -> LlvmTarget {
        match arch {
            a if Some(a) == Arch::host() => LlvmTarget::with_cpu(a, "native"),
            Arch::Aarch64 => LlvmTarget::with_cpu(arch, "generic"),
            Arch::X86_64 => LlvmTarget::with_cpu(arch, "x86-64-v3"),
        }
    }

    /// The host (`native` CPU).
    pub fn host() -> Result<LlvmTarget, LlvmError> {
        let arch = Arch::host()
            .ok_or_else(|| LlvmError::Target(format!("unsupported host architecture {}", std::env::consts::ARCH)))?;
        Ok(LlvmTarget::with_cpu(arch, "native"))
    }

    /// A target with the given CPU (`native`/`host` for the host's).
    pub fn with_cpu(arch: Arch, cpu: &str) -> LlvmTarget {
        let cpu = if cpu == "host" { "native" } else { cpu };
        let features = match arch {
            Arch::Aarch64 if cpu != "native" => "+neon".to_string(),
            _ => String::new(),
        };
        LlvmTarget { arch, cpu: cpu.to_string(), features }
    }

    /// Parses the CLI's `--target` (`x86_64-linux` = the `x86-64` baseline,
    /// `x86_64-v2-linux`, `x86_64-v3-linux`, `aarch64-linux`, `host`,
    /// `native`; `None` is the host) and `--target-cpu` (overrides the CPU
    /// the target name implies).
    pub fn parse(target: Option<&str>, cpu: Option<&str>) -> Result<LlvmTarget, LlvmError> {
        let (arch, implied) = match target.unwrap_or("host") {
            "host" | "native" => {
                let t = LlvmTarget::host()?;
                (t.arch, "native")
            }
            "x86_64-linux" | "x86_64-unknown-linux-gnu" => (Arch::X86_64, "x86-64"),
            "x86_64-v2-linux" => (Arch::X86_64, "x86-64-v2"),
            "x86_64-v3-linux" => (Arch::X86_64, "x86-64-v3"),
            "x86_64-v4-linux" => (Arch::X86_64, "x86-64-v4"),
            "aarch64-linux" | "aarch64-unknown-linux-gnu" => (Arch::Aarch64, "generic"),
            other => {
                return Err(LlvmError::Target(format!(
                    "unknown target `{other}` (expected x86_64-linux, x86_64-v2-linux, x86_64-v3-linux, \
                     x86_64-v4-linux, aarch64-linux or host)"
                )));
            }
        };
        let cpu = cpu.unwrap_or(implied);
        if matches!(cpu, "native" | "host") && Some(arch) != Arch::host() {
            return Err(LlvmError::Target(format!(
                "--target-cpu native names this machine's CPU, which cannot run {:?} code; give an LLVM CPU name",
                arch
            )));
        }
        Ok(LlvmTarget::with_cpu(arch, cpu))
    }

    /// Whether the CPU is the host's (resolved by LLVM at compile time).
    pub fn is_native(&self) -> bool {
        self.cpu == "native"
    }

    /// A readable name: `x86_64 (x86-64-v3)`.
    pub fn name(&self) -> String {
        let arch = match self.arch {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
        };
        format!("{arch} ({})", self.cpu)
    }

    /// Whether a named (non-native) x86-64 CPU has AVX-512F.
    pub fn named_cpu_has_avx512(cpu: &str) -> bool {
        AVX512_CPUS.contains(&cpu)
    }

    /// Whether a named (non-native) x86-64 CPU has AVX2 and FMA.
    pub fn named_cpu_has_avx2_fma(cpu: &str) -> bool {
        AVX2_FMA_CPUS.contains(&cpu) || AVX512_CPUS.contains(&cpu)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_names_map_to_cpus() {
        let t = LlvmTarget::parse(Some("x86_64-v3-linux"), None).expect("v3");
        assert_eq!((t.arch, t.cpu.as_str()), (Arch::X86_64, "x86-64-v3"));
        let t = LlvmTarget::parse(Some("aarch64-linux"), None).expect("aarch64");
        assert_eq!((t.arch, t.cpu.as_str(), t.features.as_str()), (Arch::Aarch64, "generic", "+neon"));
        let t = LlvmTarget::parse(Some("x86_64-linux"), Some("znver3")).expect("cpu");
        assert_eq!(t.cpu, "znver3");
        assert!(LlvmTarget::parse(Some("riscv"), None).is_err());
        if cfg!(target_arch = "x86_64") {
            assert!(LlvmTarget::parse(Some("aarch64-linux"), Some("native")).is_err());
            assert!(LlvmTarget::parse(None, None).expect("host").is_native());
        }
        assert!(LlvmTarget::named_cpu_has_avx2_fma("x86-64-v3"));
        assert!(!LlvmTarget::named_cpu_has_avx2_fma("x86-64"));
        assert!(LlvmTarget::named_cpu_has_avx2_fma("sapphirerapids"));
        assert!(LlvmTarget::named_cpu_has_avx512("x86-64-v4"));
        assert!(!LlvmTarget::named_cpu_has_avx512("x86-64-v3"));
    }
}
