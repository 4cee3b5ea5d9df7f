//! One-way sync between a local folder and a 1fichier folder, for backups run from cron and
//! restores: compare (name, then size, then whirlpool, with local whirlpools kept in a cache),
//! then copy what is missing or different through the transfer engine, and with `--delete`
//! remove what exists only on the destination.
//!
//! Files: `spec` (the `1f:` syntax, the pair's id), `exclude` (globs), `tree` (both sides
//! listed), `hash_cache`, `plan` (the comparison, pure), `run` (the run itself), `lock`, `report`.

mod exclude;
mod hash_cache;
mod lock;
mod plan;
mod report;
mod run;
mod send;
mod spec;
mod tree;

pub use exclude::{ExcludeError, Excludes};
pub use hash_cache::{HashCache, HashProgress, HashStats, Stamp, hash_files, whirlpool_counting};
pub use plan::{Change, Note};
pub use report::{Listed, Listing, Report};
pub use run::{SyncEnv, SyncError, SyncEvent, SyncOptions, run};
pub use spec::{Direction, Endpoint, Pair, REMOTE_PREFIX, SpecError};
