//! What the engine knows of the destinations: remote folders' files (cached, so two hundred
//! uploads into one folder do not list it two hundred times) and the names that running jobs are
//! about to take, remote and local, so two jobs never pick the same free name.

use super::ConflictPolicy;
use super::conflict::first_free;
use super::paths::{occupied, part_path};
use crate::api::{self, Client, FileUrl, FolderId, RemoteFile};
use crate::sanitize::to_service_name;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

type Slot = Arc<tokio::sync::Mutex<Option<(Instant, Arc<Vec<RemoteFile>>)>>>;

#[derive(Default)]
pub(crate) struct Listings {
    folders: Mutex<HashMap<FolderId, Slot>>,
    /// Service names being uploaded, per folder, with how many jobs hold each.
    remote: Mutex<HashMap<FolderId, HashMap<String, usize>>>,
    local: Mutex<HashMap<PathBuf, usize>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere cannot leave these maps half-changed: keep going with what is there.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The outcome of claiming a name.
#[derive(Debug)]
pub(crate) enum Claim<T> {
    /// Go ahead with this destination; the guard keeps other jobs off it.
    Take {
        dest: T,
        replace: Vec<FileUrl>,
        overwrite: bool,
        guard: Guard,
    },
    Skip,
    /// The policy is `Ask`: what is there, as (size, date).
    Ask {
        existing: (u64, Option<String>),
    },
    /// No way to go on (a folder in the way of an overwrite...).
    Refuse(String),
}

impl Listings {
    /// The files of `folder`, listed again when the cached copy is older than `max_age`.
    pub async fn files(
        &self,
        client: &Client,
        folder: FolderId,
        max_age: Duration,
    ) -> api::Result<Arc<Vec<RemoteFile>>> {
        let slot = lock(&self.folders).entry(folder).or_default().clone();
        let mut cached = slot.lock().await;
        if let Some((at, files)) = cached.as_ref()
            && at.elapsed() <= max_age
        {
            return Ok(files.clone());
        }
        let files = Arc::new(client.file_ls(folder).await?);
        *cached = Some((Instant::now(), files.clone()));
        Ok(files)
    }

    /// Notes a change this engine made, so the cache stays true without listing again.
    pub async fn update(&self, folder: FolderId, add: Option<RemoteFile>, remove: &[FileUrl]) {
        let slot = lock(&self.folders).get(&folder).cloned();
        let Some(slot) = slot else { return };
        let mut cached = slot.lock().await;
        if let Some((_, files)) = cached.as_mut() {
            let files = Arc::make_mut(files);
            files.retain(|f| !remove.contains(&f.url));
            files.extend(add);
        }
    }

    /// Claims `remote_name` (as the user wrote it) in `folder` given its files, following `policy`.
    pub fn claim_remote(
        self: &Arc<Self>,
        folder: FolderId,
        files: &[RemoteFile],
        remote_name: &str,
        policy: ConflictPolicy,
    ) -> Claim<String> {
        let mut reserved = lock(&self.remote);
        let names = reserved.entry(folder).or_default();
        let wanted = to_service_name(remote_name);
        let taken = |n: &str| files.iter().any(|f| f.filename == n) || names.contains_key(n);
        let same: Vec<&RemoteFile> = files.iter().filter(|f| f.filename == wanted).collect();
        let (dest, replace) = if !taken(&wanted) {
            (remote_name.to_owned(), Vec::new())
        } else {
            match policy {
                ConflictPolicy::Skip => return Claim::Skip,
                ConflictPolicy::Ask => {
                    let existing = same
                        .first()
                        .map(|f| (f.size, f.date.clone()))
                        .unwrap_or((0, None));
                    return Claim::Ask { existing };
                }
                ConflictPolicy::Rename => (
                    first_free(remote_name, |c| taken(&to_service_name(c))),
                    Vec::new(),
                ),
                ConflictPolicy::Overwrite => (
                    remote_name.to_owned(),
                    same.iter().map(|f| f.url.clone()).collect(),
                ),
            }
        };
        *names.entry(to_service_name(&dest)).or_default() += 1;
        let guard = Guard {
            listings: self.clone(),
            key: Key::Remote(folder, to_service_name(&dest)),
        };
        Claim::Take {
            dest,
            replace,
            overwrite: false,
            guard,
        }
    }

