//! One sync run: lock the pair, finish what an interrupted run left in the pair's journal, list
//! both sides, compare, make the missing folders, hand the copies to the transfer engine (the same
//! queue, pacer and journal as every transfer; changed files are replaced by the engine's
//! Overwrite policy, which removes the old copy only once the new one is verified), and with
//! `--delete` remove what exists only on the destination once every copy succeeded.

use super::exclude::Excludes;
use super::hash_cache::{HashCache, HashProgress, Stamp, hash_files};
use super::lock::{LockError, PairLock};
use super::plan::{self, Change, Copy, CopyFrom, DiffOptions, DirTarget, Note, Plan, Target};
use super::report::Report;
use super::send::{Sender, Sent};
use super::spec::{Direction, Pair};
use super::tree::{KeyPath, LocalTree, RemoteTree, walk_local, walk_remote};
use crate::api::{ApiError, Client, FileUrl, FolderId};
use crate::remote::{RemoteFs, ResolveError};
use crate::sanitize::to_service_name;
use crate::transfer::{ConflictPolicy, Control, Engine, EngineOptions, JobKind, JobView};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use thiserror::Error;
use tokio::sync::mpsc::UnboundedSender;

/// Files removed per `file/rm.cgi` call.
const RM_BATCH: usize = 100;

/// What a run needs from the program.
#[derive(Debug, Clone)]
pub struct SyncEnv {
    pub client: Client,
    pub remote: RemoteFs,
    /// The program's state folder; each pair keeps its lock, journal and hash cache in
    /// `sync/<pair id>` below it.
    pub state_dir: PathBuf,
}

#[derive(Debug, Clone)]
pub struct SyncOptions {
    pub dry_run: bool,
    /// Remove what exists only on the destination (after every copy succeeded).
    pub delete: bool,
    /// More removals than this are refused unless `force`.
    pub max_delete: usize,
    pub force: bool,
    /// Compare names and sizes only.
    pub size_only: bool,
    pub excludes: Excludes,
    /// Transfers at once.
    pub jobs: usize,
    pub bwlimit: Option<u64>,
    /// Files hashed at once.
    pub hash_threads: usize,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            dry_run: false,
            delete: false,
            max_delete: 100,
            force: false,
            size_only: false,
            excludes: Excludes::default(),
            jobs: 3,
            bwlimit: None,
            hash_threads: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
                .min(4),
        }
    }
}

/// What a run tells whoever shows its progress.
#[derive(Debug, Clone)]
pub enum SyncEvent {
    /// "listing", "comparing", "sending", "deleting".
    Phase(&'static str),
    /// Local files are being hashed: sample these counters.
    Hashing(Arc<HashProgress>),
    /// The engine's job list.
    Jobs(Arc<Vec<JobView>>),
    Notice(String),
}

#[derive(Debug, Error)]
pub enum SyncError {
    #[error("another sync of {from} -> {destination} is running{}; not starting a second one", pid.map(|p| format!(" (process {p})")).unwrap_or_default())]
    Busy {
        from: String,
        destination: String,
        pid: Option<u32>,
    },
    #[error("the source {0} does not exist")]
    NoSource(String),
    #[error("{0}")]
    Local(String),
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("cannot start the transfer queue: {0}")]
    Engine(String),
}

fn send(events: Option<&UnboundedSender<SyncEvent>>, event: SyncEvent) {
    if let Some(tx) = events {
        let _ = tx.send(event);
    }
}

