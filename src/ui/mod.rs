//! The two-pane terminal UI: local files on the left, the 1fichier tree on the right, a transfer
//! panel and a status bar. Data goes one way: terminal events and task messages become `Action`s,
//! `App::update` turns them into state and `Effect`s (no I/O), `draw` reads the state, and the
//! runtime runs the effects in tasks that report back with more actions.

pub mod action;
pub mod app;
mod commands;
pub mod compare;
pub mod dialog;
pub mod draw;
pub mod effect;
mod events;
pub mod input;
pub mod keymap;
pub mod layout;
pub mod list;
pub mod local_pane;
mod ops;
mod remote_ops;
pub mod remote_tree;
mod runtime;
pub mod sync_dialog;
pub mod terminal;
pub mod text;
pub mod theme;
pub mod transfers;

pub use action::Action;
pub use app::{App, AppOptions, Focus};
pub use draw::draw;
pub use effect::Effect;
pub use runtime::run;

/// Everything the UI needs from the program that starts it.
pub struct UiContext {
    pub client: crate::api::Client,
    pub engine: crate::transfer::Engine,
    pub engine_events: tokio::sync::mpsc::UnboundedReceiver<crate::transfer::EngineEvent>,
    pub start_dir: std::path::PathBuf,
    /// The user's `[keys]` table: action name -> key strings like "F5", "c", "ctrl-r", "shift-tab".
    pub keys: std::collections::BTreeMap<String, Vec<String>>,
    pub mouse: bool,
    /// "default" or "mono".
    pub theme: String,
    /// NO_COLOR is set: modifiers only.
    pub no_color: bool,
    pub show_hidden: bool,
    /// The queue is thrown away on quitting (the demo): the quit dialog must not promise a resume.
    pub ephemeral_queue: bool,
    /// The program's state folder: the sync dialog's pairs keep their lock, journal and hash
    /// cache there, shared with the `sync` subcommand.
    pub state_dir: std::path::PathBuf,
    /// Transfers at once and the bandwidth cap for a sync run (as the subcommand takes them).
    pub sync_jobs: usize,
    pub sync_bwlimit: Option<u64>,
}
