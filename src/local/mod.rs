//! The local filesystem as the left pane sees it: one directory listed at a time, sorted with
//! folders first, and the few disk operations the pane offers (new folder, rename, delete).
//! Everything here blocks: callers run it off the UI task (`spawn_blocking`). Knows nothing of the UI.

mod list;
mod sort;

pub use list::{LocalEntry, delete_paths, list_dir, make_dir, rename_entry};
pub use sort::{SortKey, matches_filter, sort_entries};
