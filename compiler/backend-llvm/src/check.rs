//! What the generated code relies on but cannot check at run time.

use vitc_lower::{Kernel, Program};

use crate::LlvmError;

/// Checks what the generated code relies on but cannot check at run time:
/// [`Program::validate`] (every access inside the arena and the weights)
/// and every gather index inside its axis.
pub fn check_program(program: &Program) -> Result<(), LlvmError> {
    program.validate().map_err(LlvmError::Invalid)?;
    for (i, k) in program.kernels.iter().enumerate() {
        if let Kernel::Gather { src_axis, indices, table, .. } = k {
            let bad = match program.weights.get(table.offset * 4..(table.offset + indices) * 4) {
                Some(b) => {
                    b.chunks_exact(4).any(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]) as usize >= *src_axis)
                }
                None => true,
            };
            if table.region != vitc_lower::Region::Weights || bad {
                return Err(LlvmError::Invalid(format!("kernel {i}: gather index table out of range")));
            }
        }
    }
    Ok(())
}
