//! `vitc`: the command-line compiler. Every failure prints `error: …` with
//! its causes and exits with status 2; no command leaves a partial output file.

mod args;
mod commands;
mod version;

use clap::{CommandFactory, FromArgMatches};
use std::io::Write;
use std::process::ExitCode;

/// SIGINT, SIGTERM and SIGHUP go to one thread, which removes the
/// temporary files and folders in flight (`vitc_link::remove_pending`) and
/// then lets the signal end the process as it would have.
fn handle_interruptions() {
    // SAFETY: plain libc calls on a local, initialised signal set; this runs
    // before any other thread exists, so every later thread inherits the
    // blocked mask and only the waiting thread receives these signals.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            libc::sigaddset(&mut set, sig);
        }
        if libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) != 0 {
            return;
        }
        std::thread::spawn(move || {
            let mut sig: libc::c_int = 0;
            if libc::sigwait(&set, &mut sig) == 0 {
                vitc_link::remove_pending();
                libc::signal(sig, libc::SIG_DFL);
                libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
                libc::raise(sig);
                std::process::exit(128 + sig);
            }
        });
    }
}

fn main() -> ExitCode {
    // A closed pipe (`vitc inspect m.onnx | head`) ends the process quietly,
    // as for other Unix tools, instead of making `println!` panic.
    // SAFETY: setting a signal disposition to the default has no
    // preconditions; no other thread exists yet.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    handle_interruptions();
    // The long version names the features and CPU, known only at run time;
    // clap keeps it for the life of the process.
    let long_version: &'static str = Box::leak(version::long_version().into_boxed_str());
    let matches = args::Cli::command().long_version(long_version).get_matches();
    let cli = args::Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    match commands::dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A redirected stderr on a full disk must not turn the error into a panic.
            let _ = writeln!(std::io::stderr(), "error: {e:#}");
            ExitCode::from(2)
        }
    }
}
