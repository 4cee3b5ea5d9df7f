//! A worker runs one job on its own task and reports to the scheduler by messages: its phase
//! (for the views), facts to journal before going on, and its outcome. The job races against its
//! cancellation token; a panic inside a job becomes a failed job, never a dead engine.

use super::journal::Meta;
use super::listings::Listings;
use super::queue::Phase;
use super::{Changed, ConflictPolicy, JobId, JobKind};
use super::{download, folder_jobs, remote_upload, upload};
use crate::api::{self, ApiError, Client, TransferCtl};
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, watch};

/// Retry and polling settings the workers follow (from `EngineOptions`).
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub max_attempts: u32,
    pub retry_base: Duration,
    pub retry_max: Duration,
    pub remote_poll: Duration,
    pub listing_ttl: Duration,
}

/// What every worker shares.
pub(crate) struct Shared {
    pub client: Client,
    pub listings: Arc<Listings>,
    pub settings: Settings,
    /// The generation of the journal that is on disk.
    pub written: watch::Receiver<u64>,
}

/// How a job ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    Done {
        result: String,
        bytes: u64,
        changed: Changed,
    },
    Skipped {
        reason: String,
        changed: Changed,
    },
    Failed {
        reason: String,
    },
    /// A folder job listed its tree: these file jobs replace it.
    Expanded {
        children: Vec<JobKind>,
        result: String,
        changed: Changed,
    },
    /// Policy `Ask` met a conflict: park the job and ask.
    Ask {
        name: String,
        existing: (u64, Option<String>),
        incoming: (u64, Option<String>),
    },
    /// Stopped by pause or cancel.
    Interrupted,
}

impl Outcome {
    pub fn failed(reason: impl Into<String>) -> Outcome {
        Outcome::Failed {
            reason: reason.into(),
        }
    }
}

pub(crate) enum WorkerMsg {
    Phase(JobId, Phase),
    /// Journal this meta; the reply is the generation to wait for.
    Persist {
        id: JobId,
        meta: Meta,
        reply: oneshot::Sender<u64>,
    },
    Finished(JobId, Outcome),
}

/// One job's handle on the engine.
pub(crate) struct JobCtx {
    pub id: JobId,
    pub shared: Arc<Shared>,
    pub meta: Meta,
    /// The policy for this job's conflict: the user's answer for it, or the engine's.
    pub policy: ConflictPolicy,
    pub ctl: TransferCtl,
    pub tx: mpsc::UnboundedSender<WorkerMsg>,
}

impl JobCtx {
    pub fn client(&self) -> &Client {
        &self.shared.client
    }

    pub fn settings(&self) -> &Settings {
        &self.shared.settings
    }

    pub fn phase(&self, phase: Phase) {
        let _ = self.tx.send(WorkerMsg::Phase(self.id, phase));
    }

    /// Starts an attempt that moves bytes: the counter restarts at zero on top of `base`.
    pub fn transferring(&self, base: u64, total: u64) {
        self.ctl.progress.store(0, Ordering::Relaxed);
        self.phase(Phase::Transferring { base, total });
    }

    pub fn is_cancelled(&self) -> bool {
        self.ctl.cancel.is_cancelled()
    }

    /// Runs `fut` unless the job is cancelled first (then `None`, and `fut` is dropped).
    pub async fn cancellable<T>(&self, fut: impl Future<Output = T>) -> Option<T> {
        tokio::select! {
            biased;
            _ = self.ctl.cancel.cancelled() => None,
            out = fut => Some(out),
        }
    }

    /// Writes this job's meta to the journal and waits until it is on disk.
    pub async fn persist(&self) {
        let (reply, generation) = oneshot::channel();
        if self
            .tx
            .send(WorkerMsg::Persist {
                id: self.id,
                meta: self.meta.clone(),
                reply,
            })
            .is_err()
        {
            return;
        }
        let Ok(generation) = generation.await else {
            return;
        };
        let mut written = self.shared.written.clone();
        let _ = written.wait_for(|g| *g >= generation).await;
    }

    /// An API call, tried again after a pause while the error is transient (the client already
    /// retried it; this covers longer outages), failing the job with `what` and the error's words
    /// when it is not.
    pub async fn call<T, F, Fut>(&self, what: &str, mut f: F) -> Result<T, Outcome>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = api::Result<T>>,
    {
        let mut attempt = 1;
        loop {
            match self.cancellable(f()).await {
                None | Some(Err(ApiError::Cancelled)) => return Err(Outcome::Interrupted),
                Some(Ok(v)) => return Ok(v),
                Some(Err(e)) if e.is_transient() && attempt < self.settings().max_attempts => {
                    attempt += 1;
                    if !self
                        .wait_before_retry(attempt, &format!("{what}: {e}"))
                        .await
                    {
                        return Err(Outcome::Interrupted);
                    }
                    self.phase(Phase::Preparing);
                }
                Some(Err(e)) => return Err(Outcome::failed(format!("{what}: {e}"))),
            }
        }
    }

