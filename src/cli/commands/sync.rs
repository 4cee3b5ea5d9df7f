//! `sync SRC DEST`: one-way sync through the sync module, with a progress bar only when stderr is
//! a terminal, the plan listed in a dry run, and one summary line (or JSON) at the end.

use crate::cli::session::Session;
use crate::sync::{Excludes, HashProgress, Pair, SyncEnv, SyncEvent, SyncOptions};
use crate::transfer::{JobState, JobView};
use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

const SYNC_HELP: &str = "\
The 1fichier side is written with the 1f: prefix; the other side is a local folder:
  fichier-tui sync /srv/data 1f:/Backups/nas        backup: local -> 1fichier
  fichier-tui sync 1f:/Backups/nas /srv/restore     restore: 1fichier -> local
A local path that starts with 1f: is written ./1f:...

Folders are synced recursively and made on the destination as needed. Files are compared by name,
then size, then content (1fichier's whirlpool against the local file's, kept in a cache so that
unchanged files are not read again). What is missing or different is copied; a changed file is
uploaded as a new copy, and the old copy removed once the new one is verified. Nothing is deleted
without --delete. Names 1fichier refuses travel as look-alikes and come back as they were; hostile
remote names are made safe on the way down. Empty files are skipped: 1fichier does not take them.

Excludes are rsync/rclone globs, matched against paths from the root of the sync: * stays within
a name, ** crosses folders, a leading / anchors at the root, a trailing / matches folders only
(and all they hold); other patterns match whole names at any depth. Excluded files are never
deleted on the destination.

Fit for cron: no progress bars without a terminal, one summary line at the end (or --json), exit
status 0 only when everything succeeded. Two runs of the same pair never overlap (the second one
stops with an error), and a run that was stopped resumes its transfers on the next run. Each
pair keeps its lock, journal and hash cache in $XDG_STATE_HOME/fichier-tui/sync/<pair id>/.
  0 3 * * *  fichier-tui sync /srv/data 1f:/Backups/nas --delete >> /var/log/backup.log 2>&1";

#[derive(Debug, Args)]
#[command(after_help = SYNC_HELP)]
pub struct SyncArgs {
    /// Where files come from: a local folder, or a 1fichier folder written 1f:/path.
    pub source: String,
    /// Where they go: the other kind of folder (1f:/path or a local folder).
    pub destination: String,
    /// Print what would be copied and deleted, and change nothing.
    #[arg(long, short = 'n')]
    pub dry_run: bool,
    /// Also delete what exists only on the destination, once every copy succeeded.
    #[arg(long)]
    pub delete: bool,
    /// With --delete, refuse to delete more than N files unless --force.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub max_delete: usize,
    /// Delete even more than --max-delete files.
    #[arg(long)]
    pub force: bool,
    /// Compare names and sizes only, not content.
    #[arg(long)]
    pub size_only: bool,
    /// Leave out paths matching GLOB (repeatable): '*.tmp', '/cache/', 'logs/**/*.gz'.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Read exclude globs from FILE, one a line (lines starting with # are comments).
    #[arg(long, value_name = "FILE")]
    pub exclude_from: Vec<PathBuf>,
    /// Transfers at once.
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Bandwidth cap across transfers, such as 10M (bytes per second).
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub bwlimit: Option<u64>,
    /// Print the report (with every path of the plan) as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

fn parse_rate(s: &str) -> Result<u64, String> {
    crate::units::parse_size(s).ok_or_else(|| format!("{s:?} is not a rate such as 10M or 500k"))
}

pub async fn sync(session: &Session, args: &SyncArgs) -> anyhow::Result<bool> {
    let pair = Pair::from_args(&args.source, &args.destination)?;
    let mut patterns = args.exclude.clone();
    for file in &args.exclude_from {
        patterns.extend(Excludes::read_file(file)?);
    }
    let options = SyncOptions {
        dry_run: args.dry_run,
        delete: args.delete,
        max_delete: args.max_delete,
        force: args.force,
        size_only: args.size_only,
        excludes: Excludes::new(&patterns)?,
        jobs: args.jobs.unwrap_or(session.config.transfers.jobs).max(1),
        bwlimit: args
            .bwlimit
            .or_else(|| crate::units::parse_size(&session.config.transfers.bwlimit))
            .filter(|b| *b > 0),
        ..SyncOptions::default()
    };
    let env = SyncEnv {
        client: session.client.clone(),
        remote: session.remote.clone(),
        state_dir: session.dirs.state.clone(),
    };
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let shown = tokio::spawn(show_progress(
        rx,
        std::io::stderr().is_terminal() && !args.json,
    ));
    let result = crate::sync::run(&env, &pair, &options, Some(tx)).await;
    let _ = shown.await;
    let report = result.context("sync")?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        if report.dry_run {
            print!("{}", report.plan_lines());
        }
        eprint!("{}", report.problem_lines());
        println!("{}", report.summary_line());
    }
    Ok(report.ok())
}

/// Draws one bar on stderr while the run goes (only on a terminal): the bytes of the transfers,
/// with the files done and the hashing of local files beside them. Without a terminal, only
/// notices are printed.
async fn show_progress(mut rx: tokio::sync::mpsc::UnboundedReceiver<SyncEvent>, terminal: bool) {
    let bar = terminal.then(|| {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(10));
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix:>9} {bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} {wide_msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    });
    let mut hashing: Option<Arc<HashProgress>> = None;
    let mut files = String::new();
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    loop {
        tokio::select! {
            ev = rx.recv() => match ev {
                None => break,
                Some(SyncEvent::Notice(text)) => match &bar {
                    Some(b) => b.println(crate::sanitize::for_terminal(&text)),
                    None => eprintln!("{}", crate::sanitize::for_terminal(&text)),
                },
                Some(SyncEvent::Phase(phase)) => {
                    if let Some(b) = &bar {
                        b.set_prefix(phase);
                    }
                }
                Some(SyncEvent::Hashing(p)) => hashing = Some(p),
                Some(SyncEvent::Jobs(jobs)) => {
                    if let Some(b) = &bar {
                        files = draw_jobs(b, &jobs);
                    }
                }
            },
            _ = tick.tick(), if bar.is_some() => {}
        }
        if let Some(b) = &bar {
            let mut msg = files.clone();
            if let Some(p) = &hashing {
                let (done, total) = (
                    p.bytes_done.load(Ordering::Relaxed),
                    p.bytes_total.load(Ordering::Relaxed),
                );
                if done < total {
                    let pct = (done * 100).checked_div(total).unwrap_or(0);
                    msg.push_str(&format!(" · hashing local files {pct}%"));
                }
            }
            b.set_message(msg);
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
}

/// Sets the bar to the bytes of the transfers; returns "done/all files".
fn draw_jobs(bar: &ProgressBar, jobs: &[JobView]) -> String {
    let (mut done, mut total, mut finished) = (0u64, 0u64, 0usize);
    for job in jobs {
        match &job.state {
            JobState::Running {
                done: d, total: t, ..
            }
            | JobState::Paused { done: d, total: t } => {
                done += d;
                total += t;
            }
            JobState::Done { .. } | JobState::Skipped { .. } | JobState::Failed { .. } => {
                finished += 1
            }
            _ => {}
        }
    }
    bar.set_length(total);
    bar.set_position(done);
    format!("{finished}/{} files", jobs.len())
}
