//! A directory read in two steps, so a big folder shows before its stats are in: names and kinds
//! first (`read_dir` alone: the kind comes from the directory entry, no stat per file), then sizes
//! and dates in batches, shared across the cores. Small folders come whole in one step.

use super::LocalEntry;
use super::sort::{SortKey, compare, sort_order};
use std::fs::{DirEntry, FileType};
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::SystemTime;

/// From this many entries, the names go out before the stats (below, one stat pass takes a few
/// milliseconds and the folder shows whole, as it always did).
pub const NAMES_FIRST_FROM: usize = 5_000;
/// Entries per `Stats` message: few messages for the UI, each a small piece of work for it.
pub const STAT_BATCH: usize = 8_192;

/// What the stat of one entry adds to its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryStat {
    pub is_dir: bool,
    pub size: u64,
    pub modified: Option<SystemTime>,
}

/// One step of a listing, in the order `list_in_steps` sends them.
#[derive(Debug)]
pub enum ListStep {
    /// Every entry, in the directory's order. `complete`: sizes and dates are in; otherwise they
    /// are 0 and `None` until the `Stats` steps fill them.
    Names {
        entries: Vec<LocalEntry>,
        complete: bool,
    },
    /// Stats of some entries, by their index in `Names` (each index comes once, in no particular
    /// order); `None`: the entry vanished since its name was read.
    Stats(Vec<(u32, Option<EntryStat>)>),
}

/// Lists `dir`, sending the names first when there are at least `names_first_from` entries, then
/// their stats in batches of `STAT_BATCH`. Stops early once `stop` is set or `send` returns false
/// (nobody listens any more). Fails only when the directory itself cannot be read.
pub fn list_in_steps(
    dir: &Path,
    names_first_from: usize,
    stop: &AtomicBool,
    send: &(dyn Fn(ListStep) -> bool + Sync),
) -> io::Result<()> {
    let (items, entries) = read_names(dir)?;
    if entries.len() < names_first_from {
        let stats = items.iter().map(|(i, t)| stat_of(i, *t));
        let entries = entries
            .into_iter()
            .zip(stats)
            .filter_map(|(mut e, s)| {
                e.apply(s?);
                Some(e)
            })
            .collect();
        send(ListStep::Names {
            entries,
            complete: true,
        });
        return Ok(());
    }
    let (items, entries) = named_in_order(dir, items, entries);
    if !send(ListStep::Names {
        entries,
        complete: false,
    }) {
        return Ok(());
    }
    // One core is left to the UI, which sorts and draws the names meanwhile.
    stat_in_batches(&items, STAT_BATCH, 1, stop, &|batch| {
        send(ListStep::Stats(batch))
    });
    Ok(())
}

/// Lists `dir` whole: every entry with its stat. Entries that vanish or cannot be read while
/// listing are skipped: a directory that changes under us is normal. A symlink to a directory
/// counts as one.
pub fn list_dir(dir: &Path) -> io::Result<Vec<LocalEntry>> {
    let (items, entries) = read_names(dir)?;
    let mut stats: Vec<Option<EntryStat>> = vec![None; items.len()];
    let parts = std::sync::Mutex::new(&mut stats);
    stat_in_batches(&items, 1_024, 0, &AtomicBool::new(false), &|batch| {
        if let Ok(mut stats) = parts.lock() {
            for (i, s) in batch {
                stats[i as usize] = s;
            }
        }
        true
    });
    Ok(entries
        .into_iter()
        .zip(stats)
        .filter_map(|(mut e, s)| {
            e.apply(s?);
            Some(e)
        })
        .collect())
}

impl LocalEntry {
    /// Takes in what a stat says: the kind (a link's target, or a file replaced by a folder),
    /// the size and the date.
    pub fn apply(&mut self, stat: EntryStat) {
        self.is_dir = stat.is_dir;
        self.size = stat.size;
        self.modified = stat.modified;
    }
}

/// A directory's items as read, with their kinds.
type Items = Vec<(DirEntry, FileType)>;

