//! Reading one directory into plain entries, and the disk operations of the local pane.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// One directory entry, read once; the pane keeps these and never touches the disk to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalEntry {
    /// The file name as the disk has it.
    pub file_name: OsString,
    /// The name as text (lossy for names that are not UTF-8): sanitize before drawing.
    pub name: String,
    /// The name in lowercase, computed once for sorting and filtering.
    pub lower: String,
    pub is_dir: bool,
    pub is_symlink: bool,
    pub size: u64,
    pub modified: Option<SystemTime>,
}

impl LocalEntry {
    /// Dot files, as `ls` hides them.
    pub fn is_hidden(&self) -> bool {
        self.name.starts_with('.')
    }
}

/// Lists `dir` (not recursively). Entries that vanish or cannot be read while listing are
/// skipped: a directory that changes under us is normal. A symlink to a directory counts as one.
pub fn list_dir(dir: &Path) -> io::Result<Vec<LocalEntry>> {
    let items: Vec<std::fs::DirEntry> = std::fs::read_dir(dir)?.filter_map(Result::ok).collect();
    // One stat per entry is most of the time on a big folder: share them across the cores
    // (100,000 entries: 500 ms on one core here, see benches/listing.rs).
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4);
    if threads == 1 || items.len() < PARALLEL_FROM {
        return Ok(items.iter().filter_map(entry_of).collect());
    }
    let per = items.len().div_ceil(threads);
    let parts: Vec<Vec<LocalEntry>> = std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(per)
            .map(|chunk| s.spawn(move || chunk.iter().filter_map(entry_of).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    Ok(parts.into_iter().flatten().collect())
}

/// Below this many entries, one thread lists faster than several start.
const PARALLEL_FROM: usize = 2_000;

fn entry_of(item: &std::fs::DirEntry) -> Option<LocalEntry> {
    // The entry's own metadata is a stat relative to the open directory, without following a
    // link; only a link needs the stat of its target (a dangling link keeps its own metadata).
    let own = item.metadata().ok()?;
    let is_symlink = own.file_type().is_symlink();
    let meta = if is_symlink {
        std::fs::metadata(item.path()).unwrap_or(own)
    } else {
        own
    };
    let file_name = item.file_name();
    let name = file_name.to_string_lossy().into_owned();
    let lower = name.to_lowercase();
    Some(LocalEntry {
        is_dir: meta.is_dir(),
        size: if meta.is_dir() { 0 } else { meta.len() },
        modified: meta.modified().ok(),
        is_symlink,
        file_name,
        name,
        lower,
    })
}

/// Makes one new directory `name` inside `dir`; refuses names that are not one plain component.
pub fn make_dir(dir: &Path, name: &str) -> io::Result<PathBuf> {
    let path = dir.join(plain_component(name)?);
    std::fs::create_dir(&path)?;
    Ok(path)
}

/// Renames `from` to `new_name` in the same directory; never overwrites an existing entry.
pub fn rename_entry(from: &Path, new_name: &str) -> io::Result<PathBuf> {
    let parent = from
        .parent()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "cannot rename the root"))?;
    let to = parent.join(plain_component(new_name)?);
    if to.symlink_metadata().is_ok() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} already exists", to.display()),
        ));
    }
    std::fs::rename(from, &to)?;
    Ok(to)
}

/// Deletes files and whole directory trees (a symlink is removed, never followed). Goes on after
/// an error and returns how many went and the first error.
pub fn delete_paths(paths: &[PathBuf]) -> (usize, Option<io::Error>) {
    let mut removed = 0;
    let mut first_error = None;
    for path in paths {
        let result = match path.symlink_metadata() {
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
            Ok(_) => std::fs::remove_file(path),
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => removed += 1,
            Err(e) => {
                if first_error.is_none() {
                    first_error =
                        Some(io::Error::new(e.kind(), format!("{}: {e}", path.display())));
                }
            }
        }
    }
    (removed, first_error)
}

/// A name typed by the user must stay inside the directory it is made in.
fn plain_component(name: &str) -> io::Result<&str> {
    let bad = name.is_empty()
        || name == "."
        || name == ".."
        || name.contains('/')
        || name.contains('\0')
        || (cfg!(windows) && name.contains('\\'));
    if bad {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{name:?} is not a valid file name"),
        ));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn operations_stay_in_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        assert!(make_dir(dir.path(), "../escape").is_err());
        assert!(make_dir(dir.path(), "..").is_err());
        let made = make_dir(dir.path(), "new").unwrap();
        std::fs::write(made.join("f"), b"x").unwrap();
        std::fs::write(dir.path().join("other"), b"y").unwrap();
        assert!(rename_entry(&made, "other").is_err(), "never overwrites");
        let renamed = rename_entry(&made, "renamed").unwrap();
        assert!(renamed.join("f").exists());
        let (n, err) = delete_paths(&[
            renamed.clone(),
            dir.path().join("other"),
            dir.path().join("gone"),
        ]);
        assert_eq!(n, 2);
        assert!(err.is_some());
        assert!(!renamed.exists());
    }
}