    /// Holds a remote name decided earlier (a job resumed from the journal).
    pub fn hold_remote(self: &Arc<Self>, folder: FolderId, remote_name: &str) -> Guard {
        let name = to_service_name(remote_name);
        *lock(&self.remote)
            .entry(folder)
            .or_default()
            .entry(name.clone())
            .or_default() += 1;
        Guard {
            listings: self.clone(),
            key: Key::Remote(folder, name),
        }
    }

    /// Claims the local path `dest` following `policy`.
    pub fn claim_local(self: &Arc<Self>, dest: &Path, policy: ConflictPolicy) -> Claim<PathBuf> {
        let mut reserved = lock(&self.local);
        let (path, overwrite) = if !occupied(dest) && !reserved.contains_key(dest) {
            (dest.to_path_buf(), false)
        } else {
            match policy {
                ConflictPolicy::Skip => return Claim::Skip,
                ConflictPolicy::Ask => {
                    let existing = std::fs::metadata(dest)
                        .map(|m| {
                            (
                                m.len(),
                                m.modified()
                                    .ok()
                                    .and_then(super::conflict::format_system_time),
                            )
                        })
                        .unwrap_or((0, None));
                    return Claim::Ask { existing };
                }
                ConflictPolicy::Rename => {
                    let (Some(dir), Some(name)) = (dest.parent(), dest.file_name()) else {
                        return Claim::Refuse(format!("{} has no file name", dest.display()));
                    };
                    let name = name.to_string_lossy();
                    let free = first_free(&name, |c| {
                        let p = dir.join(c);
                        occupied(&p) || occupied(&part_path(&p)) || reserved.contains_key(&p)
                    });
                    (dir.join(free), false)
                }
                ConflictPolicy::Overwrite => {
                    if std::fs::symlink_metadata(dest).is_ok_and(|m| m.is_dir()) {
                        return Claim::Refuse(format!(
                            "a folder is in the way of {}",
                            dest.display()
                        ));
                    }
                    (dest.to_path_buf(), true)
                }
            }
        };
        *reserved.entry(path.clone()).or_default() += 1;
        let guard = Guard {
            listings: self.clone(),
            key: Key::Local(path.clone()),
        };
        Claim::Take {
            dest: path,
            replace: Vec::new(),
            overwrite,
            guard,
        }
    }

    /// Holds a local path decided earlier.
    pub fn hold_local(self: &Arc<Self>, dest: &Path) -> Guard {
        *lock(&self.local).entry(dest.to_path_buf()).or_default() += 1;
        Guard {
            listings: self.clone(),
            key: Key::Local(dest.to_path_buf()),
        }
    }

    fn release(&self, key: &Key) {
        match key {
            Key::Remote(folder, name) => {
                let mut reserved = lock(&self.remote);
                if let Some(names) = reserved.get_mut(folder) {
                    release_one(names, name);
                    if names.is_empty() {
                        reserved.remove(folder);
                    }
                }
            }
            Key::Local(path) => release_one(&mut lock(&self.local), path),
        }
    }
}

fn release_one<K: std::hash::Hash + Eq>(map: &mut HashMap<K, usize>, key: &K) {
    if let Some(n) = map.get_mut(key) {
        *n -= 1;
        if *n == 0 {
            map.remove(key);
        }
    }
}

#[derive(Debug)]
enum Key {
    Remote(FolderId, String),
    Local(PathBuf),
}

/// A name held by a running job; released when the job's worker ends, however it ends.
pub(crate) struct Guard {
    listings: Arc<Listings>,
    key: Key,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Guard({:?})", self.key)
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.listings.release(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, url: &str) -> RemoteFile {
        RemoteFile {
            url: FileUrl(url.into()),
            filename: name.into(),
            size: 5,
            date: Some("2026-11-02 10:00:00".into()),
            checksum: None,
            content_type: None,
            cdn: false,
            pass: false,
        }
    }

