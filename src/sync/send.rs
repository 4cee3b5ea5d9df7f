//! Hands the copies to the transfer engine a window at a time. The engine journals (and lists) its
//! whole queue after every change, so 10,000 jobs queued at once cost O(jobs) per change: minutes
//! of CPU and a journal of megabytes written thousands of times in a large first run. A window of
//! jobs is queued, waited for, counted and cleared before the next; the job list shown to the user
//! stays whole (jobs of finished windows, the engine's own, then the copies still waiting).

use super::plan::{Copy, Note};
use super::run::SyncEvent;
use crate::transfer::{
    Control, Direction as JobDirection, Engine, EngineEvent, JobId, JobKind, JobState, JobView,
};
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

/// Jobs in the engine's queue at once.
pub(super) const WINDOW: usize = 256;
/// The shortest time between two job lists sent on.
const LIST_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

/// What the transfers of a run came to.
#[derive(Debug, Default)]
pub(super) struct Sent<'p> {
    /// Copies whose transfer is done.
    pub done: Vec<&'p Copy>,
    /// Files done (an interrupted run's leftovers included) and their bytes.
    pub files: usize,
    pub bytes: u64,
    pub failed: Vec<Note>,
    /// Neither done nor failed (paused, or the run was stopped).
    pub pending: usize,
}

/// The list the user sees, around the engine's window.
#[derive(Default)]
struct Shown {
    /// Jobs of finished windows, as they ended.
    before: Vec<JobView>,
    before_ids: HashSet<JobId>,
    /// Copies not handed to the engine yet, shown as queued.
    waiting: Vec<JobView>,
    /// Ids for the waiting ones (never the engine's: they count down from the top).
    next_placeholder: u64,
}

/// The sending side of a run: the engine, what the user is shown, what has been counted.
pub(super) struct Sender {
    engine: Engine,
    shown: Arc<Mutex<Shown>>,
    /// Jobs handed to the engine at once (`WINDOW`; tests take fewer).
    window: usize,
    /// The longest job list the engine published: what the window bounds (read by tests).
    #[cfg_attr(not(test), allow(dead_code))]
    longest_list: Arc<AtomicUsize>,
}

