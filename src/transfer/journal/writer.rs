//! The journal's thread: it takes the scheduler's deltas, folds every one already waiting into
//! one write (so a busy queue costs fewer writes, never a backlog), puts them on disk through the
//! `Store`, and publishes the generation written, which workers wait on before going on.

use super::disk::{Model, Stats, Store, Touched};
use super::{JobRecord, Lock};
use crate::transfer::JobId;
use std::io;
use std::path::PathBuf;
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// What changed in the queue since the last delta.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Delta {
    pub generation: u64,
    pub next_id: u64,
    /// New jobs (in queue order, after the others) and jobs whose record changed.
    pub upserts: Vec<JobRecord>,
    pub removed: Vec<JobId>,
    /// The whole order, when it changed other than by adding jobs at the end.
    pub order: Option<Vec<JobId>>,
}

impl Delta {
    pub(super) fn apply(self, model: &mut Model, touched: &mut Touched) {
        if !self.removed.is_empty() {
            model.remove(&self.removed);
            touched.removed.extend(self.removed);
        }
        for record in self.upserts {
            touched.job(record.id);
            model.upsert(record);
        }
        if let Some(order) = self.order {
            model.reorder(order);
            touched.order = true;
        }
        if self.next_id != model.next_id {
            model.next_id = self.next_id;
            touched.next_id = true;
        }
    }
}

/// The writing thread's handle: send deltas, watch what generation is on disk.
pub(crate) struct Writer {
    tx: Option<std_mpsc::Sender<Delta>>,
    thread: Option<std::thread::JoinHandle<()>>,
    pub written: watch::Receiver<u64>,
    /// What the thread wrote so far (for tests and benches).
    #[allow(dead_code)]
    pub stats: Arc<Mutex<Stats>>,
}

impl Writer {
    /// Starts the thread, which holds `lock` until its last write is done. `records` and `next_id`
    /// are the queue as loaded from a base of `epoch`; the thread's first write is a new base.
    /// `on_error` hears of the first failure after a success (disk full...).
    pub fn spawn(
        dir: PathBuf,
        lock: Lock,
        epoch: u64,
        next_id: u64,
        records: Vec<JobRecord>,
        on_error: impl Fn(String) + Send + 'static,
    ) -> io::Result<Writer> {
        let (tx, rx) = std_mpsc::channel::<Delta>();
        let (written_tx, written) = watch::channel(0u64);
        let stats = Arc::new(Mutex::new(Stats::default()));
        let shared_stats = stats.clone();
        let thread = std::thread::Builder::new()
            .name("journal".into())
            .spawn(move || {
                let _lock = lock;
                let mut store =
                    Store::new(dir.clone(), epoch, Model::from_records(next_id, records));
                let mut failing = false;
                let mut write = |store: &mut Store, touched: &Touched| {
                    match store.write(touched) {
                        Ok(()) => failing = false,
                        Err(e) => {
                            let msg =
                                format!("cannot save the transfer queue in {}: {e}", dir.display());
                            tracing::error!("{msg}");
                            if !failing {
                                on_error(msg);
                            }
                            failing = true;
                        }
                    }
                    *shared_stats.lock().unwrap_or_else(|p| p.into_inner()) = store.stats;
                };
                write(&mut store, &Touched::default());
                while let Ok(delta) = rx.recv() {
                    let mut touched = Touched::default();
                    let mut generation = delta.generation;
                    delta.apply(&mut store.model, &mut touched);
                    while let Ok(more) = rx.try_recv() {
                        generation = more.generation;
                        more.apply(&mut store.model, &mut touched);
                    }
                    write(&mut store, &touched);
                    // Published even on failure: a worker waiting for it must not hang forever.
                    let _ = written_tx.send(generation);
                }
            })?;
        Ok(Writer {
            tx: Some(tx),
            thread: Some(thread),
            written,
            stats,
        })
    }

    pub fn send(&self, delta: Delta) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(delta);
        }
    }
}

impl Drop for Writer {
    /// Waits for the last write, so that the lock is free once the engine is gone.
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
