//! Compare (`=`): the local pane's folder against the 1fichier folder under the remote cursor.
//! What differs is marked in both panes (only here, other size, other content), so F5 then sends
//! the marked items as usual; a legend in the status bar says what each symbol means. Content is
//! compared through whirlpools of the local files, hashed off the UI task (with progress, and a
//! cache for the session); the comparison runs again when either folder is listed again.

use super::action::Action;
use super::app::App;
use super::effect::Effect;
use super::remote_tree::{RemoteKey, RowItem};
use super::theme::Theme;
use crate::api::{FileUrl, FolderId, RemoteFile};
use crate::checksum::same_checksum;
use crate::local::LocalEntry;
use crate::sanitize::to_service_name;
use crate::sync::{HashCache, HashProgress, Stamp, hash_files};
use ratatui::text::Span;
use std::collections::{HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

/// How an item differs from the other pane's folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Diff {
    /// Nothing of that name on the other side.
    OnlyHere,
    Size,
    Content,
    /// Same size; the local whirlpool is being computed.
    Checking,
}

impl Diff {
    pub fn symbol(self) -> &'static str {
        match self {
            Diff::OnlyHere => "+",
            Diff::Size => "~",
            Diff::Content => "!",
            Diff::Checking => "?",
        }
    }

    /// Whether F5 should send it (known to differ).
    fn marked(self) -> bool {
        self != Diff::Checking
    }
}

/// Answers of the hashing task.
#[derive(Debug)]
pub enum CompareMsg {
    Progress {
        ticket: u64,
        done: u64,
        total: u64,
    },
    Hashed {
        ticket: u64,
        results: Vec<(PathBuf, Result<String, String>)>,
    },
}

/// A local file whose content must be compared with same-size remote copies.
#[derive(Debug, Clone, PartialEq)]
struct Pending {
    name: OsString,
    path: PathBuf,
    stamp: Stamp,
    urls: Vec<FileUrl>,
    sums: Vec<String>,
}

/// A comparison and what it found.
#[derive(Debug)]
pub struct Compare {
    pub local_dir: PathBuf,
    pub remote_folder: FolderId,
    pub local: HashMap<OsString, Diff>,
    pub remote_files: HashMap<FileUrl, Diff>,
    pub remote_folders: HashMap<FolderId, Diff>,
    /// Items with the same name, size and content on both sides.
    pub same: usize,
    /// Local whirlpools learnt in this comparison, by path and stamp.
    known: HashMap<PathBuf, (Stamp, Result<String, String>)>,
    pending: Vec<Pending>,
    /// Paths the hashing task was asked for, and its ticket.
    in_flight: HashSet<PathBuf>,
    ticket: u64,
    /// Bytes hashed and to hash, while hashing.
    pub progress: Option<(u64, u64)>,
    /// Waiting for a listing of one side before comparing.
    pub waiting: bool,
}

impl Compare {
    fn new(local_dir: PathBuf, remote_folder: FolderId) -> Compare {
        Compare {
            local_dir,
            remote_folder,
            local: HashMap::new(),
            remote_files: HashMap::new(),
            remote_folders: HashMap::new(),
            same: 0,
            known: HashMap::new(),
            pending: Vec::new(),
            in_flight: HashSet::new(),
            ticket: 0,
            progress: None,
            waiting: true,
        }
    }

    pub fn local_symbol(&self, dir: &Path, name: &OsStr) -> Option<Diff> {
        (dir == self.local_dir)
            .then(|| self.local.get(name).copied())
            .flatten()
    }

    fn counts(&self) -> (usize, usize) {
        let local = self.local.values().filter(|d| d.marked()).count();
        let remote = self.remote_files.values().filter(|d| d.marked()).count()
            + self.remote_folders.values().filter(|d| d.marked()).count();
        (local, remote)
    }

