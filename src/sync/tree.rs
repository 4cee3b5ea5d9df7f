//! Both sides as flat maps from a path of keys to what is there. A key is the name in the form
//! the two sides are compared in: the service's form on the way up (`to_service_name` of a local
//! name), the local form on the way down (`local_file_name` of a remote name). Excludes are
//! matched against the names as the user reads them; excluded entries are left out, and the
//! folders holding them are "pinned" (never removed by `--delete`).

use super::exclude::Excludes;
use super::hash_cache::Stamp;
use super::spec::Direction;
use crate::api::{FolderId, RemoteFile};
use crate::remote::RemoteFs;
use crate::sanitize::{from_service_name, local_file_name, to_service_name};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

/// Names from the root, in the compared form.
pub type KeyPath = Vec<String>;

/// How many folder listings are asked for at once (the client's pacer spaces the calls).
const LISTINGS_AT_ONCE: usize = 4;

impl Direction {
    /// The compared form of a local name.
    pub fn local_key(self, name: &str) -> String {
        match self {
            Direction::Up => to_service_name(name),
            Direction::Down => name.to_string(),
        }
    }

    /// The compared form of a remote name.
    pub fn remote_key(self, name: &str) -> String {
        match self {
            Direction::Up => name.to_string(),
            Direction::Down => local_file_name(name),
        }
    }

    /// A remote name as the user reads it, for excludes and messages.
    pub fn remote_shown(self, name: &str) -> String {
        match self {
            Direction::Up => from_service_name(name),
            Direction::Down => local_file_name(name),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct LocalFile {
    pub path: PathBuf,
    /// The names from the root, as on disk.
    pub names: Vec<String>,
    pub stamp: Stamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LocalDir {
    pub path: PathBuf,
    pub names: Vec<String>,
}

#[derive(Debug, Default)]
pub struct LocalTree {
    /// The root itself is the empty path.
    pub dirs: BTreeMap<KeyPath, LocalDir>,
    pub files: BTreeMap<KeyPath, LocalFile>,
    /// Folders that hold an excluded or unreadable entry somewhere below them.
    pub pinned: HashSet<KeyPath>,
    /// Entries that are there but could not be read: what the other side has under these
    /// paths is never removed.
    pub protected: HashSet<KeyPath>,
    pub excluded: usize,
    /// What is left out on purpose, and why (names that are not UTF-8, links to folders...).
    pub skipped: Vec<(String, String)>,
    /// What could not be read: a run that meets one does not end in success.
    pub unreadable: Vec<(String, String)>,
}

/// Walks the local folder `root`. A missing root is an empty tree; links to folders are not
/// followed (a loop would never end); links to files count as the file they point to.
pub fn walk_local(
    root: &std::path::Path,
    direction: Direction,
    excludes: &Excludes,
) -> std::io::Result<LocalTree> {
    let mut tree = LocalTree::default();
    match std::fs::metadata(root) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotADirectory,
                format!("{} is not a folder", root.display()),
            ));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(tree),
        Err(e) => return Err(e),
    }
    tree.dirs.insert(
        Vec::new(),
        LocalDir {
            path: root.to_path_buf(),
            names: Vec::new(),
        },
    );
    let mut todo = vec![(root.to_path_buf(), Vec::<String>::new(), KeyPath::new())];
    while let Some((dir, names, keys)) = todo.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if keys.is_empty() => return Err(e),
            Err(e) => {
                tree.unreadable
                    .push((names.join("/"), format!("cannot read the folder: {e}")));
                pin(&mut tree.pinned, &keys);
                tree.protected.insert(keys.clone());
                continue;
            }
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                let shown = entry.file_name().to_string_lossy().into_owned();
                tree.skipped
                    .push((join(&names, &shown), "the name is not valid UTF-8".into()));
                pin(&mut tree.pinned, &keys);
                continue;
            };
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let mut sub_names = names.clone();
            sub_names.push(name.clone());
            let mut sub_keys = keys.clone();
            sub_keys.push(direction.local_key(&name));
            let (is_dir, meta) = if kind.is_symlink() {
                match std::fs::metadata(&path) {
                    Ok(m) if m.is_file() => (false, Some(m)),
                    _ => {
                        tree.skipped.push((
                            sub_names.join("/"),
                            "a link to a folder or to nothing, not followed".into(),
                        ));
                        pin(&mut tree.pinned, &keys);
                        tree.protected.insert(sub_keys);
                        continue;
                    }
                }
            } else if kind.is_dir() {
                (true, None)
            } else if kind.is_file() {
                (false, entry.metadata().ok())
            } else {
                tree.skipped
                    .push((sub_names.join("/"), "not a regular file".into()));
                pin(&mut tree.pinned, &keys);
                tree.protected.insert(sub_keys);
                continue;
            };
            if excludes.excludes(&sub_names, is_dir) {
                tree.excluded += 1;
                pin(&mut tree.pinned, &keys);
                continue;
            }
            if tree.dirs.contains_key(&sub_keys) || tree.files.contains_key(&sub_keys) {
                tree.skipped.push((
                    sub_names.join("/"),
                    "another name here becomes the same name on 1fichier".into(),
                ));
                pin(&mut tree.pinned, &keys);
                continue;
            }
            if is_dir {
                tree.dirs.insert(
                    sub_keys.clone(),
                    LocalDir {
                        path: path.clone(),
                        names: sub_names.clone(),
                    },
                );
                todo.push((path, sub_names, sub_keys));
            } else {
                let Some(meta) = meta else {
                    tree.unreadable
                        .push((sub_names.join("/"), "cannot read its size".into()));
                    pin(&mut tree.pinned, &keys);
                    tree.protected.insert(sub_keys);
                    continue;
                };
                tree.files.insert(
                    sub_keys,
                    LocalFile {
                        path,
                        names: sub_names,
                        stamp: Stamp::of(&meta),
                    },
                );
            }
        }
    }
    Ok(tree)
}