    /// Hands this job's meta to the journal without waiting for the write.
    pub fn persist_later(&self) {
        let (reply, _) = oneshot::channel();
        let _ = self.tx.send(WorkerMsg::Persist {
            id: self.id,
            meta: self.meta.clone(),
            reply,
        });
    }

    /// Shows why the job waits and sleeps before attempt `next` (2, 3...); false when cancelled.
    pub async fn wait_before_retry(&self, next: u32, why: &str) -> bool {
        let s = self.settings();
        let delay = backoff_delay(next.saturating_sub(1), s.retry_base, s.retry_max);
        self.phase(Phase::Waiting {
            reason: format!("{why}; try {next} of {} soon", s.max_attempts),
            until: Some(Instant::now() + delay),
        });
        self.cancellable(tokio::time::sleep(delay)).await.is_some()
    }
}

/// The pause before retry number `n` (1, 2...): doubling from `base` up to `max`, give or take
/// a fifth so that jobs failing together do not retry together.
pub(crate) fn backoff_delay(n: u32, base: Duration, max: Duration) -> Duration {
    let exp = base
        .saturating_mul(1u32 << n.saturating_sub(1).min(20))
        .min(max);
    exp.mul_f64(0.8 + 0.4 * fastrand::f64())
}

/// Starts `kind` on its own task; its outcome reaches the scheduler even if it panics.
pub(crate) fn spawn(ctx: JobCtx, kind: JobKind) {
    let tx = ctx.tx.clone();
    let id = ctx.id;
    let task = tokio::spawn(run(ctx, kind));
    tokio::spawn(async move {
        let outcome = match task.await {
            Ok(outcome) => outcome,
            Err(e) if e.is_panic() => {
                tracing::error!("job {id} panicked: {e}");
                Outcome::failed("internal error in fichier-tui (a bug: see the log); retry the job")
            }
            Err(_) => Outcome::Interrupted,
        };
        let _ = tx.send(WorkerMsg::Finished(id, outcome));
    });
}

async fn run(mut ctx: JobCtx, kind: JobKind) -> Outcome {
    let outcome = match kind {
        JobKind::Upload {
            local,
            folder,
            remote_name,
        } => upload::run(&mut ctx, &local, folder, &remote_name).await,
        JobKind::Download {
            url,
            local,
            size,
            checksum,
        } => download::run(&mut ctx, &url, &local, size, checksum.as_deref()).await,
        JobKind::UploadDir { local, parent } => {
            folder_jobs::upload_dir(&mut ctx, &local, parent).await
        }
        JobKind::DownloadDir {
            folder,
            name,
            local_parent,
        } => folder_jobs::download_dir(&mut ctx, folder, &name, &local_parent).await,
        JobKind::RemoteUpload { urls, folder } => remote_upload::run(&mut ctx, &urls, folder).await,
    };
    if ctx.is_cancelled() && matches!(outcome, Outcome::Failed { .. }) {
        // Failing because it was stopped is not a failure.
        return Outcome::Interrupted;
    }
    outcome
}

/// The local I/O error inside an API error, if that is what it is.
pub(crate) fn local_io(e: &ApiError) -> Option<&io::Error> {
    match e {
        ApiError::Local { source, .. } => Some(source),
        _ => None,
    }
}

/// No space left (or over a disk quota).
pub(crate) fn is_disk_full(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded
    ) || matches!(e.raw_os_error(), Some(28) | Some(122)) // ENOSPC, EDQUOT on Linux
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_bounds() {
        let base = Duration::from_secs(2);
        let max = Duration::from_secs(60);
        for _ in 0..50 {
            let d1 = backoff_delay(1, base, max);
            assert!(
                d1 >= Duration::from_millis(1600) && d1 <= Duration::from_millis(2400),
                "{d1:?}"
            );
            let d3 = backoff_delay(3, base, max);
            assert!(
                d3 >= Duration::from_millis(6400) && d3 <= Duration::from_millis(9600),
                "{d3:?}"
            );
            let d30 = backoff_delay(30, base, max);
            assert!(
                d30 <= Duration::from_secs(72) && d30 >= Duration::from_secs(48),
                "{d30:?}"
            );
        }
    }

    #[test]
    fn disk_full_is_recognised() {
        assert!(is_disk_full(&io::Error::from(io::ErrorKind::StorageFull)));
        assert!(is_disk_full(&io::Error::from_raw_os_error(28)));
        assert!(!is_disk_full(&io::Error::from(io::ErrorKind::NotFound)));
    }
}
