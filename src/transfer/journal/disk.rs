//! The journal's files: a base (`queue.json`, the whole queue, replaced atomically) and beside it
//! an append-only log of the changes since (`queue.<epoch>.log`, JSON lines), so that one job's
//! change costs one line, not the whole queue.
//!
//! The base carries an epoch and only the log of that epoch belongs to it: a new base (epoch + 1)
//! is renamed into place before its log is created, so a crash between the two steps leaves a
//! base whose log is missing (nothing since) or an older log that is ignored. The lines of one
//! write end with a `commit` line and a load applies them only once it reads it: a write cut short
//! by kill -9 is dropped whole, as an unfinished atomic rename was before.

use super::JobRecord;
use crate::transfer::JobId;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

pub(crate) const FILE_NAME: &str = "queue.json";
pub(crate) const TEMP_NAME: &str = "queue.json.tmp";
/// The format this code writes; 1 (a base without epoch or log) is still read.
const VERSION: u32 = 2;
/// A log shorter than this is never compacted, however small the base.
const MIN_LOG_BYTES: u64 = if cfg!(test) { 4096 } else { 256 * 1024 };

/// The log file of `epoch`.
pub(crate) fn log_name(epoch: u64) -> String {
    format!("queue.{epoch}.log")
}

/// The epoch in a log file's name, if it is one.
fn log_epoch(name: &str) -> Option<u64> {
    name.strip_prefix("queue.")?
        .strip_suffix(".log")?
        .parse()
        .ok()
}

#[derive(Deserialize)]
struct Base {
    version: u32,
    #[serde(default)]
    epoch: u64,
    next_id: u64,
    jobs: Vec<JobRecord>,
}

/// One line of the log.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Line {
    /// A new job (at the end of the queue) or a job's new state (in its place).
    Job(JobRecord),
    /// Jobs gone from the queue.
    Remove(Vec<JobId>),
    /// The order of the whole queue, when it changed other than by adding at the end.
    Order(Vec<JobId>),
    NextId(u64),
    /// The end of one write: the lines before it count only once this is read.
    Commit(u64),
}

/// The queue as the journal knows it: what is on disk, or about to be.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Model {
    pub next_id: u64,
    pub order: Vec<JobId>,
    pub jobs: HashMap<JobId, JobRecord>,
}

impl Model {
    pub fn from_records(next_id: u64, records: Vec<JobRecord>) -> Model {
        Model {
            next_id,
            order: records.iter().map(|r| r.id).collect(),
            jobs: records.into_iter().map(|r| (r.id, r)).collect(),
        }
    }

    /// The jobs in queue order.
    pub fn records(&self) -> impl Iterator<Item = &JobRecord> {
        self.order.iter().filter_map(|id| self.jobs.get(id))
    }

    pub fn into_records(mut self) -> Vec<JobRecord> {
        self.order
            .iter()
            .filter_map(|id| self.jobs.remove(id))
            .collect()
    }

    pub fn upsert(&mut self, record: JobRecord) {
        let id = record.id;
        if self.jobs.insert(id, record).is_none() {
            self.order.push(id);
        }
    }

    pub fn remove(&mut self, ids: &[JobId]) {
        let mut any = false;
        for id in ids {
            any |= self.jobs.remove(id).is_some();
        }
        if any {
            self.order.retain(|id| self.jobs.contains_key(id));
        }
    }

    /// Takes `order` if it names exactly the jobs held (a log line that does not is ignored).
    pub fn reorder(&mut self, order: Vec<JobId>) {
        if order.len() == self.jobs.len() && order.iter().all(|id| self.jobs.contains_key(id)) {
            self.order = order;
        }
    }
}

/// What the files of a state directory hold.
pub(crate) struct OnDisk {
    pub epoch: u64,
    pub model: Model,
}

