//! Moving in the tree (open, collapse), marks, and what operations act on.

use super::{Load, Picked, RemoteKey, RemotePane, RowItem};
use crate::api::FolderId;
use crate::local::SortKey;
use crate::ui::effect::Effect;
use crate::ui::keymap::Nav;

impl RemotePane {
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

    /// Inverts the marks of the files that show. Folders keep theirs: in a tree, every folder
    /// shows, and a folder's mark takes all it holds (a download of the whole account).
    pub fn invert_marks(&mut self) {
        let items: Vec<RowItem> = self
            .rows
            .iter()
            .map(|r| r.item)
            .filter(|i| matches!(i, RowItem::File { .. }))
            .collect();
        for item in items {
            self.flip(item);
        }
    }

    pub fn clear_marks(&mut self) {
        self.marks.clear();
    }

    /// Marks exactly these items, with their sizes (what a comparison found).
    pub fn set_marks(&mut self, keys: impl IntoIterator<Item = (RemoteKey, u64)>) {
        self.marks = keys.into_iter().collect();
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
