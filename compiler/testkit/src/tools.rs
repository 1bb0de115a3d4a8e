//! External tools the tests run (`cc`, `make`, the aarch64 cross compiler,
//! `qemu-aarch64`). A test that needs a tool calls [`require_tool`]: a
//! missing tool fails the test with the command that installs it, it never
//! passes silently.

use std::process::Command;

/// Whether `tool --version` runs and succeeds.
pub fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success())
}

/// The Debian packages that provide `tool`, where known.
fn packages(tool: &str) -> Option<&'static str> {
    Some(match tool {
        "cc" | "c++" | "gcc" | "make" => "build-essential",
        "aarch64-linux-gnu-gcc" => "gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils-aarch64-linux-gnu",
        "qemu-aarch64" => "qemu-user",
        "readelf" | "nm" => "binutils",
        _ => return None,
    })
}

/// Panics unless `tool` runs (see [`have`]); the message says how to
/// install it.
#[track_caller]
pub fn require_tool(tool: &str) {
    if !have(tool) {
        let apt = packages(tool).map(|p| format!(" (Debian: apt-get install {p})")).unwrap_or_default();
        panic!(
            "`{tool}` is needed by this test but `{tool} --version` does not run: install it with `bash .ci/setup`{apt}; \
             a test whose tools are missing fails, it is never skipped"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_tool_fails_with_how_to_install_it() {
        assert!(!have("vitc-no-such-tool"));
        let err = std::panic::catch_unwind(|| require_tool("vitc-no-such-tool")).unwrap_err();
        let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(msg.contains("`vitc-no-such-tool` is needed") && msg.contains("bash .ci/setup"), "{msg}");
    }
}
