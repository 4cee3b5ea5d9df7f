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
    use commands::{browse, manage, sync, transfer};
    let ok = match command {
        None => run_ui(session).await.map(|()| true),
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
        Some(Command::Sync(args)) => sync::sync(session, &args).await,
        Some(Command::Sandbox(_)) => unreachable!("handled before a session opens"),
    }?;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The two-pane interface, with its own queue (the subcommands keep theirs apart, so a script and
/// the interface can run at once).
async fn run_ui(session: &Session) -> anyhow::Result<()> {
    use crate::transfer::{Engine, EngineOptions};
    let config = &session.config;
    let mut options = EngineOptions::new(session.dirs.state.join("queue"));
    options.concurrency = config.transfers.jobs.max(1);
    options.bwlimit = crate::units::parse_size(&config.transfers.bwlimit).filter(|b| *b > 0);
    options.on_conflict = config.transfers.on_conflict;
    // The sandbox (demo, tests) runs remote uploads at once: poll it often, as `remote-upload
    // --wait` does, instead of the real service's slow pace.
    if session.is_demo() || crate::config::is_loopback_url(session.client.base_url()) {
        options.remote_poll = std::time::Duration::from_secs(1);
    }
    let (options_jobs, options_bwlimit) = (options.concurrency, options.bwlimit);
    let (engine, engine_events) = Engine::start(session.client.clone(), options)?;
    let context = crate::ui::UiContext {
        client: session.client.clone(),
        engine: engine.clone(),
        engine_events,
        start_dir: std::env::current_dir()?,
        keys: config.key_table(),
        mouse: config.ui.mouse,
        theme: config.ui.theme.clone(),
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        show_hidden: config.ui.show_hidden,
        ephemeral_queue: session.is_demo(),
        state_dir: session.dirs.state.clone(),
        sync_jobs: options_jobs,
        sync_bwlimit: options_bwlimit,
    };
    let result = crate::ui::run(context).await;
    engine.shutdown().await;
    result
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
