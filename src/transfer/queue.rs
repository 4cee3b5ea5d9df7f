//! The queue as plain data: jobs in the user's order, their states, which ones to start next, and
//! the views the UI draws. No I/O and no tasks here, so the scheduling rules are unit-tested alone.

use super::journal::{JobRecord, Meta, SavedState};
use super::speed::SpeedMeter;
use super::{ConflictQuestion, Direction, JobId, JobKind, JobState, JobView};
use crate::api::{PaceStatus, Progress};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Where a job is, as the scheduler tracks it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Status {
    Queued,
    Running,
    /// Parked until the user answers a conflict question; holds no transfer slot.
    Asking(Box<ConflictQuestion>),
    Paused,
    Done {
        result: String,
        bytes: u64,
    },
    Skipped {
        reason: String,
    },
    Failed {
        reason: String,
    },
    Cancelled,
}

impl Status {
    pub fn is_finished(&self) -> bool {
        matches!(
            self,
            Status::Done { .. }
                | Status::Skipped { .. }
                | Status::Failed { .. }
                | Status::Cancelled
        )
    }
}

/// What a running worker is doing, as it last said.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Phase {
    /// Listing, checking conflicts, creating folders: API calls, no bytes yet.
    Preparing,
    /// Bytes flow; `base` were already there (a resumed `.part`).
    Transferring { base: u64, total: u64 },
    Waiting {
        reason: String,
        until: Option<Instant>,
    },
    /// Verifying, renaming, removing replaced copies.
    Finishing,
}

/// The live side of a job whose worker runs.
#[derive(Debug)]
pub(crate) struct Live {
    pub cancel: CancellationToken,
    pub progress: Progress,
    pub phase: Phase,
    pub speed: SpeedMeter,
    pub holds_slot: bool,
    /// No byte moved since the previous sample: a flood lock shows on this job.
    pub stalled: bool,
    last_bytes: u64,
}

impl Live {
    pub fn new(
        progress: Progress,
        cancel: CancellationToken,
        holds_slot: bool,
        window: Duration,
    ) -> Self {
        Live {
            cancel,
            progress,
            phase: Phase::Preparing,
            speed: SpeedMeter::new(window),
            holds_slot,
            stalled: false,
            last_bytes: 0,
        }
    }
}

#[derive(Debug)]
pub(crate) struct Entry {
    pub id: JobId,
    pub kind: JobKind,
    pub meta: Meta,
    pub status: Status,
    pub live: Option<Live>,
    /// Last known bytes done and total, for the paused and finished views.
    pub done: u64,
    pub total: u64,
}

impl Entry {
    pub fn new(id: JobId, kind: JobKind, meta: Meta) -> Self {
        let total = match &kind {
            JobKind::Download { size, .. } => *size,
            _ => 0,
        };
        Entry {
            id,
            kind,
            meta,
            status: Status::Queued,
            live: None,
            done: 0,
            total,
        }
    }

    pub fn from_record(rec: JobRecord) -> Self {
        let mut e = Entry::new(rec.id, rec.kind, rec.meta);
        e.status = match rec.state {
            SavedState::Queued | SavedState::Running => Status::Queued,
            SavedState::Paused { done, total } => {
                e.done = done;
                e.total = total.max(e.total);
                Status::Paused
            }
            SavedState::Done { result, bytes } => {
                e.done = bytes;
                e.total = bytes;
                Status::Done { result, bytes }
            }
            SavedState::Skipped { reason } => Status::Skipped { reason },
            SavedState::Failed { reason } => Status::Failed { reason },
            SavedState::Cancelled => Status::Cancelled,
        };
        e
    }

    pub fn record(&self) -> JobRecord {
        let state = match &self.status {
            Status::Queued | Status::Asking(_) => SavedState::Queued,
            Status::Running => SavedState::Running,
            Status::Paused => SavedState::Paused {
                done: self.done,
                total: self.total,
            },
            Status::Done { result, bytes } => SavedState::Done {
                result: result.clone(),
                bytes: *bytes,
            },
            Status::Skipped { reason } => SavedState::Skipped {
                reason: reason.clone(),
            },
            Status::Failed { reason } => SavedState::Failed {
                reason: reason.clone(),
            },
            Status::Cancelled => SavedState::Cancelled,
        };
        JobRecord {
            id: self.id,
            kind: self.kind.clone(),
            state,
            meta: self.meta.clone(),
        }
    }

