//! The queue on disk (`queue.json` and its log `queue.<epoch>.log` in the state directory), so
//! that a queue survives kill -9.
//!
//! The scheduler sends only what changed (`Shadow` finds it); a thread of its own (`Writer`)
//! appends it to the log, fdatasync'ed, and now and then writes the whole queue as a new base
//! (`disk` has the format and why a crash at any point is safe). Workers that must not go on
//! before a fact is on disk (an upload is about to be sent, a verified download is about to be
//! renamed) wait for the generation that holds it. A journal that cannot be read is set aside
//! under a new name, never dropped.

use super::{ConflictPolicy, JobId, JobKind};
use crate::api::FileUrl;
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

mod disk;
mod shadow;
mod writer;

pub(crate) use disk::FILE_NAME;
pub(crate) use shadow::Shadow;
pub(crate) use writer::Writer;

const LOCK_NAME: &str = "queue.lock";

/// A job as the journal keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct JobRecord {
    pub id: JobId,
    pub kind: JobKind,
    pub state: SavedState,
    #[serde(default)]
    pub meta: Meta,
}

/// The part of a job's state worth keeping. Progress is not here: a download's offset is the
/// length of its `.part` file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub(crate) enum SavedState {
    Queued,
    /// Comes back `Queued` (and resumes) when the journal is loaded.
    Running,
    Paused {
        done: u64,
        total: u64,
    },
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

/// What a job has decided and done so far, so a restart neither asks again nor repeats work.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub(crate) struct Meta {
    /// The folder job this file job came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<JobId>,
    /// Where the job decided to put its file, conflicts resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<Plan>,
    /// An upload may have reached the service: look for it before sending again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub attempted: bool,
    /// A download was verified and is being renamed into place.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub finalizing: bool,
    /// The service's id for a remote upload, once requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_job: Option<u64>,
    /// The user's answer to this job's conflict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<ConflictPolicy>,
}

/// A destination decided once, conflicts resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case")]
pub(crate) enum Plan {
    /// Upload under this name; once the new copy is verified, remove these older copies.
    Upload {
        remote_name: String,
        replace: Vec<FileUrl>,
    },
    /// Download to this path; `overwrite` when replacing what is there is intended.
    Download {
        #[serde(with = "super::serde_path")]
        dest: PathBuf,
        overwrite: bool,
    },
}

/// What `load` found.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    pub jobs: Vec<JobRecord>,
    pub next_id: u64,
    /// The epoch of the base read (0 without one): the writer's first base takes the next.
    pub epoch: u64,
    /// Said to the user: the journal was unreadable and was set aside.
    pub warning: Option<String>,
}

/// Reads the journal of `dir`: its base, then the log of the base's epoch. A missing journal is an
/// empty queue; a base that cannot be parsed is renamed `queue.json.corrupt-<unix time>` (its logs
/// beside it likewise) and reported. Only an I/O error fails.
pub(crate) fn load(dir: &Path) -> io::Result<Loaded> {
    let _ = fs::remove_file(dir.join(disk::TEMP_NAME)); // a write that kill -9 cut short
    match disk::read(dir) {
        Ok(None) => Ok(Loaded {
            next_id: 1,
            ..Loaded::default()
        }),
        Ok(Some(on_disk)) => {
            let model = on_disk.model;
            let max = model.jobs.keys().map(|id| id.0).max().unwrap_or(0);
            let next_id = model.next_id.max(max + 1).max(1);
            Ok(Loaded {
                next_id,
                jobs: model.into_records(),
                epoch: on_disk.epoch,
                warning: None,
            })
        }
        Err(Err(e)) => Err(e),
        Err(Ok(why)) => {
            let stamp = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            let suffix = format!(".corrupt-{stamp}");
            let aside = dir.join(format!("{FILE_NAME}{suffix}"));
            fs::rename(dir.join(FILE_NAME), &aside)?;
            disk::set_logs_aside(dir, &suffix);
            tracing::warn!(
                "unreadable transfer journal moved to {}: {why}",
                aside.display()
            );
            Ok(Loaded {
                jobs: Vec::new(),
                next_id: 1,
                epoch: 0,
                warning: Some(format!(
                    "the saved transfer queue could not be read ({why}); it was kept as {} and the queue starts empty",
                    aside.display()
                )),
            })
        }
    }
}

/// The jobs in the journal as it is on disk, without touching anything (for tests).
#[cfg(test)]
pub(crate) fn read_jobs(dir: &Path) -> Vec<JobRecord> {
    match disk::read(dir) {
        Ok(Some(on_disk)) => on_disk.model.into_records(),
        _ => Vec::new(),
    }
}

/// Holds the journal for one process: a second engine on the same state directory would
/// overwrite the first one's queue. Released when dropped, or when the process dies.
#[derive(Debug)]
pub(crate) struct Lock {
    _file: File,
}

impl Lock {
    pub fn acquire(dir: &Path) -> io::Result<Lock> {
        let path = dir.join(LOCK_NAME);
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)?;
        #[cfg(unix)]
        {
            use rustix::fs::{FlockOperation, flock};
            match flock(&file, FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => {}
                Err(e) if e == rustix::io::Errno::WOULDBLOCK => {
                    let holder = fs::read_to_string(&path).unwrap_or_default();
                    let holder = holder.trim();
                    let who = if holder.is_empty() {
                        String::new()
                    } else {
                        format!(" (process {holder})")
                    };
                    return Err(io::Error::new(
                        io::ErrorKind::WouldBlock,
                        format!(
                            "the transfer queue in {} is in use by another fichier-tui{who}; close it first ({e})",
                            dir.display()
                        ),
                    ));
                }
                // A filesystem without locks (some network mounts): go on, unprotected.
                Err(e) => tracing::warn!(
                    "cannot lock {}: {e}; two processes could share this queue",
                    path.display()
                ),
            }
        }
        file.set_len(0)?;
        write!(file, "{}", std::process::id())?;
        Ok(Lock { _file: file })
    }
}

/// The journal as it comes back after a crash: jobs that were running are queued again.
pub(crate) fn revive(mut jobs: Vec<JobRecord>) -> Vec<JobRecord> {
    for job in &mut jobs {
        if job.state == SavedState::Running {
            job.state = SavedState::Queued;
        }
    }
    jobs
}

#[cfg(test)]
mod tests;