/// Runs a sync of `pair`. An `Err` means nothing was attempted or the run could not go on; a
/// run that went through but had failures returns a report whose `ok()` is false.
pub async fn run(
    env: &SyncEnv,
    pair: &Pair,
    options: &SyncOptions,
    events: Option<UnboundedSender<SyncEvent>>,
) -> Result<Report, SyncError> {
    let started = Instant::now();
    let events = events.as_ref();
    let dir = env
        .state_dir
        .join("sync")
        .join(pair.id(env.client.base_url()));
    let _lock = PairLock::acquire(&dir).map_err(|e| match e {
        LockError::Busy(pid) => SyncError::Busy {
            from: pair.source(),
            destination: pair.destination(),
            pid,
        },
        LockError::Io(e) => SyncError::Local(format!(
            "cannot use the sync state folder {}: {e}",
            dir.display()
        )),
    })?;
    let about = format!("{}\n{}\n", pair.source(), pair.destination());
    let _ = std::fs::write(dir.join("pair.txt"), about);
    let mut cache = HashCache::load(&dir.join("hashes.json"));

    // An interrupted run's transfers go first, so the comparison sees what they did.
    let mut engine = None;
    let mut resumed = 0;
    let mut sent = Sent::default();
    if !options.dry_run {
        let (sender, forward) = start_engine(env, &dir, options, events)?;
        let e = sender.engine();
        e.control(Control::ClearFinished);
        resumed = e.jobs().iter().filter(|j| !j.state.is_finished()).count();
        if resumed > 0 {
            send(
                events,
                SyncEvent::Notice(format!(
                    "finishing {resumed} transfer(s) left by an interrupted run"
                )),
            );
            e.control(Control::ResumeAll);
            e.wait_idle().await;
            sender.count_leftovers(&mut sent).await;
        }
        engine = Some((sender, forward));
    }

    send(events, SyncEvent::Phase("listing"));
    let (local, remote) = match list_both(env, pair, options).await {
        Ok(trees) => trees,
        Err(e) => {
            if let Some((sender, forward)) = engine {
                sender.engine().shutdown().await;
                forward.abort();
            }
            return Err(e);
        }
    };
    let diff_options = DiffOptions {
        size_only: options.size_only,
        delete: options.delete,
    };
    let checks = plan::content_checks(pair.direction, &local, &remote, options.size_only);
    let progress = Arc::new(HashProgress::default());

    let Some((sender, forward)) = engine else {
        send(events, SyncEvent::Phase("comparing"));
        if !checks.is_empty() {
            send(events, SyncEvent::Hashing(progress.clone()));
        }
        let hashes = hash_files(&mut cache, checks, options.hash_threads, progress).await;
        let plan = plan::diff(pair.direction, &local, &remote, diff_options, &hashes);
        return Ok(finish_report(
            Report::new(pair, &plan, true),
            &cache,
            started,
        ));
    };

    // What name and size decide (new files, other sizes) goes to the engine at once; the
    // files of equal size are hashed meanwhile, and those that differ follow.
    let sure = plan::diff(
        pair.direction,
        &local,
        &remote,
        diff_options,
        &HashMap::new(),
    );
    let mut run = Execution {
        env,
        pair,
        local: &local,
        remote: &remote,
        cache: &mut cache,
        events,
        failures: Vec::new(),
    };
    let folders = run.make_dirs(&sure.make_dirs).await;
    let first = run.prepare(sure.copies.iter(), &folders);
    let sending = !first.is_empty();
    if sending {
        sender.announce(&first);
        send(events, SyncEvent::Phase("sending"));
    }
    if !checks.is_empty() {
        send(events, SyncEvent::Hashing(progress.clone()));
    }
    let ((), hashes) = tokio::join!(
        sender.send(first, &mut sent),
        hash_files(run.cache, checks, options.hash_threads, progress)
    );
    let plan = plan::diff(pair.direction, &local, &remote, diff_options, &hashes);
    let changed = plan.copies.iter().filter(|c| c.change == Change::Content);
    let more = run.prepare(changed, &folders);
    if !more.is_empty() {
        sender.announce(&more);
        if !sending {
            send(events, SyncEvent::Phase("sending"));
        }
    }
    sender.send(more, &mut sent).await;
    let mut report = Report::new(pair, &plan, false);
    report.failed.append(&mut run.failures);
    run.finish(&plan, options, sent, &folders, &mut report)
        .await;
    report.resumed = resumed;
    let engine = sender.engine();
    engine.control(Control::ClearFinished);
    engine.shutdown().await;
    // The last job lists are of no use now; whoever shows progress must see the end.
    forward.abort();
    Ok(finish_report(report, &cache, started))
}

/// The hashing counts and the time, and the cache saved for the next run.
fn finish_report(mut report: Report, cache: &HashCache, started: Instant) -> Report {
    report.hashes = cache.stats;
    if let Err(e) = cache.save() {
        tracing::warn!("cannot save the hash cache: {e}");
    }
    report.seconds = started.elapsed().as_secs_f64();
    report
}