/// The directory's items with their kinds (unreadable ones skipped), and an entry for each.
fn read_names(dir: &Path) -> io::Result<(Items, Vec<LocalEntry>)> {
    let items: Items = std::fs::read_dir(dir)?
        .filter_map(|item| {
            let item = item.ok()?;
            // From the directory entry's own type field where the filesystem fills it in;
            // std falls back to an lstat where it does not.
            let kind = item.file_type().ok()?;
            Some((item, kind))
        })
        .collect();
    let entries = items
        .iter()
        .map(|(item, kind)| {
            let file_name = item.file_name();
            let name = file_name.to_string_lossy().into_owned();
            let lower = name.to_lowercase();
            LocalEntry {
                file_name,
                name,
                lower,
                is_dir: kind.is_dir(),
                is_symlink: kind.is_symlink(),
                size: 0,
                modified: None,
            }
        })
        .collect();
    Ok((items, entries))
}

/// A big folder's entries with their links' kinds, sorted as the pane shows them by default
/// (folders first, by name) with their items in the same order. The two halves are sorted on two
/// threads and merged, off the UI task: the pane's own sort then finds them in order.
fn named_in_order(
    dir: &Path,
    items: Items,
    mut entries: Vec<LocalEntry>,
) -> (Items, Vec<LocalEntry>) {
    for (e, (_, t)) in entries.iter_mut().zip(&items) {
        // A link's kind is its target's: that one stat is needed to put folders first.
        if t.is_symlink() {
            e.is_dir = std::fs::metadata(dir.join(&e.file_name)).is_ok_and(|m| m.is_dir());
        }
    }
    let half = entries.len() / 2;
    let sorted_part = |from: usize, to: usize| {
        let mut order: Vec<u32> = (from as u32..to as u32).collect();
        sort_order(&entries, &mut order, SortKey::Name);
        order
    };
    let (left, right) = std::thread::scope(|s| {
        let right = s.spawn(|| sorted_part(half, entries.len()));
        let left = sorted_part(0, half);
        (left, right.join())
    });
    let order = match right {
        Ok(right) => merge(&entries, &left, &right),
        Err(_) => sorted_part(0, entries.len()),
    };
    let mut items: Vec<Option<(DirEntry, FileType)>> = items.into_iter().map(Some).collect();
    let mut entries: Vec<Option<LocalEntry>> = entries.into_iter().map(Some).collect();
    order
        .iter()
        .filter_map(|i| Some((items[*i as usize].take()?, entries[*i as usize].take()?)))
        .unzip()
}

