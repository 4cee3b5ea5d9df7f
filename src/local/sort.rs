//! Orders and filters of entries, shared by the pane's view: folders first, then by a key.

use super::LocalEntry;

/// What the panes sort by; `s` cycles through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Name,
    Size,
    Date,
}

impl SortKey {
    pub fn next(self) -> SortKey {
        match self {
            SortKey::Name => SortKey::Size,
            SortKey::Size => SortKey::Date,
            SortKey::Date => SortKey::Name,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Size => "size",
            SortKey::Date => "date",
        }
    }
}

/// Folders first; names ascending; sizes and dates descending (biggest, newest first), ties by name.
pub fn sort_entries(entries: &mut [LocalEntry], key: SortKey) {
    entries.sort_unstable_by(|a, b| compare(a, b, key));
}

/// The same order as `sort_entries`, given as indices into `entries` (which stay where they are,
/// so what refers to an entry by its index stays true through a sort).
pub fn sort_order(entries: &[LocalEntry], order: &mut [u32], key: SortKey) {
    order.sort_unstable_by(|a, b| compare(&entries[*a as usize], &entries[*b as usize], key));
}

pub(super) fn compare(a: &LocalEntry, b: &LocalEntry, key: SortKey) -> std::cmp::Ordering {
    b.is_dir.cmp(&a.is_dir).then_with(|| {
        let by_name = || a.lower.cmp(&b.lower).then_with(|| a.name.cmp(&b.name));
        match key {
            SortKey::Name => by_name(),
            SortKey::Size => b.size.cmp(&a.size).then_with(by_name),
            SortKey::Date => b.modified.cmp(&a.modified).then_with(by_name),
        }
    })
}

/// Case-insensitive substring match; `needle` must already be lowercase.
pub fn matches_filter(lower_name: &str, needle: &str) -> bool {
    needle.is_empty() || lower_name.contains(needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    fn entry(name: &str, dir: bool, size: u64, age: u64) -> LocalEntry {
        LocalEntry {
            file_name: name.into(),
            name: name.into(),
            lower: name.to_lowercase(),
            is_dir: dir,
            is_symlink: false,
            size,
            modified: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000 - age)),
        }
    }

    #[test]
    fn folders_first_then_key() {
        let mut v = vec![
            entry("b", false, 1, 3),
            entry("Z", true, 0, 1),
            entry("a", false, 9, 2),
        ];
        sort_entries(&mut v, SortKey::Name);
        let names: Vec<_> = v.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["Z", "a", "b"]);
        sort_entries(&mut v, SortKey::Size);
        let names: Vec<_> = v.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["Z", "a", "b"]);
        sort_entries(&mut v, SortKey::Date);
        let names: Vec<_> = v.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["Z", "a", "b"]);
        let mut order = vec![2, 0, 1];
        sort_order(&v, &mut order, SortKey::Size);
        assert_eq!(order, [0, 1, 2], "already in that order");
        v.swap(0, 2);
        sort_order(&v, &mut order, SortKey::Name);
        assert_eq!(order, [2, 1, 0]);
        assert!(matches_filter("report.pdf", "port"));
        assert!(!matches_filter("report.pdf", "x"));
    }
}
