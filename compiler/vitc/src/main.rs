//! `vitc`: the command-line compiler. Every failure prints `error: …` with
//! its causes and exits with status 2; no command leaves a partial output file.

mod args;
mod commands;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // A closed pipe (`vitc inspect m.onnx | head`) ends the process quietly,
    // as for other Unix tools, instead of making `println!` panic.
    // SAFETY: setting a signal disposition to the default has no
    // preconditions; no other thread exists yet.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = args::Cli::parse();
    match commands::dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