/// Reads base and log, touching nothing. `Ok(None)`: no journal. `Err(Ok(why))`: the base cannot
/// be used; `Err(Err(e))`: an I/O error.
pub(crate) fn read(dir: &Path) -> Result<Option<OnDisk>, Result<String, io::Error>> {
    let text = match fs::read(dir.join(FILE_NAME)) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Err(e)),
    };
    let base = serde_json::from_slice::<Base>(&text).map_err(|e| Ok(e.to_string()))?;
    if !(1..=VERSION).contains(&base.version) {
        return Err(Ok(format!(
            "it was written by another version of fichier-tui (format {})",
            base.version
        )));
    }
    let mut model = Model::from_records(base.next_id, base.jobs);
    match fs::read(dir.join(log_name(base.epoch))) {
        Ok(log) => replay(&mut model, &log),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(Err(e)),
    }
    Ok(Some(OnDisk {
        epoch: base.epoch,
        model,
    }))
}

/// Applies the committed writes of `log`, in order, up to the first line that cannot be read.
fn replay(model: &mut Model, log: &[u8]) {
    let mut pending = Vec::new();
    let mut lines = log.split_inclusive(|b| *b == b'\n');
    for raw in lines.by_ref() {
        // A line without its newline was cut short, even if what is there parses.
        let Some(text) = raw.strip_suffix(b"\n") else {
            break;
        };
        match serde_json::from_slice::<Line>(text) {
            Ok(Line::Commit(_)) => {
                for line in pending.drain(..) {
                    apply(model, line);
                }
            }
            Ok(line) => pending.push(line),
            Err(e) => {
                tracing::warn!(
                    "transfer journal log: a line cannot be read ({e}); the rest is ignored"
                );
                break;
            }
        }
    }
}

fn apply(model: &mut Model, line: Line) {
    match line {
        Line::Job(record) => model.upsert(record),
        Line::Remove(ids) => model.remove(&ids),
        Line::Order(order) => model.reorder(order),
        Line::NextId(n) => model.next_id = model.next_id.max(n),
        Line::Commit(_) => {}
    }
}

/// Moves the log files of `dir` aside with `suffix` (their base could not be read).
pub(crate) fn set_logs_aside(dir: &Path, suffix: &str) {
    for (name, _) in logs(dir) {
        let _ = fs::rename(dir.join(&name), dir.join(format!("{name}{suffix}")));
    }
}

fn logs(dir: &Path) -> Vec<(String, u64)> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let epoch = log_epoch(&name)?;
            Some((name, epoch))
        })
        .collect()
}

/// Writes a base atomically (a crash leaves either the old or the new one) and returns its size.
pub(crate) fn write_base(dir: &Path, epoch: u64, model: &Model) -> io::Result<u64> {
    #[derive(Serialize)]
    struct Borrowed<'a> {
        version: u32,
        epoch: u64,
        next_id: u64,
        jobs: Vec<&'a JobRecord>,
    }
    let data = serde_json::to_vec(&Borrowed {
        version: VERSION,
        epoch,
        next_id: model.next_id,
        jobs: model.records().collect(),
    })
    .map_err(io::Error::other)?;
    let temp = dir.join(TEMP_NAME);
    {
        let mut f = File::create(&temp)?;
        f.write_all(&data)?;
        f.sync_all()?;
    }
    fs::rename(&temp, dir.join(FILE_NAME))?;
    crate::transfer::paths::sync_parent(&dir.join(FILE_NAME));
    Ok(data.len() as u64)
}

/// What changed in the model since the last write: the writer's to-do list.
#[derive(Debug, Default)]
pub(crate) struct Touched {
    /// Jobs added or changed, in the order they first were.
    pub jobs: Vec<JobId>,
    seen: std::collections::HashSet<JobId>,
    pub removed: Vec<JobId>,
    pub order: bool,
    pub next_id: bool,
}

impl Touched {
    pub fn job(&mut self, id: JobId) {
        if self.seen.insert(id) {
            self.jobs.push(id);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty() && self.removed.is_empty() && !self.order && !self.next_id
    }
}

/// The writing side: the model, and the files that hold it.
pub(crate) struct Store {
    dir: PathBuf,
    pub model: Model,
    /// The epoch of the base on disk; `None` until one is written by this store.
    epoch: Option<u64>,
    next_epoch: u64,
    log: Option<File>,
    log_bytes: u64,
    base_bytes: u64,
    commits: u64,
    /// Counters for tests and benches: bases written, log bytes appended.
    pub stats: Stats,
}

#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(crate) struct Stats {
    pub bases: u64,
    pub base_bytes: u64,
    pub log_bytes: u64,
}

