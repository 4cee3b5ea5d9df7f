//! The left pane's state: one local directory, its view (hidden files, filter, sort), the cursor
//! and the marks. The entries are sorted once per listing or sort change; drawing reads `view`.

use super::effect::Effect;
use super::input::TextInput;
use super::keymap::Nav;
use super::list::ListCursor;
use crate::local::{LocalEntry, SortKey, matches_filter, sort_entries};
use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// A filter being typed (`typing`) or kept after Enter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub input: TextInput,
    pub typing: bool,
}

impl Filter {
    pub fn needle(&self) -> String {
        self.input.text().to_lowercase()
    }
}

/// One row as drawn.
pub enum LocalRow<'a> {
    Parent,
    Entry { entry: &'a LocalEntry, marked: bool },
}

#[derive(Debug, Default)]
pub struct LocalPane {
    pub dir: PathBuf,
    entries: Vec<LocalEntry>,
    marks: Vec<bool>,
    marked_count: usize,
    marked_bytes: u64,
    /// Indices into `entries` that show, in order.
    view: Vec<usize>,
    pub list: ListCursor,
    pub sort: SortKey,
    pub show_hidden: bool,
    pub filter: Option<Filter>,
    ticket: u64,
    /// The directory being listed, while a listing is on the way.
    pub loading: Option<PathBuf>,
    /// Where the cursor goes once the listing arrives (the folder we came up from).
    select_after: Option<OsString>,
}

impl LocalPane {
    pub fn new(dir: PathBuf, show_hidden: bool) -> LocalPane {
        LocalPane {
            dir,
            show_hidden,
            ..LocalPane::default()
        }
    }

    /// Asks for a listing of `dir`; any listing asked for before is now stale.
    pub fn request(&mut self, dir: PathBuf) -> Effect {
        self.ticket += 1;
        self.loading = Some(dir.clone());
        Effect::ListLocal {
            dir,
            ticket: self.ticket,
        }
    }

    /// Takes a listing if it is the latest one asked for; returns an error to show, if any.
    pub fn on_listed(
        &mut self,
        ticket: u64,
        dir: PathBuf,
        result: Result<Vec<LocalEntry>, String>,
        height: usize,
    ) -> Option<String> {
        if ticket != self.ticket {
            return None;
        }
        self.loading = None;
        let mut entries = match result {
            Ok(e) => e,
            Err(e) => {
                self.select_after = None;
                return Some(format!("{}: {e}", dir.display()));
            }
        };
        let same_dir = dir == self.dir;
        // A reload of the same directory keeps the marks and the cursor on the same name.
        let keep: HashSet<OsString> = if same_dir {
            self.marked_entries().map(|e| e.file_name.clone()).collect()
        } else {
            HashSet::new()
        };
        let cursor_name = if same_dir {
            self.cursor_entry().map(|e| e.file_name.clone())
        } else {
            None
        };
        sort_entries(&mut entries, self.sort);
        self.marks = entries
            .iter()
            .map(|e| keep.contains(&e.file_name))
            .collect();
        self.entries = entries;
        self.recount();
        if !same_dir {
            self.filter = None;
            self.list = ListCursor::default();
        }
        self.dir = dir;
        let target = self.select_after.take().or(cursor_name);
        self.rebuild(target, height);
        None
    }

    fn recount(&mut self) {
        self.marked_count = 0;
        self.marked_bytes = 0;
        for (e, m) in self.entries.iter().zip(&self.marks) {
            if *m {
                self.marked_count += 1;
                self.marked_bytes += e.size;
            }
        }
    }

