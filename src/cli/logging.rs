//! Logs go to a file in the state directory, never to the terminal the UI draws on.

use std::path::Path;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// The file is `fichier-tui.log` under `state_dir`; the level comes from FICHIER_TUI_LOG
/// (`info` by default). Returns a guard that flushes the log when dropped.
pub fn init(state_dir: &Path) -> Option<WorkerGuard> {
    std::fs::create_dir_all(state_dir).ok()?;
    let appender = tracing_appender::rolling::never(state_dir, "fichier-tui.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter =
        EnvFilter::try_from_env("FICHIER_TUI_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some(guard)
}
