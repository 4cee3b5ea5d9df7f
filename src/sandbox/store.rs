//! The account's content: the folder tree and the files, with the service's rules for changing
//! them (names, duplicates, moves, copies, renames). Plain data behind one mutex, no I/O.

use super::body::StoredBody;
use super::download::Token;
use super::remote::RemoteJob;
use super::reply::Ko;
use super::upload::UploadSlot;
use super::util::{self, ID_LEN, URL_PREFIX};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Instant;

pub(crate) const ROOT: u64 = 0;

pub(crate) struct Folder {
    pub name: String,
    pub parent: Option<u64>,
    pub created: String,
    /// Sub folders by id, so in creation order.
    pub subfolders: BTreeSet<u64>,
    /// Files by insertion sequence, so in upload order.
    pub files: BTreeMap<u64, String>,
}

pub(crate) struct FileEntry {
    pub id: String,
    pub name: String,
    pub folder: u64,
    seq: u64,
    pub date: String,
    pub body: Arc<StoredBody>,
}

impl FileEntry {
    pub fn url(&self) -> String {
        format!("{URL_PREFIX}{}", self.id)
    }
}

pub(crate) struct Store {
    folders: HashMap<u64, Folder>,
    next_folder: u64,
    files: HashMap<String, FileEntry>,
    next_seq: u64,
    used_bytes: u64,
    rng: fastrand::Rng,
    pub uploads: HashMap<String, UploadSlot>,
    pub tokens: HashMap<String, Token>,
    pub jobs: BTreeMap<u64, RemoteJob>,
    pub next_job: u64,
    pub last_user_info: Option<Instant>,
}

impl Store {
    /// An empty account; `rng` draws the file ids (seeded for a stable demo).
    pub fn new(rng: fastrand::Rng) -> Self {
        let root = Folder {
            name: String::new(),
            parent: None,
            created: util::now_date(),
            subfolders: BTreeSet::new(),
            files: BTreeMap::new(),
        };
        Store {
            folders: HashMap::from([(ROOT, root)]),
            next_folder: 1,
            files: HashMap::new(),
            next_seq: 0,
            used_bytes: 0,
            rng,
            uploads: HashMap::new(),
            tokens: HashMap::new(),
            jobs: BTreeMap::new(),
            next_job: 1,
            last_user_info: None,
        }
    }

    pub fn rng(&mut self) -> &mut fastrand::Rng {
        &mut self.rng
    }

    pub fn folder(&self, id: u64) -> Option<&Folder> {
        self.folders.get(&id)
    }

    /// A folder id from the request, `#469` when there is no such folder.
    pub fn existing_folder(&self, id: i64) -> Result<u64, Ko> {
        u64::try_from(id)
            .ok()
            .filter(|id| self.folders.contains_key(id))
            .ok_or_else(Ko::not_found)
    }

    pub fn used_bytes(&self) -> u64 {
        self.used_bytes
    }

    /// A folder, whatever its name (the seed and test helpers use this directly).
    pub fn insert_folder(&mut self, parent: u64, name: &str, created: String) -> Option<u64> {
        let id = self.next_folder;
        self.folders.get_mut(&parent)?.subfolders.insert(id);
        self.next_folder += 1;
        self.folders.insert(
            id,
            Folder {
                name: name.to_string(),
                parent: Some(parent),
                created,
                subfolders: BTreeSet::new(),
                files: BTreeMap::new(),
            },
        );
        Some(id)
    }

    fn sub_folder_named(&self, parent: u64, name: &str) -> Option<u64> {
        self.folders
            .get(&parent)?
            .subfolders
            .iter()
            .copied()
            .find(|id| {
                self.folders
                    .get(id)
                    .is_some_and(|folder| folder.name == name)
            })
    }

    /// `folder/mkdir.cgi`: the service's rules on names apply, and a folder may not hold two
    /// sub folders of the same name.
    pub fn mkdir(&mut self, parent: i64, name: &str) -> Result<u64, Ko> {
        let parent = self.existing_folder(parent)?;
        if let Some(problem) = util::name_problem(name) {
            return Err(Ko::forbidden(problem));
        }
        if self.sub_folder_named(parent, name).is_some() {
            return Err(Ko::forbidden("A folder with this name already exists"));
        }
        self.insert_folder(parent, name, util::now_date())
            .ok_or_else(Ko::not_found)
    }

