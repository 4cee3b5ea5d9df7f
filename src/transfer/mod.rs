//! The transfer queue: jobs, scheduler, progress, resume and the on-disk journal. One engine
//! serves both the UI and the `upload`/`download` subcommands; it only emits events, and leaves
//! presentation to them.
//!
//! Layout: `scheduler` owns the queue (`queue`, plain data) and journals it (`journal`); each job
//! runs in a `worker` (`upload`, `download`, `folder_jobs`, `remote_upload`), which resolves
//! conflicts (`conflict`, `listings`) and keeps downloads inside their folder (`paths`).

mod conflict;
mod download;
mod folder_jobs;
pub mod job;
mod journal;
mod listings;
mod paths;
mod queue;
mod remote_upload;
mod scheduler;
mod serde_path;
mod speed;
mod summary;
mod upload;
mod worker;

#[cfg(test)]
mod tests;

pub use job::*;

use crate::api::{Bandwidth, Client};
use anyhow::Context;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};

/// What to do when the destination already has a file of that name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConflictPolicy {
    /// Ask the user (the UI's default); the CLI never asks.
    Ask,
    /// Leave the existing file, report the job as skipped (the CLI's default).
    #[default]
    Skip,
    /// Keep both: `name (1).ext`.
    Rename,
    /// Replace the existing file, only once the new copy is complete.
    Overwrite,
}

#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Where the journal lives (`queue.json`, its log `queue.<epoch>.log`, `queue.lock`).
    pub state_dir: PathBuf,
    /// Transfers at once.
    pub concurrency: usize,
    /// Bytes per second across all transfers.
    pub bwlimit: Option<u64>,
    pub on_conflict: ConflictPolicy,
    /// Tries of one job against transient errors (network, 5xx, flood) before it fails.
    pub max_attempts: u32,
    /// First pause between tries; it doubles each time, up to `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// How often a remote upload asks the service how it goes (30-60 s for the real service).
    pub remote_poll: Duration,
    /// How long a remote folder's file listing is trusted for conflict checks.
    pub listing_ttl: Duration,
    /// How often progress is sampled and sent while bytes move.
    pub progress_interval: Duration,
    /// The time over which speeds are smoothed.
    pub speed_window: Duration,
}

impl EngineOptions {
    /// The defaults: 3 transfers at once, no bandwidth cap, conflicts skipped, 8 tries per job
    /// with pauses from 5 s up to 5 min, remote uploads checked every 45 s.
    pub fn new(state_dir: impl Into<PathBuf>) -> Self {
        EngineOptions {
            state_dir: state_dir.into(),
            concurrency: 3,
            bwlimit: None,
            on_conflict: ConflictPolicy::default(),
            max_attempts: 8,
            retry_base: Duration::from_secs(5),
            retry_max: Duration::from_secs(300),
            remote_poll: Duration::from_secs(45),
            listing_ttl: Duration::from_secs(60),
            progress_interval: Duration::from_millis(100),
            speed_window: Duration::from_secs(3),
        }
    }
}

/// A question for the user when the policy is `Ask`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConflictQuestion {
    pub job: JobId,
    pub name: String,
    /// (size, date) of what is already there.
    pub existing: (u64, Option<String>),
    /// (size, date) of what would replace it.
    pub incoming: (u64, Option<String>),
}

/// The answer: what to do, and whether to do it for every later conflict too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConflictAnswer {
    pub policy: ConflictPolicy,
    pub for_all: bool,
}

/// Commands to the engine.
#[derive(Debug, Clone, PartialEq)]
pub enum Control {
    Pause(JobId),
    Resume(JobId),
    PauseAll,
    ResumeAll,
    Cancel(JobId),
    Retry(JobId),
    MoveUp(JobId),
    MoveDown(JobId),
    ClearFinished,
    SetConcurrency(usize),
    SetBandwidth(Option<u64>),
    Answer(JobId, ConflictAnswer),
}

/// What the engine tells its owner.
#[derive(Debug, Clone)]
pub enum EngineEvent {
    /// The whole list, after any change; at most about 10 a second.
    Jobs(Arc<Vec<JobView>>),
    /// A conflict waits for an answer (policy `Ask`).
    Conflict(ConflictQuestion),
    /// A job finished (done, skipped or failed; not cancelled); `changed` is the remote folder
    /// or local directory it changed.
    Finished {
        job: JobId,
        ok: bool,
        changed: Changed,
    },
    /// Something the user should know that is no job's state: the saved queue was unreadable
    /// and set aside, or the queue cannot be saved.
    Notice(String),
}

/// Counts for a report at the end of a subcommand.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Files (and remote uploads) done, and the bytes they moved.
    pub done: usize,
    pub bytes: u64,
    /// Left alone because the destination had them (policy `Skip`).
    pub skipped: usize,
    pub failed: Vec<FailedJob>,
    pub cancelled: usize,
    pub paused: usize,
    /// Queued, running, waiting or waiting for an answer.
    pub pending: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FailedJob {
    pub id: JobId,
    pub name: String,
    pub reason: String,
}

/// What a finished job changed, so views can refresh it.
#[derive(Debug, Clone, PartialEq)]
pub enum Changed {
    Remote(crate::api::FolderId),
    Local(PathBuf),
    Nothing,
}

/// A handle on the running engine. Cheap to clone. When the last clone is dropped the engine
/// stops its transfers; they stay in the journal and resume at the next start.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    commands: mpsc::UnboundedSender<scheduler::Command>,
    next_id: Arc<AtomicU64>,
    views: Arc<Mutex<Arc<Vec<JobView>>>>,
    written: watch::Receiver<u64>,
}

