//! The queue on disk (`queue.json` in the state directory), so that a queue survives kill -9.
//!
//! Every write is atomic (temp file, fsync, rename, fsync of the directory), done on a thread of
//! its own that always writes the newest snapshot and skips the ones it fell behind on. Workers
//! that must not go on before a fact is on disk (an upload is about to be sent, a verified download
//! is about to be renamed) wait for the generation that holds it. A journal that cannot be read is
//! set aside under a new name, never dropped.

use super::{ConflictPolicy, JobId, JobKind};
use crate::api::FileUrl;
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc as std_mpsc;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::watch;

pub(crate) const FILE_NAME: &str = "queue.json";
const TEMP_NAME: &str = "queue.json.tmp";
const LOCK_NAME: &str = "queue.lock";
const VERSION: u32 = 1;

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

#[derive(Serialize, Deserialize)]
struct JournalFile {
    version: u32,
    next_id: u64,
    jobs: Vec<JobRecord>,
}

/// What `load` found.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    pub jobs: Vec<JobRecord>,
    pub next_id: u64,
    /// Said to the user: the journal was unreadable and was set aside.
    pub warning: Option<String>,
}

/// Reads the journal of `dir`. A missing journal is an empty queue; one that cannot be parsed is
/// renamed `queue.json.corrupt-<unix time>` and reported. Only an I/O error fails.
pub(crate) fn load(dir: &Path) -> io::Result<Loaded> {
    let path = dir.join(FILE_NAME);
    let _ = fs::remove_file(dir.join(TEMP_NAME)); // a write that kill -9 cut short
    let text = match fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(Loaded {
                next_id: 1,
                ..Loaded::default()
            });
        }
        Err(e) => return Err(e),
    };
    let parsed = serde_json::from_slice::<JournalFile>(&text)
        .map_err(|e| e.to_string())
        .and_then(|j| match j.version {
            VERSION => Ok(j),
            v => Err(format!(
                "it was written by another version of fichier-tui (format {v})"
            )),
        });
    match parsed {
        Ok(file) => {
            let max = file.jobs.iter().map(|j| j.id.0).max().unwrap_or(0);
            Ok(Loaded {
                next_id: file.next_id.max(max + 1).max(1),
                jobs: file.jobs,
                warning: None,
            })
        }
        Err(why) => {
            let stamp = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            let aside = dir.join(format!("{FILE_NAME}.corrupt-{stamp}"));
            fs::rename(&path, &aside)?;
            tracing::warn!(
                "unreadable transfer journal moved to {}: {why}",
                aside.display()
            );
            Ok(Loaded {
                jobs: Vec::new(),
                next_id: 1,
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
    fs::read(dir.join(FILE_NAME))
        .ok()
        .and_then(|t| serde_json::from_slice::<JournalFile>(&t).ok())
        .map(|j| j.jobs)
        .unwrap_or_default()
}

/// Writes the journal atomically: a crash at any point leaves either the old or the new one.
pub(crate) fn save(dir: &Path, next_id: u64, jobs: &[JobRecord]) -> io::Result<()> {
    #[derive(Serialize)]
    struct Borrowed<'a> {
        version: u32,
        next_id: u64,
        jobs: &'a [JobRecord],
    }
    let data = serde_json::to_vec(&Borrowed {
        version: VERSION,
        next_id,
        jobs,
    })
    .map_err(io::Error::other)?;
    let temp = dir.join(TEMP_NAME);
    {
        let mut f = File::create(&temp)?;
        f.write_all(&data)?;
        f.sync_all()?;
    }
    fs::rename(&temp, dir.join(FILE_NAME))?;
    super::paths::sync_parent(&dir.join(FILE_NAME));
    Ok(())
}

/// One state of the queue to write.
pub(crate) struct Snapshot {
    pub generation: u64,
    pub next_id: u64,
    pub jobs: Vec<JobRecord>,
}

/// The writing thread's handle: send snapshots, watch what generation is on disk.
pub(crate) struct Writer {
    tx: Option<std_mpsc::Sender<Snapshot>>,
    thread: Option<std::thread::JoinHandle<()>>,
    pub written: watch::Receiver<u64>,
}

impl Writer {
    /// Starts the thread, which holds `lock` until its last write is done. `on_error` hears of
    /// the first failure after a success (disk full...).
    pub fn spawn(
        dir: PathBuf,
        lock: Lock,
        on_error: impl Fn(String) + Send + 'static,
    ) -> io::Result<Writer> {
        let (tx, rx) = std_mpsc::channel::<Snapshot>();
        let (written_tx, written) = watch::channel(0u64);
        let thread = std::thread::Builder::new()
            .name("journal".into())
            .spawn(move || {
                let _lock = lock;
                let mut failing = false;
                while let Ok(mut snap) = rx.recv() {
                    while let Ok(newer) = rx.try_recv() {
                        snap = newer;
                    }
                    match save(&dir, snap.next_id, &snap.jobs) {
                        Ok(()) => failing = false,
                        Err(e) => {
                            tracing::error!(
                                "cannot save the transfer queue in {}: {e}",
                                dir.display()
                            );
                            if !failing {
                                on_error(format!(
                                    "cannot save the transfer queue in {}: {e}",
                                    dir.display()
                                ));
                            }
                            failing = true;
                        }
                    }
                    // Published even on failure: a worker waiting for it must not hang forever.
                    let _ = written_tx.send(snap.generation);
                }
            })?;
        Ok(Writer {
            tx: Some(tx),
            thread: Some(thread),
            written,
        })
    }

    pub fn send(&self, snapshot: Snapshot) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(snapshot);
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
mod tests {
    use super::*;
    use crate::api::FolderId;

    fn sample() -> Vec<JobRecord> {
        vec![
            JobRecord {
                id: JobId(1),
                kind: JobKind::Upload {
                    local: "/tmp/a.txt".into(),
                    folder: FolderId(7),
                    remote_name: "a.txt".into(),
                },
                state: SavedState::Running,
                meta: Meta {
                    plan: Some(Plan::Upload {
                        remote_name: "a (1).txt".into(),
                        replace: vec![],
                    }),
                    attempted: true,
                    ..Meta::default()
                },
            },
            JobRecord {
                id: JobId(2),
                kind: JobKind::Download {
                    url: FileUrl("https://1fichier.com/?x".into()),
                    local: "/tmp/b.bin".into(),
                    size: 10,
                    checksum: Some("ab".into()),
                },
                state: SavedState::Done {
                    result: "/tmp/b.bin".into(),
                    bytes: 10,
                },
                meta: Meta {
                    parent: Some(JobId(9)),
                    ..Meta::default()
                },
            },
            JobRecord {
                id: JobId(5),
                kind: JobKind::RemoteUpload {
                    urls: vec!["https://e.x/f".into()],
                    folder: FolderId(0),
                },
                state: SavedState::Paused { done: 0, total: 0 },
                meta: Meta {
                    remote_job: Some(44),
                    answer: Some(ConflictPolicy::Rename),
                    ..Meta::default()
                },
            },
        ]
    }

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        save(dir.path(), 6, &sample()).unwrap();
        let loaded = load(dir.path()).unwrap();
        assert_eq!(loaded.jobs, sample());
        assert_eq!(loaded.next_id, 6);
        assert!(loaded.warning.is_none());
        assert!(!dir.path().join(TEMP_NAME).exists());
    }

    #[test]
    fn missing_journal_is_an_empty_queue() {
        let dir = tempfile::tempdir().unwrap();
        let loaded = load(dir.path()).unwrap();
        assert!(loaded.jobs.is_empty());
        assert_eq!(loaded.next_id, 1);
    }

    #[test]
    fn a_cut_write_leaves_the_old_journal() {
        let dir = tempfile::tempdir().unwrap();
        save(dir.path(), 6, &sample()).unwrap();
        // kill -9 in the middle of the next write: a partial temp file, the old journal intact.
        fs::write(
            dir.path().join(TEMP_NAME),
            b"{\"version\":1,\"next_id\":9,\"jo",
        )
        .unwrap();
        let loaded = load(dir.path()).unwrap();
        assert_eq!(loaded.jobs, sample());
        assert!(!dir.path().join(TEMP_NAME).exists());
    }

    #[test]
    fn corrupt_journal_is_set_aside_not_dropped() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(FILE_NAME), b"{not json").unwrap();
        let loaded = load(dir.path()).unwrap();
        assert!(loaded.jobs.is_empty());
        let warning = loaded.warning.expect("a warning");
        assert!(warning.contains("could not be read"), "{warning}");
        let aside: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("queue.json.corrupt-"))
            .collect();
        assert_eq!(aside.len(), 1);
        assert_eq!(fs::read(dir.path().join(&aside[0])).unwrap(), b"{not json");
        assert!(!dir.path().join(FILE_NAME).exists());
    }

    #[test]
    fn unknown_version_is_set_aside_too() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join(FILE_NAME),
            br#"{"version":99,"next_id":1,"jobs":[]}"#,
        )
        .unwrap();
        assert!(load(dir.path()).unwrap().warning.is_some());
    }

    #[test]
    fn running_jobs_come_back_queued() {
        let jobs = revive(sample());
        assert_eq!(jobs[0].state, SavedState::Queued);
        assert!(jobs[0].meta.attempted, "what was done is kept");
        assert!(matches!(jobs[1].state, SavedState::Done { .. }));
        assert!(matches!(jobs[2].state, SavedState::Paused { .. }));
    }

    #[test]
    fn writer_publishes_generations() {
        let dir = tempfile::tempdir().unwrap();
        let lock = Lock::acquire(dir.path()).unwrap();
        let writer = Writer::spawn(dir.path().to_path_buf(), lock, |_| {}).unwrap();
        let mut written = writer.written.clone();
        for generation in 1..=5 {
            writer.send(Snapshot {
                generation,
                next_id: 9,
                jobs: sample(),
            });
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async { written.wait_for(|g| *g >= 5).await.unwrap() });
        assert_eq!(load(dir.path()).unwrap().jobs, sample());
    }

    #[cfg(unix)]
    #[test]
    fn a_second_engine_on_the_same_queue_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let first = Lock::acquire(dir.path()).unwrap();
        let err = Lock::acquire(dir.path()).unwrap_err();
        assert!(
            err.to_string().contains("in use by another fichier-tui"),
            "{err}"
        );
        drop(first);
        Lock::acquire(dir.path()).unwrap();
    }
}
