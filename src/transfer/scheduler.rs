//! The scheduler: one task that owns the queue. It takes commands from the `Engine` handles and
//! messages from workers, folds them into job states, starts jobs as slots free up, journals each
//! state change, and tells its owner: the job list after each batch of changes, progress at most
//! ten times a second while bytes move, and nothing at all while idle.

use super::journal::{self, Shadow};
use super::queue::{Entry, Live, Phase, Queue, Status, needs_slot};
use super::worker::{self, JobCtx, Outcome, Shared, WorkerMsg};
use super::{
    Changed, ConflictAnswer, ConflictPolicy, ConflictQuestion, Control, EngineEvent, JobId, JobKind,
};
use super::{JobView, Summary, paths};
use crate::api::{Bandwidth, PaceStatus, TransferCtl};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

pub(crate) enum Command {
    Enqueue(Vec<(JobId, JobKind)>),
    Control(Control),
    /// Answered with the journal generation that holds the idle queue.
    WaitIdle(oneshot::Sender<u64>),
    /// Answered with the journal generation that holds every change so far.
    Flush(oneshot::Sender<u64>),
    Summary(Option<Vec<JobId>>, oneshot::Sender<Summary>),
    /// Stop the workers, save, release the journal, then answer.
    Shutdown(oneshot::Sender<()>),
}

pub(crate) struct Scheduler {
    pub queue: Queue,
    pub shared: Arc<Shared>,
    pub next_id: Arc<AtomicU64>,
    pub policy: ConflictPolicy,
    pub concurrency: usize,
    pub bandwidth: Arc<Bandwidth>,
    pub tick: Duration,
    pub speed_window: Duration,
    pub events: mpsc::UnboundedSender<EngineEvent>,
    pub views: Arc<Mutex<Arc<Vec<JobView>>>>,
    pub writer: journal::Writer,
    /// What the journal was sent, to send only what changes.
    shadow: Shadow,
    pub worker_tx: mpsc::UnboundedSender<WorkerMsg>,
    pub pace: PaceStatus,
    generation: u64,
    views_dirty: bool,
    journal_dirty: bool,
    persist_replies: Vec<oneshot::Sender<u64>>,
    idle_waiters: Vec<oneshot::Sender<u64>>,
    flush_waiters: Vec<oneshot::Sender<u64>>,
    shutdown: Vec<oneshot::Sender<()>>,
    /// Winding down: start nothing more.
    stopping: bool,
}

/// The receiving ends the scheduler's loop selects over.
pub(crate) struct Inputs {
    pub commands: mpsc::UnboundedReceiver<Command>,
    pub workers: mpsc::UnboundedReceiver<WorkerMsg>,
    pub pace: watch::Receiver<PaceStatus>,
}