    /// Bytes done now: the worker's counter on top of what the part file already held.
    pub fn live_done(&self) -> u64 {
        match &self.live {
            Some(Live {
                phase: Phase::Transferring { base, total },
                progress,
                ..
            }) => {
                let moved = progress.load(Ordering::Relaxed);
                let done = base.saturating_add(moved);
                if *total > 0 { done.min(*total) } else { done }
            }
            _ => self.done,
        }
    }

    /// Samples the progress counter; true when the view changed.
    pub fn sample(&mut self, now: Instant) -> bool {
        let done = self.live_done();
        let Some(live) = &mut self.live else {
            return false;
        };
        let Phase::Transferring { total, .. } = live.phase else {
            return false;
        };
        live.speed.sample(now, done);
        let moved = done != live.last_bytes;
        let stall_changed = live.stalled == moved;
        live.stalled = !moved;
        live.last_bytes = done;
        self.done = done;
        self.total = total;
        moved || stall_changed || live.speed.rate() >= 1.0
    }

    pub fn view(&self, pace: &PaceStatus) -> JobView {
        JobView {
            id: self.id,
            direction: direction(&self.kind),
            name: display_name(&self.kind),
            state: self.state(pace),
        }
    }

    fn state(&self, pace: &PaceStatus) -> JobState {
        let flood = match pace {
            PaceStatus::Waiting { until, reason } => Some(JobState::Waiting {
                reason: reason.clone(),
                until: Some(*until),
            }),
            PaceStatus::Ready => None,
        };
        match &self.status {
            Status::Queued => JobState::Queued,
            Status::Running => match self.live.as_ref().map(|l| (&l.phase, l)) {
                Some((Phase::Waiting { reason, until }, _)) => JobState::Waiting {
                    reason: reason.clone(),
                    until: *until,
                },
                Some((Phase::Transferring { total, .. }, live)) => match flood {
                    Some(waiting) if live.stalled => waiting,
                    _ => {
                        let done = self.live_done();
                        JobState::Running {
                            done,
                            total: *total,
                            speed: live.speed.rate(),
                            eta: live.speed.eta(total.saturating_sub(done)),
                        }
                    }
                },
                Some((Phase::Preparing, _)) | None => flood.unwrap_or(JobState::Running {
                    done: self.done,
                    total: self.total,
                    speed: 0.0,
                    eta: None,
                }),
                Some((Phase::Finishing, _)) => JobState::Running {
                    done: self.done,
                    total: self.total,
                    speed: 0.0,
                    eta: None,
                },
            },
            Status::Asking(_) => JobState::Waiting {
                reason: "already there: waiting for your answer (skip, rename or overwrite)".into(),
                until: None,
            },
            Status::Paused => JobState::Paused {
                done: self.done,
                total: self.total,
            },
            Status::Done { result, .. } => JobState::Done {
                result: result.clone(),
            },
            Status::Skipped { reason } => JobState::Skipped {
                reason: reason.clone(),
            },
            Status::Failed { reason } => JobState::Failed {
                reason: reason.clone(),
            },
            Status::Cancelled => JobState::Cancelled,
        }
    }
}

