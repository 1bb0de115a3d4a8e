//! Checks a file before `dlopen` maps it: `dlopen` maps segments straight
//! from the file, so a truncated library kills the process with SIGBUS the
//! first time a page past the end is touched, before any error can be
//! reported. Here the ELF header, the program and section header tables,
//! every loaded segment and every section with file contents must lie
//! inside the file, and the file must be a 64-bit little-endian shared
//! object for this machine.

use std::path::Path;

/// `e_type` of a shared object.
const ET_DYN: u16 = 3;
/// `p_type` of a loadable segment.
const PT_LOAD: u32 = 1;
/// `sh_type` of a section without file contents (`.bss`).
const SHT_NOBITS: u32 = 8;

/// The `e_machine` of this host (x86-64: 62, aarch64: 183).
fn host_machine() -> Option<u16> {
    match std::env::consts::ARCH {
        "x86_64" => Some(62),
        "aarch64" => Some(183),
        _ => None,
    }
}

/// Little-endian reads that fail past the end of the bytes.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u16(&self, at: u64) -> Option<u16> {
        let at = usize::try_from(at).ok()?;
        Some(u16::from_le_bytes(self.0.get(at..at.checked_add(2)?)?.try_into().ok()?))
    }
    fn u32(&self, at: u64) -> Option<u32> {
        let at = usize::try_from(at).ok()?;
        Some(u32::from_le_bytes(self.0.get(at..at.checked_add(4)?)?.try_into().ok()?))
    }
    fn u64(&self, at: u64) -> Option<u64> {
        let at = usize::try_from(at).ok()?;
        Some(u64::from_le_bytes(self.0.get(at..at.checked_add(8)?)?.try_into().ok()?))
    }
}

/// Why `bytes` (the whole file) is not a loadable shared library, if it
/// is not.
pub fn check_elf(bytes: &[u8]) -> Result<(), String> {
    let len = bytes.len() as u64;
    let truncated = |what: String, end: u64| {
        format!("{what} ends at byte {end}, but the file has {len} bytes (truncated or corrupt)")
    };
    if bytes.len() < 64 || &bytes[..4] != b"\x7fELF" {
        return Err(format!("not an ELF file ({len} bytes, no complete ELF header)"));
    }
    if bytes[4] != 2 || bytes[5] != 1 {
        return Err("not a 64-bit little-endian ELF file".into());
    }
    let b = Bytes(bytes);
    let field = |v: Option<u64>| v.ok_or_else(|| "the ELF header is cut short".to_string());
    let e_type = field(b.u16(16).map(u64::from))?;
    if e_type != u64::from(ET_DYN) {
        return Err(format!("not a shared library (ELF type {e_type})"));
    }
    let machine = field(b.u16(18).map(u64::from))?;
    if host_machine().is_some_and(|m| u64::from(m) != machine) {
        return Err(format!("built for another machine (ELF machine {machine}, this is {})", std::env::consts::ARCH));
    }
    let (phoff, shoff) = (field(b.u64(32))?, field(b.u64(40))?);
    let (phentsize, phnum) = (field(b.u16(54).map(u64::from))?, field(b.u16(56).map(u64::from))?);
    let (shentsize, shnum) = (field(b.u16(58).map(u64::from))?, field(b.u16(60).map(u64::from))?);
    let table_end = |off: u64, size: u64, n: u64| off.checked_add(size.checked_mul(n)?);
    let ph_end = table_end(phoff, phentsize, phnum).unwrap_or(u64::MAX);
    if ph_end > len {
        return Err(truncated("the program header table".into(), ph_end));
    }
    for i in 0..phnum {
        let at = phoff + i * phentsize;
        if field(b.u32(at).map(u64::from))? != u64::from(PT_LOAD) {
            continue;
        }
        let (off, filesz) = (field(b.u64(at + 8))?, field(b.u64(at + 32))?);
        let end = off.saturating_add(filesz);
        if end > len {
            return Err(truncated(format!("loadable segment {i}"), end));
        }
    }
    if shnum > 0 {
        let sh_end = table_end(shoff, shentsize, shnum).unwrap_or(u64::MAX);
        if sh_end > len {
            return Err(truncated("the section header table".into(), sh_end));
        }
        for i in 0..shnum {
            let at = shoff + i * shentsize;
            if field(b.u32(at + 4).map(u64::from))? == u64::from(SHT_NOBITS) {
                continue;
            }
            let (off, size) = (field(b.u64(at + 24))?, field(b.u64(at + 32))?);
            let end = off.saturating_add(size);
            if end > len {
                return Err(truncated(format!("section {i}"), end));
            }
        }
    }
    Ok(())
}

/// [`check_elf`] on the file at `path`.
pub fn check_elf_file(path: &Path) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    check_elf(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This test binary's own executable is an ELF file of this machine
    /// (a position-independent executable is ET_DYN, as a library is).
    fn own_executable() -> Vec<u8> {
        std::fs::read(std::env::current_exe().unwrap()).unwrap()
    }

    #[test]
    fn whole_files_pass_and_every_truncation_fails() {
        let exe = own_executable();
        assert_eq!(check_elf(&exe), Ok(()), "rustc links position-independent (ET_DYN) test binaries on Linux");
        for cut in [0, 4, 63, 64, 4096, exe.len() / 2, exe.len() - 1] {
            let e = check_elf(&exe[..cut]).unwrap_err();
            assert!(e.contains("truncated") || e.contains("not an ELF"), "cut at {cut}: {e}");
        }
    }

    #[test]
    fn other_files_are_named() {
        assert!(
            check_elf(b"definitely not a library, but long enough to hold a header.....")
                .unwrap_err()
                .contains("not an ELF")
        );
        let mut exe = own_executable();
        exe[5] = 2; // big-endian
        assert!(check_elf(&exe).unwrap_err().contains("little-endian"));
    }
}