    /// Compares the listings; files of equal size whose local whirlpool is not known yet are
    /// left `Checking` in `pending`.
    fn compute(
        &mut self,
        local: &[&LocalEntry],
        folders: &[(FolderId, String)],
        files: &[RemoteFile],
    ) {
        self.local.clear();
        self.remote_files.clear();
        self.remote_folders.clear();
        self.pending.clear();
        self.same = 0;
        let mut by_name: HashMap<&str, Vec<&RemoteFile>> = HashMap::new();
        for f in files {
            by_name.entry(f.filename.as_str()).or_default().push(f);
        }
        let remote_dirs: HashMap<&str, FolderId> =
            folders.iter().map(|(id, n)| (n.as_str(), *id)).collect();
        let mut seen_files: HashSet<&str> = HashSet::new();
        let mut seen_dirs: HashSet<&str> = HashSet::new();
        for e in local {
            let key = to_service_name(&e.name);
            if e.is_dir {
                match remote_dirs.get_key_value(key.as_str()) {
                    Some((k, _)) => {
                        seen_dirs.insert(k);
                        self.same += 1;
                    }
                    None => {
                        self.local.insert(e.file_name.clone(), Diff::OnlyHere);
                    }
                }
                continue;
            }
            let Some((k, copies)) = by_name.get_key_value(key.as_str()) else {
                self.local.insert(e.file_name.clone(), Diff::OnlyHere);
                continue;
            };
            seen_files.insert(k);
            let same_size: Vec<&&RemoteFile> = copies.iter().filter(|f| f.size == e.size).collect();
            let diff = if same_size.is_empty() {
                Some(Diff::Size)
            } else {
                let sums: Vec<String> = same_size
                    .iter()
                    .filter_map(|f| f.checksum.clone())
                    .collect();
                let path = self.local_dir.join(&e.file_name);
                let stamp = Stamp::from_parts(e.size, e.modified);
                match self.known.get(&path) {
                    _ if sums.is_empty() => None,
                    Some((s, Ok(h))) if *s == stamp => {
                        (!sums.iter().any(|t| same_checksum(t, h))).then_some(Diff::Content)
                    }
                    Some((s, Err(_))) if *s == stamp => Some(Diff::Content),
                    _ => {
                        self.pending.push(Pending {
                            name: e.file_name.clone(),
                            path,
                            stamp,
                            urls: copies.iter().map(|f| f.url.clone()).collect(),
                            sums,
                        });
                        Some(Diff::Checking)
                    }
                }
            };
            match diff {
                None => self.same += 1,
                Some(d) => {
                    self.local.insert(e.file_name.clone(), d);
                    for f in copies.iter() {
                        self.remote_files.insert(f.url.clone(), d);
                    }
                }
            }
        }
        for f in files {
            if !seen_files.contains(f.filename.as_str()) {
                self.remote_files.insert(f.url.clone(), Diff::OnlyHere);
            }
        }
        for (id, name) in folders {
            if !seen_dirs.contains(name.as_str()) {
                self.remote_folders.insert(*id, Diff::OnlyHere);
            }
        }
    }

    /// Folds hashing results in: each pending file is now the same or different.
    fn learn(&mut self, results: Vec<(PathBuf, Result<String, String>)>) {
        let results: HashMap<PathBuf, Result<String, String>> = results.into_iter().collect();
        let mut still = Vec::new();
        for p in std::mem::take(&mut self.pending) {
            let Some(r) = results.get(&p.path) else {
                still.push(p);
                continue;
            };
            self.known.insert(p.path.clone(), (p.stamp, r.clone()));
            let same = r
                .as_ref()
                .is_ok_and(|h| p.sums.iter().any(|t| same_checksum(t, h)));
            if same {
                self.same += 1;
                self.local.remove(&p.name);
                for u in &p.urls {
                    self.remote_files.remove(u);
                }
            } else {
                self.local.insert(p.name.clone(), Diff::Content);
                for u in &p.urls {
                    self.remote_files.insert(u.clone(), Diff::Content);
                }
            }
        }
        self.pending = still;
        self.in_flight.clear();
        self.progress = None;
    }
}

