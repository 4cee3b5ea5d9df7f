//! Folder jobs expand into file jobs. An upload of a folder creates the remote tree (reusing a
//! folder of the same name, so a restarted expansion repeats nothing) and lists the local files;
//! a download of a folder lists the remote tree and creates local folders with safe names. The
//! scheduler journals the file jobs and the folder job's end in one write.

use super::conflict::first_free;
use super::paths::{ensure_real_dir, is_inside, part_name, safe_child};
use super::queue::Phase;
use super::worker::{JobCtx, Outcome};
use super::{Changed, JobKind};
use crate::api::{FolderId, SubFolder};
use crate::sanitize::{from_service_name, local_file_name};
use std::collections::{HashMap, HashSet, VecDeque};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// A local folder to mirror: its path from the root (names), and its files.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct LocalDir {
    pub rel: Vec<String>,
    pub files: Vec<(PathBuf, String)>,
}

/// The tree under `root`, parents before children, names sorted. Links to folders are not
/// followed (a loop would never end); links to files are sent as the file they point to.
pub(crate) fn walk(root: &Path) -> std::io::Result<(Vec<LocalDir>, Vec<String>)> {
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    let mut todo = VecDeque::from([(root.to_path_buf(), Vec::<String>::new())]);
    while let Some((dir, rel)) = todo.pop_front() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if rel.is_empty() => return Err(e),
            Err(e) => {
                skipped.push(format!("{}: {e}", dir.display()));
                continue;
            }
        };
        let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
        entries.sort_by_key(|e| e.file_name());
        let mut here = LocalDir {
            rel: rel.clone(),
            files: Vec::new(),
        };
        for entry in entries {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                let mut sub = rel.clone();
                sub.push(name);
                todo.push_back((path, sub));
            } else if kind.is_file() {
                here.files.push((path, name));
            } else if kind.is_symlink() {
                match std::fs::metadata(&path) {
                    Ok(m) if m.is_file() => here.files.push((path, name)),
                    _ => skipped.push(format!(
                        "{}: a link to a folder or to nothing, not followed",
                        path.display()
                    )),
                }
            } else {
                skipped.push(format!("{}: not a regular file", path.display()));
            }
        }
        out.push(here);
    }
    Ok((out, skipped))
}

pub(crate) async fn upload_dir(ctx: &mut JobCtx, local: &Path, parent: FolderId) -> Outcome {
    ctx.phase(Phase::Preparing);
    let Some(root_name) = local.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return Outcome::failed(format!(
            "{} has no folder name to give on 1fichier",
            local.display()
        ));
    };
    let root = local.to_path_buf();
    let walked = match ctx
        .cancellable(tokio::task::spawn_blocking(move || walk(&root)))
        .await
    {
        None => return Outcome::Interrupted,
        Some(Ok(Ok(w))) => w,
        Some(Ok(Err(e))) => {
            return Outcome::failed(format!("cannot read the folder {}: {e}", local.display()));
        }
        Some(Err(e)) => return Outcome::failed(format!("reading {} failed: {e}", local.display())),
    };
    let (dirs, skipped) = walked;
    for s in &skipped {
        tracing::warn!("upload of {}: skipped {s}", local.display());
    }

    let mut maker = RemoteTree::default();
    let mut ids: HashMap<Vec<String>, FolderId> = HashMap::new();
    let mut children = Vec::new();
    for dir in &dirs {
        let id = match dir.rel.split_last() {
            None => maker.find_or_make(ctx, parent, &root_name).await,
            Some((name, up)) => match ids.get(up) {
                Some(&p) => maker.find_or_make(ctx, p, name).await,
                None => continue, // its parent could not be made
            },
        };
        let id = match id {
            Ok(id) => id,
            Err(outcome) => return outcome,
        };
        ids.insert(dir.rel.clone(), id);
        for (path, name) in &dir.files {
            children.push(JobKind::Upload {
                local: path.clone(),
                folder: id,
                remote_name: name.clone(),
            });
        }
    }
    let mut result = format!("{} files in {} folders queued", children.len(), dirs.len());
    if !skipped.is_empty() {
        result.push_str(&format!("; {} items skipped (see the log)", skipped.len()));
    }
    Outcome::Expanded {
        children,
        result,
        changed: Changed::Remote(parent),
    }
}

/// Remote folders found or made during one expansion.
#[derive(Default)]
struct RemoteTree {
    listed: HashMap<FolderId, Vec<SubFolder>>,
    /// Made by us just now: known empty, no need to list them.
    made: HashSet<FolderId>,
}

impl RemoteTree {
    async fn find_or_make(
        &mut self,
        ctx: &JobCtx,
        parent: FolderId,
        name: &str,
    ) -> Result<FolderId, Outcome> {
        if !self.made.contains(&parent) && !self.listed.contains_key(&parent) {
            let listing = ctx
                .call("listing a remote folder", || ctx.client().folder_ls(parent))
                .await?;
            self.listed.insert(parent, listing.sub_folders);
        }
        if let Some(found) = self.listed.get(&parent).and_then(|subs| {
            subs.iter()
                .find(|s| s.name == name || from_service_name(&s.name) == name)
        }) {
            return Ok(found.id);
        }
        let what = format!("creating the folder {name}");
        let id = ctx.call(&what, || ctx.client().mkdir(parent, name)).await?;
        self.made.insert(id);
        Ok(id)
    }
}