fn start_engine(
    env: &SyncEnv,
    dir: &Path,
    options: &SyncOptions,
    events: Option<&UnboundedSender<SyncEvent>>,
) -> Result<(Sender, tokio::task::JoinHandle<()>), SyncError> {
    let mut eo = EngineOptions::new(dir.join("queue"));
    eo.concurrency = options.jobs.max(1);
    eo.bwlimit = options.bwlimit;
    eo.on_conflict = ConflictPolicy::Overwrite;
    let (engine, rx) =
        Engine::start(env.client.clone(), eo).map_err(|e| SyncError::Engine(format!("{e:#}")))?;
    Ok(Sender::new(engine, rx, events.cloned()))
}

/// Both trees, listed at once.
async fn list_both(
    env: &SyncEnv,
    pair: &Pair,
    options: &SyncOptions,
) -> Result<(LocalTree, RemoteTree), SyncError> {
    let root = pair.local.clone();
    let excludes = options.excludes.clone();
    let direction = pair.direction;
    let local = tokio::task::spawn_blocking(move || walk_local(&root, direction, &excludes));
    let remote = async {
        let found = match env.remote.resolve_folder(&pair.remote).await {
            Ok(id) => Some(id),
            Err(ResolveError::NotFound { .. }) => None,
            Err(e) => return Err(SyncError::Resolve(e)),
        };
        match (found, direction) {
            (Some(id), _) => Ok(walk_remote(&env.remote, id, direction, &options.excludes).await?),
            (None, Direction::Down) => Err(SyncError::NoSource(pair.source())),
            (None, Direction::Up) if options.dry_run => Ok(RemoteTree::empty(None)),
            (None, Direction::Up) => {
                let id = env.remote.mkdir_p(&pair.remote).await?;
                Ok(RemoteTree::empty(Some(id)))
            }
        }
    };
    let (local, remote) = tokio::join!(local, remote);
    let local = local
        .map_err(|e| SyncError::Local(e.to_string()))?
        .map_err(|e| SyncError::Local(format!("cannot read {}: {e}", pair.local.display())))?;
    if direction == Direction::Up && local.dirs.is_empty() {
        return Err(SyncError::NoSource(pair.source()));
    }
    Ok((local, remote?))
}

/// The changing part of a run, with what it needs at hand.
struct Execution<'a> {
    env: &'a SyncEnv,
    pair: &'a Pair,
    local: &'a LocalTree,
    remote: &'a RemoteTree,
    cache: &'a mut HashCache,
    events: Option<&'a UnboundedSender<SyncEvent>>,
    /// What failed before the report existed (folders not made...).
    failures: Vec<Note>,
}

impl<'a> Execution<'a> {
    /// Counts the copies, remembers their whirlpools, then deletes.
    async fn finish(
        &mut self,
        plan: &Plan,
        options: &SyncOptions,
        mut sent: Sent<'_>,
        folders: &BTreeMap<KeyPath, FolderId>,
        report: &mut Report,
    ) {
        report.sent = sent.files;
        report.bytes = sent.bytes;
        report.pending = sent.pending;
        report.failed.append(&mut sent.failed);
        self.remember_hashes(&sent.done, folders).await;
        self.delete(plan, options, report).await;
    }

