//! `upload` and `download`: they queue jobs in the same engine the UI uses, follow its events,
//! draw progress bars when stderr is a terminal, and end with a summary.

use crate::api::FolderId;
use crate::cli::args::{DownloadArgs, TransferFlags, UploadArgs};
use crate::cli::output::name;
use crate::cli::session::Session;
use crate::remote::Target;
use crate::transfer::{
    Engine, EngineEvent, EngineOptions, JobId, JobKind, JobState, JobView, Summary,
};
use crate::units::{Bytes, Rate};
use anyhow::{Context, bail};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

pub async fn upload(session: &Session, args: &UploadArgs) -> anyhow::Result<bool> {
    let (sources, dest) = args.paths.split_at(args.paths.len() - 1);
    let folder = session
        .remote
        .resolve_folder(&dest[0])
        .await
        .with_context(|| format!("the destination {} is not a remote folder", name(&dest[0])))?;
    let mut jobs = Vec::new();
    for source in sources {
        jobs.push(upload_job(Path::new(source), folder)?);
    }
    run_jobs(session, &args.flags, jobs).await
}

fn upload_job(path: &Path, folder: FolderId) -> anyhow::Result<JobKind> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    let local = std::path::absolute(path)?;
    if meta.is_dir() {
        return Ok(JobKind::UploadDir {
            local,
            parent: folder,
        });
    }
    let Some(file_name) = local.file_name().and_then(|n| n.to_str()) else {
        bail!("{} has no usable file name", path.display());
    };
    Ok(JobKind::Upload {
        remote_name: file_name.to_string(),
        local,
        folder,
    })
}

pub async fn download(session: &Session, args: &DownloadArgs) -> anyhow::Result<bool> {
    let (sources, dest) = args.paths.split_at(args.paths.len() - 1);
    let dest = PathBuf::from(&dest[0]);
    std::fs::create_dir_all(&dest).with_context(|| format!("cannot create {}", dest.display()))?;
    let dest = std::path::absolute(&dest)?;
    let mut jobs = Vec::new();
    for source in sources {
        jobs.push(match session.remote.resolve(source).await? {
            Target::File(file) => JobKind::Download {
                local: dest.join(crate::sanitize::local_file_name(&file.filename)),
                url: file.url,
                size: file.size,
                checksum: file.checksum,
            },
            Target::Folder { id, name } => JobKind::DownloadDir {
                folder: id,
                name,
                local_parent: dest.clone(),
            },
        });
    }
    run_jobs(session, &args.flags, jobs).await
}

/// Runs jobs to the end; true when none failed.
async fn run_jobs(
    session: &Session,
    flags: &TransferFlags,
    jobs: Vec<JobKind>,
) -> anyhow::Result<bool> {
    let mut options = EngineOptions::new(session.dirs.state.join("cli-queue"));
    options.concurrency = flags.jobs.unwrap_or(session.config.transfers.jobs).max(1);
    options.bwlimit = flags
        .bwlimit
        .or_else(|| crate::units::parse_size(&session.config.transfers.bwlimit));
    options.on_conflict = flags.on_conflict.into();
    let (engine, mut events) = Engine::start(session.client.clone(), options)?;
    let resumed = engine
        .jobs()
        .iter()
        .filter(|j| !j.state.is_finished())
        .count();
    if resumed > 0 {
        eprintln!("resuming {resumed} transfer(s) from an interrupted run");
    }
    engine.enqueue(jobs);

    let started = Instant::now();
    let mut bars = Bars::new();
    let idle = engine.wait_idle();
    tokio::pin!(idle);
    loop {
        tokio::select! {
            () = &mut idle => break,
            event = events.recv() => match event {
                Some(EngineEvent::Jobs(jobs)) => bars.draw(&jobs),
                Some(EngineEvent::Notice(text)) => bars.println(&text),
                Some(_) => {}
                None => break,
            },
        }
    }
    bars.clear();
    let summary = engine.summary(None).await;
    let report = Report::of(&engine.jobs(), &summary, started.elapsed().as_secs_f64());
    engine.control(crate::transfer::Control::ClearFinished);
    engine.shutdown().await;
    if flags.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        report.print();
    }
    Ok(summary.failed.is_empty() && summary.pending == 0 && summary.paused == 0)
}

