//! The local filesystem as the left pane sees it: one directory listed at a time (a big one in
//! two steps: names, then sizes and dates), sorted with folders first, and the few disk
//! operations the pane offers (new folder, rename, delete).
//! Everything here blocks: callers run it off the UI task (`spawn_blocking`). Knows nothing of the UI.

mod list;
mod scan;
mod sort;

pub use list::{LocalEntry, delete_paths, make_dir, rename_entry};
pub use scan::{EntryStat, ListStep, NAMES_FIRST_FROM, STAT_BATCH, list_dir, list_in_steps};
pub use sort::{SortKey, matches_filter, sort_entries, sort_order};
