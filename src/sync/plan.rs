//! The comparison, as a pure function of the two trees and the local whirlpools: what to copy
//! (new, other size, other content), what is unchanged, and with `--delete` what exists only on
//! the destination. Name first, then size, then content; no I/O here.

use super::hash_cache::Stamp;
use super::spec::Direction;
use super::tree::{KeyPath, LocalTree, RemoteEntry, RemoteTree, covered};
use crate::api::{FileUrl, FolderId, RemoteFile};
use crate::checksum::same_checksum;
use serde::Serialize;
use std::collections::HashMap;
use std::path::PathBuf;

/// Why a file is copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Not on the destination.
    New,
    /// On both sides with other sizes; `was` is the destination's.
    Size { was: u64 },
    /// Same size, other whirlpool.
    Content,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CopyFrom {
    Local(PathBuf),
    Remote(RemoteFile),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Copy {
    pub key: KeyPath,
    /// The path as the user reads it, from the root of the sync.
    pub shown: String,
    pub size: u64,
    pub change: Change,
    pub from: CopyFrom,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Remote(FileUrl),
    Local(PathBuf),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Removal {
    pub shown: String,
    pub size: u64,
    pub target: Target,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DirTarget {
    Remote(FolderId),
    Local(PathBuf),
}

#[derive(Debug, Clone, PartialEq)]
pub struct DirRemoval {
    pub shown: String,
    pub target: DirTarget,
}

/// Something left alone, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    pub path: String,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct DiffOptions {
    pub size_only: bool,
    pub delete: bool,
}

#[derive(Debug, Default)]
pub struct Plan {
    pub copies: Vec<Copy>,
    pub unchanged: usize,
    /// Same name and size, but the service gave no checksum to compare with: left as they are.
    pub unverified: usize,
    /// Destination folders to make, parents first (keys of the source tree).
    pub make_dirs: Vec<KeyPath>,
    /// With `--delete`: files only on the destination (and extra copies of one name).
    pub removals: Vec<Removal>,
    /// With `--delete`: folders only on the destination, deepest first.
    pub dir_removals: Vec<DirRemoval>,
    pub skipped: Vec<Note>,
    /// Source files that could not be read to compare them.
    pub failed: Vec<Note>,
    pub excluded: usize,
}

impl Plan {
    pub fn new_count(&self) -> usize {
        self.copies
            .iter()
            .filter(|c| c.change == Change::New)
            .count()
    }

    pub fn changed_count(&self) -> usize {
        self.copies.len() - self.new_count()
    }
}

/// The local files whose content must be compared: same name and size as a remote file that
/// has a checksum. Nothing with `size_only`.
pub fn content_checks(
    direction: Direction,
    local: &LocalTree,
    remote: &RemoteTree,
    size_only: bool,
) -> Vec<(PathBuf, Stamp)> {
    if size_only {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (key, lf) in &local.files {
        let Some(copies) = remote.files.get(key) else {
            continue;
        };
        let wanted = match direction {
            Direction::Up => copies
                .iter()
                .any(|c| c.file.size == lf.stamp.size && c.file.checksum.is_some()),
            Direction::Down => {
                let r = &chosen(copies).file;
                r.size == lf.stamp.size && r.checksum.is_some()
            }
        };
        if wanted {
            out.push((lf.path.clone(), lf.stamp));
        }
    }
    out
}

/// The copy restored when several remote files land on one local name: the newest.
fn chosen(copies: &[RemoteEntry]) -> &RemoteEntry {
    copies
        .iter()
        .max_by(|a, b| {
            a.file
                .date
                .cmp(&b.file.date)
                .then_with(|| b.file.url.cmp(&a.file.url))
        })
        .unwrap_or(&copies[0])
}

pub fn diff(
    direction: Direction,
    local: &LocalTree,
    remote: &RemoteTree,
    options: DiffOptions,
    hashes: &HashMap<PathBuf, Result<String, String>>,
) -> Plan {
    let mut plan = match direction {
        Direction::Up => diff_up(local, remote, options, hashes),
        Direction::Down => diff_down(local, remote, options, hashes),
    };
    let (source_skipped, dest_skipped) = match direction {
        Direction::Up => (&local.skipped, &remote.skipped),
        Direction::Down => (&remote.skipped, &local.skipped),
    };
    for (path, reason) in source_skipped.iter().chain(dest_skipped) {
        plan.skipped.push(Note {
            path: path.clone(),
            reason: reason.clone(),
        });
    }
    for (path, reason) in &local.unreadable {
        plan.failed.push(Note {
            path: path.clone(),
            reason: reason.clone(),
        });
    }
    plan.excluded = local.excluded + remote.excluded;
    plan
}

fn note(path: &str, reason: impl Into<String>) -> Note {
    Note {
        path: path.to_string(),
        reason: reason.into(),
    }
}

fn diff_up(
    local: &LocalTree,
    remote: &RemoteTree,
    options: DiffOptions,
    hashes: &HashMap<PathBuf, Result<String, String>>,
) -> Plan {
    let mut plan = Plan::default();
    for (key, lf) in &local.files {
        let shown = lf.names.join("/");
        let size = lf.stamp.size;
        let copy = |change| Copy {
            key: key.clone(),
            shown: shown.clone(),
            size,
            change,
            from: CopyFrom::Local(lf.path.clone()),
        };
        let copies = remote.files.get(key).map(Vec::as_slice).unwrap_or(&[]);
        let same_size: Vec<&RemoteEntry> = copies.iter().filter(|c| c.file.size == size).collect();
        if size == 0 {
            // Whatever the destination holds under this name stays as it is.
            plan.skipped
                .push(note(&shown, "1fichier does not take empty files"));
            continue;
        }
        if copies.is_empty() {
            plan.copies.push(copy(Change::New));
            continue;
        }
        if same_size.is_empty() {
            plan.copies.push(copy(Change::Size {
                was: copies[0].file.size,
            }));
            continue;
        }
        let (kept, verified): (&RemoteEntry, bool) = if options.size_only {
            (same_size[0], true)
        } else {
            let summed: Vec<&RemoteEntry> = same_size
                .iter()
                .copied()
                .filter(|c| c.file.checksum.is_some())
                .collect();
            match hashes.get(&lf.path) {
                _ if summed.is_empty() => (same_size[0], false),
                Some(Ok(ours)) => match summed.iter().find(|c| {
                    c.file
                        .checksum
                        .as_deref()
                        .is_some_and(|t| same_checksum(t, ours))
                }) {
                    Some(found) => (found, true),
                    None => {
                        plan.copies.push(copy(Change::Content));
                        continue;
                    }
                },
                Some(Err(why)) => {
                    plan.failed.push(note(&shown, why.clone()));
                    continue;
                }
                None => (same_size[0], false),
            }
        };
        if verified {
            plan.unchanged += 1;
        } else {
            plan.unverified += 1;
        }
        if options.delete {
            for extra in copies.iter().filter(|c| c.file.url != kept.file.url) {
                plan.removals.push(Removal {
                    shown: format!("{shown} (an extra copy)"),
                    size: extra.file.size,
                    target: Target::Remote(extra.file.url.clone()),
                });
            }
        }
    }
    for key in local.dirs.keys() {
        if !key.is_empty() && !remote.dirs.contains_key(key) {
            plan.make_dirs.push(key.clone());
        }
    }
    if options.delete {
        for (key, copies) in &remote.files {
            if local.files.contains_key(key) || covered(&local.protected, key) {
                continue;
            }
            for c in copies {
                plan.removals.push(Removal {
                    shown: c.shown.join("/"),
                    size: c.file.size,
                    target: Target::Remote(c.file.url.clone()),
                });
            }
        }
        let mut dirs: Vec<(&KeyPath, DirRemoval)> = remote
            .dirs
            .iter()
            .filter(|(k, _)| {
                !k.is_empty()
                    && !local.dirs.contains_key(*k)
                    && !remote.pinned.contains(*k)
                    && !covered(&local.protected, k)
            })
            .map(|(k, d)| {
                (
                    k,
                    DirRemoval {
                        shown: format!("{}/", d.shown.join("/")),
                        target: DirTarget::Remote(d.id),
                    },
                )
            })
            .collect();
        dirs.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(b.0)));
        plan.dir_removals = dirs.into_iter().map(|(_, d)| d).collect();
    }
    plan
}

fn diff_down(
    local: &LocalTree,
    remote: &RemoteTree,
    options: DiffOptions,
    hashes: &HashMap<PathBuf, Result<String, String>>,
) -> Plan {
    let mut plan = Plan::default();
    // Remote folders whose local place holds a file: nothing goes below them.
    let mut blocked: Vec<KeyPath> = Vec::new();
    for (key, d) in &remote.dirs {
        if key.is_empty() || local.dirs.contains_key(key) {
            continue;
        }
        if blocked.iter().any(|b| key.starts_with(b)) {
            continue;
        }
        if local.files.contains_key(key) {
            plan.failed.push(note(
                &format!("{}/", d.shown.join("/")),
                "a local file is in the way of this folder",
            ));
            blocked.push(key.clone());
            continue;
        }
        plan.make_dirs.push(key.clone());
    }
    for (key, copies) in &remote.files {
        let r = chosen(copies);
        let shown = r.shown.join("/");
        if copies.len() > 1 {
            plan.skipped.push(note(
                &shown,
                format!(
                    "{} remote files have this local name; the newest is restored",
                    copies.len()
                ),
            ));
        }
        if blocked.iter().any(|b| key.starts_with(b)) {
            continue;
        }
        if local.dirs.contains_key(key) || remote.dirs.contains_key(key) {
            plan.failed
                .push(note(&shown, "a folder of the same name is in the way"));
            continue;
        }
        let copy = |change| Copy {
            key: key.clone(),
            shown: shown.clone(),
            size: r.file.size,
            change,
            from: CopyFrom::Remote(r.file.clone()),
        };
        let Some(lf) = local.files.get(key) else {
            plan.copies.push(copy(Change::New));
            continue;
        };
        if lf.stamp.size != r.file.size {
            plan.copies.push(copy(Change::Size { was: lf.stamp.size }));
            continue;
        }
        if options.size_only {
            plan.unchanged += 1;
            continue;
        }
        let Some(theirs) = r.file.checksum.as_deref() else {
            plan.unverified += 1;
            continue;
        };
        match hashes.get(&lf.path) {
            Some(Ok(ours)) if same_checksum(theirs, ours) => plan.unchanged += 1,
            Some(_) => plan.copies.push(copy(Change::Content)),
            None => plan.unverified += 1,
        }
    }
    if options.delete {
        for (key, lf) in &local.files {
            if remote.files.contains_key(key) || covered(&remote.protected, key) {
                continue;
            }
            plan.removals.push(Removal {
                shown: lf.names.join("/"),
                size: lf.stamp.size,
                target: Target::Local(lf.path.clone()),
            });
        }
        let mut dirs: Vec<(&KeyPath, DirRemoval)> = local
            .dirs
            .iter()
            .filter(|(k, _)| {
                !k.is_empty()
                    && !remote.dirs.contains_key(*k)
                    && !local.pinned.contains(*k)
                    && !covered(&remote.protected, k)
            })
            .map(|(k, d)| {
                (
                    k,
                    DirRemoval {
                        shown: format!("{}/", d.names.join("/")),
                        target: DirTarget::Local(d.path.clone()),
                    },
                )
            })
            .collect();
        dirs.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(b.0)));
        plan.dir_removals = dirs.into_iter().map(|(_, d)| d).collect();
    }
    plan
}

#[cfg(test)]
mod tests;