impl App {
    /// `=`: starts a comparison of the two panes' folders, or ends the one showing.
    pub(super) fn compare_toggle(&mut self) -> Vec<Effect> {
        let folder = self.remote.current_folder();
        if let Some(c) = &self.compare
            && c.local_dir == self.local.dir
            && c.remote_folder == folder
        {
            self.compare = None;
            self.local.clear_marks();
            self.remote.clear_marks();
            self.say("compare off; marks cleared");
            return Vec::new();
        }
        self.compare = Some(Compare::new(self.local.dir.clone(), folder));
        let listed = self.remote.node(folder).is_some_and(|n| n.listed);
        if !listed {
            self.say(format!("listing {} to compare", self.remote.path(folder)));
            return self.remote.request(folder).into_iter().collect();
        }
        self.compare_now()
    }

    /// A pane was listed (the local one, or the remote `folder`): compare again if it is one
    /// of the compared folders; a local pane that moved to another folder ends the comparison.
    pub(super) fn compare_after_listing(&mut self, folder: Option<FolderId>) -> Vec<Effect> {
        let Some(c) = &self.compare else {
            return Vec::new();
        };
        if folder.is_some_and(|f| f != c.remote_folder) {
            return Vec::new();
        }
        if c.local_dir != self.local.dir && self.local.loading.is_none() {
            self.compare = None;
            return Vec::new();
        }
        self.compare_now()
    }

    fn compare_now(&mut self) -> Vec<Effect> {
        let Some(c) = &mut self.compare else {
            return Vec::new();
        };
        // Sizes and dates are needed: a big folder's come after its names.
        if self.local.loading.is_some() || self.local.filling() || c.local_dir != self.local.dir {
            return Vec::new();
        }
        let Some(node) = self.remote.node(c.remote_folder) else {
            self.compare = None;
            return Vec::new();
        };
        if !node.listed {
            return Vec::new();
        }
        let show_hidden = self.local.show_hidden;
        let local: Vec<&LocalEntry> = self
            .local
            .entries()
            .iter()
            .filter(|e| show_hidden || !e.is_hidden())
            .collect();
        let folders: Vec<(FolderId, String)> = node
            .children
            .iter()
            .filter_map(|id| self.remote.node(*id).map(|n| (*id, n.name.clone())))
            .collect();
        let first = c.waiting;
        c.waiting = false;
        c.compute(&local, &folders, &node.files);
        let mut effects = Vec::new();
        let wanted: HashSet<PathBuf> = c.pending.iter().map(|p| p.path.clone()).collect();
        if !wanted.is_empty() && !wanted.is_subset(&c.in_flight) {
            c.ticket += 1;
            c.in_flight = wanted;
            let files = c
                .pending
                .iter()
                .map(|p| (p.path.clone(), p.stamp))
                .collect();
            effects.push(Effect::HashLocal {
                ticket: c.ticket,
                files,
            });
        }
        self.apply_compare_marks();
        if first {
            let c = self.compare.as_ref().map(|c| (c.counts(), c.same));
            if let Some(((l, r), same)) = c {
                self.say(format!(
                    "compare: {l} local and {r} 1fichier items differ, {same} the same"
                ));
            }
        }
        effects
    }

    fn apply_compare_marks(&mut self) {
        let Some(c) = &self.compare else { return };
        let local: HashSet<OsString> = c
            .local
            .iter()
            .filter(|(_, d)| d.marked())
            .map(|(n, _)| n.clone())
            .collect();
        let sizes: HashMap<&FileUrl, u64> = self
            .remote
            .node(c.remote_folder)
            .map(|n| n.files.iter().map(|f| (&f.url, f.size)).collect())
            .unwrap_or_default();
        let remote: Vec<(RemoteKey, u64)> = c
            .remote_files
            .iter()
            .filter(|(_, d)| d.marked())
            .map(|(u, _)| {
                (
                    RemoteKey::File(u.clone()),
                    sizes.get(u).copied().unwrap_or(0),
                )
            })
            .chain(
                c.remote_folders
                    .iter()
                    .filter(|(_, d)| d.marked())
                    .map(|(id, _)| (RemoteKey::Folder(*id), 0)),
            )
            .collect();
        self.local.set_marks(&local);
        self.remote.set_marks(remote);
    }