fn join(names: &[String], last: &str) -> String {
    let mut all = names.to_vec();
    all.push(last.to_string());
    all.join("/")
}

/// Whether `keys` or a folder above it is in `set`.
pub fn covered(set: &HashSet<KeyPath>, keys: &[String]) -> bool {
    (0..=keys.len()).any(|n| set.contains(&keys[..n]))
}

/// Marks `keys` and every folder above it as holding something that must stay.
fn pin(pinned: &mut HashSet<KeyPath>, keys: &[String]) {
    for n in 0..=keys.len() {
        pinned.insert(keys[..n].to_vec());
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RemoteDir {
    pub id: FolderId,
    /// The names from the root as the user reads them.
    pub shown: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RemoteEntry {
    pub file: RemoteFile,
    pub folder: FolderId,
    pub shown: Vec<String>,
}

#[derive(Debug, Default)]
pub struct RemoteTree {
    pub dirs: BTreeMap<KeyPath, RemoteDir>,
    /// Every copy of a name (the service allows several files of one name in a folder).
    pub files: BTreeMap<KeyPath, Vec<RemoteEntry>>,
    pub pinned: HashSet<KeyPath>,
    pub protected: HashSet<KeyPath>,
    pub excluded: usize,
    pub skipped: Vec<(String, String)>,
}

impl RemoteTree {
    /// An empty tree rooted at `root` (a folder just made, or none yet in a dry run).
    pub fn empty(root: Option<FolderId>) -> RemoteTree {
        let mut tree = RemoteTree::default();
        if let Some(id) = root {
            tree.dirs.insert(
                Vec::new(),
                RemoteDir {
                    id,
                    shown: Vec::new(),
                },
            );
        }
        tree
    }
}

/// Walks the remote folder `root` through the cached resolver: one `folder/ls` and one
/// `file/ls` per folder, a few at a time; excluded folders are not entered.
pub async fn walk_remote(
    fs: &RemoteFs,
    root: FolderId,
    direction: Direction,
    excludes: &Excludes,
) -> crate::api::Result<RemoteTree> {
    let mut tree = RemoteTree::empty(Some(root));
    let mut seen = HashSet::from([root]);
    let mut pending = FuturesUnordered::new();
    let list = |id: FolderId, shown: Vec<String>, keys: KeyPath| async move {
        (fs.folder(id).await, shown, keys)
    };
    pending.push(list(root, Vec::new(), KeyPath::new()));
    let mut queue = Vec::new();
    while let Some((listing, shown, keys)) = pending.next().await {
        let contents = listing?;
        for sub in &contents.folders {
            let mut sub_shown = shown.clone();
            sub_shown.push(direction.remote_shown(&sub.name));
            let mut sub_keys = keys.clone();
            sub_keys.push(direction.remote_key(&sub.name));
            if excludes.excludes(&sub_shown, true) {
                tree.excluded += 1;
                pin(&mut tree.pinned, &keys);
                continue;
            }
            if tree.dirs.contains_key(&sub_keys) || !seen.insert(sub.id) {
                tree.skipped.push((
                    sub_shown.join("/"),
                    "another folder here has the same name".into(),
                ));
                pin(&mut tree.pinned, &keys);
                tree.protected.insert(sub_keys);
                continue;
            }
            tree.dirs.insert(
                sub_keys.clone(),
                RemoteDir {
                    id: sub.id,
                    shown: sub_shown.clone(),
                },
            );
            queue.push((sub.id, sub_shown, sub_keys));
        }
        for file in &contents.files {
            let mut file_shown = shown.clone();
            file_shown.push(direction.remote_shown(&file.filename));
            if excludes.excludes(&file_shown, false) {
                tree.excluded += 1;
                pin(&mut tree.pinned, &keys);
                continue;
            }
            let mut file_keys = keys.clone();
            file_keys.push(direction.remote_key(&file.filename));
            tree.files.entry(file_keys).or_default().push(RemoteEntry {
                file: file.clone(),
                folder: contents.id,
                shown: file_shown,
            });
        }
        while pending.len() < LISTINGS_AT_ONCE {
            let Some((id, s, k)) = queue.pop() else { break };
            pending.push(list(id, s, k));
        }
    }
    Ok(tree)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(path: &str) -> KeyPath {
        path.split('/').map(str::to_string).collect()
    }

    #[test]
    fn local_walk_keys_excludes_and_pins() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("src");
        std::fs::create_dir_all(root.join("a/tmp")).unwrap();
        std::fs::create_dir_all(root.join("b")).unwrap();
        std::fs::write(root.join("it's.txt"), b"1").unwrap();
        std::fs::write(root.join("a/x.o"), b"2").unwrap();
        std::fs::write(root.join("a/keep"), b"3").unwrap();
        std::fs::write(root.join("a/tmp/junk"), b"4").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(&root, root.join("b/loop")).unwrap();
        let ex = Excludes::new(&["*.o".into(), "tmp/".into()]).unwrap();

        let up = walk_local(&root, Direction::Up, &ex).unwrap();
        assert!(
            up.files.contains_key(&keys("it\u{FF07}s.txt")),
            "service form"
        );
        assert_eq!(up.files[&keys("it\u{FF07}s.txt")].names, ["it's.txt"]);
        assert!(up.files.contains_key(&keys("a/keep")));
        assert!(!up.files.contains_key(&keys("a/x.o")));
        assert!(!up.dirs.contains_key(&keys("a/tmp")));
        assert_eq!(up.excluded, 2);
        assert!(up.pinned.contains(&keys("a")) && up.pinned.contains(&Vec::new()));
        #[cfg(unix)]
        assert!(
            up.pinned.contains(&keys("b")),
            "the link not followed stays"
        );
        assert_eq!(up.files[&keys("a/keep")].stamp.size, 1);

        let down = walk_local(&root, Direction::Down, &ex).unwrap();
        assert!(down.files.contains_key(&keys("it's.txt")), "local form");

        let missing = walk_local(&dir.path().join("nope"), Direction::Up, &ex).unwrap();
        assert!(missing.dirs.is_empty() && missing.files.is_empty());
        std::fs::write(dir.path().join("plain"), b"x").unwrap();
        assert!(walk_local(&dir.path().join("plain"), Direction::Up, &ex).is_err());
    }

    #[test]
    fn names_are_compared_in_the_destination_form() {
        assert_eq!(Direction::Up.local_key("a'b"), "a\u{FF07}b");
        assert_eq!(Direction::Up.remote_key("a\u{FF07}b"), "a\u{FF07}b");
        assert_eq!(Direction::Down.remote_key("a\u{FF07}b"), "a'b");
        assert_eq!(Direction::Down.remote_key("../x"), ".._x");
        assert_eq!(Direction::Up.remote_shown("a\u{FF07}b"), "a'b");
    }
}