    /// `folder/rm.cgi`: only an empty folder other than the root.
    pub fn rmdir(&mut self, id: i64) -> Result<(), Ko> {
        let id = self.existing_folder(id)?;
        if id == ROOT {
            return Err(Ko::forbidden("The root folder cannot be removed"));
        }
        let folder = &self.folders[&id];
        if !folder.subfolders.is_empty() || !folder.files.is_empty() {
            return Err(Ko::forbidden("Folder is not empty"));
        }
        if let Some(parent) = folder.parent.and_then(|p| self.folders.get_mut(&p)) {
            parent.subfolders.remove(&id);
        }
        self.folders.remove(&id);
        Ok(())
    }

    /// `folder/mv.cgi`, with an optional new name.
    pub fn move_folder(&mut self, id: i64, dest: i64, rename: Option<&str>) -> Result<(), Ko> {
        let id = self.existing_folder(id)?;
        let dest = self.existing_folder(dest)?;
        if id == ROOT {
            return Err(Ko::forbidden("The root folder cannot be moved"));
        }
        if self.is_inside(dest, id) {
            return Err(Ko::forbidden("A folder cannot be moved into itself"));
        }
        if let Some(problem) = rename.and_then(util::name_problem) {
            return Err(Ko::forbidden(problem));
        }
        let name = rename.map_or_else(|| self.folders[&id].name.clone(), str::to_string);
        if self
            .sub_folder_named(dest, &name)
            .is_some_and(|other| other != id)
        {
            return Err(Ko::forbidden("A folder with this name already exists"));
        }
        let old_parent = self.folders[&id].parent;
        if let Some(parent) = old_parent.and_then(|p| self.folders.get_mut(&p)) {
            parent.subfolders.remove(&id);
        }
        if let Some(dest_folder) = self.folders.get_mut(&dest) {
            dest_folder.subfolders.insert(id);
        }
        if let Some(folder) = self.folders.get_mut(&id) {
            folder.parent = Some(dest);
            folder.name = name;
        }
        Ok(())
    }

    /// Whether `folder` is `ancestor` or lies below it.
    fn is_inside(&self, mut folder: u64, ancestor: u64) -> bool {
        loop {
            if folder == ancestor {
                return true;
            }
            match self.folders.get(&folder).and_then(|f| f.parent) {
                Some(parent) => folder = parent,
                None => return false,
            }
        }
    }

    /// The folder at a path of names such as "/a/b" (the first match at each level).
    pub fn find_folder(&self, path: &str) -> Option<u64> {
        path.split('/')
            .filter(|part| !part.is_empty())
            .try_fold(ROOT, |at, part| self.sub_folder_named(at, part))
    }