pub(crate) fn direction(kind: &JobKind) -> Direction {
    match kind {
        JobKind::Upload { .. } | JobKind::UploadDir { .. } => Direction::Up,
        JobKind::Download { .. } | JobKind::DownloadDir { .. } => Direction::Down,
        JobKind::RemoteUpload { .. } => Direction::Remote,
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

pub(crate) fn display_name(kind: &JobKind) -> String {
    match kind {
        JobKind::Upload { remote_name, .. } => remote_name.clone(),
        JobKind::Download { local, .. } => file_name(local),
        JobKind::UploadDir { local, .. } => format!("{}/", file_name(local)),
        JobKind::DownloadDir { name, .. } => format!("{name}/"),
        JobKind::RemoteUpload { urls, .. } => match urls.len() {
            0 | 1 => urls.first().cloned().unwrap_or_default(),
            n => format!("{} and {} more", urls[0], n - 1),
        },
    }
}

/// Remote uploads only poll now and then: they never take a transfer slot.
pub(crate) fn needs_slot(kind: &JobKind) -> bool {
    !matches!(kind, JobKind::RemoteUpload { .. })
}

/// The jobs, in the user's order.
#[derive(Debug, Default)]
pub(crate) struct Queue {
    entries: Vec<Entry>,
}

impl Queue {
    pub fn from_records(records: Vec<JobRecord>) -> Self {
        Queue {
            entries: records.into_iter().map(Entry::from_record).collect(),
        }
    }

    pub fn records(&self) -> Vec<JobRecord> {
        self.entries.iter().map(Entry::record).collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Entry> {
        self.entries.iter_mut()
    }

    pub fn push(&mut self, entry: Entry) {
        self.entries.push(entry);
    }

    /// A job in the queue that `kind` would only repeat: the same job, asked for directly, and
    /// still under way (queued, running, paused, asking), or done as a folder job whose file jobs
    /// are. Queued again, it would send or fetch the same files a second time (as `name (1)`
    /// under the Rename policy): a second `upload` after a kill -9 would double every file.
    pub fn twin_in_progress(&self, kind: &JobKind) -> Option<JobId> {
        let children_busy = |id: JobId| {
            self.entries
                .iter()
                .any(|c| c.meta.parent == Some(id) && !c.status.is_finished())
        };
        self.entries
            .iter()
            .filter(|e| e.meta.parent.is_none() && e.kind == *kind)
            .find(|e| match e.status {
                Status::Done { .. } => children_busy(e.id),
                ref s => !s.is_finished(),
            })
            .map(|e| e.id)
    }

    /// Puts `children` right after `parent` (or at the end if it is gone), keeping the order.
    pub fn insert_after(&mut self, parent: JobId, children: Vec<Entry>) {
        let at = self
            .position(parent)
            .map(|p| p + 1)
            .unwrap_or(self.entries.len());
        self.entries.splice(at..at, children);
    }

    pub fn position(&self, id: JobId) -> Option<usize> {
        self.entries.iter().position(|e| e.id == id)
    }

    #[cfg(test)]
    pub fn get(&self, id: JobId) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    pub fn get_mut(&mut self, id: JobId) -> Option<&mut Entry> {
        self.entries.iter_mut().find(|e| e.id == id)
    }

    pub fn move_up(&mut self, id: JobId) -> bool {
        match self.position(id) {
            Some(p) if p > 0 => {
                self.entries.swap(p, p - 1);
                true
            }
            _ => false,
        }
    }

    pub fn move_down(&mut self, id: JobId) -> bool {
        match self.position(id) {
            Some(p) if p + 1 < self.entries.len() => {
                self.entries.swap(p, p + 1);
                true
            }
            _ => false,
        }
    }

    /// Drops finished jobs whose worker has wound down; true when any went.
    pub fn clear_finished(&mut self) -> bool {
        let before = self.entries.len();
        self.entries
            .retain(|e| !(e.status.is_finished() && e.live.is_none()));
        self.entries.len() != before
    }

    pub fn slots_in_use(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| e.live.as_ref().is_some_and(|l| l.holds_slot))
            .count()
    }

    /// The queued jobs to start now, first come first served: as many slot-taking jobs as free
    /// slots allow, and every queued remote upload.
    pub fn to_start(&self, concurrency: usize) -> Vec<JobId> {
        let mut free = concurrency.saturating_sub(self.slots_in_use());
        let mut out = Vec::new();
        for e in &self.entries {
            if e.status != Status::Queued || e.live.is_some() {
                continue;
            }
            if !needs_slot(&e.kind) {
                out.push(e.id);
            } else if free > 0 {
                free -= 1;
                out.push(e.id);
            }
        }
        out
    }

    /// Nothing queued, running, waiting or asking (paused and finished jobs do not count).
    pub fn is_idle(&self) -> bool {
        self.entries
            .iter()
            .all(|e| e.live.is_none() && (e.status == Status::Paused || e.status.is_finished()))
    }

    /// Whether any job moves bytes, which is when progress is worth sampling.
    pub fn any_transferring(&self) -> bool {
        self.entries.iter().any(|e| {
            e.live
                .as_ref()
                .is_some_and(|l| matches!(l.phase, Phase::Transferring { .. }))
        })
    }

    pub fn views(&self, pace: &PaceStatus) -> Vec<JobView> {
        self.entries.iter().map(|e| e.view(pace)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{FileUrl, FolderId};
    use std::sync::Arc;

    fn up(n: u64) -> Entry {
        Entry::new(
            JobId(n),
            JobKind::Upload {
                local: format!("/l/{n}").into(),
                folder: FolderId(0),
                remote_name: format!("f{n}"),
            },
            Meta::default(),
        )
    }

    fn remote(n: u64) -> Entry {
        Entry::new(
            JobId(n),
            JobKind::RemoteUpload {
                urls: vec!["https://e.x/a".into()],
                folder: FolderId(0),
            },
            Meta::default(),
        )
    }

    fn queue(entries: Vec<Entry>) -> Queue {
        let mut q = Queue::default();
        for e in entries {
            q.push(e);
        }
        q
    }

    fn start(q: &mut Queue, ids: &[JobId]) {
        for id in ids {
            let e = q.get_mut(*id).unwrap();
            e.status = Status::Running;
            e.live = Some(Live::new(
                Arc::default(),
                CancellationToken::new(),
                needs_slot(&e.kind),
                Duration::from_secs(3),
            ));
        }
    }

    fn order(q: &Queue) -> Vec<u64> {
        q.iter().map(|e| e.id.0).collect()
    }

    #[test]
    fn starts_in_order_within_the_concurrency() {
        let mut q = queue((1..=5).map(up).collect());
        let first = q.to_start(3);
        assert_eq!(first, vec![JobId(1), JobId(2), JobId(3)]);
        start(&mut q, &first);
        assert!(q.to_start(3).is_empty());
        // One finishes: exactly the next in line starts.
        let e = q.get_mut(JobId(2)).unwrap();
        e.status = Status::Done {
            result: "x".into(),
            bytes: 1,
        };
        e.live = None;
        assert_eq!(q.to_start(3), vec![JobId(4)]);
        // A lower concurrency starts nothing until enough have finished.
        assert!(q.to_start(2).is_empty());
    }

    #[test]
    fn paused_and_asking_jobs_are_passed_over() {
        let mut q = queue((1..=4).map(up).collect());
        q.get_mut(JobId(1)).unwrap().status = Status::Paused;
        q.get_mut(JobId(2)).unwrap().status = Status::Asking(Box::new(ConflictQuestion {
            job: JobId(2),
            name: "f2".into(),
            existing: (1, None),
            incoming: (1, None),
        }));
        assert_eq!(q.to_start(1), vec![JobId(3)]);
    }

    #[test]
    fn remote_uploads_take_no_slot() {
        let mut q = queue(vec![up(1), remote(2), up(3), remote(4)]);
        assert_eq!(q.to_start(1), vec![JobId(1), JobId(2), JobId(4)]);
        start(&mut q, &[JobId(2), JobId(4)]);
        assert_eq!(q.slots_in_use(), 0);
    }

    #[test]
    fn move_up_and_down_change_who_starts_first() {
        let mut q = queue((1..=4).map(up).collect());
        assert!(q.move_up(JobId(3)));
        assert_eq!(order(&q), vec![1, 3, 2, 4]);
        assert!(q.move_up(JobId(3)));
        assert!(!q.move_up(JobId(3)), "already first");
        assert_eq!(order(&q), vec![3, 1, 2, 4]);
        assert!(q.move_down(JobId(1)));
        assert!(q.move_down(JobId(1)));
        assert!(!q.move_down(JobId(1)), "already last");
        assert!(!q.move_up(JobId(99)));
        assert_eq!(order(&q), vec![3, 2, 4, 1]);
        assert_eq!(q.to_start(2), vec![JobId(3), JobId(2)]);
    }

    #[test]
    fn clear_finished_keeps_live_and_unfinished_jobs() {
        let mut q = queue((1..=5).map(up).collect());
        q.get_mut(JobId(1)).unwrap().status = Status::Done {
            result: "u".into(),
            bytes: 3,
        };
        q.get_mut(JobId(2)).unwrap().status = Status::Failed { reason: "r".into() };
        q.get_mut(JobId(3)).unwrap().status = Status::Skipped { reason: "s".into() };
        start(&mut q, &[JobId(4)]);
        // Cancelled, but its worker is still winding down: it stays until it has.
        q.get_mut(JobId(4)).unwrap().status = Status::Cancelled;
        assert!(q.clear_finished());
        assert_eq!(order(&q), vec![4, 5]);
        assert!(!q.clear_finished());
    }

    #[test]
    fn children_go_right_after_their_folder_job() {
        let mut q = queue((1..=3).map(up).collect());
        q.insert_after(JobId(1), vec![up(10), up(11)]);
        assert_eq!(order(&q), vec![1, 10, 11, 2, 3]);
    }

    #[test]
    fn idle_means_nothing_left_to_do() {
        let mut q = queue(vec![up(1), up(2)]);
        assert!(!q.is_idle());
        q.get_mut(JobId(1)).unwrap().status = Status::Paused;
        assert!(!q.is_idle());
        q.get_mut(JobId(2)).unwrap().status = Status::Failed { reason: "x".into() };
        assert!(q.is_idle(), "paused and finished jobs leave the queue idle");
        start(&mut q, &[JobId(2)]);
        q.get_mut(JobId(2)).unwrap().status = Status::Cancelled;
        assert!(!q.is_idle(), "a worker still winding down");
        assert!(Queue::default().is_idle());
    }

    #[test]
    fn records_survive_a_restart_with_running_jobs_queued() {
        let mut q = queue(vec![up(1), up(2), up(3)]);
        start(&mut q, &[JobId(1)]);
        q.get_mut(JobId(2)).unwrap().status = Status::Done {
            result: "https://1fichier.com/?a".into(),
            bytes: 9,
        };
        q.get_mut(JobId(3)).unwrap().status = Status::Paused;
        q.get_mut(JobId(3)).unwrap().done = 4;
        let back = Queue::from_records(q.records());
        let states: Vec<_> = back.iter().map(|e| e.status.clone()).collect();
        assert_eq!(
            states,
            vec![
                Status::Queued,
                Status::Done {
                    result: "https://1fichier.com/?a".into(),
                    bytes: 9
                },
                Status::Paused
            ]
        );
        assert_eq!(back.get(JobId(3)).unwrap().done, 4);
    }

    #[test]
    fn views_show_progress_and_flood_waits() {
        let mut q = queue(vec![Entry::new(
            JobId(1),
            JobKind::Download {
                url: FileUrl("u".into()),
                local: "/d/report.pdf".into(),
                size: 1000,
                checksum: None,
            },
            Meta::default(),
        )]);
        start(&mut q, &[JobId(1)]);
        let t = Instant::now();
        {
            let e = q.get_mut(JobId(1)).unwrap();
            let live = e.live.as_mut().unwrap();
            live.phase = Phase::Transferring {
                base: 200,
                total: 1000,
            };
            live.progress.store(100, Ordering::Relaxed);
            e.sample(t);
            e.live
                .as_ref()
                .unwrap()
                .progress
                .store(300, Ordering::Relaxed);
            e.sample(t + Duration::from_secs(1));
        }
        let v = q.views(&PaceStatus::Ready);
        assert_eq!(v[0].name, "report.pdf");
        assert_eq!(v[0].direction, Direction::Down);
        match &v[0].state {
            JobState::Running {
                done,
                total,
                speed,
                eta,
            } => {
                assert_eq!((*done, *total), (500, 1000));
                assert!((*speed - 200.0).abs() < 1.0, "{speed}");
                assert_eq!(eta.map(|d| d.as_secs()), Some(2));
            }
            s => panic!("{s:?}"),
        }
        // Bytes still move during a flood lock: the transfer is not the one waiting.
        let flood = PaceStatus::Waiting {
            until: t + Duration::from_secs(30),
            reason: "flood lock".into(),
        };
        assert!(matches!(q.views(&flood)[0].state, JobState::Running { .. }));
        // Stalled during the lock: shown waiting, with the lock's reason and end.
        q.get_mut(JobId(1))
            .unwrap()
            .sample(t + Duration::from_secs(2));
        assert_eq!(
            q.views(&flood)[0].state,
            JobState::Waiting {
                reason: "flood lock".into(),
                until: Some(t + Duration::from_secs(30))
            }
        );
    }
}
