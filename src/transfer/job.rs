//! Jobs and their states, as the engine runs them and the UI and CLI show them.

use crate::api::{FileUrl, FolderId};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct JobId(pub u64);

/// What a job does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobKind {
    /// One local file into a remote folder, under `remote_name` (the user's name; mapped on send).
    Upload {
        local: PathBuf,
        folder: FolderId,
        remote_name: String,
    },
    /// One remote file to a local path (written as `<path>.part`, renamed when verified).
    Download {
        url: FileUrl,
        local: PathBuf,
        size: u64,
        checksum: Option<String>,
    },
    /// A local folder, recursively, into a new remote folder under `parent`.
    UploadDir { local: PathBuf, parent: FolderId },
    /// A remote folder, recursively, into a new local folder under `local_parent`.
    DownloadDir {
        folder: FolderId,
        name: String,
        local_parent: PathBuf,
    },
    /// Ask the service to fetch URLs into a folder.
    RemoteUpload { urls: Vec<String>, folder: FolderId },
}

/// Where a job is in its life.
#[derive(Debug, Clone, PartialEq)]
pub enum JobState {
    Queued,
    Running {
        done: u64,
        total: u64,
        speed: f64,
        eta: Option<Duration>,
    },
    Paused {
        done: u64,
        total: u64,
    },
    /// Waiting for a flood lock or a retry; `until` when known.
    Waiting {
        reason: String,
        until: Option<Instant>,
    },
    Done {
        result: String,
    },
    Failed {
        reason: String,
    },
    Cancelled,
}

impl JobState {
    pub fn is_finished(&self) -> bool {
        matches!(
            self,
            JobState::Done { .. } | JobState::Failed { .. } | JobState::Cancelled
        )
    }
    pub fn is_active(&self) -> bool {
        matches!(self, JobState::Running { .. } | JobState::Waiting { .. })
    }
}

/// Which way the bytes go, for the `up`/`down` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
    Remote,
}

/// A job as shown in a list: what the UI and the CLI draw.
#[derive(Debug, Clone, PartialEq)]
pub struct JobView {
    pub id: JobId,
    pub direction: Direction,
    /// The file or folder name (raw: sanitize before drawing).
    pub name: String,
    pub state: JobState,
}
