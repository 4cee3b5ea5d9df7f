//! The scheduler's copy of what it last sent to the journal, to send only what changed since.
//! While the queue keeps its order (jobs only change or are added at the end) a batch costs one
//! allocation-free comparison per job and a record per changed job; removals and reorders take a
//! pass through a map.

use super::writer::Delta;
use super::{JobRecord, SavedState};
use crate::transfer::JobId;
use crate::transfer::queue::{Entry, Queue, Status};
use std::collections::HashMap;

pub(crate) struct Shadow {
    /// The records sent, in queue order.
    sent: Vec<JobRecord>,
}

impl Shadow {
    /// Starts from the queue as the journal's writer was given it.
    pub fn new(queue: &Queue) -> Shadow {
        Shadow {
            sent: queue.records(),
        }
    }

    /// What changed in `queue` since the last call, and remember it as sent.
    pub fn diff(&mut self, queue: &Queue, generation: u64, next_id: u64) -> Delta {
        let mut delta = Delta {
            generation,
            next_id,
            ..Delta::default()
        };
        let kept = self.sent.len();
        let aligned =
            queue.iter().count() >= kept && queue.iter().zip(&self.sent).all(|(e, r)| e.id == r.id);
        if aligned {
            for (e, r) in queue.iter().zip(self.sent.iter_mut()) {
                if !same(e, r) {
                    *r = e.record();
                    delta.upserts.push(r.clone());
                }
            }
            for e in queue.iter().skip(kept) {
                let r = e.record();
                self.sent.push(r.clone());
                delta.upserts.push(r);
            }
        } else {
            let old_order: Vec<JobId> = self.sent.iter().map(|r| r.id).collect();
            let mut old: HashMap<JobId, JobRecord> =
                self.sent.drain(..).map(|r| (r.id, r)).collect();
            let mut added = Vec::new();
            for e in queue.iter() {
                let r = match old.remove(&e.id) {
                    Some(r) if same(e, &r) => r,
                    was => {
                        if was.is_none() {
                            added.push(e.id);
                        }
                        let r = e.record();
                        delta.upserts.push(r.clone());
                        r
                    }
                };
                self.sent.push(r);
            }
            delta.removed = old.keys().copied().collect();
            delta.removed.sort();
            // Only a real reorder needs the whole order: removing jobs or adding them at the end
            // is said by their own lines.
            let expected = old_order
                .into_iter()
                .filter(|id| !old.contains_key(id))
                .chain(added);
            let now: Vec<JobId> = self.sent.iter().map(|r| r.id).collect();
            if !expected.eq(now.iter().copied()) {
                delta.order = Some(now);
            }
        }
        #[cfg(test)]
        assert_eq!(
            self.sent,
            queue.records(),
            "the journal's shadow drifted from the queue"
        );
        delta
    }
}

/// Whether `r` is what `e.record()` would give, without building it. A job's kind and id never
/// change once queued.
fn same(e: &Entry, r: &JobRecord) -> bool {
    let state = match (&e.status, &r.state) {
        (Status::Queued | Status::Asking(_), SavedState::Queued) => true,
        (Status::Running, SavedState::Running) => true,
        (Status::Paused, SavedState::Paused { done, total }) => {
            e.done == *done && e.total == *total
        }
        (
            Status::Done { result, bytes },
            SavedState::Done {
                result: r_result,
                bytes: r_bytes,
            },
        ) => result == r_result && bytes == r_bytes,
        (Status::Skipped { reason }, SavedState::Skipped { reason: r_reason }) => {
            reason == r_reason
        }
        (Status::Failed { reason }, SavedState::Failed { reason: r_reason }) => reason == r_reason,
        (Status::Cancelled, SavedState::Cancelled) => true,
        _ => false,
    };
    state && e.meta == r.meta
}