pub(crate) async fn download_dir(
    ctx: &mut JobCtx,
    folder: FolderId,
    name: &str,
    local_parent: &Path,
) -> Outcome {
    ctx.phase(Phase::Preparing);
    if !local_parent.is_dir() {
        return Outcome::failed(format!(
            "{} is not a folder (or no longer exists)",
            local_parent.display()
        ));
    }
    let root = safe_child(local_parent, name);
    if let Err(e) = ensure_real_dir(&root) {
        return Outcome::failed(format!("cannot create {}: {e}", root.display()));
    }
    let mut children = Vec::new();
    let mut folders = 0usize;
    let mut seen = HashSet::new();
    let mut todo = VecDeque::from([(folder, root.clone())]);
    while let Some((id, dir)) = todo.pop_front() {
        if !seen.insert(id) {
            continue;
        }
        folders += 1;
        let listing = match ctx
            .call("listing a remote folder", || ctx.client().folder_ls(id))
            .await
        {
            Ok(l) => l,
            Err(outcome) => return outcome,
        };
        let files = match ctx
            .call("listing a remote folder's files", || {
                ctx.client().file_ls(id)
            })
            .await
        {
            Ok(f) => f,
            Err(outcome) => return outcome,
        };
        // One local entry per remote entry: names that become alike once made safe get numbers.
        let mut taken = HashSet::new();
        for file in files {
            let dest = dir.join(unique_name(&mut taken, &file.filename));
            if !is_inside(&root, &dest) {
                return Outcome::failed(format!(
                    "refusing {}: it would land outside {}",
                    file.filename,
                    root.display()
                ));
            }
            children.push(JobKind::Download {
                url: file.url,
                local: dest,
                size: file.size,
                checksum: file.checksum,
            });
        }
        for sub in listing.sub_folders {
            let path = dir.join(unique_name(&mut taken, &sub.name));
            if !is_inside(&root, &path) {
                return Outcome::failed(format!(
                    "refusing {}: it would land outside {}",
                    sub.name,
                    root.display()
                ));
            }
            if let Err(e) = ensure_real_dir(&path) {
                return Outcome::failed(format!("cannot create {}: {e}", path.display()));
            }
            todo.push_back((sub.id, path));
        }
    }
    let result = format!(
        "{} files in {folders} folders queued into {}",
        children.len(),
        root.display()
    );
    Outcome::Expanded {
        children,
        result,
        changed: Changed::Local(local_parent.to_path_buf()),
    }
}

/// The safe local name of a remote entry, numbered (`name (1).ext`) when an entry before it in
/// the same folder took that name: the service allows two files of one name, and `a/b` and `a_b`,
/// or a file `.` and a folder `..`, are alike once made safe. A name and its partial download's
/// name count as one: a file `x.part` and a file `x` must not share `x.part` on disk.
fn unique_name(taken: &mut HashSet<String>, remote: &str) -> String {
    let part = |n: &str| part_name(OsStr::new(n)).to_string_lossy().into_owned();
    let clash = |n: &str, taken: &HashSet<String>| taken.contains(n) || taken.contains(&part(n));
    let mut name = local_file_name(remote);
    if clash(&name, taken) {
        name = first_free(&name, |c| clash(c, taken));
    }
    taken.insert(part(&name));
    taken.insert(name.clone());
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_alike_once_safe_are_numbered() {
        let mut taken = HashSet::new();
        let names: Vec<String> = [
            "a/b", "a_b", "r.pdf", "r.pdf", ".", "..", "x.part", "x", "y", "y.part",
        ]
        .iter()
        .map(|n| unique_name(&mut taken, n))
        .collect();
        assert_eq!(
            names,
            vec![
                "a_b",
                "a_b (1)",
                "r.pdf",
                "r (1).pdf",
                "_",
                "_ (1)",
                "x.part",
                "x (1)",
                "y",
                "y (1).part"
            ]
        );
    }

    #[test]
    fn walk_lists_parents_first_and_skips_folder_links() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("top");
        std::fs::create_dir_all(root.join("b/c")).unwrap();
        std::fs::create_dir_all(root.join("a")).unwrap();
        std::fs::write(root.join("z.txt"), b"1").unwrap();
        std::fs::write(root.join("a/x"), b"2").unwrap();
        std::fs::write(root.join("b/c/y"), b"3").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(&root, root.join("b/loop")).unwrap();
        let (dirs, skipped) = walk(&root).unwrap();
        let rels: Vec<Vec<String>> = dirs.iter().map(|d| d.rel.clone()).collect();
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(rels, vec![s(&[]), s(&["a"]), s(&["b"]), s(&["b", "c"])]);
        assert_eq!(
            dirs[0].files,
            vec![(root.join("z.txt"), "z.txt".to_string())]
        );
        assert_eq!(dirs[3].files, vec![(root.join("b/c/y"), "y".to_string())]);
        #[cfg(unix)]
        assert_eq!(skipped.len(), 1, "{skipped:?}");
    }

    #[test]
    fn walk_of_a_missing_folder_fails() {
        let dir = tempfile::tempdir().unwrap();
        assert!(walk(&dir.path().join("nope")).is_err());
    }
}
