//! The right pane's state: the 1fichier folder tree, loaded lazily one folder at a time, cached,
//! flattened into rows when it changes (not per frame). Listings carry tickets: one that arrives
//! for a folder after a newer request was issued is dropped.

use super::action::RemoteListing;
use super::effect::Effect;
use super::keymap::Nav;
use super::list::ListCursor;
use super::local_pane::Filter;
use crate::api::{FileUrl, FolderId, RemoteFile};
use crate::local::SortKey;
use crate::sanitize::from_service_name;
use std::collections::{BTreeMap, HashMap, HashSet};

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

    /// Lists a folder again if the tree shows it (or has shown it); unknown folders wait until
    /// their parent is opened.
    pub fn refresh(&mut self, folder: FolderId) -> Option<Effect> {
        let node = self.nodes.get(&folder)?;
        (node.listed || node.is_loading())
            .then(|| self.request(folder))
            .flatten()
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
        let old_urls: HashSet<FileUrl> = node.files.iter().map(|f| f.url.clone()).collect();
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
        let new_urls: HashSet<&FileUrl> = listing.files.iter().map(|f| &f.url).collect();
        self.marks.retain(|k, _| match k {
            RemoteKey::File(u) => !old_urls.contains(u) || new_urls.contains(u),
            RemoteKey::Folder(_) => true,
        });
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
        self.rebuild(at, height);
        None
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
                    .map(|n| (*c, n.name.to_lowercase(), n.date.clone()))
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
            SortKey::Name => node
                .files
                .sort_by_cached_key(|f| (f.filename.to_lowercase(), f.url.clone())),
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

    pub fn nav(&mut self, nav: Nav, height: usize) {
        self.list.nav(nav, self.rows.len(), height);
    }

    /// Enter: a closed folder opens (listed on first open), an open one moves the cursor inside.
    pub fn open(&mut self, height: usize) -> Option<Effect> {
        let Some(RowItem::Folder(id)) = self.cursor_item() else {
            return None;
        };
        let node = self.nodes.get_mut(&id)?;
        if node.expanded {
            if node.listed && (!node.children.is_empty() || !node.files.is_empty()) {
                self.nav(Nav::Down, height);
            }
            return None;
        }
        node.expanded = true;
        let effect = match node.load {
            Load::NotLoaded | Load::Failed(_) => self.request(id),
            _ => None,
        };
        self.rebuild(Some(RemoteKey::Folder(id)), height);
        effect
    }

    /// Backspace: an open folder closes; otherwise the cursor goes to the parent folder.
    pub fn back(&mut self, height: usize) {
        let parent = match self.cursor_item() {
            Some(RowItem::Folder(id)) => {
                let Some(node) = self.nodes.get_mut(&id) else {
                    return;
                };
                if node.expanded && id != FolderId::ROOT {
                    node.expanded = false;
                    self.rebuild(Some(RemoteKey::Folder(id)), height);
                    return;
                }
                node.parent
            }
            Some(RowItem::File { folder, .. }) => Some(folder),
            None => None,
        };
        if let Some(p) = parent {
            self.rebuild(Some(RemoteKey::Folder(p)), height);
        }
    }

    pub fn toggle_mark(&mut self, height: usize) {
        if let Some(item) = self.cursor_item() {
            self.flip(item);
        }
        self.nav(Nav::Down, height);
    }

    fn flip(&mut self, item: RowItem) {
        if item == RowItem::Folder(FolderId::ROOT) {
            return;
        }
        let size = match item {
            RowItem::File { folder, index } => {
                self.file(folder, index).map(|f| f.size).unwrap_or(0)
            }
            RowItem::Folder(_) => 0,
        };
        if let Some(key) = self.key_of(item)
            && self.marks.remove(&key).is_none()
        {
            self.marks.insert(key, size);
        }
    }

    pub fn invert_marks(&mut self) {
        let items: Vec<RowItem> = self.rows.iter().map(|r| r.item).collect();
        for item in items {
            self.flip(item);
        }
    }

    pub fn clear_marks(&mut self) {
        self.marks.clear();
    }

    fn pick(&self, item: RowItem) -> Option<Picked> {
        match item {
            RowItem::Folder(id) if id == FolderId::ROOT => None,
            RowItem::Folder(id) => {
                let n = self.nodes.get(&id)?;
                Some(Picked::Folder {
                    id,
                    name: n.name.clone(),
                    parent: n.parent.unwrap_or(FolderId::ROOT),
                })
            }
            RowItem::File { folder, index } => Some(Picked::File {
                file: self.file(folder, index)?.clone(),
                folder,
            }),
        }
    }

    /// The item under the cursor, for operations on one item (rename).
    pub fn selection_at_cursor(&self) -> Option<Picked> {
        self.cursor_item().and_then(|i| self.pick(i))
    }

    /// What an operation acts on: the marked items (those the tree still holds), or else the one
    /// under the cursor.
    pub fn selection(&self) -> Vec<Picked> {
        if self.marks.is_empty() {
            return self
                .cursor_item()
                .and_then(|i| self.pick(i))
                .into_iter()
                .collect();
        }
        let mut out = Vec::new();
        for node in self.nodes.values() {
            if self.marks.contains_key(&RemoteKey::Folder(node.id))
                && let Some(p) = self.pick(RowItem::Folder(node.id))
            {
                out.push(p);
            }
            for (index, f) in node.files.iter().enumerate() {
                if self.marks.contains_key(&RemoteKey::File(f.url.clone())) {
                    out.push(Picked::File {
                        file: node.files[index].clone(),
                        folder: node.id,
                    });
                }
            }
        }
        // HashMap order is random: keep what the user sees stable.
        out.sort_by_key(|p| match p {
            Picked::Folder { name, .. } => (0, name.to_lowercase()),
            Picked::File { file, .. } => (1, file.filename.to_lowercase()),
        });
        out
    }

    pub fn set_sort(&mut self, sort: SortKey, height: usize) {
        self.sort = sort;
        let at = self.cursor_key();
        let ids: Vec<FolderId> = self.nodes.keys().copied().collect();
        for id in ids {
            self.sort_folder(id);
        }
        self.rebuild(at, height);
    }

    pub fn refilter(&mut self, height: usize) {
        let at = self.cursor_key();
        self.rebuild(at, height);
        if self
            .filter
            .as_ref()
            .is_some_and(|f| !f.input.text().is_empty())
            && self.list.cursor == 0
            && self.rows.len() > 1
        {
            self.list.select(1, self.rows.len(), height);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::api::{FolderListing, SubFolder};

    pub(crate) fn file(name: &str, url: &str, size: u64) -> RemoteFile {
        RemoteFile {
            url: FileUrl(format!("https://1fichier.com/?{url}")),
            filename: name.into(),
            size,
            date: Some("2026-11-02 10:00:00".into()),
            checksum: None,
            content_type: None,
            cdn: false,
            pass: false,
        }
    }

    pub(crate) fn listing(id: u64, subs: &[(u64, &str)], files: Vec<RemoteFile>) -> RemoteListing {
        RemoteListing {
            folder: FolderListing {
                folder_id: FolderId(id),
                name: String::new(),
                sub_folders: subs
                    .iter()
                    .map(|(i, n)| SubFolder {
                        id: FolderId(*i),
                        name: n.to_string(),
                        create_date: Some("2026-11-20 08:00:00".into()),
                        pass: false,
                    })
                    .collect(),
            },
            files,
        }
    }

    pub(crate) fn ticket(e: Option<Effect>) -> u64 {
        match e {
            Some(Effect::ListRemote { ticket, .. }) => ticket,
            other => panic!("expected a listing request, got {other:?}"),
        }
    }

    fn labels(p: &RemotePane) -> Vec<String> {
        p.rows()
            .iter()
            .map(|r| {
                let pad = "  ".repeat(r.depth);
                match r.item {
                    RowItem::Folder(id) => {
                        let n = p.node(id).unwrap();
                        let mark = if n.expanded { "v" } else { ">" };
                        let load = if n.is_loading() { " loading..." } else { "" };
                        format!(
                            "{pad}{mark} {}/{load}",
                            if id == FolderId::ROOT { "" } else { &n.name }
                        )
                    }
                    RowItem::File { folder, index } => {
                        format!("{pad}{}", p.file(folder, index).unwrap().filename)
                    }
                }
            })
            .collect()
    }

    fn loaded_root() -> RemotePane {
        let mut p = RemotePane::new();
        let t = ticket(p.request(FolderId::ROOT));
        p.on_listed(
            FolderId::ROOT,
            t,
            Ok(listing(
                0,
                &[(2, "Photos"), (1, "Backups")],
                vec![file("notes.md", "n", 8)],
            )),
            20,
        );
        p
    }

    #[test]
    fn expand_lazily_with_a_loading_mark_then_collapse() {
        let mut p = loaded_root();
        assert_eq!(
            labels(&p),
            ["v /", "  > Backups/", "  > Photos/", "  notes.md"]
        );
        p.nav(Nav::Down, 20);
        let t = ticket(p.open(20));
        assert_eq!(labels(&p)[1], "  v Backups/ loading...");
        assert_eq!(p.current_folder(), FolderId(1));
        p.on_listed(
            FolderId(1),
            t,
            Ok(listing(
                1,
                &[(3, "nas")],
                vec![file("a", "a", 1), file("a", "b", 2)],
            )),
            20,
        );
        assert_eq!(
            labels(&p),
            [
                "v /",
                "  v Backups/",
                "    > nas/",
                "    a",
                "    a",
                "  > Photos/",
                "  notes.md"
            ]
        );
        assert_eq!(p.path(FolderId(3)), "/Backups/nas");
        p.back(20);
        assert_eq!(
            labels(&p),
            ["v /", "  > Backups/", "  > Photos/", "  notes.md"]
        );
        // Opening again does not list again: the cache holds it.
        assert!(p.open(20).is_none());
        p.nav(Nav::Down, 20);
        p.nav(Nav::Down, 20);
        assert!(matches!(p.cursor_item(), Some(RowItem::File { .. })));
        assert_eq!(p.current_folder(), FolderId(1));
        p.back(20);
        assert_eq!(p.cursor_item(), Some(RowItem::Folder(FolderId(1))));
    }

    #[test]
    fn a_stale_listing_is_dropped() {
        let mut p = loaded_root();
        let old = ticket(p.request(FolderId(1)));
        let new = ticket(p.refresh(FolderId(1)).or_else(|| p.request(FolderId(1))));
        p.on_listed(
            FolderId(1),
            new,
            Ok(listing(1, &[], vec![file("new", "n2", 1)])),
            20,
        );
        p.on_listed(
            FolderId(1),
            old,
            Ok(listing(1, &[], vec![file("old", "o", 1)])),
            20,
        );
        assert_eq!(p.node(FolderId(1)).unwrap().files[0].filename, "new");
    }

    #[test]
    fn marks_follow_urls_and_resolve_paths() {
        let mut p = loaded_root();
        p.invert_marks();
        assert_eq!(p.marked(), (3, 8));
        let sel = p.selection();
        assert_eq!(sel.len(), 3);
        assert!(matches!(&sel[2], Picked::File { file, .. } if file.filename == "notes.md"));
        assert_eq!(
            p.resolve_known("/Backups/x/y"),
            (FolderId(1), vec!["x".to_string(), "y".to_string()])
        );
        assert_eq!(p.resolve_known("/"), (FolderId::ROOT, vec![]));
        // A reload without the file drops its mark.
        let t = ticket(p.request(FolderId::ROOT));
        p.on_listed(
            FolderId::ROOT,
            t,
            Ok(listing(0, &[(1, "Backups")], vec![])),
            20,
        );
        assert_eq!(p.marked(), (1, 0));
    }

    #[test]
    fn filter_keeps_ancestors_of_matches() {
        let mut p = loaded_root();
        p.filter = Some(Filter {
            input: super::super::input::TextInput::new("NOTE"),
            typing: true,
        });
        p.refilter(20);
        assert_eq!(labels(&p), ["v /", "  notes.md"]);
        assert_eq!(p.list.cursor, 1);
    }
}
