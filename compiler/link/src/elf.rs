//! Just enough ELF to tell what a file is: the kind (object, shared library)
//! and the machine, from the first 20 bytes.

use crate::{LinkError, Target};

/// What an ELF file is (`e_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfKind {
    /// `ET_REL`: a relocatable object (`.o`).
    Relocatable,
    /// `ET_EXEC`: a fixed-address executable.
    Executable,
    /// `ET_DYN`: a shared library (or a position-independent executable).
    Shared,
    /// Anything else.
    Other(u16),
}

/// The kind and `e_machine` of a 64-bit little-endian ELF file, or `None`
/// when `bytes` does not start like one.
pub fn elf_kind(bytes: &[u8]) -> Option<(ElfKind, u16)> {
    let header = bytes.get(..20)?;
    if &header[..4] != b"\x7fELF" || header[4] != 2 || header[5] != 1 {
        return None;
    }
    let kind = match u16::from_le_bytes([header[16], header[17]]) {
        1 => ElfKind::Relocatable,
        2 => ElfKind::Executable,
        3 => ElfKind::Shared,
        other => ElfKind::Other(other),
    };
    Some((kind, u16::from_le_bytes([header[18], header[19]])))
}

/// Checks that the backend's output is a relocatable object for `target`.
pub(crate) fn check_object(bytes: &[u8], target: Target) -> Result<(), LinkError> {
    match elf_kind(bytes) {
        None => Err(LinkError::BadObject("not a 64-bit little-endian ELF file".into())),
        Some((ElfKind::Relocatable, machine)) if machine == target.elf_machine() => Ok(()),
        Some((ElfKind::Relocatable, machine)) => {
            let found = Target::ALL.into_iter().find(|t| t.elf_machine() == machine);
            Err(LinkError::BadObject(match found {
                Some(t) => format!("it is built for {t}, the target is {target}"),
                None => format!("it is built for ELF machine {machine}, the target is {target}"),
            }))
        }
        Some((kind, _)) => Err(LinkError::BadObject(format!("expected a relocatable object, found {kind:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(e_type: u16, machine: u16) -> Vec<u8> {
        let mut h = b"\x7fELF\x02\x01\x01".to_vec();
        h.resize(16, 0);
        h.extend_from_slice(&e_type.to_le_bytes());
        h.extend_from_slice(&machine.to_le_bytes());
        h
    }

    #[test]
    fn kinds() {
        assert_eq!(elf_kind(&header(1, 62)), Some((ElfKind::Relocatable, 62)));
        assert_eq!(elf_kind(&header(3, 183)), Some((ElfKind::Shared, 183)));
        assert_eq!(elf_kind(b"\x93NUMPY"), None);
        assert!(check_object(&header(1, 62), Target::X86_64Linux).is_ok());
        let err = check_object(&header(1, 183), Target::X86_64Linux).unwrap_err().to_string();
        assert!(err.contains("built for aarch64-linux"), "{err}");
        assert!(check_object(&header(3, 62), Target::X86_64Linux).is_err());
        assert!(check_object(b"junk", Target::X86_64Linux).is_err());
    }
}
