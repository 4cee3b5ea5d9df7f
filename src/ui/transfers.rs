//! The transfer panel's state: the engine's job list as last reported, a cursor, and whether the
//! panel shows (by itself while there is work, or as the user asked with `t`).

use super::list::ListCursor;
use crate::transfer::{JobState, JobView};
use std::sync::Arc;

#[derive(Debug, Default)]
pub struct TransferPanel {
    pub jobs: Arc<Vec<JobView>>,
    pub list: ListCursor,
    /// The user's choice with `t`; `None` follows the queue.
    pub shown: Option<bool>,
}

/// How many jobs are in each state, for the panel's title and the status bar.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub running: usize,
    pub waiting: usize,
    pub queued: usize,
    pub paused: usize,
    pub done: usize,
    pub failed: usize,
}

impl TransferPanel {
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for j in self.jobs.iter() {
            match j.state {
                JobState::Running { .. } => c.running += 1,
                JobState::Waiting { .. } => c.waiting += 1,
                JobState::Queued => c.queued += 1,
                JobState::Paused { .. } => c.paused += 1,
                JobState::Done { .. } | JobState::Skipped { .. } | JobState::Cancelled => {
                    c.done += 1
                }
                JobState::Failed { .. } => c.failed += 1,
            }
        }
        c
    }

    /// Work that is not finished: what quitting would leave for next time.
    pub fn has_work(&self) -> bool {
        self.jobs.iter().any(|j| !j.state.is_finished())
    }

    /// Whether the panel shows: as the user said, or while there is work or a failure to read.
    pub fn visible(&self) -> bool {
        self.shown.unwrap_or_else(|| {
            self.jobs
                .iter()
                .any(|j| !j.state.is_finished() || matches!(j.state, JobState::Failed { .. }))
        })
    }

    /// Bytes per second across running jobs.
    pub fn total_speed(&self) -> f64 {
        self.jobs
            .iter()
            .map(|j| match j.state {
                JobState::Running { speed, .. } if speed.is_finite() => speed.max(0.0),
                _ => 0.0,
            })
            .sum()
    }

    pub fn set_jobs(&mut self, jobs: Arc<Vec<JobView>>, height: usize) {
        // Keep the cursor on the same job when the list moves under it.
        let at = self.selected().map(|j| j.id);
        self.jobs = jobs;
        if let Some(id) = at
            && let Some(pos) = self.jobs.iter().position(|j| j.id == id)
        {
            self.list.cursor = pos;
        }
        self.list.scroll(self.jobs.len(), height);
    }

    pub fn selected(&self) -> Option<&JobView> {
        self.jobs.get(self.list.cursor)
    }
}
