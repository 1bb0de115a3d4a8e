//! Building the output: compile the glue (with the runtime) for the target,
//! combine it with the backend's object into a `.so`, `.o` or `.a`, and put
//! the result and its header in place only when every step succeeded.

use crate::api::exported_symbols;
use crate::elf::check_object;
use crate::glue::{HEADER_INCLUDE, c_sources};
use crate::{LinkError, RUNTIME_C, RUNTIME_H, Target, Toolchain};
use std::ffi::OsStr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use vitc_lower::Program;

/// What to produce, from the output's extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputKind {
    /// `.so`: a shared library depending only on libc, libm and libpthread.
    SharedLibrary,
    /// `.o`: one relocatable object (glue, runtime and kernels merged).
    Object,
    /// `.a`: a static archive holding that object.
    StaticArchive,
}

impl OutputKind {
    /// The kind named by `path`'s extension (`.so`, `.o`, `.a`).
    pub fn from_path(path: &Path) -> Result<OutputKind, LinkError> {
        match path.extension().and_then(OsStr::to_str) {
            Some("so") => Ok(OutputKind::SharedLibrary),
            Some("o") => Ok(OutputKind::Object),
            Some("a") => Ok(OutputKind::StaticArchive),
            _ => Err(LinkError::OutputKind(path.to_path_buf())),
        }
    }
}

/// How to link.
#[derive(Clone, Debug)]
pub struct LinkOptions {
    /// The API prefix (a C identifier): `{prefix}_create`, `{prefix}_run`, ...
    /// It must be the prefix the backend's object was generated with.
    pub prefix: String,
    pub target: Target,
}

/// What [`link`] wrote.
#[derive(Clone, Debug)]
pub struct Linked {
    pub output: PathBuf,
    pub header: PathBuf,
    pub kind: OutputKind,
    /// Size of the output file in bytes.
    pub bytes: u64,
}

/// Flags for the glue translation unit.
const CFLAGS: [&str; 8] = [
    "-std=c11",
    "-O2",
    "-fPIC",
    "-fvisibility=hidden",
    "-pthread",
    "-Wall",
    "-Wextra",
    "-Werror=implicit-function-declaration",
];