impl Engine {
    /// Starts the engine, reloading the journal from `state_dir` (running jobs come back queued
    /// and resume). Needs a tokio runtime. Fails if another process holds the same queue.
    ///
    /// Read the events, or drop the receiver: an unread receiver keeps every job list sent.
    pub fn start(
        client: Client,
        options: EngineOptions,
    ) -> anyhow::Result<(Engine, mpsc::UnboundedReceiver<EngineEvent>)> {
        let runtime = tokio::runtime::Handle::try_current()
            .context("the transfer engine needs a tokio runtime")?;
        let dir = &options.state_dir;
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the state directory {}", dir.display()))?;
        let lock = journal::Lock::acquire(dir)?;
        let loaded = journal::load(dir)
            .with_context(|| format!("cannot read the transfer queue in {}", dir.display()))?;

        let (events, events_rx) = mpsc::unbounded_channel();
        if let Some(warning) = loaded.warning {
            let _ = events.send(EngineEvent::Notice(warning));
        }
        let notices = events.clone();
        let queue = queue::Queue::from_records(journal::revive(loaded.jobs));
        // The writer starts from exactly what the scheduler's shadow will (`queue.records()`).
        let writer = journal::Writer::spawn(
            dir.clone(),
            lock,
            loaded.epoch,
            loaded.next_id,
            queue.records(),
            move |msg| {
                let _ = notices.send(EngineEvent::Notice(msg));
            },
        )?;
        let written = writer.written.clone();
        let next_id = Arc::new(AtomicU64::new(loaded.next_id));
        let pace = client.pace_status();
        let bandwidth = Arc::new(Bandwidth::new(options.bwlimit));
        let shared = Arc::new(worker::Shared {
            client,
            listings: Default::default(),
            settings: worker::Settings {
                max_attempts: options.max_attempts.max(1),
                retry_base: options.retry_base,
                retry_max: options.retry_max,
                remote_poll: options.remote_poll,
                listing_ttl: options.listing_ttl,
            },
            written: written.clone(),
        });
        let current_pace = pace.borrow().clone();
        // The reloaded queue is visible at once, before the scheduler's first turn.
        let views = Arc::new(Mutex::new(Arc::new(queue.views(&current_pace))));
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let (worker_tx, workers_rx) = mpsc::unbounded_channel();
        let scheduler = scheduler::Scheduler::new(
            queue,
            shared,
            next_id.clone(),
            &options,
            bandwidth,
            events,
            views.clone(),
            writer,
            worker_tx,
            current_pace,
        );
        runtime.spawn(scheduler.run(scheduler::Inputs {
            commands: commands_rx,
            workers: workers_rx,
            pace,
        }));
        let inner = Inner {
            commands,
            next_id,
            views,
            written,
        };
        Ok((
            Engine {
                inner: Arc::new(inner),
            },
            events_rx,
        ))
    }

    /// Adds jobs at the end of the queue, in this order. A job the queue already holds and has not
    /// finished (a folder job counts until its files are done) is not added again: a notice says
    /// so, and its id never shows in the list.
    pub fn enqueue(&self, jobs: Vec<JobKind>) -> Vec<JobId> {
        let with_ids: Vec<(JobId, JobKind)> = jobs
            .into_iter()
            .map(|kind| {
                (
                    JobId(self.inner.next_id.fetch_add(1, Ordering::Relaxed)),
                    kind,
                )
            })
            .collect();
        let ids = with_ids.iter().map(|(id, _)| *id).collect();
        let _ = self
            .inner
            .commands
            .send(scheduler::Command::Enqueue(with_ids));
        ids
    }

    pub fn control(&self, command: Control) {
        let _ = self
            .inner
            .commands
            .send(scheduler::Command::Control(command));
    }

    /// The job list as last published (the same list the last `EngineEvent::Jobs` carried).
    pub fn jobs(&self) -> Arc<Vec<JobView>> {
        self.inner
            .views
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Resolves once no job is queued, running, waiting or asking (paused ones do not count),
    /// with that state saved in the journal. Jobs enqueued before the call are waited for.
    pub async fn wait_idle(&self) {
        self.until_written(scheduler::Command::WaitIdle).await
    }

    /// Resolves once every change so far is in the journal on disk.
    pub async fn flush(&self) {
        self.until_written(scheduler::Command::Flush).await
    }

    /// Counts for the jobs `scope` (and the file jobs their folder jobs became), or for the
    /// whole queue with `None`.
    pub async fn summary(&self, scope: Option<&[JobId]>) -> Summary {
        let (reply, rx) = oneshot::channel();
        let _ = self.inner.commands.send(scheduler::Command::Summary(
            scope.map(<[JobId]>::to_vec),
            reply,
        ));
        rx.await.unwrap_or_default()
    }

    /// Stops every transfer (they stay in the journal and resume at the next start), saves the
    /// queue and releases it, so another engine may start on the same state directory.
    pub async fn shutdown(&self) {
        let (reply, rx) = oneshot::channel();
        if self
            .inner
            .commands
            .send(scheduler::Command::Shutdown(reply))
            .is_ok()
        {
            let _ = rx.await;
        }
    }

    async fn until_written(&self, command: fn(oneshot::Sender<u64>) -> scheduler::Command) {
        let (reply, rx) = oneshot::channel();
        if self.inner.commands.send(command(reply)).is_err() {
            return;
        }
        let Ok(generation) = rx.await else { return };
        let mut written = self.inner.written.clone();
        let _ = written.wait_for(|g| *g >= generation).await;
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}
