//! Local whirlpools, computed once: a cache keyed by path, size and modification time (to the
//! nanosecond), so a run over unchanged files reads no file bodies. Misses are hashed on worker
//! threads, largest first, several files at once; a file that changes while it is hashed is not
//! cached. The cache is a JSON file written atomically; an unreadable one is started afresh.

use crate::checksum::Whirlpool;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

const VERSION: u32 = 1;

/// What a file looked like: a different stamp means different content may be there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub size: u64,
    /// Nanoseconds since 1970; `None` when the filesystem gives no time (never cached).
    pub mtime_ns: Option<i128>,
}

impl Stamp {
    pub fn of(meta: &std::fs::Metadata) -> Stamp {
        Stamp {
            size: meta.len(),
            mtime_ns: meta.modified().ok().and_then(nanos),
        }
    }

    /// The stamp of a size and a modification time as a listing gave them.
    pub fn from_parts(size: u64, modified: Option<SystemTime>) -> Stamp {
        Stamp {
            size,
            mtime_ns: modified.and_then(nanos),
        }
    }

    /// The stamp of the file at `path` now (links followed).
    pub fn read(path: &Path) -> io::Result<Stamp> {
        std::fs::metadata(path).map(|m| Stamp::of(&m))
    }
}

fn nanos(t: SystemTime) -> Option<i128> {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => Some(d.as_nanos() as i128),
        Err(e) => Some(-(e.duration().as_nanos() as i128)),
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    path: String,
    size: u64,
    mtime_ns: i128,
    whirlpool: String,
}

#[derive(Serialize, Deserialize)]
struct CacheFile {
    version: u32,
    entries: Vec<Entry>,
}

/// Counts of one run, to report (and to prove that a second run read nothing).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct HashStats {
    /// Whirlpools taken from the cache.
    pub cache_hits: u64,
    /// Files whose bodies were read to hash them.
    pub files_hashed: u64,
    pub bytes_hashed: u64,
}

#[derive(Debug, Default)]
pub struct HashCache {
    file: Option<PathBuf>,
    entries: HashMap<String, (Stamp, String)>,
    /// Paths looked up or stored in this run: the only ones kept when saving.
    used: HashSet<String>,
    pub stats: HashStats,
}

impl HashCache {
    /// A cache that lives only in memory.
    pub fn in_memory() -> HashCache {
        HashCache::default()
    }

    /// The cache kept in `file`; a missing or unreadable file gives an empty cache.
    pub fn load(file: &Path) -> HashCache {
        let mut cache = HashCache {
            file: Some(file.to_path_buf()),
            ..HashCache::default()
        };
        let parsed = std::fs::read(file)
            .ok()
            .and_then(|t| serde_json::from_slice::<CacheFile>(&t).ok())
            .filter(|c| c.version == VERSION);
        if let Some(c) = parsed {
            for e in c.entries {
                let stamp = Stamp {
                    size: e.size,
                    mtime_ns: Some(e.mtime_ns),
                };
                cache.entries.insert(e.path, (stamp, e.whirlpool));
            }
        } else if file.exists() {
            tracing::warn!(
                "the hash cache {} is unreadable; starting afresh",
                file.display()
            );
        }
        cache
    }

    /// The cached whirlpool of `path` if its stamp is the same as when it was hashed.
    pub fn get(&mut self, path: &Path, stamp: Stamp) -> Option<String> {
        let key = path.to_str()?;
        stamp.mtime_ns?;
        self.used.insert(key.to_string());
        let (cached, hash) = self.entries.get(key)?;
        (*cached == stamp).then(|| {
            self.stats.cache_hits += 1;
            hash.clone()
        })
    }

    pub fn insert(&mut self, path: &Path, stamp: Stamp, whirlpool: &str) {
        let (Some(key), Some(_)) = (path.to_str(), stamp.mtime_ns) else {
            return;
        };
        self.used.insert(key.to_string());
        self.entries
            .insert(key.to_string(), (stamp, whirlpool.to_ascii_lowercase()));
    }

    /// Writes the entries used in this run (others are files that are gone or out of the tree).
    pub fn save(&self) -> io::Result<()> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let mut entries: Vec<Entry> = self
            .entries
            .iter()
            .filter(|(k, _)| self.used.contains(*k))
            .filter_map(|(k, (stamp, hash))| {
                Some(Entry {
                    path: k.clone(),
                    size: stamp.size,
                    mtime_ns: stamp.mtime_ns?,
                    whirlpool: hash.clone(),
                })
            })
            .collect();
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        let data = serde_json::to_vec(&CacheFile {
            version: VERSION,
            entries,
        })
        .map_err(io::Error::other)?;
        let dir = file.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let mut temp = tempfile::NamedTempFile::new_in(dir)?;
        temp.write_all(&data)?;
        temp.as_file().sync_all()?;
        temp.persist(file).map_err(|e| e.error)?;
        Ok(())
    }
}

