//! The remote tree: a cache of folder listings (sub-folders and files), paths to folder ids, and
//! invalidation. The service asks for no more than one listing of a folder per 30 s, so a cached
//! folder costs no call until an operation or the user invalidates it.

mod path;
#[cfg(test)]
mod tests;

use crate::api::{ApiError, Client, FileUrl, FolderId, RemoteFile, Result, SubFolder};
use crate::sanitize::{for_terminal, from_service_name, to_service_name};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use thiserror::Error;

/// A folder's listing: its sub-folders and its files. Names are as the service stores them: show
/// them through `sanitize::from_service_name` (and `for_terminal`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderContents {
    pub id: FolderId,
    pub name: String,
    pub folders: Vec<SubFolder>,
    pub files: Vec<RemoteFile>,
}

/// What a path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `name` as the service stores it; `/` for the root.
    Folder {
        id: FolderId,
        name: String,
    },
    File(RemoteFile),
}

#[derive(Debug, Error)]
pub enum ResolveError {
    #[error("not found on 1fichier: no `{}` in {}", for_terminal(.missing), for_terminal(.parent))]
    NotFound {
        path: String,
        missing: String,
        parent: String,
    },
    #[error("{} names {} entries of the same name: {}; use a file's URL to pick one",
        for_terminal(.path), .candidates.len(), for_terminal(&.candidates.join(", ")))]
    Ambiguous {
        path: String,
        candidates: Vec<String>,
    },
    #[error("{} is a file, not a folder", for_terminal(.path))]
    NotAFolder { path: String },
    #[error(transparent)]
    Api(#[from] ApiError),
}

/// One folder's place in the cache. `epoch` grows at each invalidation, so a listing that was
/// asked for before a change is not stored over it.
#[derive(Default)]
struct Slot {
    contents: Option<Arc<FolderContents>>,
    epoch: u64,
}

#[derive(Default)]
struct Cache {
    slots: Mutex<HashMap<FolderId, Slot>>,
    /// One listing of a folder at a time: a second caller waits and takes the first one's result.
    loading: Mutex<HashMap<FolderId, Arc<tokio::sync::Mutex<()>>>>,
    /// `mkdir_p` runs one at a time, so two of them never create the same folder twice.
    mkdir: tokio::sync::Mutex<()>,
}

/// The remote tree over a client. Cheap to clone; clones share the cache.
#[derive(Clone)]
pub struct RemoteFs {
    client: Client,
    cache: Arc<Cache>,
}

impl std::fmt::Debug for RemoteFs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteFs")
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Whether a name from the service is the name the user typed.
fn same_name(service: &str, user: &str) -> bool {
    from_service_name(service) == user
}