    /// Recomputes the visible rows and puts the cursor on `select` when it shows.
    fn rebuild(&mut self, select: Option<OsString>, height: usize) {
        let needle = self.filter.as_ref().map(Filter::needle).unwrap_or_default();
        self.view = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                (self.show_hidden || !e.is_hidden()) && matches_filter(&e.lower, &needle)
            })
            .map(|(i, _)| i)
            .collect();
        if let Some(name) = select
            && let Some(pos) = self
                .view
                .iter()
                .position(|i| self.entries[*i].file_name == name)
        {
            self.list.cursor = pos + self.parent_rows();
        }
        self.list.scroll(self.len(), height);
    }

    fn parent_rows(&self) -> usize {
        usize::from(self.dir.parent().is_some())
    }

    /// Rows shown, `..` included.
    pub fn len(&self) -> usize {
        self.parent_rows() + self.view.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many entries there are, hidden and filtered ones included.
    pub fn total(&self) -> usize {
        self.entries.len()
    }

    pub fn row(&self, i: usize) -> Option<LocalRow<'_>> {
        let p = self.parent_rows();
        if i < p {
            return Some(LocalRow::Parent);
        }
        let idx = *self.view.get(i - p)?;
        Some(LocalRow::Entry {
            entry: &self.entries[idx],
            marked: self.marks[idx],
        })
    }

    fn cursor_index(&self) -> Option<usize> {
        self.list
            .cursor
            .checked_sub(self.parent_rows())
            .and_then(|i| self.view.get(i).copied())
    }

    pub fn cursor_entry(&self) -> Option<&LocalEntry> {
        self.cursor_index().map(|i| &self.entries[i])
    }

    pub fn marked(&self) -> (usize, u64) {
        (self.marked_count, self.marked_bytes)
    }

    fn marked_entries(&self) -> impl Iterator<Item = &LocalEntry> {
        self.entries
            .iter()
            .zip(&self.marks)
            .filter(|(_, m)| **m)
            .map(|(e, _)| e)
    }

    /// What an operation acts on: the marked entries, or else the one under the cursor.
    pub fn selection(&self) -> Vec<&LocalEntry> {
        if self.marked_count > 0 {
            self.marked_entries().collect()
        } else {
            self.cursor_entry().into_iter().collect()
        }
    }

    pub fn nav(&mut self, nav: Nav, height: usize) {
        self.list.nav(nav, self.len(), height);
    }

    pub fn toggle_mark(&mut self, height: usize) {
        if let Some(i) = self.cursor_index() {
            self.marks[i] = !self.marks[i];
            self.recount();
        }
        self.nav(Nav::Down, height);
    }

    /// Inverts the marks of the rows that show (a filter narrows what gets marked).
    pub fn invert_marks(&mut self) {
        for i in &self.view {
            self.marks[*i] = !self.marks[*i];
        }
        self.recount();
    }

    /// Every entry listed, hidden and filtered ones included.
    pub fn entries(&self) -> &[LocalEntry] {
        &self.entries
    }

    /// Marks exactly the entries named in `names` (what a comparison found).
    pub fn set_marks(&mut self, names: &HashSet<OsString>) {
        self.marks = self
            .entries
            .iter()
            .map(|e| names.contains(&e.file_name))
            .collect();
        self.recount();
    }

    pub fn clear_marks(&mut self) {
        self.marks.iter_mut().for_each(|m| *m = false);
        self.recount();
    }

    /// Enter on a row: a folder opens, `..` goes up; a file does nothing.
    pub fn open(&mut self) -> Option<Effect> {
        match self.row(self.list.cursor)? {
            LocalRow::Parent => self.up(),
            LocalRow::Entry { entry, .. } if entry.is_dir => {
                let dir = self.dir.join(&entry.file_name);
                Some(self.request(dir))
            }
            LocalRow::Entry { .. } => None,
        }
    }

    pub fn up(&mut self) -> Option<Effect> {
        let parent = self.dir.parent()?.to_path_buf();
        self.select_after = self.dir.file_name().map(OsString::from);
        Some(self.request(parent))
    }

    /// Puts the cursor on `name` when the next listing arrives (a folder just made, a new name).
    pub fn select_on_listing(&mut self, name: OsString) {
        self.select_after = Some(name);
    }

    pub fn reload(&mut self) -> Effect {
        self.request(self.dir.clone())
    }

    pub fn set_sort(&mut self, sort: SortKey, height: usize) {
        self.sort = sort;
        let at = self.cursor_entry().map(|e| e.file_name.clone());
        // Marks follow their entries through the sort.
        let marked: HashSet<OsString> =
            self.marked_entries().map(|e| e.file_name.clone()).collect();
        sort_entries(&mut self.entries, sort);
        self.marks = self
            .entries
            .iter()
            .map(|e| marked.contains(&e.file_name))
            .collect();
        self.rebuild(at, height);
    }

    pub fn toggle_hidden(&mut self, height: usize) {
        self.show_hidden = !self.show_hidden;
        let at = self.cursor_entry().map(|e| e.file_name.clone());
        self.rebuild(at, height);
    }

    /// The filter text changed: recompute the rows, cursor to the first match.
    pub fn refilter(&mut self, height: usize) {
        let at = self.cursor_entry().map(|e| e.file_name.clone());
        self.rebuild(at, height);
        if self
            .filter
            .as_ref()
            .is_some_and(|f| !f.input.text().is_empty())
            && self.cursor_index().is_none()
        {
            self.list.select(self.parent_rows(), self.len(), height);
        }
    }

    pub fn path_of(&self, entry: &LocalEntry) -> PathBuf {
        self.dir.join(&entry.file_name)
    }

    pub fn is_in(&self, dir: &Path) -> bool {
        self.dir == dir
    }
}

