//! Link targets and the C toolchain that serves each: the host's `cc`, `ld`,
//! `ar`, `objcopy` for native output, `aarch64-linux-gnu-*` for aarch64 from
//! an x86-64 host.

use crate::LinkError;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// A target of vitc's native output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// x86-64 Linux (System V ABI, ELF).
    X86_64Linux,
    /// aarch64 Linux (AAPCS64, ELF).
    Aarch64Linux,
}

impl Target {
    /// Every target, in the order `--target` lists them.
    pub const ALL: [Target; 2] = [Target::X86_64Linux, Target::Aarch64Linux];

    /// The target of the machine vitc runs on, when it is one of [`Target::ALL`].
    pub fn host() -> Option<Target> {
        match (std::env::consts::ARCH, std::env::consts::OS) {
            ("x86_64", "linux") => Some(Target::X86_64Linux),
            ("aarch64", "linux") => Some(Target::Aarch64Linux),
            _ => None,
        }
    }

    /// The name `--target` takes.
    pub fn name(self) -> &'static str {
        match self {
            Target::X86_64Linux => "x86_64-linux",
            Target::Aarch64Linux => "aarch64-linux",
        }
    }

    /// `e_machine` of this target's ELF files.
    pub fn elf_machine(self) -> u16 {
        match self {
            Target::X86_64Linux => 62,
            Target::Aarch64Linux => 183,
        }
    }

    /// The GNU triple prefix of the cross tools (`aarch64-linux-gnu-gcc`, ...).
    fn cross_prefix(self) -> &'static str {
        match self {
            Target::X86_64Linux => "x86_64-linux-gnu-",
            Target::Aarch64Linux => "aarch64-linux-gnu-",
        }
    }

    /// The tools that build for this target: the plain names on a host of the
    /// same target, the cross tools otherwise. Fails, naming the package to
    /// install, when one is missing.
    pub fn toolchain(self) -> Result<Toolchain, LinkError> {
        let native = Target::host() == Some(self);
        let tool = |plain: &str, cross: &str| -> Result<PathBuf, LinkError> {
            let name = if native { plain.to_string() } else { format!("{}{cross}", self.cross_prefix()) };
            let hint = match (native, self) {
                (true, _) => "install a C toolchain (Debian: apt-get install build-essential)",
                (false, Target::Aarch64Linux) => {
                    "install the cross toolchain (Debian: apt-get install gcc-aarch64-linux-gnu)"
                }
                (false, Target::X86_64Linux) => {
                    "install the cross toolchain (Debian: apt-get install gcc-x86-64-linux-gnu)"
                }
            };
            find_in_path(&name).ok_or(LinkError::ToolMissing { tool: name, target: self, hint })
        };
        Ok(Toolchain {
            target: self,
            cc: tool("cc", "gcc")?,
            ld: tool("ld", "ld")?,
            ar: tool("ar", "ar")?,
            objcopy: tool("objcopy", "objcopy")?,
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Target {
    type Err = LinkError;

    fn from_str(s: &str) -> Result<Target, LinkError> {
        Target::ALL.into_iter().find(|t| t.name() == s).ok_or_else(|| LinkError::UnknownTarget(s.to_string()))
    }
}

/// Paths of the C tools for one target.
#[derive(Clone, Debug)]
pub struct Toolchain {
    pub target: Target,
    pub cc: PathBuf,
    pub ld: PathBuf,
    pub ar: PathBuf,
    pub objcopy: PathBuf,
}

/// `name` resolved through `$PATH`, if it is an executable file there.
fn find_in_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
}