    /// Makes the destination folders the source has and the destination lacks, parents first.
    /// Returns the folders that are ready to receive files, by key: on the way up with their
    /// ids; on the way down (local folders need no id) the real folders already there and those
    /// just made. Files whose folder is not ready are not sent.
    async fn make_dirs(&mut self, make: &[KeyPath]) -> BTreeMap<KeyPath, FolderId> {
        let mut ready: BTreeMap<KeyPath, FolderId> = match self.pair.direction {
            Direction::Up => self
                .remote
                .dirs
                .iter()
                .map(|(k, d)| (k.clone(), d.id))
                .collect(),
            // The walk put only real folders (no links) in the tree.
            Direction::Down => self
                .local
                .dirs
                .keys()
                .map(|k| (k.clone(), FolderId::ROOT))
                .collect(),
        };
        if self.pair.direction == Direction::Down && !ready.contains_key(&KeyPath::new()) {
            match std::fs::create_dir_all(&self.pair.local) {
                Ok(()) => {
                    ready.insert(KeyPath::new(), FolderId::ROOT);
                }
                Err(e) => self.failures.push(Note {
                    path: self.pair.local.display().to_string(),
                    reason: format!("cannot create it: {e}"),
                }),
            }
        }
        for key in make {
            let Some((name, parent)) = key.split_last() else {
                continue;
            };
            let Some(&parent_id) = ready.get(parent) else {
                continue; // its parent could not be made: already reported
            };
            let made = match self.pair.direction {
                Direction::Up => {
                    let user_name = self
                        .local
                        .dirs
                        .get(key)
                        .and_then(|d| d.names.last())
                        .cloned()
                        .unwrap_or_else(|| name.clone());
                    self.env
                        .client
                        .mkdir(parent_id, &user_name)
                        .await
                        .map_err(|e| e.to_string())
                }
                Direction::Down => {
                    let path = local_path(&self.pair.local, key);
                    ensure_real_dir(&path)
                        .map(|()| FolderId::ROOT)
                        .map_err(|e| e.to_string())
                }
            };
            match made {
                Ok(id) => {
                    ready.insert(key.clone(), id);
                }
                Err(reason) => {
                    let shown = self.shown_dir(key);
                    self.failures.push(Note {
                        path: format!("{shown}/"),
                        reason: format!("cannot make this folder: {reason}"),
                    });
                }
            }
        }
        ready
    }

    fn shown_dir(&self, key: &KeyPath) -> String {
        match self.pair.direction {
            Direction::Up => self.local.dirs.get(key).map(|d| d.names.join("/")),
            Direction::Down => self.remote.dirs.get(key).map(|d| d.shown.join("/")),
        }
        .unwrap_or_else(|| key.join("/"))
    }