/// Merges two runs of indices, each sorted by name (folders first).
fn merge(entries: &[LocalEntry], a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (&entries[a[i] as usize], &entries[b[j] as usize]);
        if compare(x, y, SortKey::Name).is_le() {
            out.push(a[i]);
            i += 1;
        } else {
            out.push(b[j]);
            j += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// Stats every item, in batches of `batch` taken in turn by one thread per core (up to 4, less
/// `spare` cores left to others, at least one), each sent as soon as it is done. One stat per
/// entry is most of a big folder's listing time (100,000 entries: 500 ms on one core here, see
/// benches/listing.rs).
fn stat_in_batches(
    items: &[(DirEntry, FileType)],
    batch: usize,
    spare: usize,
    stop: &AtomicBool,
    send: &(dyn Fn(Vec<(u32, Option<EntryStat>)>) -> bool + Sync),
) {
    let next = AtomicUsize::new(0);
    let work = || {
        loop {
            let start = next.fetch_add(batch, Ordering::Relaxed);
            if start >= items.len() || stop.load(Ordering::Relaxed) {
                return;
            }
            let end = (start + batch).min(items.len());
            let stats = items[start..end]
                .iter()
                .enumerate()
                .map(|(k, (item, kind))| ((start + k) as u32, stat_of(item, *kind)))
                .collect();
            if !send(stats) {
                stop.store(true, Ordering::Relaxed);
                return;
            }
        }
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .saturating_sub(spare)
        .clamp(1, 4);
    if threads == 1 || items.len() < PARALLEL_FROM {
        work();
        return;
    }
    std::thread::scope(|s| {
        for _ in 1..threads {
            s.spawn(work);
        }
        work();
    });
}

/// Below this many entries, one thread stats faster than several start.
pub(super) const PARALLEL_FROM: usize = 2_000;

fn stat_of(item: &DirEntry, kind: FileType) -> Option<EntryStat> {
    // The entry's own metadata is a stat relative to the open directory, without following a
    // link; only a link needs the stat of its target (a dangling link keeps its own metadata).
    let own = item.metadata().ok()?;
    let meta = if kind.is_symlink() || own.file_type().is_symlink() {
        std::fs::metadata(item.path()).unwrap_or(own)
    } else {
        own
    };
    Some(EntryStat {
        is_dir: meta.is_dir(),
        size: if meta.is_dir() { 0 } else { meta.len() },
        modified: meta.modified().ok(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;
    use std::sync::Mutex;

    #[test]
    fn lists_kinds_sizes_and_names() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), b"hello").unwrap();
        std::fs::create_dir(dir.path().join("Sub")).unwrap();
        let mut entries = list_dir(dir.path()).unwrap();
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].name, "Sub");
        assert!(entries[0].is_dir);
        assert_eq!(entries[0].lower, "sub");
        assert_eq!(entries[1].size, 5);
        assert!(!entries[1].is_dir);
    }

    #[test]
    fn links_follow_their_target_and_big_folders_list_whole() {
        let dir = tempfile::tempdir().unwrap();
        // Enough entries for the listing to be shared across threads.
        for i in 0..PARALLEL_FROM + 77 {
            std::fs::write(dir.path().join(format!("f{i:05}")), vec![0u8; i % 7]).unwrap();
        }
        std::fs::create_dir(dir.path().join("real")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("real"), dir.path().join("link")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("nowhere"), dir.path().join("dangling"))
            .unwrap();
        let entries = list_dir(dir.path()).unwrap();
        assert_eq!(entries.len(), PARALLEL_FROM + 77 + 3);
        let find = |n: &str| entries.iter().find(|e| e.name == n).unwrap();
        assert!(find("link").is_dir && find("link").is_symlink);
        assert!(!find("dangling").is_dir && find("dangling").is_symlink);
        assert!(find("real").is_dir && !find("real").is_symlink);
        assert_eq!(find("f00013").size, 6);
        let mut names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), entries.len(), "each entry once");
    }

    /// Runs `list_in_steps` and keeps its steps; `on_names` runs when the names arrive, before
    /// any stat (to change the folder between the two).
    fn steps(dir: &Path, first_from: usize, on_names: impl Fn() + Sync) -> Vec<ListStep> {
        let got = Mutex::new(Vec::new());
        let stop = AtomicBool::new(false);
        list_in_steps(dir, first_from, &stop, &|step| {
            if matches!(step, ListStep::Names { .. }) {
                on_names();
            }
            got.lock().unwrap().push(step);
            true
        })
        .unwrap();
        got.into_inner().unwrap()
    }

    fn names_of(step: &ListStep) -> (&[LocalEntry], bool) {
        match step {
            ListStep::Names { entries, complete } => (entries, *complete),
            ListStep::Stats(_) => panic!("names come first"),
        }
    }

    /// Every stat sent, by index; each index once.
    fn stats_of(steps: &[ListStep]) -> Vec<Option<Option<EntryStat>>> {
        let (entries, _) = names_of(&steps[0]);
        let mut by_index = vec![None; entries.len()];
        for step in &steps[1..] {
            let ListStep::Stats(batch) = step else {
                panic!("one Names step only")
            };
            for (i, s) in batch {
                assert!(by_index[*i as usize].is_none(), "index {i} twice");
                by_index[*i as usize] = Some(*s);
            }
        }
        by_index
    }

    #[test]
    fn a_big_folder_comes_names_first_then_stats() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..40 {
            std::fs::write(dir.path().join(format!("f{i:02}")), vec![7u8; i]).unwrap();
        }
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("sub"), dir.path().join("link")).unwrap();
        let steps = steps(dir.path(), 10, || {});
        let (entries, complete) = names_of(&steps[0]);
        assert!(!complete);
        assert_eq!(entries.len(), 42);
        assert!(entries.iter().all(|e| e.size == 0 && e.modified.is_none()));
        let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names[..4],
            ["link", "sub", "f00", "f01"],
            "sorted, folders first"
        );
        assert!(names[2..].is_sorted());
        let find = |n: &str| entries.iter().position(|e| e.name == n).unwrap();
        assert!(entries[find("sub")].is_dir, "kinds come with the names");
        assert!(entries[find("link")].is_dir && entries[find("link")].is_symlink);
        assert!(!entries[find("f05")].is_dir);
        let stats = stats_of(&steps);
        for (e, s) in entries.iter().zip(&stats) {
            let s = s
                .expect("every entry gets its stat")
                .expect("none vanished");
            let want = e.name.strip_prefix('f').map_or(0, |n| n.parse().unwrap());
            assert_eq!(s.size, want, "{}", e.name);
            assert!(s.modified.is_some());
            assert_eq!(s.is_dir, e.is_dir);
        }
    }

    #[test]
    fn a_small_folder_comes_whole() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), b"abc").unwrap();
        let steps = steps(dir.path(), NAMES_FIRST_FROM, || {});
        assert_eq!(steps.len(), 1);
        let (entries, complete) = names_of(&steps[0]);
        assert!(complete);
        assert_eq!(entries[0].size, 3);
    }

    #[test]
    fn a_file_deleted_after_its_name_was_read_is_reported_gone() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..20 {
            std::fs::write(dir.path().join(format!("f{i:02}")), b"x").unwrap();
        }
        let gone = dir.path().join("f07");
        let steps = steps(dir.path(), 5, || std::fs::remove_file(&gone).unwrap());
        let (entries, _) = names_of(&steps[0]);
        let stats = stats_of(&steps);
        for (e, s) in entries.iter().zip(&stats) {
            assert_eq!(s.unwrap().is_none(), e.name == "f07", "{}", e.name);
        }
    }

    #[test]
    fn hostile_names_list_and_stat() {
        let dir = tempfile::tempdir().unwrap();
        let names: Vec<&[u8]> = vec![
            b"bad\xff\xfe utf8",
            b"line\nbreak",
            b"\x1b[31mred\x1b[0m",
            b"-rf",
            b" lead and trail ",
            b"\xc3\x89T\xc3\x89.txt",
        ];
        for (i, n) in names.iter().enumerate() {
            let name = std::ffi::OsStr::from_bytes(n);
            std::fs::write(dir.path().join(name), vec![0u8; i + 1]).unwrap();
        }
        for first_from in [1, NAMES_FIRST_FROM] {
            let steps = steps(dir.path(), first_from, || {});
            let (entries, complete) = names_of(&steps[0]);
            assert_eq!(entries.len(), names.len());
            let stats = if complete {
                entries.iter().map(|e| e.size).collect::<Vec<_>>()
            } else {
                stats_of(&steps)
                    .iter()
                    .map(|s| s.unwrap().unwrap().size)
                    .collect()
            };
            for (e, size) in entries.iter().zip(stats) {
                let i = names
                    .iter()
                    .position(|n| *n == e.file_name.as_bytes())
                    .expect("the exact bytes are kept");
                assert_eq!(size, i as u64 + 1, "{:?}", e.file_name);
            }
            let e = entries.iter().find(|e| e.name.starts_with("bad")).unwrap();
            assert!(e.name.contains('\u{fffd}'), "shown lossy: {:?}", e.name);
            let e = entries.iter().find(|e| e.name.ends_with(".txt")).unwrap();
            assert_eq!(e.lower, "été.txt");
        }
    }

    #[test]
    fn stop_ends_the_stats() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..20 {
            std::fs::write(dir.path().join(format!("f{i:02}")), b"x").unwrap();
        }
        let stop = AtomicBool::new(false);
        let sent = AtomicUsize::new(0);
        list_in_steps(dir.path(), 5, &stop, &|_| {
            sent.fetch_add(1, Ordering::Relaxed);
            stop.store(true, Ordering::Relaxed);
            true
        })
        .unwrap();
        assert_eq!(
            sent.into_inner(),
            1,
            "the names, and no stat after the stop"
        );
        assert!(list_in_steps(&dir.path().join("nowhere"), 5, &stop, &|_| true).is_err());
    }
}
