//! The transfer queue: jobs, scheduler, progress, resume and the on-disk journal.

pub mod job;

pub use job::*;

use crate::api::Client;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::mpsc;

// INTERFACE SKETCH: filled in by the engine's implementation; the UI and CLI rely on these names.

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
    /// Where the journal lives.
    pub state_dir: PathBuf,
    /// Transfers at once.
    pub concurrency: usize,
    /// Bytes per second across all transfers.
    pub bwlimit: Option<u64>,
    pub on_conflict: ConflictPolicy,
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
    /// A job finished; `folder` is the remote folder or local directory it changed.
    Finished {
        job: JobId,
        ok: bool,
        changed: Changed,
    },
}

/// What a finished job changed, so views can refresh it.
#[derive(Debug, Clone, PartialEq)]
pub enum Changed {
    Remote(crate::api::FolderId),
    Local(PathBuf),
    Nothing,
}

/// A handle on the running engine. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    _private: Arc<()>,
}

#[allow(unused_variables)]
impl Engine {
    /// Starts the engine, reloading the journal from `state_dir` (running jobs come back queued).
    pub fn start(
        client: Client,
        options: EngineOptions,
    ) -> anyhow::Result<(Engine, mpsc::UnboundedReceiver<EngineEvent>)> {
        todo!()
    }
    /// Adds jobs at the end of the queue.
    pub fn enqueue(&self, jobs: Vec<JobKind>) -> Vec<JobId> {
        todo!()
    }
    pub fn control(&self, command: Control) {
        todo!()
    }
    pub fn jobs(&self) -> Arc<Vec<JobView>> {
        todo!()
    }
}