#[cfg(test)]
pub(crate) fn test_entry(name: &str, is_dir: bool, size: u64) -> LocalEntry {
    LocalEntry {
        file_name: name.into(),
        name: name.into(),
        lower: name.to_lowercase(),
        is_dir,
        is_symlink: false,
        size,
        modified: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pane() -> LocalPane {
        let mut p = LocalPane::new(PathBuf::from("/home/u"), false);
        let eff = p.request(PathBuf::from("/home/u"));
        let Effect::ListLocal { ticket, .. } = eff else {
            panic!()
        };
        let entries = vec![
            test_entry("b.txt", false, 10),
            test_entry("A", true, 0),
            test_entry(".hidden", false, 1),
            test_entry("c.bin", false, 1000),
        ];
        assert!(
            p.on_listed(ticket, PathBuf::from("/home/u"), Ok(entries), 10)
                .is_none()
        );
        p
    }

    fn names(p: &LocalPane) -> Vec<String> {
        (0..p.len())
            .map(|i| match p.row(i) {
                Some(LocalRow::Parent) => "..".to_string(),
                Some(LocalRow::Entry { entry, marked }) => {
                    format!("{}{}", if marked { "*" } else { "" }, entry.name)
                }
                None => "?".into(),
            })
            .collect()
    }

    #[test]
    fn view_hides_dot_files_and_sorts_folders_first() {
        let mut p = pane();
        assert_eq!(names(&p), ["..", "A", "b.txt", "c.bin"]);
        p.toggle_hidden(10);
        assert_eq!(names(&p), ["..", "A", ".hidden", "b.txt", "c.bin"]);
        p.set_sort(SortKey::Size, 10);
        assert_eq!(names(&p), ["..", "A", "c.bin", "b.txt", ".hidden"]);
    }

    #[test]
    fn marks_count_and_survive_reload() {
        let mut p = pane();
        p.nav(Nav::Down, 10); // A
        p.nav(Nav::Down, 10); // b.txt
        p.toggle_mark(10);
        p.toggle_mark(10);
        assert_eq!(p.marked(), (2, 1010));
        assert_eq!(names(&p), ["..", "A", "*b.txt", "*c.bin"]);
        p.invert_marks();
        assert_eq!(p.marked(), (1, 0));
        let eff = p.reload();
        let Effect::ListLocal { ticket, .. } = eff else {
            panic!()
        };
        p.on_listed(
            ticket,
            PathBuf::from("/home/u"),
            Ok(vec![test_entry("A", true, 0), test_entry("new", false, 1)]),
            10,
        );
        assert_eq!(names(&p), ["..", "*A", "new"]);
    }

    #[test]
    fn stale_listing_is_dropped() {
        let mut p = pane();
        let Effect::ListLocal { ticket: old, .. } = p.request(PathBuf::from("/slow")) else {
            panic!()
        };
        let Effect::ListLocal { ticket: new, .. } = p.request(PathBuf::from("/fast")) else {
            panic!()
        };
        p.on_listed(
            new,
            PathBuf::from("/fast"),
            Ok(vec![test_entry("f", false, 1)]),
            10,
        );
        p.on_listed(
            old,
            PathBuf::from("/slow"),
            Ok(vec![test_entry("s", false, 1)]),
            10,
        );
        assert_eq!(p.dir, PathBuf::from("/fast"));
        assert_eq!(names(&p), ["..", "f"]);
    }

    #[test]
    fn going_up_selects_the_folder_we_left() {
        let mut p = LocalPane::new(PathBuf::from("/a/b"), false);
        let Some(Effect::ListLocal { dir, ticket }) = p.up() else {
            panic!()
        };
        assert_eq!(dir, PathBuf::from("/a"));
        p.on_listed(
            ticket,
            dir,
            Ok(vec![test_entry("a1", true, 0), test_entry("b", true, 0)]),
            10,
        );
        assert_eq!(p.cursor_entry().map(|e| e.name.as_str()), Some("b"));
    }
}