/// Progress of a batch of hashing, shared with whoever shows it.
#[derive(Debug, Default)]
pub struct HashProgress {
    pub bytes_done: AtomicU64,
    pub bytes_total: AtomicU64,
    pub files_done: AtomicU64,
    pub files_total: AtomicU64,
    /// Set to stop: files not finished come back as errors.
    pub cancel: AtomicBool,
}

/// The largest read when hashing a file.
const READ_SIZE: usize = 1 << 20;

/// The whirlpool of a file, counting bytes into `progress` as they are read.
pub fn whirlpool_counting(path: &Path, progress: &HashProgress) -> io::Result<String> {
    whirlpool_into(path, progress, &mut Vec::new())
}

/// `whirlpool_counting` with a buffer the caller keeps from file to file: hashing 10,000 small
/// files should not cost 10,000 buffers of a MiB.
fn whirlpool_into(path: &Path, progress: &HashProgress, buf: &mut Vec<u8>) -> io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Whirlpool::new();
    // Room for a small file and the read that finds its end, up to READ_SIZE.
    let wanted = file
        .metadata()
        .map_or(READ_SIZE, |m| usize::try_from(m.len()).unwrap_or(READ_SIZE))
        .saturating_add(1)
        .clamp(4096, READ_SIZE);
    if buf.len() < wanted {
        buf.resize(wanted, 0);
    }
    let buf = &mut buf[..wanted];
    loop {
        if progress.cancel.load(Ordering::Relaxed) {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "cancelled"));
        }
        let n = file.read(buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        progress.bytes_done.fetch_add(n as u64, Ordering::Relaxed);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// The whirlpools of `files` (path, stamp as listed): from the cache when it knows them, else
/// read on up to `threads` worker threads at once, largest files first so a big file never
/// starts last. Results are in no particular order; errors say why a file could not be read.
pub async fn hash_files(
    cache: &mut HashCache,
    files: Vec<(PathBuf, Stamp)>,
    threads: usize,
    progress: Arc<HashProgress>,
) -> HashMap<PathBuf, Result<String, String>> {
    let mut out = HashMap::new();
    let mut todo = Vec::new();
    for (path, stamp) in files {
        match cache.get(&path, stamp) {
            Some(h) => {
                out.insert(path, Ok(h));
            }
            None => todo.push((path, stamp)),
        }
    }
    todo.sort_by_key(|t| std::cmp::Reverse(t.1.size));
    progress
        .bytes_total
        .fetch_add(todo.iter().map(|t| t.1.size).sum(), Ordering::Relaxed);
    progress
        .files_total
        .fetch_add(todo.len() as u64, Ordering::Relaxed);
    // A few worker threads take the files in turn (largest first), each with one buffer.
    let todo = Arc::new(todo);
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..threads.max(1).min(todo.len()) {
        let (todo, next, progress) = (todo.clone(), next.clone(), progress.clone());
        workers.spawn_blocking(move || {
            let mut buf = Vec::new();
            let mut done = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((path, stamp)) = todo.get(i) else {
                    break;
                };
                let r = whirlpool_into(path, &progress, &mut buf);
                progress.files_done.fetch_add(1, Ordering::Relaxed);
                // Changed while it was read: the hash is of no known version of the file.
                let stable = Stamp::read(path).ok() == Some(*stamp);
                done.push((i, r.map(|h| (h, stable))));
            }
            done
        });
    }
    while let Some(joined) = workers.join_next().await {
        let Ok(done) = joined else {
            continue;
        };
        for (i, result) in done {
            let (path, stamp) = &todo[i];
            match result {
                Ok((hash, stable)) => {
                    cache.stats.files_hashed += 1;
                    cache.stats.bytes_hashed += stamp.size;
                    if stable {
                        cache.insert(path, *stamp, &hash);
                    }
                    out.insert(path.clone(), Ok(hash));
                }
                Err(e) => {
                    let why = format!("cannot read {}: {e}", path.display());
                    out.insert(path.clone(), Err(why));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checksum::whirlpool_hex;

    fn stamp_of(p: &Path) -> Stamp {
        Stamp::read(p).unwrap()
    }

    #[tokio::test]
    async fn a_second_pass_reads_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        std::fs::write(&a, b"alpha").unwrap();
        std::fs::write(&b, vec![7u8; 3 << 20]).unwrap();
        let file = dir.path().join("state/hashes.json");
        let mut cache = HashCache::load(&file);
        let files = vec![(a.clone(), stamp_of(&a)), (b.clone(), stamp_of(&b))];
        let progress = Arc::new(HashProgress::default());
        let got = hash_files(&mut cache, files.clone(), 2, progress.clone()).await;
        assert_eq!(got[&a], Ok(whirlpool_hex(b"alpha")));
        assert_eq!(got[&b], Ok(whirlpool_hex(&vec![7u8; 3 << 20])));
        assert_eq!(cache.stats.files_hashed, 2);
        assert_eq!(progress.bytes_done.load(Ordering::Relaxed), 5 + (3 << 20));
        cache.save().unwrap();

        let mut again = HashCache::load(&file);
        let got = hash_files(&mut again, files, 2, Arc::default()).await;
        assert_eq!(got[&a], Ok(whirlpool_hex(b"alpha")));
        assert_eq!(again.stats.cache_hits, 2);
        assert_eq!((again.stats.files_hashed, again.stats.bytes_hashed), (0, 0));
    }

    #[tokio::test]
    async fn a_changed_stamp_is_a_miss_and_unreadable_files_say_why() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        std::fs::write(&a, b"one").unwrap();
        let mut cache = HashCache::in_memory();
        let s = stamp_of(&a);
        cache.insert(&a, s, "ABC");
        assert_eq!(cache.get(&a, s).as_deref(), Some("abc"));
        let later = Stamp {
            mtime_ns: s.mtime_ns.map(|t| t + 1),
            ..s
        };
        assert_eq!(cache.get(&a, later), None);
        let gone = dir.path().join("gone");
        let got = hash_files(
            &mut cache,
            vec![(
                gone.clone(),
                Stamp {
                    size: 1,
                    mtime_ns: Some(1),
                },
            )],
            1,
            Arc::default(),
        )
        .await;
        assert!(
            got[&gone]
                .as_ref()
                .is_err_and(|e| e.contains("cannot read"))
        );
    }

    #[test]
    fn one_buffer_serves_files_of_every_size() {
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("small");
        let large = dir.path().join("large");
        let body: Vec<u8> = (0..(READ_SIZE * 2 + 7)).map(|i| (i % 251) as u8).collect();
        std::fs::write(&small, b"tiny").unwrap();
        std::fs::write(&large, &body).unwrap();
        let progress = HashProgress::default();
        let mut buf = Vec::new();
        let got = whirlpool_into(&small, &progress, &mut buf).unwrap();
        assert_eq!(got, whirlpool_hex(b"tiny"));
        assert_eq!(buf.len(), 4096, "a small file takes a small buffer");
        let got = whirlpool_into(&large, &progress, &mut buf).unwrap();
        assert_eq!(got, whirlpool_hex(&body), "read in several pieces");
        assert_eq!(buf.len(), READ_SIZE);
        let got = whirlpool_into(&small, &progress, &mut buf).unwrap();
        assert_eq!(got, whirlpool_hex(b"tiny"), "a used buffer gives the same");
        assert_eq!(
            progress.bytes_done.load(Ordering::Relaxed),
            8 + body.len() as u64
        );
    }

    #[tokio::test]
    async fn many_files_on_few_threads_are_all_hashed_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = Vec::new();
        for i in 0..50u8 {
            let p = dir.path().join(format!("f{i}"));
            std::fs::write(&p, vec![i; 100 + usize::from(i)]).unwrap();
            files.push((p.clone(), stamp_of(&p)));
        }
        let mut cache = HashCache::in_memory();
        let progress = Arc::new(HashProgress::default());
        let got = hash_files(&mut cache, files.clone(), 3, progress.clone()).await;
        assert_eq!(got.len(), 50);
        for (i, (p, _)) in files.iter().enumerate() {
            let i = i as u8;
            assert_eq!(got[p], Ok(whirlpool_hex(&vec![i; 100 + usize::from(i)])));
        }
        assert_eq!(cache.stats.files_hashed, 50);
        assert_eq!(progress.files_done.load(Ordering::Relaxed), 50);
    }

    #[test]
    fn only_entries_used_in_the_run_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("h.json");
        let mut c = HashCache::load(&file);
        let s = Stamp {
            size: 1,
            mtime_ns: Some(5),
        };
        c.insert(Path::new("/x/a"), s, "aa");
        c.insert(Path::new("/x/b"), s, "bb");
        c.save().unwrap();
        let mut c = HashCache::load(&file);
        assert_eq!(c.get(Path::new("/x/a"), s).as_deref(), Some("aa"));
        c.save().unwrap();
        let mut c = HashCache::load(&file);
        assert_eq!(c.get(Path::new("/x/b"), s), None, "b was not seen: dropped");
        std::fs::write(&file, b"{garbage").unwrap();
        let mut c = HashCache::load(&file);
        assert_eq!(c.get(Path::new("/x/a"), s), None);
    }
}