    /// A file in `folder`, whatever its name; returns its id.
    pub fn insert_file(
        &mut self,
        folder: u64,
        name: &str,
        body: Arc<StoredBody>,
        date: String,
    ) -> Option<String> {
        if !self.folders.contains_key(&folder) {
            return None;
        }
        let id = loop {
            let id = util::random_alnum(&mut self.rng, ID_LEN);
            if !self.files.contains_key(&id) {
                break id;
            }
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        self.used_bytes += body.len;
        self.folders.get_mut(&folder)?.files.insert(seq, id.clone());
        self.files.insert(
            id.clone(),
            FileEntry {
                id: id.clone(),
                name: name.to_string(),
                folder,
                seq,
                date,
                body,
            },
        );
        Some(id)
    }

    pub fn file(&self, id: &str) -> Option<&FileEntry> {
        self.files.get(id)
    }

    /// The file a URL names, `#469` when it names none of this account's files.
    pub fn file_by_url(&self, url: &str) -> Result<&FileEntry, Ko> {
        util::file_id_from_url(url)
            .and_then(|id| self.files.get(id))
            .ok_or_else(Ko::not_found)
    }

    /// The files of a folder, in upload order.
    pub fn files_in(&self, folder: u64) -> impl Iterator<Item = &FileEntry> {
        self.folders
            .get(&folder)
            .into_iter()
            .flat_map(|f| f.files.values())
            .filter_map(|id| self.files.get(id))
    }

    /// Every file of the account, folder by folder.
    pub fn all_files(&self) -> Vec<&FileEntry> {
        let mut all: Vec<&FileEntry> = self.files.values().collect();
        all.sort_by_key(|f| (f.folder, f.seq));
        all
    }

    pub fn remove_file(&mut self, id: &str) -> bool {
        let Some(file) = self.files.remove(id) else {
            return false;
        };
        if let Some(folder) = self.folders.get_mut(&file.folder) {
            folder.files.remove(&file.seq);
        }
        self.used_bytes -= file.body.len;
        true
    }

    /// Moves a file to another folder, where it goes last.
    pub fn move_file(&mut self, id: &str, dest: u64) {
        if !self.folders.contains_key(&dest) {
            return;
        }
        let seq = self.next_seq;
        let Some(file) = self.files.get_mut(id) else {
            return;
        };
        if file.folder == dest {
            return;
        }
        self.next_seq += 1;
        if let Some(folder) = self.folders.get_mut(&file.folder) {
            folder.files.remove(&file.seq);
        }
        file.folder = dest;
        file.seq = seq;
        if let Some(folder) = self.folders.get_mut(&dest) {
            folder.files.insert(seq, id.to_string());
        }
    }

    pub fn rename_file(&mut self, id: &str, name: &str) {
        if let Some(file) = self.files.get_mut(id) {
            file.name = name.to_string();
        }
    }

    /// The names below a folder: (sub folders, files).
    pub fn list_names(&self, folder: u64) -> (Vec<String>, Vec<String>) {
        let Some(f) = self.folders.get(&folder) else {
            return (Vec::new(), Vec::new());
        };
        let subs = f
            .subfolders
            .iter()
            .filter_map(|id| self.folders.get(id))
            .map(|sub| sub.name.clone())
            .collect();
        let files = self
            .files_in(folder)
            .map(|file| file.name.clone())
            .collect();
        (subs, files)
    }

    /// Every body held, for the background checksum thread.
    pub fn bodies(&self) -> Vec<Arc<StoredBody>> {
        self.files.values().map(|f| f.body.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Store {
        Store::new(fastrand::Rng::with_seed(1))
    }

    #[test]
    fn folders_follow_the_rules() {
        let mut s = store();
        let a = s.mkdir(0, "a").unwrap();
        let b = s.mkdir(a as i64, "b").unwrap();
        assert!(s.mkdir(0, "a").is_err(), "duplicate name");
        assert!(s.mkdir(0, "x/y").is_err());
        assert!(s.mkdir(0, " lead").is_err());
        assert_eq!(s.mkdir(99, "z").unwrap_err().http.as_u16(), 404);
        assert_eq!(s.find_folder("/a/b"), Some(b));
        assert_eq!(s.find_folder("/"), Some(ROOT));
        assert!(s.rmdir(a as i64).is_err(), "not empty");
        assert!(s.rmdir(0).is_err(), "root");
        assert!(
            s.move_folder(a as i64, b as i64, None).is_err(),
            "into itself"
        );
        s.move_folder(b as i64, 0, Some("c")).unwrap();
        assert_eq!(s.find_folder("/c"), Some(b));
        assert!(s.move_folder(b as i64, 0, Some("a")).is_err(), "name taken");
        s.rmdir(a as i64).unwrap();
        assert_eq!(s.list_names(0).0, vec!["c".to_string()]);
    }

    #[test]
    fn files_keep_order_and_bytes_count() {
        let mut s = store();
        let a = s.mkdir(0, "a").unwrap();
        let f1 = s
            .insert_file(0, "same", StoredBody::memory(&b"12"[..]), util::now_date())
            .unwrap();
        let f2 = s
            .insert_file(0, "same", StoredBody::memory(&b"345"[..]), util::now_date())
            .unwrap();
        assert_ne!(f1, f2);
        assert_eq!(s.used_bytes(), 5);
        s.move_file(&f1, a);
        assert_eq!(s.list_names(0).1, vec!["same".to_string()]);
        assert_eq!(s.list_names(a).1, vec!["same".to_string()]);
        let url = s.file(&f2).unwrap().url();
        assert_eq!(s.file_by_url(&url).unwrap().id, f2);
        assert!(s.remove_file(&f2));
        assert!(!s.remove_file(&f2));
        assert_eq!(s.used_bytes(), 2);
    }
}
