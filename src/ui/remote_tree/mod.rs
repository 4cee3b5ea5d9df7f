//! The right pane's state: the 1fichier folder tree, loaded lazily one folder at a time, cached,
//! flattened into rows when it changes (not per frame). Listings carry tickets: one that arrives
//! for a folder after a newer request was issued is dropped.

use super::action::RemoteListing;
use super::effect::Effect;
use super::list::ListCursor;
use super::local_pane::Filter;
use crate::api::{FileUrl, FolderId, RemoteFile};
use crate::local::SortKey;
use crate::sanitize::from_service_name;
use std::collections::{BTreeMap, HashMap, HashSet};

mod select;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Load {
    NotLoaded,
    Loading { ticket: u64 },
    Loaded,
    Failed(String),
}

#[derive(Debug, Clone)]
pub struct FolderNode {
    pub id: FolderId,
    /// The name as the service stores it (map back with `from_service_name` to show).
    pub name: String,
    pub parent: Option<FolderId>,
    pub date: Option<String>,
    pub expanded: bool,
    pub load: Load,
    /// Whether `children` and `files` hold a listing (kept while a reload is on the way).
    pub listed: bool,
    pub children: Vec<FolderId>,
    pub files: Vec<RemoteFile>,
}

impl FolderNode {
    fn new(
        id: FolderId,
        name: String,
        parent: Option<FolderId>,
        date: Option<String>,
    ) -> FolderNode {
        FolderNode {
            id,
            name,
            parent,
            date,
            expanded: false,
            load: Load::NotLoaded,
            listed: false,
            children: Vec::new(),
            files: Vec::new(),
        }
    }
    pub fn is_loading(&self) -> bool {
        matches!(self.load, Load::Loading { .. })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowItem {
    Folder(FolderId),
    /// The `index`th file of `folder`.
    File {
        folder: FolderId,
        index: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeRow {
    pub depth: usize,
    pub item: RowItem,
}

/// What a mark points at. A file is known by its URL (names repeat).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RemoteKey {
    Folder(FolderId),
    File(FileUrl),
}

/// An item an operation acts on.
#[derive(Debug, Clone, PartialEq)]
pub enum Picked {
    Folder {
        id: FolderId,
        name: String,
        parent: FolderId,
    },
    File {
        file: RemoteFile,
        folder: FolderId,
    },
}

#[derive(Debug)]
pub struct RemotePane {
    nodes: HashMap<FolderId, FolderNode>,
    rows: Vec<TreeRow>,
    pub list: ListCursor,
    marks: BTreeMap<RemoteKey, u64>,
    pub sort: SortKey,
    pub filter: Option<Filter>,
    next_ticket: u64,
    /// An item to put the cursor on when its folder's next listing arrives (name as the user
    /// wrote it).
    select_after: Option<(FolderId, String)>,
}

impl Default for RemotePane {
    fn default() -> Self {
        RemotePane::new()
    }
}

impl RemotePane {
    pub fn new() -> RemotePane {
        let mut root = FolderNode::new(FolderId::ROOT, String::new(), None, None);
        root.expanded = true;
        let mut nodes = HashMap::new();
        nodes.insert(FolderId::ROOT, root);
        let mut pane = RemotePane {
            nodes,
            rows: Vec::new(),
            list: ListCursor::default(),
            marks: BTreeMap::new(),
            sort: SortKey::Name,
            filter: None,
            next_ticket: 0,
            select_after: None,
        };
        pane.rebuild(None, 1);
        pane
    }

    pub fn node(&self, id: FolderId) -> Option<&FolderNode> {
        self.nodes.get(&id)
    }

    pub fn rows(&self) -> &[TreeRow] {
        &self.rows
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn file(&self, folder: FolderId, index: usize) -> Option<&RemoteFile> {
        self.nodes.get(&folder)?.files.get(index)
    }

    pub fn is_marked(&self, item: RowItem) -> bool {
        self.key_of(item)
            .is_some_and(|k| self.marks.contains_key(&k))
    }

    pub fn marked(&self) -> (usize, u64) {
        (self.marks.len(), self.marks.values().sum())
    }

    fn key_of(&self, item: RowItem) -> Option<RemoteKey> {
        match item {
            RowItem::Folder(id) => Some(RemoteKey::Folder(id)),
            RowItem::File { folder, index } => self
                .file(folder, index)
                .map(|f| RemoteKey::File(f.url.clone())),
        }
    }

    pub fn cursor_item(&self) -> Option<RowItem> {
        self.rows.get(self.list.cursor).map(|r| r.item)
    }

    /// The folder F5 sends to and `n` makes folders in: the folder under the cursor, or the one
    /// holding the file under the cursor.
    pub fn current_folder(&self) -> FolderId {
        match self.cursor_item() {
            Some(RowItem::Folder(id)) => id,
            Some(RowItem::File { folder, .. }) => folder,
            None => FolderId::ROOT,
        }
    }

    /// `/Backups/nas`, names as the user reads them (raw: sanitize to draw).
    pub fn path(&self, id: FolderId) -> String {
        let mut names = Vec::new();
        let mut at = Some(id);
        while let Some(node) = at.and_then(|i| self.nodes.get(&i)) {
            if node.id == FolderId::ROOT {
                break;
            }
            names.push(from_service_name(&node.name));
            at = node.parent;
        }
        if names.is_empty() {
            return "/".into();
        }
        names.reverse();
        format!("/{}", names.join("/"))
    }

    /// Finds a folder by path among those already listed: the deepest known folder and the names
    /// left to resolve below it.
    pub fn resolve_known(&self, path: &str) -> (FolderId, Vec<String>) {
        let names: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        let mut at = FolderId::ROOT;
        for (i, name) in names.iter().enumerate() {
            let child = self.nodes.get(&at).and_then(|n| {
                n.children.iter().copied().find(|c| {
                    self.nodes
                        .get(c)
                        .is_some_and(|cn| from_service_name(&cn.name) == *name)
                })
            });
            match child {
                Some(c) => at = c,
                None => return (at, names[i..].to_vec()),
            }
        }
        (at, Vec::new())
    }

    /// Asks for a listing of `folder`; an older request for it is now stale.
    pub fn request(&mut self, folder: FolderId) -> Option<Effect> {
        let node = self.nodes.get_mut(&folder)?;
        self.next_ticket += 1;
        node.load = Load::Loading {
            ticket: self.next_ticket,
        };
        Some(Effect::ListRemote {
            folder,
            ticket: self.next_ticket,
        })
    }

    /// Something changed in `folder`: an open folder is listed again now; a closed one is only
    /// marked stale and listed when it is opened (API calls are paced; spend them on what shows).
    /// Unknown folders wait until their parent is opened.
    pub fn refresh(&mut self, folder: FolderId) -> Option<Effect> {
        let node = self.nodes.get_mut(&folder)?;
        if node.expanded {
            return self.request(folder);
        }
        node.load = Load::NotLoaded;
        None
    }

    /// Takes a listing if it answers the latest request for that folder; returns an error to show.
    pub fn on_listed(
        &mut self,
        folder: FolderId,
        ticket: u64,
        result: Result<RemoteListing, String>,
        height: usize,
    ) -> Option<String> {
        let node = self.nodes.get(&folder)?;
        if node.load != (Load::Loading { ticket }) {
            return None;
        }
        let at = self.cursor_key();
        let old_children: Vec<FolderId> = node.children.clone();
        // Marks on files that left the folder go; without file marks there is nothing to check
        // (and 50,000 URLs need not be copied and hashed).
        let file_marks = self.marks.keys().any(|k| matches!(k, RemoteKey::File(_)));
        let old_urls: HashSet<FileUrl> = if file_marks {
            node.files.iter().map(|f| f.url.clone()).collect()
        } else {
            HashSet::new()
        };
        let listing = match result {
            Ok(l) => l,
            Err(e) => {
                if let Some(n) = self.nodes.get_mut(&folder) {
                    n.load = Load::Failed(e.clone());
                }
                self.rebuild(at, height);
                return Some(format!("{}: {e}", self.path(folder)));
            }
        };
        let mut children = Vec::with_capacity(listing.folder.sub_folders.len());
        for sub in listing.folder.sub_folders {
            let entry = self
                .nodes
                .entry(sub.id)
                .or_insert_with(|| FolderNode::new(sub.id, String::new(), Some(folder), None));
            entry.name = sub.name;
            entry.parent = Some(folder);
            entry.date = sub.create_date;
            children.push(sub.id);
        }
        let kept: HashSet<FolderId> = children.iter().copied().collect();
        for gone in old_children.into_iter().filter(|c| !kept.contains(c)) {
            self.forget(gone);
        }
        if file_marks {
            let new_urls: HashSet<&FileUrl> = listing.files.iter().map(|f| &f.url).collect();
            self.marks.retain(|k, _| match k {
                RemoteKey::File(u) => !old_urls.contains(u) || new_urls.contains(u),
                RemoteKey::Folder(_) => true,
            });
        }
        if let Some(node) = self.nodes.get_mut(&folder) {
            if folder != FolderId::ROOT && !listing.folder.name.is_empty() {
                node.name = listing.folder.name;
            }
            node.children = children;
            node.files = listing.files;
            node.load = Load::Loaded;
            node.listed = true;
        }
        self.sort_folder(folder);
        let at = match self.select_after.take() {
            Some((f, name)) if f == folder => self.find_named(folder, &name).or(at),
            other => {
                self.select_after = other;
                at
            }
        };
        self.rebuild(at, height);
        None
    }

    /// Puts the cursor on `name` in `folder` when that folder's next listing arrives.
    /// Only for an open folder: a closed one is listed when the user opens it, and the cursor
    /// should not jump then.
    pub fn select_on_listing(&mut self, folder: FolderId, name: String) {
        if self.nodes.get(&folder).is_some_and(|n| n.expanded) {
            self.select_after = Some((folder, name));
        }
    }

    /// The sub-folder (first) or file of `folder` that the user knows as `name`.
    fn find_named(&self, folder: FolderId, name: &str) -> Option<RemoteKey> {
        let node = self.nodes.get(&folder)?;
        let sub = node.children.iter().find(|c| {
            self.nodes
                .get(c)
                .is_some_and(|n| from_service_name(&n.name) == name)
        });
        if let Some(id) = sub {
            return Some(RemoteKey::Folder(*id));
        }
        node.files
            .iter()
            .find(|f| from_service_name(&f.filename) == name)
            .map(|f| RemoteKey::File(f.url.clone()))
    }

    /// Drops a folder that is gone, with everything under it.
    fn forget(&mut self, id: FolderId) {
        let mut stack = vec![id];
        while let Some(f) = stack.pop() {
            if let Some(node) = self.nodes.remove(&f) {
                stack.extend(node.children);
                for file in node.files {
                    self.marks.remove(&RemoteKey::File(file.url));
                }
            }
            self.marks.remove(&RemoteKey::Folder(f));
        }
    }

    fn sort_folder(&mut self, id: FolderId) {
        let sort = self.sort;
        let Some(node) = self.nodes.get(&id) else {
            return;
        };
        let mut children: Vec<(FolderId, String, Option<String>)> = node
            .children
            .iter()
            .filter_map(|c| {
                self.nodes
                    .get(c)
                    .map(|n| (*c, sort_name(&n.name), n.date.clone()))
            })
            .collect();
        match sort {
            SortKey::Date => children.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.1.cmp(&b.1))),
            _ => children.sort_by(|a, b| a.1.cmp(&b.1)),
        }
        let Some(node) = self.nodes.get_mut(&id) else {
            return;
        };
        node.children = children.into_iter().map(|c| c.0).collect();
        match sort {
            SortKey::Name => {
                // Each name mapped and lowercased once; ties by URL, borrowed rather than copied.
                let files = std::mem::take(&mut node.files);
                let mut order: Vec<(String, usize)> = files
                    .iter()
                    .enumerate()
                    .map(|(i, f)| (sort_name(&f.filename), i))
                    .collect();
                order.sort_unstable_by(|a, b| {
                    a.0.cmp(&b.0)
                        .then_with(|| files[a.1].url.cmp(&files[b.1].url))
                });
                let mut slots: Vec<Option<RemoteFile>> = files.into_iter().map(Some).collect();
                node.files = order
                    .into_iter()
                    .filter_map(|(_, i)| slots[i].take())
                    .collect();
            }
            SortKey::Size => node.files.sort_by(|a, b| {
                b.size
                    .cmp(&a.size)
                    .then_with(|| a.filename.cmp(&b.filename))
            }),
            SortKey::Date => node.files.sort_by(|a, b| {
                b.date
                    .cmp(&a.date)
                    .then_with(|| a.filename.cmp(&b.filename))
            }),
        }
    }

    fn cursor_key(&self) -> Option<RemoteKey> {
        self.cursor_item().and_then(|i| self.key_of(i))
    }

    /// Flattens the open folders into rows; the cursor stays on `at` when it still shows.
    fn rebuild(&mut self, at: Option<RemoteKey>, height: usize) {
        let needle = self.filter.as_ref().map(Filter::needle).unwrap_or_default();
        let mut rows = Vec::new();
        self.flatten(FolderId::ROOT, 0, &needle, &mut rows);
        self.rows = rows;
        if let Some(key) = at
            && let Some(pos) = self
                .rows
                .iter()
                .position(|r| self.key_of(r.item).as_ref() == Some(&key))
        {
            self.list.cursor = pos;
        }
        self.list.scroll(self.rows.len(), height);
    }

    /// Adds `id` and what shows under it; returns whether anything was added (with a filter, a
    /// folder shows only when its name matches or something under it does).
    fn flatten(&self, id: FolderId, depth: usize, needle: &str, rows: &mut Vec<TreeRow>) -> bool {
        let Some(node) = self.nodes.get(&id) else {
            return false;
        };
        let start = rows.len();
        rows.push(TreeRow {
            depth,
            item: RowItem::Folder(id),
        });
        let mut inside = false;
        if node.expanded {
            for child in &node.children {
                inside |= self.flatten(*child, depth + 1, needle, rows);
            }
            for (index, f) in node.files.iter().enumerate() {
                if needle.is_empty()
                    || from_service_name(&f.filename)
                        .to_lowercase()
                        .contains(needle)
                {
                    rows.push(TreeRow {
                        depth: depth + 1,
                        item: RowItem::File { folder: id, index },
                    });
                    inside = true;
                }
            }
        }
        let matches = needle.is_empty()
            || id == FolderId::ROOT
            || from_service_name(&node.name)
                .to_lowercase()
                .contains(needle);
        if !matches && !inside {
            rows.truncate(start);
            return false;
        }
        true
    }
}

/// The key names sort by: the name as the user reads it (a leading space stored as `␠` sorts as a
/// space), without case.
fn sort_name(service_name: &str) -> String {
    from_service_name(service_name).to_lowercase()
}

#[cfg(test)]
mod tests;
