//! fichier-tui: parse the command line, hand off, and report failure in one line.

use clap::Parser;
use fichier_tui::cli::{self, Cli};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("fichier-tui: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            // One line, the causes joined: "cannot read x: permission denied".
            let message = format!("{e:#}");
            eprintln!(
                "fichier-tui: {}",
                fichier_tui::sanitize::for_terminal(&message)
            );
            ExitCode::FAILURE
        }
    }
}