fn lock(shown: &Mutex<Shown>) -> std::sync::MutexGuard<'_, Shown> {
    shown.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Sender {
    /// Forwards the engine's events to `events` (job lists completed as described above) until
    /// the engine's channel closes.
    pub fn new(
        engine: Engine,
        mut rx: UnboundedReceiver<EngineEvent>,
        events: Option<UnboundedSender<SyncEvent>>,
    ) -> (Sender, tokio::task::JoinHandle<()>) {
        let shown = Arc::new(Mutex::new(Shown {
            next_placeholder: u64::MAX,
            ..Shown::default()
        }));
        let seen = shown.clone();
        let longest_list = Arc::new(AtomicUsize::new(0));
        let longest = longest_list.clone();
        let forward = tokio::spawn(async move {
            // The whole list costs a copy of every job: at most one every LIST_EVERY, the
            // latest one, and the last one always.
            let mut latest: Option<Arc<Vec<JobView>>> = None;
            let mut next = tokio::time::Instant::now();
            loop {
                let ev = tokio::select! {
                    ev = rx.recv() => ev,
                    () = tokio::time::sleep_until(next), if latest.is_some() => {
                        if let (Some(jobs), Some(tx)) = (latest.take(), &events) {
                            let _ = tx.send(SyncEvent::Jobs(whole_list(&seen, &jobs)));
                        }
                        next = tokio::time::Instant::now() + LIST_EVERY;
                        continue;
                    }
                };
                let Some(ev) = ev else { break };
                if let EngineEvent::Jobs(jobs) = &ev {
                    longest.fetch_max(jobs.len(), Ordering::Relaxed);
                }
                let Some(tx) = &events else { continue };
                match ev {
                    EngineEvent::Jobs(jobs) => latest = Some(jobs),
                    EngineEvent::Notice(text) => {
                        let _ = tx.send(SyncEvent::Notice(text));
                    }
                    _ => {}
                }
            }
            if let (Some(jobs), Some(tx)) = (latest, &events) {
                let _ = tx.send(SyncEvent::Jobs(whole_list(&seen, &jobs)));
            }
        });
        let sender = Sender {
            engine,
            shown,
            window: WINDOW,
            longest_list,
        };
        (sender, forward)
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Shows `jobs` as waiting until they are sent.
    pub fn announce(&self, jobs: &[(JobKind, &Copy)]) {
        let mut shown = lock(&self.shown);
        for (kind, _) in jobs {
            let id = JobId(shown.next_placeholder);
            shown.next_placeholder -= 1;
            shown.waiting.push(placeholder(id, kind));
        }
    }

    /// Counts what the engine's queue holds now (an interrupted run's jobs, finished) and clears
    /// it.
    pub async fn count_leftovers(&self, sent: &mut Sent<'_>) {
        let summary = self.engine.summary(None).await;
        sent.files += summary.done;
        sent.bytes += summary.bytes;
        sent.pending += summary.pending + summary.paused;
        for f in summary.failed {
            sent.failed.push(Note {
                path: f.name,
                reason: f.reason,
            });
        }
        self.engine.control(Control::ClearFinished);
    }

    /// Sends `jobs` (announced before) a window at a time, waiting for each window to end.
    pub async fn send<'p>(&self, jobs: Vec<(JobKind, &'p Copy)>, sent: &mut Sent<'p>) {
        let mut jobs = jobs.into_iter();
        loop {
            let window: Vec<(JobKind, &Copy)> = jobs.by_ref().take(self.window.max(1)).collect();
            if window.is_empty() {
                break;
            }
            let (kinds, copies): (Vec<JobKind>, Vec<&Copy>) = window.into_iter().unzip();
            {
                let mut shown = lock(&self.shown);
                let n = kinds.len().min(shown.waiting.len());
                shown.waiting.drain(..n);
            }
            let ids = self.engine.enqueue(kinds);
            self.engine.wait_idle().await;
            let summary = self.engine.summary(Some(&ids)).await;
            let views = self.engine.jobs();
            let mine: HashSet<JobId> = ids.iter().copied().collect();
            let ended: Vec<JobView> = views
                .iter()
                .filter(|v| mine.contains(&v.id) && v.state.is_finished())
                .cloned()
                .collect();
            let done: HashSet<JobId> = ended
                .iter()
                .filter(|v| matches!(v.state, JobState::Done { .. }))
                .map(|v| v.id)
                .collect();
            for (id, copy) in ids.iter().zip(&copies) {
                if done.contains(id) {
                    sent.done.push(copy);
                }
            }
            sent.files += summary.done;
            sent.bytes += summary.bytes;
            sent.pending += summary.pending + summary.paused;
            for f in summary.failed {
                let path = ids
                    .iter()
                    .position(|id| *id == f.id)
                    .map_or(f.name, |i| copies[i].shown.clone());
                sent.failed.push(Note {
                    path,
                    reason: f.reason,
                });
            }
            {
                let mut shown = lock(&self.shown);
                for v in ended {
                    shown.before_ids.insert(v.id);
                    shown.before.push(v);
                }
            }
            self.engine.control(Control::ClearFinished);
        }
    }
}

/// The finished windows, the engine's list (without what was already moved to the finished
/// part), then what waits.
fn whole_list(shown: &Mutex<Shown>, engine: &[JobView]) -> Arc<Vec<JobView>> {
    let shown = lock(shown);
    let mut all = Vec::with_capacity(shown.before.len() + engine.len() + shown.waiting.len());
    all.extend(shown.before.iter().cloned());
    all.extend(
        engine
            .iter()
            .filter(|v| !shown.before_ids.contains(&v.id))
            .cloned(),
    );
    all.extend(shown.waiting.iter().cloned());
    Arc::new(all)
}

fn placeholder(id: JobId, kind: &JobKind) -> JobView {
    let (direction, name) = match kind {
        JobKind::Upload { remote_name, .. } => (JobDirection::Up, remote_name.clone()),
        JobKind::Download { local, .. } => (
            JobDirection::Down,
            local
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        ),
        _ => (JobDirection::Remote, String::new()),
    };
    JobView {
        id,
        direction,
        name,
        state: JobState::Queued,
    }
}

#[cfg(test)]
mod tests;