/// Links `objects` (the backend's code for `program`, one object or several
/// compiled in parallel) with the generated glue and the runtime into `output` (`.so`, `.o` or `.a` by extension) and
/// writes the header next to it (same stem, `.h`). Work happens in a
/// temporary directory beside `output`; nothing appears there unless
/// everything succeeded.
pub fn link(program: &Program, objects: &[Vec<u8>], opts: &LinkOptions, output: &Path) -> Result<Linked, LinkError> {
    let kind = OutputKind::from_path(output)?;
    let file_name = output.file_name().ok_or_else(|| LinkError::OutputKind(output.to_path_buf()))?;
    let stem = output.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let header = output.with_extension("h");
    for path in [output, header.as_path()] {
        if path.is_dir() {
            return Err(LinkError::OutputIsDirectory(path.to_path_buf()));
        }
    }
    let sources = c_sources(program, &opts.prefix, opts.target, &stem)?;
    if objects.is_empty() {
        return Err(LinkError::BadObject("the backend produced no object".into()));
    }
    for object in objects {
        check_object(object, opts.target)?;
    }
    let tools = opts.target.toolchain()?;
    let parent = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // The folder is registered for removal on interruption before it
    // exists, so a signal can never find it created but unregistered.
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let name = format!(".vitc-link-{}-{nanos}", std::process::id());
    let _interrupted = crate::cleanup::pending(&parent.join(&name));
    let tmp = tempfile::Builder::new().prefix(&name).rand_bytes(0).tempdir_in(parent).map_err(LinkError::io(parent))?;
    let dir = tmp.path();
    for (name, text) in [
        ("vitc_runtime.c", RUNTIME_C),
        ("vitc_runtime.h", RUNTIME_H),
        (HEADER_INCLUDE, sources.header.as_str()),
        ("glue.c", sources.glue.as_str()),
    ] {
        write(&dir.join(name), text.as_bytes())?;
    }
    let kernel_objects: Vec<String> = (0..objects.len()).map(|i| format!("kernels{i}.o")).collect();
    for (name, object) in kernel_objects.iter().zip(objects) {
        write(&dir.join(name), object)?;
    }
    run(Command::new(&tools.cc).args(CFLAGS).args(["-c", "glue.c", "-o", "glue.o"]).current_dir(dir))?;

    let built = dir.join(file_name);
    match kind {
        OutputKind::SharedLibrary => {
            let globals: Vec<String> = exported_symbols(&opts.prefix).iter().map(|s| format!("{s};")).collect();
            write(
                &dir.join("exports.map"),
                format!("{{\n  global: {}\n  local: *;\n}};\n", globals.join(" ")).as_bytes(),
            )?;
            let mut soname = std::ffi::OsString::from("-Wl,-soname,");
            soname.push(file_name);
            run(Command::new(&tools.cc)
                .args(["-shared", "-o"])
                .arg(&built)
                .arg("glue.o")
                .args(&kernel_objects)
                .arg("-Wl,--version-script=exports.map")
                .arg(soname)
                .args(["-Wl,-z,noexecstack", "-Wl,--no-undefined", "-Wl,--as-needed", "-lm", "-pthread"])
                .current_dir(dir))?;
        }
        OutputKind::Object => relocatable(&tools, dir, &kernel_objects, &opts.prefix, &built)?,
        OutputKind::StaticArchive => {
            let member = dir.join(format!("{}.o", opts.prefix));
            relocatable(&tools, dir, &kernel_objects, &opts.prefix, &member)?;
            run(Command::new(&tools.ar).arg("rcs").arg(&built).arg(&member).current_dir(dir))?;
        }
    }

    let staged_header = dir.join("public.h");
    write(&staged_header, sources.header.as_bytes())?;
    let bytes = std::fs::metadata(&built).map_err(LinkError::io(&built))?.len();
    // The library goes first; if the header cannot follow, the library is
    // taken back so the two appear together or not at all.
    std::fs::rename(&built, output).map_err(LinkError::io(output))?;
    if let Err(cause) = std::fs::rename(&staged_header, &header) {
        let _ = std::fs::remove_file(output);
        return Err(LinkError::Io { path: header, cause });
    }
    Ok(Linked { output: output.to_path_buf(), header, kind, bytes })
}

/// Merges `glue.o` and the kernel objects in `dir` into one relocatable
/// object at `out` in which only the API and the prefix symbol stay global,
/// so the kernels and the runtime never clash with anything in the application.
fn relocatable(tools: &Toolchain, dir: &Path, kernels: &[String], prefix: &str, out: &Path) -> Result<(), LinkError> {
    run(Command::new(&tools.ld)
        .args(["-r", "-z", "noexecstack", "glue.o"])
        .args(kernels)
        .args(["-o", "merged.o"])
        .current_dir(dir))?;
    write(&dir.join("globals.txt"), (exported_symbols(prefix).join("\n") + "\n").as_bytes())?;
    run(Command::new(&tools.objcopy)
        .arg("--keep-global-symbols=globals.txt")
        .arg("merged.o")
        .arg(out)
        .current_dir(dir))?;
    Ok(())
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), LinkError> {
    std::fs::write(path, bytes).map_err(LinkError::io(path))
}

/// Runs a tool; its stdout on success, its stderr in the error otherwise.
fn run(cmd: &mut Command) -> Result<String, LinkError> {
    let command = std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ");
    // The CLI blocks SIGINT/SIGTERM in its threads (a handler thread waits
    // for them); a tool must get the default mask back, or Ctrl-C would not
    // stop it.
    // SAFETY: `sigprocmask` with a fresh empty set is async-signal-safe, as
    // code between fork and exec must be.
    unsafe {
        cmd.pre_exec(|| {
            let mut none: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut none);
            libc::sigprocmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
            Ok(())
        });
    }
    let out = cmd.output().map_err(|e| LinkError::Tool {
        command: command.clone(),
        status: "could not start".into(),
        stderr: e.to_string(),
    })?;
    if !out.status.success() {
        return Err(LinkError::Tool {
            command,
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim_end().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