/// What a run did, for people and for `--json`.
#[derive(Debug, Serialize)]
struct Report {
    files: usize,
    bytes: u64,
    skipped: Vec<String>,
    failed: Vec<Failure>,
    seconds: f64,
}

#[derive(Debug, Serialize)]
struct Failure {
    name: String,
    reason: String,
}

impl Report {
    fn of(jobs: &[JobView], summary: &Summary, seconds: f64) -> Report {
        let skipped = jobs
            .iter()
            .filter(|j| matches!(j.state, JobState::Skipped { .. }))
            .map(|j| j.name.clone())
            .collect();
        let failed = summary
            .failed
            .iter()
            .map(|f| Failure {
                name: f.name.clone(),
                reason: f.reason.clone(),
            })
            .collect();
        Report {
            files: summary.done,
            bytes: summary.bytes,
            skipped,
            failed,
            seconds,
        }
    }

    fn print(&self) {
        for skipped in &self.skipped {
            eprintln!(
                "skipped {} (already there; --on-conflict rename or overwrite to change that)",
                name(skipped)
            );
        }
        for f in &self.failed {
            eprintln!("failed  {}: {}", name(&f.name), name(&f.reason));
        }
        let rate = if self.seconds > 0.0 {
            self.bytes as f64 / self.seconds
        } else {
            0.0
        };
        eprintln!(
            "{} file(s), {} in {:.1} s ({}), {} skipped, {} failed",
            self.files,
            Bytes(self.bytes),
            self.seconds,
            Rate(rate),
            self.skipped.len(),
            self.failed.len()
        );
    }
}

/// One bar per running job and a total, on stderr, only when it is a terminal.
struct Bars {
    multi: Option<MultiProgress>,
    total: Option<ProgressBar>,
    bars: HashMap<JobId, ProgressBar>,
}

impl Bars {
    fn new() -> Bars {
        if !std::io::stderr().is_terminal() {
            return Bars {
                multi: None,
                total: None,
                bars: HashMap::new(),
            };
        }
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(10));
        let total = multi.add(ProgressBar::new(0));
        total.set_style(
            ProgressStyle::with_template(
                "total {bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Bars {
            multi: Some(multi),
            total: Some(total),
            bars: HashMap::new(),
        }
    }

    fn draw(&mut self, jobs: &Arc<Vec<JobView>>) {
        let (Some(multi), Some(total)) = (&self.multi, &self.total) else {
            return;
        };
        let style = ProgressStyle::with_template(
            "{prefix:>4} {wide_msg} {bar:24} {bytes}/{total_bytes} {binary_bytes_per_sec} {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        let mut running = HashSet::new();
        let (mut done_bytes, mut all_bytes, mut finished) = (0, 0, 0);
        for job in jobs.iter() {
            match &job.state {
                JobState::Running { done, total, .. } => {
                    running.insert(job.id);
                    done_bytes += done;
                    all_bytes += total;
                    let bar = self.bars.entry(job.id).or_insert_with(|| {
                        let bar = multi.add(ProgressBar::new(*total));
                        bar.set_style(style.clone());
                        bar.set_prefix(match job.direction {
                            crate::transfer::Direction::Up => "up",
                            crate::transfer::Direction::Down => "down",
                            crate::transfer::Direction::Remote => "url",
                        });
                        bar.set_message(crate::sanitize::for_terminal(&job.name).into_owned());
                        bar
                    });
                    bar.set_length(*total);
                    bar.set_position(*done);
                }
                JobState::Done { .. } | JobState::Skipped { .. } => finished += 1,
                _ => {}
            }
        }
        self.bars.retain(|id, bar| {
            let keep = running.contains(id);
            if !keep {
                bar.finish_and_clear();
            }
            keep
        });
        total.set_length(all_bytes);
        total.set_position(done_bytes);
        total.set_message(format!("{finished}/{} files", jobs.len()));
    }

    /// A line above the bars (or on stderr when there are none).
    fn println(&self, text: &str) {
        let text = crate::sanitize::for_terminal(text);
        match &self.multi {
            Some(multi) => {
                let _ = multi.println(text);
            }
            None => eprintln!("{text}"),
        }
    }

    fn clear(&mut self) {
        for bar in self.bars.values() {
            bar.finish_and_clear();
        }
        if let Some(total) = &self.total {
            total.finish_and_clear();
        }
    }
}