    /// The engine's job for each copy whose folder is ready.
    fn prepare<'p>(
        &mut self,
        copies: impl Iterator<Item = &'p Copy>,
        folders: &BTreeMap<KeyPath, FolderId>,
    ) -> Vec<(JobKind, &'p Copy)> {
        let mut jobs = Vec::new();
        for copy in copies {
            let Some((name, parent)) = copy.key.split_last() else {
                continue;
            };
            let Some(&folder) = folders.get(parent) else {
                self.failures.push(Note {
                    path: copy.shown.clone(),
                    reason: "its folder could not be made on the destination".into(),
                });
                continue;
            };
            let kind = match &copy.from {
                CopyFrom::Local(path) => {
                    let remote_name = self
                        .local
                        .files
                        .get(&copy.key)
                        .and_then(|f| f.names.last())
                        .cloned()
                        .unwrap_or_else(|| name.clone());
                    JobKind::Upload {
                        local: path.clone(),
                        folder,
                        remote_name,
                    }
                }
                CopyFrom::Remote(file) => JobKind::Download {
                    url: file.url.clone(),
                    local: local_path(&self.pair.local, &copy.key),
                    size: file.size,
                    checksum: file.checksum.clone(),
                },
            };
            jobs.push((kind, copy));
        }
        jobs
    }

    /// Keeps the whirlpool of every file that went through, so the next run reads nothing: on
    /// the way down the downloaded file was checked against the listed checksum; on the way up
    /// the service's checksum (one listing per folder) is the one the engine verified.
    async fn remember_hashes(&mut self, done: &[&Copy], folders: &BTreeMap<KeyPath, FolderId>) {
        let mut by_folder: BTreeMap<FolderId, Vec<&Copy>> = BTreeMap::new();
        for copy in done {
            match &copy.from {
                CopyFrom::Remote(file) => {
                    let path = local_path(&self.pair.local, &copy.key);
                    if let (Some(sum), Ok(stamp)) = (&file.checksum, Stamp::read(&path))
                        && stamp.size == file.size
                    {
                        self.cache.insert(&path, stamp, sum);
                    }
                }
                CopyFrom::Local(_) => {
                    let parent = &copy.key[..copy.key.len().saturating_sub(1)];
                    if let Some(folder) = folders.get(parent) {
                        by_folder.entry(*folder).or_default().push(copy);
                    }
                }
            }
        }
        for (folder, copies) in by_folder {
            let Ok(files) = self.env.client.file_ls(folder).await else {
                continue;
            };
            for copy in copies {
                let Some(lf) = self.local.files.get(&copy.key) else {
                    continue;
                };
                let Some(name) = lf.names.last() else {
                    continue;
                };
                let wanted = to_service_name(name);
                let mut same = files
                    .iter()
                    .filter(|f| f.filename == wanted && f.size == lf.stamp.size);
                if let (Some(f), None) = (same.next(), same.next())
                    && let Some(sum) = &f.checksum
                    && Stamp::read(&lf.path).ok() == Some(lf.stamp)
                {
                    self.cache.insert(&lf.path, lf.stamp, sum);
                }
            }
        }
    }

    /// `--delete`: only when every copy succeeded, and within `--max-delete` unless `--force`.
    async fn delete(&mut self, plan: &Plan, options: &SyncOptions, report: &mut Report) {
        if !options.delete || (plan.removals.is_empty() && plan.dir_removals.is_empty()) {
            return;
        }
        if !report.failed.is_empty() || report.pending > 0 {
            report.delete_refused = Some(format!(
                "nothing deleted: {} item(s) failed, and --delete waits until every copy succeeded",
                report.failed.len() + report.pending
            ));
            return;
        }
        if plan.removals.len() > options.max_delete && !options.force {
            report.delete_refused = Some(format!(
                "nothing deleted: {} files exist only on the destination, more than --max-delete {}; run again with --force to delete them (or a larger --max-delete)",
                plan.removals.len(),
                options.max_delete
            ));
            return;
        }
        send(self.events, SyncEvent::Phase("deleting"));
        let mut remote_files: Vec<(&str, FileUrl)> = Vec::new();
        for r in &plan.removals {
            match &r.target {
                Target::Remote(url) => remote_files.push((&r.shown, url.clone())),
                Target::Local(path) => match std::fs::remove_file(path) {
                    Ok(()) => report.deleted += 1,
                    Err(e) => report.failed.push(Note {
                        path: r.shown.clone(),
                        reason: format!("cannot delete it: {e}"),
                    }),
                },
            }
        }
        for batch in remote_files.chunks(RM_BATCH) {
            let urls: Vec<FileUrl> = batch.iter().map(|(_, u)| u.clone()).collect();
            match self.env.client.file_rm(&urls).await {
                Ok(_) => report.deleted += batch.len(),
                Err(e) => {
                    for (shown, _) in batch {
                        report.failed.push(Note {
                            path: shown.to_string(),
                            reason: format!("cannot delete it: {e}"),
                        });
                    }
                }
            }
        }
        for d in &plan.dir_removals {
            let result = match &d.target {
                DirTarget::Remote(id) => self
                    .env
                    .client
                    .folder_rm(*id)
                    .await
                    .map_err(|e| e.to_string()),
                DirTarget::Local(path) => std::fs::remove_dir(path).map_err(|e| e.to_string()),
            };
            if let Err(reason) = result {
                report.failed.push(Note {
                    path: d.shown.clone(),
                    reason: format!("cannot delete this folder: {reason}"),
                });
            }
        }
    }
}

/// `root/<key>/<key>...`: on the way down keys are local names already made safe.
fn local_path(root: &Path, key: &[String]) -> PathBuf {
    let mut p = root.to_path_buf();
    for k in key {
        p.push(k);
    }
    p
}

/// Creates `dir`; refuses when something other than a real folder is there (a link there could
/// send the files anywhere).
fn ensure_real_dir(dir: &Path) -> std::io::Result<()> {
    use std::io::{Error, ErrorKind};
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_symlink() => Err(Error::new(
            ErrorKind::AlreadyExists,
            "a symbolic link is there; not writing through it",
        )),
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(Error::new(
            ErrorKind::AlreadyExists,
            "a file of that name is there",
        )),
        Err(e) if e.kind() == ErrorKind::NotFound => std::fs::create_dir(dir),
        Err(e) => Err(e),
    }
}