impl Scheduler {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        queue: Queue,
        shared: Arc<Shared>,
        next_id: Arc<AtomicU64>,
        options: &super::EngineOptions,
        bandwidth: Arc<Bandwidth>,
        events: mpsc::UnboundedSender<EngineEvent>,
        views: Arc<Mutex<Arc<Vec<JobView>>>>,
        writer: journal::Writer,
        worker_tx: mpsc::UnboundedSender<WorkerMsg>,
        pace: PaceStatus,
    ) -> Self {
        Scheduler {
            shadow: Shadow::new(&queue),
            queue,
            shared,
            next_id,
            policy: options.on_conflict,
            concurrency: options.concurrency.max(1),
            bandwidth,
            tick: options.progress_interval.max(Duration::from_millis(10)),
            speed_window: options.speed_window,
            events,
            views,
            writer,
            worker_tx,
            pace,
            generation: 0,
            views_dirty: true,
            journal_dirty: false,
            persist_replies: Vec::new(),
            idle_waiters: Vec::new(),
            flush_waiters: Vec::new(),
            shutdown: Vec::new(),
            stopping: false,
        }
    }

    pub async fn run(mut self, mut inputs: Inputs) {
        let mut pace_alive = true;
        let mut next_tick: Option<tokio::time::Instant> = None;
        self.after_batch();
        loop {
            if self.queue.any_transferring() {
                next_tick.get_or_insert_with(|| tokio::time::Instant::now() + self.tick);
            } else {
                next_tick = None; // idle: no timer at all
            }
            let tick_at = next_tick.unwrap_or_else(tokio::time::Instant::now);
            tokio::select! {
                command = inputs.commands.recv() => match command {
                    Some(c) => self.on_command(c),
                    None => break,
                },
                Some(msg) = inputs.workers.recv() => self.on_worker(msg),
                changed = inputs.pace.changed(), if pace_alive => {
                    if changed.is_err() {
                        pace_alive = false;
                    } else {
                        self.pace = inputs.pace.borrow_and_update().clone();
                        self.views_dirty |= !self.queue.is_idle();
                    }
                }
                _ = tokio::time::sleep_until(tick_at), if next_tick.is_some() => {
                    // From now, not from the missed deadline: a busy turn skips ticks, never bunches them.
                    next_tick = Some(tokio::time::Instant::now() + self.tick);
                    self.on_tick();
                }
            }
            // Fold everything already waiting into this batch: one journal write, one event.
            let mut closed = false;
            loop {
                match inputs.commands.try_recv() {
                    Ok(c) => self.on_command(c),
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Err(mpsc::error::TryRecvError::Disconnected) => {
                        closed = true;
                        break;
                    }
                }
            }
            while let Ok(msg) = inputs.workers.try_recv() {
                self.on_worker(msg);
            }
            self.after_batch();
            if closed || self.stopping {
                break;
            }
        }
        // Every handle is gone, or shutdown was asked: stop the workers. Their jobs stay
        // "running" in the journal and resume at the next start, like after a crash.
        self.stopping = true;
        for e in self.queue.iter() {
            if let Some(live) = &e.live {
                live.cancel.cancel();
            }
        }
        self.journal_dirty = true;
        self.after_batch();
        let replies = std::mem::take(&mut self.shutdown);
        drop(self); // joins the journal's thread: the last write is done and the lock released
        for reply in replies {
            let _ = reply.send(());
        }
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Enqueue(jobs) => {
                for (id, kind) in jobs {
                    if let Some(twin) = self.queue.twin_in_progress(&kind) {
                        let _ = self.events.send(EngineEvent::Notice(format!(
                            "{} is already in the queue (job {twin}): not added again",
                            super::queue::display_name(&kind)
                        )));
                        continue;
                    }
                    self.queue.push(Entry::new(id, kind, Default::default()));
                }
                self.changed();
            }
            Command::Control(c) => self.on_control(c),
            Command::WaitIdle(reply) => self.idle_waiters.push(reply),
            Command::Flush(reply) => {
                self.journal_dirty = true;
                self.flush_waiters.push(reply);
            }
            Command::Summary(scope, reply) => {
                let _ = reply.send(super::summary::summarize(&self.queue, scope.as_deref()));
            }
            Command::Shutdown(reply) => {
                self.stopping = true;
                self.shutdown.push(reply);
            }
        }
    }

    fn changed(&mut self) {
        self.views_dirty = true;
        self.journal_dirty = true;
    }

    fn on_control(&mut self, control: Control) {
        match control {
            Control::Pause(id) => {
                if let Some(e) = self.queue.get_mut(id) {
                    pause(e);
                }
            }
            Control::PauseAll => self.queue.iter_mut().for_each(pause),
            Control::Resume(id) => {
                if let Some(e) = self
                    .queue
                    .get_mut(id)
                    .filter(|e| e.status == Status::Paused)
                {
                    e.status = Status::Queued;
                }
            }
            Control::ResumeAll => {
                for e in self.queue.iter_mut().filter(|e| e.status == Status::Paused) {
                    e.status = Status::Queued;
                }
            }
            Control::Cancel(id) => {
                if let Some(e) = self.queue.get_mut(id).filter(|e| !e.status.is_finished()) {
                    e.status = Status::Cancelled;
                    match &e.live {
                        Some(live) => live.cancel.cancel(), // the part goes once the worker stops
                        None => remove_part(e),
                    }
                }
            }
            Control::Retry(id) => {
                if let Some(e) = self
                    .queue
                    .get_mut(id)
                    .filter(|e| matches!(e.status, Status::Failed { .. } | Status::Cancelled))
                {
                    e.status = Status::Queued;
                }
            }
            Control::MoveUp(id) => {
                self.queue.move_up(id);
            }
            Control::MoveDown(id) => {
                self.queue.move_down(id);
            }
            Control::ClearFinished => {
                self.queue.clear_finished();
            }
            Control::SetConcurrency(n) => self.concurrency = n.max(1),
            Control::SetBandwidth(rate) => self.bandwidth.set_rate(rate),
            Control::Answer(id, answer) => self.on_answer(id, answer),
        }
        self.changed();
    }

    fn on_answer(&mut self, id: JobId, answer: ConflictAnswer) {
        if answer.policy == ConflictPolicy::Ask {
            return; // not an answer
        }
        let answer_job = |e: &mut Entry| {
            if matches!(e.status, Status::Asking(_)) {
                e.meta.answer = Some(answer.policy);
                e.status = Status::Queued;
            }
        };
        if let Some(e) = self.queue.get_mut(id) {
            answer_job(e);
        }
        if answer.for_all {
            self.policy = answer.policy;
            self.queue.iter_mut().for_each(answer_job);
        }
    }

    fn on_worker(&mut self, msg: WorkerMsg) {
        match msg {
            WorkerMsg::Phase(id, phase) => {
                if let Some(e) = self.queue.get_mut(id) {
                    // Keep the last bytes counted before the counter is reset or let go.
                    e.done = e.live_done();
                    if let Phase::Transferring { base, total } = phase {
                        e.done = base;
                        e.total = total;
                    }
                    if let Some(live) = &mut e.live {
                        live.phase = phase;
                        live.stalled = false;
                    }
                    self.views_dirty = true;
                }
            }
            WorkerMsg::Persist { id, meta, reply } => {
                if let Some(e) = self.queue.get_mut(id) {
                    e.meta = meta;
                }
                self.journal_dirty = true;
                self.persist_replies.push(reply);
            }
            WorkerMsg::Finished(id, outcome) => self.on_finished(id, outcome),
        }
    }

    fn on_finished(&mut self, id: JobId, outcome: Outcome) {
        let Some(e) = self.queue.get_mut(id) else {
            return;
        };
        e.done = e.live_done();
        e.live = None;
        // The user paused or cancelled it: only a finished result overrides that.
        let stopped = matches!(e.status, Status::Paused | Status::Cancelled);
        let mut finished: Option<(bool, Changed)> = None;
        let mut children = Vec::new();
        match outcome {
            Outcome::Done {
                result,
                bytes,
                changed,
            } => {
                e.status = Status::Done { result, bytes };
                e.done = bytes;
                e.total = bytes;
                finished = Some((true, changed));
            }
            Outcome::Skipped { reason, changed } => {
                e.status = Status::Skipped { reason };
                finished = Some((true, changed));
            }
            Outcome::Failed { reason } if !stopped => {
                tracing::info!("job {id} failed: {reason}");
                e.status = Status::Failed { reason };
                finished = Some((false, Changed::Nothing));
            }
            Outcome::Expanded {
                children: kinds,
                result,
                changed,
            } if !stopped => {
                e.status = Status::Done { result, bytes: 0 };
                children = kinds;
                finished = Some((true, changed));
            }
            Outcome::Ask {
                name,
                existing,
                incoming,
            } if !stopped => {
                if self.policy == ConflictPolicy::Ask || e.meta.answer.is_some() {
                    let question = ConflictQuestion {
                        job: id,
                        name,
                        existing,
                        incoming,
                    };
                    e.status = Status::Asking(Box::new(question.clone()));
                    let _ = self.events.send(EngineEvent::Conflict(question));
                } else {
                    // "For all" was answered while this job was looking: it goes again with that.
                    e.status = Status::Queued;
                }
            }
            Outcome::Interrupted if e.status == Status::Running => e.status = Status::Queued,
            _ => {}
        }
        if e.status == Status::Cancelled {
            remove_part(e);
        }
        if !children.is_empty() {
            let entries = children
                .into_iter()
                .map(|kind| {
                    let child = JobId(self.next_id.fetch_add(1, Ordering::Relaxed));
                    Entry::new(
                        child,
                        kind,
                        journal::Meta {
                            parent: Some(id),
                            ..Default::default()
                        },
                    )
                })
                .collect();
            self.queue.insert_after(id, entries);
        }
        if let Some((ok, changed)) = finished {
            let _ = self.events.send(EngineEvent::Finished {
                job: id,
                ok,
                changed,
            });
        }
        self.changed();
    }

    fn on_tick(&mut self) {
        let now = Instant::now();
        let mut any = false;
        for e in self.queue.iter_mut() {
            any |= e.sample(now);
        }
        self.views_dirty |= any;
    }

    /// Starts what can start, then journals and tells, once for the whole batch.
    fn after_batch(&mut self) {
        self.schedule();
        if self.journal_dirty {
            self.journal_dirty = false;
            self.generation += 1;
            let delta = self.shadow.diff(
                &self.queue,
                self.generation,
                self.next_id.load(Ordering::Relaxed),
            );
            self.writer.send(delta);
        }
        for reply in self
            .persist_replies
            .drain(..)
            .chain(self.flush_waiters.drain(..))
        {
            let _ = reply.send(self.generation);
        }
        if self.views_dirty {
            self.views_dirty = false;
            let views = Arc::new(self.queue.views(&self.pace));
            *self.views.lock().unwrap_or_else(|p| p.into_inner()) = views.clone();
            let _ = self.events.send(EngineEvent::Jobs(views));
        }
        if self.queue.is_idle() {
            for w in self.idle_waiters.drain(..) {
                let _ = w.send(self.generation);
            }
        }
    }

    fn schedule(&mut self) {
        if self.stopping {
            return;
        }
        for id in self.queue.to_start(self.concurrency) {
            let Some(e) = self.queue.get_mut(id) else {
                continue;
            };
            let progress = Arc::new(AtomicU64::new(0));
            let cancel = CancellationToken::new();
            e.live = Some(Live::new(
                progress.clone(),
                cancel.clone(),
                needs_slot(&e.kind),
                self.speed_window,
            ));
            e.status = Status::Running;
            let ctx = JobCtx {
                id,
                shared: self.shared.clone(),
                meta: e.meta.clone(),
                policy: e.meta.answer.unwrap_or(self.policy),
                ctl: TransferCtl {
                    progress,
                    bandwidth: Some(self.bandwidth.clone()),
                    cancel,
                },
                tx: self.worker_tx.clone(),
            };
            worker::spawn(ctx, e.kind.clone());
            self.views_dirty = true;
            self.journal_dirty = true;
        }
    }
}

fn pause(e: &mut Entry) {
    match &e.status {
        Status::Queued | Status::Asking(_) => e.status = Status::Paused,
        Status::Running => {
            e.done = e.live_done();
            e.status = Status::Paused;
            if let Some(live) = &e.live {
                live.cancel.cancel(); // a download keeps its part; resuming continues it
            }
        }
        _ => {}
    }
}

/// A cancelled download leaves no part behind.
fn remove_part(e: &Entry) {
    if let Some(journal::Plan::Download { dest, .. }) = &e.meta.plan {
        let part = paths::part_path(dest);
        match std::fs::remove_file(&part) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => tracing::warn!("cannot remove {}: {err}", part.display()),
        }
    }
}
