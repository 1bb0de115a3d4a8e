//! Links the model: `VITC_MODEL_LIB` (a `.a` from `vitc compile -o X.a`) when
//! set, else compiles `VITC_MODEL` (default LeViT-128S from ../shared/models)
//! with `VITC` (default the workspace's target/release/vitc). The API prefix
//! is `VITC_MODEL_NAME` (default `levit`); the bindings are generated for it.

use std::env;
use std::fs;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    for var in ["VITC", "VITC_MODEL", "VITC_MODEL_LIB", "VITC_MODEL_NAME"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let prefix = env::var("VITC_MODEL_NAME").unwrap_or_else(|_| "levit".into());
    let archive = match env::var("VITC_MODEL_LIB") {
        Ok(lib) => PathBuf::from(lib),
        Err(_) => {
            let vitc = env::var("VITC").map_or_else(|_| manifest.join("../../target/release/vitc"), PathBuf::from);
            let model = env::var("VITC_MODEL")
                .map_or_else(|_| manifest.join("../../../shared/models/levit_128s.onnx"), PathBuf::from);
            let lib = out.join("model.a");
            let status = Command::new(&vitc)
                .arg("compile")
                .arg(&model)
                .arg("-o")
                .arg(&lib)
                .args(["--name", &prefix])
                .status()
                .unwrap_or_else(|e| {
                    panic!("running {}: {e} (build vitc first: cargo build --release)", vitc.display())
                });
            assert!(status.success(), "vitc compile failed");
            lib
        }
    };
    println!("cargo:rerun-if-changed={}", archive.display());
    // rustc looks for lib<name>.a.
    fs::copy(&archive, out.join("libvitc_model.a")).expect("copying the model archive");
    println!("cargo:rustc-link-search=native={}", out.display());
    println!("cargo:rustc-link-lib=static=vitc_model");
    println!("cargo:rustc-link-lib=m");

    let mut bindings = String::from("unsafe extern \"C\" {\n");
    for (name, signature) in [
        ("create", "(threads: c_int) -> *mut c_void"),
        ("run", "(ctx: *mut c_void, input: *const f32, output: *mut f32, batch: c_int) -> c_int"),
        ("destroy", "(ctx: *mut c_void)"),
        ("last_error", "() -> *const c_char"),
        ("input_len", "() -> usize"),
        ("output_len", "() -> usize"),
        ("max_batch", "() -> c_int"),
        ("name", "() -> *const c_char"),
    ] {
        bindings.push_str(&format!("    #[link_name = \"{prefix}_{name}\"]\n    pub fn model_{name}{signature};\n"));
    }
    bindings.push_str("}\n");
    fs::write(out.join("bindings.rs"), bindings).expect("writing bindings.rs");
}
