//! The left pane's state: one local directory, its view (hidden files, filter, sort), the cursor
//! and the marks. The entries are sorted once per listing or sort change; drawing reads the view.
//! A big folder comes in two steps: names first (drawn at once), then sizes and dates.

use super::effect::Effect;
use super::input::TextInput;
use super::keymap::Nav;
use super::list::ListCursor;
use crate::local::{EntryStat, LocalEntry, SortKey, matches_filter, sort_order};
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
    Entry {
        entry: &'a LocalEntry,
        marked: bool,
        /// False while the entry's size and date are on the way (a big folder's second step).
        stat_known: bool,
    },
}

/// Where an entry's stat is, while a big folder's sizes and dates come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stat {
    Known,
    Waiting,
    /// The entry vanished before its stat: hidden at once, dropped once every stat is in.
    Gone,
}

/// The second step of a big folder's listing: which entries still wait for their stat.
#[derive(Debug, Default)]
struct Fill {
    /// One per entry; empty once every stat is in (and always for a folder that came whole).
    state: Vec<Stat>,
    waiting: usize,
    /// A stat changed an entry's kind (a link's target, a file replaced by a folder).
    kinds_changed: bool,
}

#[derive(Debug, Default)]
pub struct LocalPane {
    pub dir: PathBuf,
    /// Every entry, in the order the listing gave them: they never move, so an index names an
    /// entry through sorts and stats (marks, the view, the stats' messages all use indices).
    entries: Vec<LocalEntry>,
    marks: Vec<bool>,
    marked_count: usize,
    marked_bytes: u64,
    /// Indices into `entries` in the sort's order.
    order: Vec<u32>,
    /// The rows that show, for the filter texts typed so far, each a narrowing of the one below
    /// it: the last is the view. Typing narrows the last one; a backspace goes back to the one
    /// below, with no scan of the whole folder. Cleared when the order or what may show changes.
    views: Vec<(String, Vec<u32>)>,
    fill: Fill,
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