impl RemoteFs {
    pub fn new(client: Client) -> Self {
        RemoteFs {
            client,
            cache: Arc::default(),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The cached listing, if there is one; never calls the service.
    pub fn peek(&self, id: FolderId) -> Option<Arc<FolderContents>> {
        lock(&self.cache.slots)
            .get(&id)
            .and_then(|s| s.contents.clone())
    }

    /// A folder's listing, from the cache when it holds one.
    pub async fn folder(&self, id: FolderId) -> Result<Arc<FolderContents>> {
        if let Some(c) = self.peek(id) {
            return Ok(c);
        }
        let gate = self.loading_gate(id);
        let _turn = gate.lock().await;
        // Whoever held the gate before us may have just listed it.
        if let Some(c) = self.peek(id) {
            return Ok(c);
        }
        let result = self.fetch(id).await;
        self.release_gate(id, &gate);
        result
    }

    /// A fresh listing, whatever the cache holds.
    pub async fn refresh(&self, id: FolderId) -> Result<Arc<FolderContents>> {
        let gate = self.loading_gate(id);
        let _turn = gate.lock().await;
        let result = self.fetch(id).await;
        self.release_gate(id, &gate);
        result
    }

    /// Forgets a folder's listing (after an operation changed it).
    pub fn invalidate(&self, id: FolderId) {
        let mut slots = lock(&self.cache.slots);
        let slot = slots.entry(id).or_default();
        slot.contents = None;
        slot.epoch += 1;
    }

    /// Forgets every listing.
    pub fn invalidate_all(&self) {
        for slot in lock(&self.cache.slots).values_mut() {
            slot.contents = None;
            slot.epoch += 1;
        }
    }

    fn loading_gate(&self, id: FolderId) -> Arc<tokio::sync::Mutex<()>> {
        Arc::clone(lock(&self.cache.loading).entry(id).or_default())
    }

    /// Drops the folder's gate once nobody else waits on it, so the map does not grow forever.
    fn release_gate(&self, id: FolderId, gate: &Arc<tokio::sync::Mutex<()>>) {
        let mut loading = lock(&self.cache.loading);
        // Ours and the map's: nobody else holds or waits for it.
        if Arc::strong_count(gate) == 2 {
            loading.remove(&id);
        }
    }

    async fn fetch(&self, id: FolderId) -> Result<Arc<FolderContents>> {
        let epoch = lock(&self.cache.slots).get(&id).map_or(0, |s| s.epoch);
        let (listing, files) =
            tokio::try_join!(self.client.folder_ls(id), self.client.file_ls(id))?;
        let contents = Arc::new(FolderContents {
            id,
            name: listing.name,
            folders: listing.sub_folders,
            files,
        });
        let mut slots = lock(&self.cache.slots);
        let slot = slots.entry(id).or_default();
        if slot.epoch == epoch {
            slot.contents = Some(Arc::clone(&contents));
        }
        Ok(contents)
    }

    /// Records a folder we just created, in its parent's listing and as an empty listing of its
    /// own, so walking into it costs no call.
    fn record_new_folder(&self, parent: FolderId, folder: SubFolder) {
        let mut slots = lock(&self.cache.slots);
        let slot = slots.entry(parent).or_default();
        slot.epoch += 1;
        if let Some(old) = slot.contents.take() {
            let mut updated = (*old).clone();
            updated.folders.push(folder.clone());
            slot.contents = Some(Arc::new(updated));
        }
        let own = slots.entry(folder.id).or_default();
        own.epoch += 1;
        own.contents = Some(Arc::new(FolderContents {
            id: folder.id,
            name: folder.name,
            folders: Vec::new(),
            files: Vec::new(),
        }));
    }

    /// The sub-folder of `parent` named `name` (the user's name), if any.
    async fn child(
        &self,
        parent: FolderId,
        name: &str,
        path: &str,
    ) -> Result<Option<SubFolder>, ResolveError> {
        let contents = self.folder(parent).await?;
        let mut found = contents.folders.iter().filter(|f| same_name(&f.name, name));
        let Some(first) = found.next() else {
            return Ok(None);
        };
        let rest: Vec<&SubFolder> = found.collect();
        if !rest.is_empty() {
            let candidates = std::iter::once(first)
                .chain(rest)
                .map(|f| format!("folder {}", f.id))
                .collect();
            return Err(ResolveError::Ambiguous {
                path: path.to_string(),
                candidates,
            });
        }
        Ok(Some(first.clone()))
    }

    /// Walks the folders named by `names` from the root.
    async fn walk(&self, names: &[&str], path: &str) -> Result<FolderId, ResolveError> {
        let mut current = FolderId::ROOT;
        for (i, name) in names.iter().enumerate() {
            match self.child(current, name, path).await? {
                Some(f) => current = f.id,
                None => {
                    return Err(ResolveError::NotFound {
                        path: path.to_string(),
                        missing: name.to_string(),
                        parent: path::display(&names[..i]),
                    });
                }
            }
        }
        Ok(current)
    }

    /// What a path names: `/a/b/c.txt`, `a/b`, `/`, `a/b/` (a folder only), or a file's URL.
    /// Two entries of the same name are an error that lists them.
    pub async fn resolve(&self, path: &str) -> Result<Target, ResolveError> {
        if path::is_url(path) {
            let file = self
                .client
                .file_info(&FileUrl(path.trim().to_string()))
                .await?;
            return Ok(Target::File(file));
        }
        let parsed = path::parse(path);
        let Some((last, parents)) = parsed.components.split_last() else {
            return Ok(Target::Folder {
                id: FolderId::ROOT,
                name: "/".into(),
            });
        };
        let parent = self.walk(parents, path).await?;
        let contents = self.folder(parent).await?;
        let folders: Vec<&SubFolder> = contents
            .folders
            .iter()
            .filter(|f| same_name(&f.name, last))
            .collect();
        let files: Vec<&RemoteFile> = if parsed.folder_only {
            Vec::new()
        } else {
            contents
                .files
                .iter()
                .filter(|f| same_name(&f.filename, last))
                .collect()
        };
        match (folders.as_slice(), files.as_slice()) {
            ([], []) => Err(ResolveError::NotFound {
                path: path.to_string(),
                missing: last.to_string(),
                parent: path::display(parents),
            }),
            ([folder], []) => Ok(Target::Folder {
                id: folder.id,
                name: folder.name.clone(),
            }),
            ([], [file]) => Ok(Target::File((*file).clone())),
            _ => {
                let candidates = folders
                    .iter()
                    .map(|f| format!("folder {}", f.id))
                    .chain(files.iter().map(|f| f.url.to_string()))
                    .collect();
                Err(ResolveError::Ambiguous {
                    path: path.to_string(),
                    candidates,
                })
            }
        }
    }

    /// The folder a path names; a file is an error.
    pub async fn resolve_folder(&self, path: &str) -> Result<FolderId, ResolveError> {
        if path::is_url(path) {
            return Err(ResolveError::NotAFolder {
                path: path.to_string(),
            });
        }
        let parsed = path::parse(path);
        // A folder wins over a file of the same name here: only a folder can answer.
        let folder_path = if parsed.folder_only {
            path.to_string()
        } else {
            format!("{path}/")
        };
        match self.resolve(&folder_path).await {
            Ok(Target::Folder { id, .. }) => Ok(id),
            Ok(Target::File(_)) => Err(ResolveError::NotAFolder {
                path: path.to_string(),
            }),
            Err(ResolveError::NotFound {
                missing, parent, ..
            }) => {
                // Say so when the name is a file rather than nothing at all.
                if matches!(self.resolve(path).await, Ok(Target::File(_))) {
                    Err(ResolveError::NotAFolder {
                        path: path.to_string(),
                    })
                } else {
                    Err(ResolveError::NotFound {
                        path: path.to_string(),
                        missing,
                        parent,
                    })
                }
            }
            Err(e) => Err(e),
        }
    }

    /// The folder a path names, creating every missing folder on the way (like `mkdir -p`).
    pub async fn mkdir_p(&self, path: &str) -> Result<FolderId, ResolveError> {
        if path::is_url(path) {
            return Err(ResolveError::NotAFolder {
                path: path.to_string(),
            });
        }
        let _one_at_a_time = self.cache.mkdir.lock().await;
        let parsed = path::parse(path);
        let mut current = FolderId::ROOT;
        for name in &parsed.components {
            current = match self.child(current, name, path).await? {
                Some(f) => f.id,
                None => {
                    let id = self.client.mkdir(current, name).await?;
                    let created = SubFolder {
                        id,
                        name: to_service_name(name),
                        create_date: None,
                        pass: false,
                    };
                    self.record_new_folder(current, created);
                    id
                }
            };
        }
        Ok(current)
    }
}
