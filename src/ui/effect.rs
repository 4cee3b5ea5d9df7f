//! What `update` asks the runtime to do. Plain data: tests read effects instead of running them.

use crate::api::{FileUrl, FolderId};
use crate::transfer::{Control, JobKind};
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// List a local directory; the answer carries `ticket` so a stale one can be dropped.
    ListLocal {
        dir: PathBuf,
        ticket: u64,
    },
    /// List a remote folder (sub-folders and files); same ticket rule.
    ListRemote {
        folder: FolderId,
        ticket: u64,
    },
    FetchAccount,
    Local(LocalOp),
    Remote(RemoteOp),
    Enqueue(Vec<JobKind>),
    Control(Control),
    /// Put text on the clipboard of the user's terminal (OSC 52, works over SSH).
    Clipboard(String),
    /// Hash local files for a comparison (answers carry `ticket`).
    HashLocal {
        ticket: u64,
        files: Vec<(PathBuf, crate::sync::Stamp)>,
    },
    /// Start a sync run (a dry run for the plan, or the real one) through `sync::run`.
    Sync(super::sync_dialog::SyncRequest),
    /// Stop the sync task: a plan being made, or a run the user stopped (`x`; its engine winds
    /// down, what was sent stays, and the pair's journal takes the rest up at its next sync).
    SyncStop,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LocalOp {
    Mkdir { dir: PathBuf, name: String },
    Rename { path: PathBuf, new_name: String },
    Delete { paths: Vec<PathBuf>, dir: PathBuf },
}

/// A destination folder given as a path: resolved from `start` through the `rest` of its names
/// (the part the UI had not listed yet). When `rename_last` is set and the last name is not a
/// folder, it is the new name of the one item moved.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteDest {
    pub start: FolderId,
    pub rest: Vec<String>,
    pub rename_last: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RemoteOp {
    Mkdir {
        parent: FolderId,
        name: String,
    },
    Delete {
        files: Vec<FileUrl>,
        folders: Vec<FolderId>,
        refresh: Vec<FolderId>,
    },
    RenameFile {
        url: FileUrl,
        name: String,
        folder: FolderId,
    },
    RenameFolder {
        id: FolderId,
        parent: FolderId,
        name: String,
    },
    Move {
        files: Vec<FileUrl>,
        folders: Vec<FolderId>,
        dest: RemoteDest,
        refresh: Vec<FolderId>,
    },
    Copy {
        files: Vec<FileUrl>,
        dest: RemoteDest,
    },
}