    pub(super) fn on_compare(&mut self, msg: CompareMsg) -> Vec<Effect> {
        let Some(c) = &mut self.compare else {
            return Vec::new();
        };
        match msg {
            CompareMsg::Progress {
                ticket,
                done,
                total,
            } if ticket == c.ticket => c.progress = Some((done, total)),
            CompareMsg::Hashed { ticket, results } if ticket == c.ticket => {
                c.learn(results);
                self.apply_compare_marks();
                if let Some(c) = &self.compare {
                    let ((l, r), same) = (c.counts(), c.same);
                    self.say(format!(
                        "compare: {l} local and {r} 1fichier items differ, {same} the same"
                    ));
                }
            }
            _ => self.dirty = false,
        }
        Vec::new()
    }
}

/// The compare symbol of a remote row, when that row is in the compared folder.
pub fn remote_symbol(app: &App, item: RowItem) -> Option<Diff> {
    let c = app.compare.as_ref()?;
    match item {
        RowItem::Folder(id) => c.remote_folders.get(&id).copied(),
        RowItem::File { folder, index } if folder == c.remote_folder => {
            let f = app.remote.file(folder, index)?;
            c.remote_files.get(&f.url).copied()
        }
        RowItem::File { .. } => None,
    }
}

/// The compare symbol of a local row.
pub fn local_symbol(app: &App, name: &OsStr) -> Option<Diff> {
    app.compare.as_ref()?.local_symbol(&app.local.dir, name)
}

/// The mark column: a compare symbol when there is one, else `*` for a marked row.
pub fn mark_span(diff: Option<Diff>, marked: bool, theme: &Theme) -> Span<'static> {
    match diff {
        Some(Diff::Checking) => Span::styled("?", theme.dim),
        Some(d) if marked => Span::styled(d.symbol(), theme.marked),
        Some(d) => Span::styled(d.symbol(), theme.warn),
        None if marked => Span::styled("*", theme.marked),
        None => Span::raw(" "),
    }
}

/// The status bar's legend while a comparison shows.
pub fn legend(app: &App) -> Option<String> {
    let c = app.compare.as_ref()?;
    if c.waiting {
        return Some(" compare: listing... ".into());
    }
    let mut s = String::from(" compare: + only here · ~ size · ! content");
    if let Some((done, total)) = c.progress {
        let pct = (done * 100).checked_div(total).unwrap_or(0);
        s.push_str(&format!(" · ? checking {pct}%"));
    } else if !c.pending.is_empty() {
        s.push_str(" · ? checking");
    }
    let (l, r) = c.counts();
    s.push_str(&format!(" | {l}/{r} marked, F5 sends "));
    Some(s)
}

/// Hashes local files for a comparison off the UI task, reporting progress; a newer request
/// cancels an older one. Whirlpools are kept for the session, by path, size and time.
pub(super) fn spawn_hashing(
    ticket: u64,
    files: Vec<(PathBuf, Stamp)>,
    tx: UnboundedSender<Action>,
) {
    static CACHE: OnceLock<tokio::sync::Mutex<HashCache>> = OnceLock::new();
    static CURRENT: Mutex<Option<Arc<HashProgress>>> = Mutex::new(None);
    let progress = Arc::new(HashProgress::default());
    let previous = CURRENT
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .replace(progress.clone());
    if let Some(old) = previous {
        old.cancel.store(true, Ordering::Relaxed);
    }
    tokio::spawn(async move {
        let reporter = {
            let (p, tx) = (progress.clone(), tx.clone());
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    let msg = CompareMsg::Progress {
                        ticket,
                        done: p.bytes_done.load(Ordering::Relaxed),
                        total: p.bytes_total.load(Ordering::Relaxed),
                    };
                    if tx.send(Action::Compare(msg)).is_err() {
                        break;
                    }
                }
            })
        };
        let cache = CACHE.get_or_init(|| tokio::sync::Mutex::new(HashCache::in_memory()));
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .min(4);
        let results = {
            let mut cache = cache.lock().await;
            hash_files(&mut cache, files, threads, progress).await
        };
        reporter.abort();
        let _ = tx.send(Action::Compare(CompareMsg::Hashed {
            ticket,
            results: results.into_iter().collect(),
        }));
    });
}

#[cfg(test)]
mod tests;