    fn taken_name(c: Claim<String>) -> (String, Vec<FileUrl>, Guard) {
        match c {
            Claim::Take {
                dest,
                replace,
                guard,
                ..
            } => (dest, replace, guard),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn remote_names_follow_the_policy() {
        let l = Arc::new(Listings::default());
        let files = vec![
            file("a.txt", "u1"),
            file("a.txt", "u2"),
            file("it\u{FF07}s.txt", "u3"),
        ];
        let f = FolderId(3);
        assert!(matches!(
            l.claim_remote(f, &files, "a.txt", ConflictPolicy::Skip),
            Claim::Skip
        ));
        assert!(matches!(
            l.claim_remote(f, &files, "a.txt", ConflictPolicy::Ask),
            Claim::Ask {
                existing: (5, Some(_))
            }
        ));
        // The service stores refused characters as look-alikes: "it's.txt" is already there.
        assert!(matches!(
            l.claim_remote(f, &files, "it's.txt", ConflictPolicy::Skip),
            Claim::Skip
        ));
        let (name, replace, _g1) =
            taken_name(l.claim_remote(f, &files, "a.txt", ConflictPolicy::Overwrite));
        assert_eq!((name.as_str(), replace.len()), ("a.txt", 2));
        let (free, _, _g2) = taken_name(l.claim_remote(f, &files, "b.txt", ConflictPolicy::Skip));
        assert_eq!(free, "b.txt");
    }

    #[test]
    fn two_jobs_never_get_the_same_free_name() {
        let l = Arc::new(Listings::default());
        let files = vec![file("a.txt", "u1")];
        let (n1, _, g1) =
            taken_name(l.claim_remote(FolderId(1), &files, "a.txt", ConflictPolicy::Rename));
        let (n2, _, g2) =
            taken_name(l.claim_remote(FolderId(1), &files, "a.txt", ConflictPolicy::Rename));
        assert_eq!((n1.as_str(), n2.as_str()), ("a (1).txt", "a (2).txt"));
        // A name being uploaded counts as there for Skip too.
        let (_, _, g3) =
            taken_name(l.claim_remote(FolderId(1), &files, "new.txt", ConflictPolicy::Skip));
        assert!(matches!(
            l.claim_remote(FolderId(1), &files, "new.txt", ConflictPolicy::Skip),
            Claim::Skip
        ));
        drop((g1, g2, g3));
        let (again, _, _g) =
            taken_name(l.claim_remote(FolderId(1), &files, "a.txt", ConflictPolicy::Rename));
        assert_eq!(again, "a (1).txt", "released when the jobs ended");
        assert!(
            lock(&l.remote)
                .get(&FolderId(1))
                .is_some_and(|m| m.len() == 1)
        );
    }

    #[test]
    fn local_claims() {
        let dir = tempfile::tempdir().unwrap();
        let l = Arc::new(Listings::default());
        let a = dir.path().join("a.txt");
        std::fs::write(&a, b"old").unwrap();
        // A stale partial download of the first candidate makes it taken too.
        std::fs::write(dir.path().join("a (1).txt.part"), b"x").unwrap();
        assert!(matches!(
            l.claim_local(&a, ConflictPolicy::Skip),
            Claim::Skip
        ));
        assert!(matches!(
            l.claim_local(&a, ConflictPolicy::Ask),
            Claim::Ask {
                existing: (3, Some(_))
            }
        ));
        match l.claim_local(&a, ConflictPolicy::Rename) {
            Claim::Take {
                dest,
                overwrite: false,
                ..
            } => assert_eq!(dest, dir.path().join("a (2).txt")),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            l.claim_local(&a, ConflictPolicy::Overwrite),
            Claim::Take {
                overwrite: true,
                ..
            }
        ));
        std::fs::create_dir(dir.path().join("d")).unwrap();
        assert!(matches!(
            l.claim_local(&dir.path().join("d"), ConflictPolicy::Overwrite),
            Claim::Refuse(_)
        ));
        let fresh = dir.path().join("fresh.bin");
        let g = l.claim_local(&fresh, ConflictPolicy::Skip);
        assert!(matches!(g, Claim::Take { .. }));
        assert!(
            matches!(l.claim_local(&fresh, ConflictPolicy::Skip), Claim::Skip),
            "held by a running job"
        );
        drop(g);
        assert!(matches!(
            l.claim_local(&fresh, ConflictPolicy::Skip),
            Claim::Take { .. }
        ));
    }
}
