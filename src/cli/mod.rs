//! The command line: clap definitions and the scripting subcommands. Each subcommand opens a
//! session (config, key, client), does its work through the same client and engine as the UI, and
//! reports one clear line on failure.

pub mod args;
mod commands;
mod logging;
mod output;
mod session;

pub use args::Cli;
use args::Command;
use session::Session;
use std::process::ExitCode;

/// Runs what the command line asks for.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Some(Command::Sandbox(args)) = &cli.command {
        return run_sandbox(args).await.map(|()| ExitCode::SUCCESS);
    }
    let session = Session::open(&cli.global).await?;
    let _log = logging::init(&session.dirs.state);
    let result = dispatch(&session, cli.command).await;
    session.close().await;
    result
}

async fn dispatch(session: &Session, command: Option<Command>) -> anyhow::Result<ExitCode> {
    use commands::{browse, manage, transfer};
    let ok = match command {
        None => {
            anyhow::bail!("the interface is not wired yet")
        }
        Some(Command::Info(args)) => browse::info(session, args.json).await.map(|()| true),
        Some(Command::Ls(args)) => browse::ls(session, &args).await.map(|()| true),
        Some(Command::Links(args)) => browse::links(session, &args).await.map(|()| true),
        Some(Command::Mkdir(args)) => manage::mkdir(session, &args).await.map(|()| true),
        Some(Command::Rm(args)) => manage::rm(session, &args).await.map(|()| true),
        Some(Command::Mv(args)) => manage::mv(session, &args).await.map(|()| true),
        Some(Command::Cp(args)) => manage::cp(session, &args).await.map(|()| true),
        Some(Command::RemoteUpload(args)) => {
            manage::remote_upload(session, &args).await.map(|()| true)
        }
        Some(Command::Upload(args)) => transfer::upload(session, &args).await,
        Some(Command::Download(args)) => transfer::download(session, &args).await,
        Some(Command::Sandbox(_)) => unreachable!("handled before a session opens"),
    }?;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn run_sandbox(args: &args::SandboxArgs) -> anyhow::Result<()> {
    use crate::sandbox::{SandboxConfig, serve_until_ctrl_c};
    let mut config = SandboxConfig::for_tests();
    config.listen = args.listen;
    config.seed = args.seed;
    config.data_dir = args.data.clone();
    if let Some(key) = &args.key {
        config.key = key.clone();
    }
    config.flood_limit = (args.flood_limit > 0).then_some(args.flood_limit);
    serve_until_ctrl_c(config).await
}
