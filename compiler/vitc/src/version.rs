//! `vitc --version`: the version, the cargo features this build has, and the
//! host CPU's vector features (what native code for `host` will use).

/// The text `vitc --version` prints after the name.
pub fn long_version() -> String {
    let yes_no = |on: bool| if on { "yes" } else { "no" };
    let llvm = if vitc_backend_llvm::AVAILABLE {
        "yes (the default backend)".to_string()
    } else {
        "no (built with --no-default-features; the default build has it and needs llvm-19-dev)".to_string()
    };
    format!(
        "{}\nfeatures: cranelift yes, llvm {llvm}, cuda {}\nhost: {} {}, CPU features used: {}",
        env!("CARGO_PKG_VERSION"),
        yes_no(cfg!(feature = "cuda")),
        std::env::consts::ARCH,
        std::env::consts::OS,
        host_cpu_features()
    )
}

/// The vector extensions of this CPU that vitc's code generators use.
fn host_cpu_features() -> String {
    #[cfg(target_arch = "x86_64")]
    {
        let mut found = Vec::new();
        for (name, on) in [
            ("sse4.2", std::is_x86_feature_detected!("sse4.2")),
            ("avx2", std::is_x86_feature_detected!("avx2")),
            ("fma", std::is_x86_feature_detected!("fma")),
            ("avx512f", std::is_x86_feature_detected!("avx512f")),
        ] {
            if on {
                found.push(name);
            }
        }
        if found.is_empty() { "none beyond SSE2".to_string() } else { found.join(" ") }
    }
    #[cfg(target_arch = "aarch64")]
    {
        "neon".to_string()
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        "none known".to_string()
    }
}