    /// Takes a whole listing if it is the latest one asked for; returns an error to show, if any.
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
        match result {
            Ok(entries) => {
                self.take(dir, entries, false, height);
                None
            }
            Err(e) => {
                self.loading = None;
                self.select_after = None;
                Some(format!("{}: {e}", dir.display()))
            }
        }
    }

    /// Takes the names and kinds of a big folder, if it is the latest listing asked for; their
    /// sizes and dates follow in `on_stats`.
    pub fn on_names(&mut self, ticket: u64, dir: PathBuf, entries: Vec<LocalEntry>, height: usize) {
        if ticket == self.ticket {
            self.take(dir, entries, true, height);
        }
    }

    fn take(&mut self, dir: PathBuf, entries: Vec<LocalEntry>, waiting: bool, height: usize) {
        self.loading = None;
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
        self.marks = if keep.is_empty() {
            vec![false; entries.len()]
        } else {
            entries
                .iter()
                .map(|e| keep.contains(&e.file_name))
                .collect()
        };
        self.fill = if waiting {
            Fill {
                state: vec![Stat::Waiting; entries.len()],
                waiting: entries.len(),
                kinds_changed: false,
            }
        } else {
            Fill::default()
        };
        self.entries = entries;
        self.resort();
        self.recount();
        if !same_dir {
            self.filter = None;
            self.list = ListCursor::default();
        }
        self.dir = dir;
        let target = self
            .select_after
            .take()
            .or(cursor_name)
            .and_then(|name| self.entries.iter().position(|e| e.file_name == name));
        self.rebuild(target, height);
    }

    /// Takes sizes and dates of the listing shown (stale ones are dropped). Returns true when
    /// they are all in: the folder is then whole, as if it had come in one step.
    pub fn on_stats(
        &mut self,
        ticket: u64,
        stats: Vec<(u32, Option<EntryStat>)>,
        height: usize,
    ) -> bool {
        if ticket != self.ticket || self.loading.is_some() || self.fill.waiting == 0 {
            return false;
        }
        let mut gone = false;
        for (i, stat) in stats {
            let i = i as usize;
            if self.fill.state.get(i) != Some(&Stat::Waiting) {
                continue;
            }
            self.fill.waiting -= 1;
            match stat {
                Some(stat) => {
                    self.fill.kinds_changed |= stat.is_dir != self.entries[i].is_dir;
                    self.entries[i].apply(stat);
                    self.fill.state[i] = Stat::Known;
                }
                None => {
                    self.fill.state[i] = Stat::Gone;
                    gone = true;
                }
            }
        }
        if self.marked_count > 0 {
            self.recount();
        }
        if self.fill.waiting == 0 {
            self.finish_fill(height);
            return true;
        }
        if gone {
            let at = self.cursor_index();
            self.views.clear();
            self.rebuild(at, height);
        }
        false
    }

    /// Every stat is in: drop the entries that vanished, and sort again where the stats change
    /// the order (by size or date, or a kind that changed).
    fn finish_fill(&mut self, height: usize) {
        let fill = std::mem::take(&mut self.fill);
        let at = self.cursor_index();
        let mut new_index = Vec::new();
        let mut at_new = at;
        if fill.state.contains(&Stat::Gone) {
            new_index = vec![u32::MAX; self.entries.len()];
            let mut kept = 0u32;
            for (i, s) in fill.state.iter().enumerate() {
                if *s != Stat::Gone {
                    new_index[i] = kept;
                    kept += 1;
                }
            }
            let mut i = 0;
            self.entries.retain(|_| {
                i += 1;
                fill.state[i - 1] != Stat::Gone
            });
            let mut i = 0;
            self.marks.retain(|_| {
                i += 1;
                fill.state[i - 1] != Stat::Gone
            });
            at_new = at.map(|a| new_index[a] as usize);
        }
        if self.sort != SortKey::Name || fill.kinds_changed {
            self.resort();
        } else if !new_index.is_empty() {
            self.order = self
                .order
                .iter()
                .map(|i| new_index[*i as usize])
                .filter(|i| *i != u32::MAX)
                .collect();
        }
        self.recount();
        self.views.clear();
        self.rebuild(at_new, height);
    }

    /// Sizes and dates of some entries are still on the way (a big folder's second step).
    pub fn filling(&self) -> bool {
        self.fill.waiting > 0
    }

    fn stat_of(&self, i: usize) -> Stat {
        self.fill.state.get(i).copied().unwrap_or(Stat::Known)
    }

    fn resort(&mut self) {
        self.order.clear();
        self.order.extend(0..self.entries.len() as u32);
        sort_order(&self.entries, &mut self.order, self.sort);
        self.views.clear();
    }

    fn recount(&mut self) {
        self.marked_count = 0;
        self.marked_bytes = 0;
        for (i, (e, m)) in self.entries.iter().zip(&self.marks).enumerate() {
            if *m && self.stat_of(i) != Stat::Gone {
                self.marked_count += 1;
                self.marked_bytes += e.size;
            }
        }
    }

    fn view(&self) -> &[u32] {
        self.views.last().map_or(&[], |(_, v)| v.as_slice())
    }

    /// Brings the visible rows up to date with the filter and puts the cursor on the entry
    /// `select` (an index into `entries`) when it shows.
    fn rebuild(&mut self, select: Option<usize>, height: usize) {
        let needle = self.filter.as_ref().map(Filter::needle).unwrap_or_default();
        // Back to the widest view that the new text narrows (a backspace pops the last one).
        while self
            .views
            .last()
            .is_some_and(|(typed, _)| !needle.contains(typed.as_str()))
        {
            self.views.pop();
        }
        if self.views.is_empty() {
            let all: Vec<u32> = self
                .order
                .iter()
                .copied()
                .filter(|i| {
                    let i = *i as usize;
                    (self.show_hidden || !self.entries[i].is_hidden())
                        && self.stat_of(i) != Stat::Gone
                })
                .collect();
            self.views.push((String::new(), all));
        }
        if let Some((typed, wider)) = self.views.last()
            && *typed != needle
        {
            let narrower: Vec<u32> = wider
                .iter()
                .copied()
                .filter(|i| matches_filter(&self.entries[*i as usize].lower, &needle))
                .collect();
            self.views.push((needle, narrower));
        }
        if let Some(at) = select
            && let Some(pos) = self.view().iter().position(|i| *i as usize == at)
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
        self.parent_rows() + self.view().len()
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
        let idx = *self.view().get(i - p)? as usize;
        Some(LocalRow::Entry {
            entry: &self.entries[idx],
            marked: self.marks[idx],
            stat_known: self.stat_of(idx) == Stat::Known,
        })
    }

    fn cursor_index(&self) -> Option<usize> {
        self.list
            .cursor
            .checked_sub(self.parent_rows())
            .and_then(|i| self.view().get(i))
            .map(|i| *i as usize)
    }

    pub fn cursor_entry(&self) -> Option<&LocalEntry> {
        self.cursor_index().map(|i| &self.entries[i])
    }

    pub fn marked(&self) -> (usize, u64) {
        (self.marked_count, self.marked_bytes)
    }

    /// The marked entries, in the sort's order (as they show).
    fn marked_entries(&self) -> impl Iterator<Item = &LocalEntry> {
        self.order
            .iter()
            .map(|i| *i as usize)
            .filter(|i| self.marks[*i] && self.stat_of(*i) != Stat::Gone)
            .map(|i| &self.entries[i])
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
        for i in self.views.last().map_or(&[][..], |(_, v)| v) {
            let i = *i as usize;
            self.marks[i] = !self.marks[i];
        }
        self.recount();
    }

    /// Every entry listed, hidden and filtered ones included, in no particular order. While a
    /// big folder's stats come in (`filling`), sizes and dates are not all known yet.
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

    /// Sorts by `sort`; marks and the cursor stay on their entries. While stats come in, the
    /// entries without one sort as empty and undated, and the order is made again once all are in.
    pub fn set_sort(&mut self, sort: SortKey, height: usize) {
        self.sort = sort;
        let at = self.cursor_index();
        self.resort();
        self.rebuild(at, height);
    }

    pub fn toggle_hidden(&mut self, height: usize) {
        self.show_hidden = !self.show_hidden;
        let at = self.cursor_index();
        self.views.clear();
        self.rebuild(at, height);
    }

    /// The filter text changed: recompute the rows, cursor to the first match.
    pub fn refilter(&mut self, height: usize) {
        let at = self.cursor_index();
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
mod tests;
