//! One directory entry as the pane keeps it, and the disk operations of the local pane.

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
