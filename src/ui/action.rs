//! What can happen to the UI: input from the terminal, commands, and the answers of the tasks it
//! started. Nested per source so each handler sees only its own messages.

use super::keymap::Cmd;
use crate::api::{AccountInfo, FolderId, FolderListing, PaceStatus, RemoteFile};
use crate::local::{EntryStat, ListStep, LocalEntry};
use crate::transfer::EngineEvent;
use crossterm::event::{KeyEvent, MouseEvent};
use std::path::{Path, PathBuf};

#[derive(Debug)]
pub enum Action {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Paste(String),
    Resize {
        width: u16,
        height: u16,
    },
    /// Time passed (countdowns, spinners, messages that expire, the account timer).
    Tick,
    /// A command, as if its key had been pressed.
    Cmd(Cmd),
    Local(LocalMsg),
    Remote(RemoteMsg),
    Account(AccountMsg),
    Engine(EngineEvent),
    Pace(PaceStatus),
    /// A file operation finished.
    Done(OpDone),
    /// The comparison's hashing task reports.
    Compare(super::compare::CompareMsg),
    /// The sync dialog's task reports.
    Sync(super::sync_dialog::SyncMsg),
}

#[derive(Debug)]
pub enum LocalMsg {
    /// The whole listing (or why there is none).
    Listed {
        ticket: u64,
        dir: PathBuf,
        result: Result<Vec<LocalEntry>, String>,
    },
    /// A big folder's names and kinds; sizes and dates follow in `Stats`.
    Names {
        ticket: u64,
        dir: PathBuf,
        entries: Vec<LocalEntry>,
    },
    /// Sizes and dates of entries of the last `Names`, by index; `None`: the entry vanished.
    Stats {
        ticket: u64,
        stats: Vec<(u32, Option<EntryStat>)>,
    },
}

impl LocalMsg {
    /// The message for one step of `local::list_in_steps` of `dir`.
    pub fn from_step(ticket: u64, dir: &Path, step: ListStep) -> LocalMsg {
        match step {
            ListStep::Names {
                entries,
                complete: true,
            } => LocalMsg::Listed {
                ticket,
                dir: dir.to_path_buf(),
                result: Ok(entries),
            },
            ListStep::Names { entries, .. } => LocalMsg::Names {
                ticket,
                dir: dir.to_path_buf(),
                entries,
            },
            ListStep::Stats(stats) => LocalMsg::Stats { ticket, stats },
        }
    }
}

#[derive(Debug)]
pub enum RemoteMsg {
    Listed {
        folder: FolderId,
        ticket: u64,
        result: Result<RemoteListing, String>,
    },
}

/// A folder's sub-folders and files, from `folder/ls.cgi` and `file/ls.cgi`.
#[derive(Debug, Clone, Default)]
pub struct RemoteListing {
    pub folder: FolderListing,
    pub files: Vec<RemoteFile>,
}

#[derive(Debug)]
pub enum AccountMsg {
    Loaded(AccountInfo),
    /// `flood`: the service said "too often" (#38): keep the old values without a word.
    Failed {
        message: String,
        flood: bool,
    },
}

/// The end of a file operation: what to tell the user and which folders to list again.
#[derive(Debug)]
pub struct OpDone {
    pub result: Result<String, String>,
    pub refresh: Vec<Refresh>,
    /// Where the cursor goes once the new listing is in: the folder just made, the new name.
    pub select: Option<Select>,
}

/// An item to put the cursor on when its folder's next listing arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Select {
    Local {
        dir: PathBuf,
        name: String,
    },
    /// `name` as the user wrote it (compared with the listing's names mapped back).
    Remote {
        folder: FolderId,
        name: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refresh {
    Local(PathBuf),
    Remote(FolderId),
}