impl Store {
    /// A store for `model`, loaded from a base of `epoch`: its first write is a new base, so that
    /// nothing is ever appended after a line a crash may have cut.
    pub fn new(dir: PathBuf, epoch: u64, model: Model) -> Store {
        Store {
            dir,
            model,
            epoch: None,
            next_epoch: epoch + 1,
            log: None,
            log_bytes: 0,
            base_bytes: 0,
            commits: 0,
            stats: Stats::default(),
        }
    }

    /// Puts on disk what `touched` says changed in the model: as log lines, or as a new base when
    /// there is none yet, the last append failed, or the log outgrew the base.
    pub fn write(&mut self, touched: &Touched) -> io::Result<()> {
        let result = self.try_write(touched);
        if result.is_err() {
            // The log may end in a cut line, or miss what this write held: never append to it
            // again; the next write is a whole base.
            self.epoch = None;
            self.log = None;
        }
        result
    }

    fn try_write(&mut self, touched: &Touched) -> io::Result<()> {
        if self.epoch.is_none() {
            return self.compact();
        }
        if touched.is_empty() {
            return Ok(());
        }
        let lines = self.lines(touched)?;
        if self.log_bytes + lines.len() as u64 > MIN_LOG_BYTES.max(self.base_bytes) {
            return self.compact();
        }
        self.append(&lines)
    }

    fn lines(&mut self, touched: &Touched) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        fn line(out: &mut Vec<u8>, l: &impl Serialize) -> io::Result<()> {
            serde_json::to_writer(&mut *out, l).map_err(io::Error::other)?;
            out.push(b'\n');
            Ok(())
        }
        if !touched.removed.is_empty() {
            line(&mut out, &Line::Remove(touched.removed.clone()))?;
        }
        for id in &touched.jobs {
            if let Some(record) = self.model.jobs.get(id) {
                line(&mut out, &LineRef::Job(record))?;
            }
        }
        if touched.order {
            line(&mut out, &LineRef::Order(&self.model.order))?;
        }
        if touched.next_id {
            line(&mut out, &Line::NextId(self.model.next_id))?;
        }
        self.commits += 1;
        line(&mut out, &Line::Commit(self.commits))?;
        Ok(out)
    }

    fn append(&mut self, lines: &[u8]) -> io::Result<()> {
        let epoch = self.epoch.unwrap_or_default();
        if self.log.is_none() {
            let path = self.dir.join(log_name(epoch));
            let file = OpenOptions::new().create(true).append(true).open(&path)?;
            crate::transfer::paths::sync_parent(&path); // the new name must survive a crash too
            self.log = Some(file);
        }
        let Some(file) = self.log.as_mut() else {
            return Err(io::Error::other("no journal log open"));
        };
        file.write_all(lines)?;
        file.sync_data()?;
        self.log_bytes += lines.len() as u64;
        self.stats.log_bytes += lines.len() as u64;
        Ok(())
    }

    /// Writes the whole model as a new base of a new epoch, then lets the older logs go.
    fn compact(&mut self) -> io::Result<()> {
        let epoch = self.next_epoch;
        self.log = None;
        // A log of the new epoch already there is left from something else (its base was
        // removed by hand): it must go before the base that would make it count.
        match fs::remove_file(self.dir.join(log_name(epoch))) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let size = write_base(&self.dir, epoch, &self.model)?;
        self.next_epoch = epoch + 1;
        self.epoch = Some(epoch);
        self.base_bytes = size;
        self.log_bytes = 0;
        self.stats.bases += 1;
        self.stats.base_bytes += size;
        for (name, e) in logs(&self.dir) {
            if e != epoch {
                let _ = fs::remove_file(self.dir.join(name));
            }
        }
        Ok(())
    }
}

/// Borrowing twins of the big lines, so that writing one clones nothing.
#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum LineRef<'a> {
    Job(&'a JobRecord),
    Order(&'a [JobId]),
}

/// The lines in the log files of `dir` (for tests).
#[cfg(test)]
pub(crate) fn log_lines(dir: &Path) -> usize {
    logs(dir)
        .iter()
        .map(|(name, _)| {
            fs::read(dir.join(name))
                .map(|t| t.iter().filter(|b| **b == b'\n').count())
                .unwrap_or(0)
        })
        .sum()
}
