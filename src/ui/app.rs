//! The UI's whole state and `update`, the one place it changes: an action in, effects out, no I/O.
//! Input is read in `events.rs`, commands run in `commands.rs`, and the panes' operations (what
//! F5, F6, F8... build) in `ops.rs` and `remote_ops.rs`.

use super::action::{AccountMsg, Action, LocalMsg, OpDone, Refresh, RemoteMsg, Select};
use super::dialog::Dialog;
use super::effect::Effect;
use super::keymap::{Context, Keymap};
use super::layout::{Areas, Side};
use super::local_pane::LocalPane;
use super::remote_tree::RemotePane;
use super::theme::Theme;
use super::transfers::TransferPanel;
use crate::api::{AccountInfo, PaceStatus};
use crate::transfer::{Changed, ConflictQuestion, EngineEvent, JobState};
use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How long a message stays in the status bar.
const MESSAGE_TIME: Duration = Duration::from_secs(5);
const ERROR_TIME: Duration = Duration::from_secs(8);
/// The account is asked again no sooner than this after a transfer...
const ACCOUNT_MIN_GAP: Duration = Duration::from_secs(60);
/// ...and at least this often (the service allows about one call per five minutes per account).
const ACCOUNT_PERIOD: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Local,
    Remote,
    Transfers,
}

/// The account as last known, and when to ask again.
#[derive(Debug, Default)]
pub struct Account {
    pub info: Option<AccountInfo>,
    pub last_try: Option<Instant>,
    pub in_flight: bool,
    /// A transfer finished: ask again once the minimum gap has passed.
    pub wanted: bool,
    /// When `info` was last answered, to say its age once it is old.
    pub fetched: Option<Instant>,
    /// Why the last try failed (not for "too often", which is normal): shown while no values are
    /// known, so the bar never says "loading" for an account that will not load.
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub text: String,
    pub error: bool,
    pub until: Instant,
}

/// What the UI starts from.
#[derive(Debug, Clone, Default)]
pub struct AppOptions {
    pub start_dir: PathBuf,
    pub keys: BTreeMap<String, Vec<String>>,
    pub theme: String,
    pub no_color: bool,
    pub show_hidden: bool,
    pub home: Option<PathBuf>,
    /// The queue is not kept after quitting (the demo's lives in a temporary folder).
    pub ephemeral_queue: bool,
}

#[derive(Debug)]
pub struct App {
    pub local: LocalPane,
    pub remote: RemotePane,
    pub transfers: TransferPanel,
    pub focus: Focus,
    /// The pane that shows when only one fits, and that the transfer panel returns to.
    pub side: Side,
    pub dialog: Option<Dialog>,
    pub(super) conflicts: VecDeque<ConflictQuestion>,
    pub account: Account,
    pub pace: PaceStatus,
    pub message: Option<Message>,
    pub keymap: Keymap,
    /// The comparison of the two panes' folders (`=`), while it shows.
    pub compare: Option<super::compare::Compare>,
    /// The sync dialog (`S`) and its run, while either exists.
    pub sync: Option<super::sync_dialog::SyncUi>,
    pub theme: Theme,
    pub width: u16,
    pub height: u16,
    pub now: Instant,
    /// For `~` in paths.
    pub home: Option<PathBuf>,
    pub ephemeral_queue: bool,
    pub quit: bool,
    /// The state changed since the last frame.
    pub dirty: bool,
}

impl App {
    pub fn new(opts: AppOptions) -> App {
        let keymap = Keymap::new(&opts.keys);
        let now = Instant::now();
        let message = (!keymap.errors.is_empty()).then(|| Message {
            text: keymap.errors.join("; "),
            error: true,
            until: now + ERROR_TIME * 2,
        });
        App {
            local: LocalPane::new(opts.start_dir, opts.show_hidden),
            remote: RemotePane::new(),
            transfers: TransferPanel::default(),
            focus: Focus::Local,
            side: Side::Local,
            dialog: None,
            conflicts: VecDeque::new(),
            account: Account::default(),
            pace: PaceStatus::Ready,
            message,
            keymap,
            compare: None,
            sync: None,
            theme: Theme::named(&opts.theme, opts.no_color),
            width: 80,
            height: 24,
            now,
            home: opts.home,
            ephemeral_queue: opts.ephemeral_queue,
            quit: false,
            dirty: true,
        }
    }

    /// The first work: list both panes and ask for the account.
    pub fn start(&mut self) -> Vec<Effect> {
        let mut effects = vec![self.local.reload()];
        effects.extend(self.remote.request(crate::api::FolderId::ROOT));
        self.account.in_flight = true;
        self.account.last_try = Some(self.now);
        effects.push(Effect::FetchAccount);
        effects
    }

    pub fn areas(&self) -> Areas {
        let jobs = self
            .transfers
            .visible()
            .then_some(self.transfers.jobs.len());
        Areas::compute(self.width, self.height, jobs, self.side)
    }

    /// Rows in the list of `side`'s pane, for paging and scrolling.
    pub fn pane_height(&self, side: Side) -> usize {
        let a = self.areas();
        // A pane that does not show (narrow terminal) would have the same size as the other.
        Areas::pane_rows(match side {
            Side::Local => a.local.or(a.remote),
            Side::Remote => a.remote.or(a.local),
        })
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        self.dirty = true;
        let mut effects = match action {
            Action::Key(key) => self.on_key(key),
            Action::Mouse(m) => self.on_mouse(m),
            Action::Paste(text) => {
                self.on_paste(&text);
                Vec::new()
            }
            Action::Resize { width, height } => {
                self.width = width;
                self.height = height;
                self.rescroll();
                Vec::new()
            }
            Action::Tick => {
                if self.message.as_ref().is_some_and(|m| m.until <= self.now) {
                    self.message = None;
                }
                Vec::new()
            }
            Action::Cmd(cmd) => self.run(cmd),
            Action::Local(LocalMsg::Listed {
                ticket,
                dir,
                result,
            }) => {
                let h = self.pane_height(Side::Local);
                if let Some(e) = self.local.on_listed(ticket, dir, result, h) {
                    self.error(e);
                }
                self.compare_after_listing(None)
            }
            Action::Local(LocalMsg::Names {
                ticket,
                dir,
                entries,
            }) => {
                let h = self.pane_height(Side::Local);
                self.local.on_names(ticket, dir, entries, h);
                self.compare_after_listing(None)
            }
            Action::Local(LocalMsg::Stats { ticket, stats }) => {
                let h = self.pane_height(Side::Local);
                if self.local.on_stats(ticket, stats, h) {
                    self.compare_after_listing(None)
                } else {
                    Vec::new()
                }
            }
            Action::Remote(RemoteMsg::Listed {
                folder,
                ticket,
                result,
            }) => {
                let h = self.pane_height(Side::Remote);
                if let Some(e) = self.remote.on_listed(folder, ticket, result, h) {
                    self.error(e);
                }
                self.compare_after_listing(Some(folder))
            }
            Action::Account(msg) => {
                self.account.in_flight = false;
                match msg {
                    AccountMsg::Loaded(info) => {
                        self.account.info = Some(info);
                        self.account.fetched = Some(self.now);
                        self.account.error = None;
                    }
                    // "Too often": the old values stay, quietly; the next try waits its turn.
                    AccountMsg::Failed { flood: true, .. } => {}
                    AccountMsg::Failed {
                        message,
                        flood: false,
                    } => {
                        self.error(format!("account: {message}"));
                        self.account.error = Some(message);
                    }
                }
                Vec::new()
            }
            Action::Engine(ev) => self.on_engine(ev),
            Action::Pace(p) => {
                self.pace = p;
                Vec::new()
            }
            Action::Done(done) => self.on_done(done),
            Action::Compare(msg) => self.on_compare(msg),
            Action::Sync(msg) => self.on_sync(msg),
        };
        effects.extend(self.account_due());
        effects
    }

    /// When the loop must wake up next with nothing else happening: a message to clear, a
    /// countdown to redraw, the account timer. `None`: sleep until an event comes.
    pub fn next_wakeup(&self) -> Option<Instant> {
        let mut next: Option<Instant> = None;
        let mut at = |t: Instant| next = Some(next.map_or(t, |n| n.min(t)));
        if let Some(m) = &self.message {
            at(m.until);
        }
        let counting = matches!(self.pace, PaceStatus::Waiting { .. })
            || self
                .transfers
                .jobs
                .iter()
                .any(|j| matches!(j.state, JobState::Waiting { until: Some(_), .. }));
        if counting {
            at(self.now + Duration::from_secs(1));
        }
        if !self.account.in_flight
            && let Some(last) = self.account.last_try
        {
            at(last
                + if self.account.wanted {
                    ACCOUNT_MIN_GAP
                } else {
                    ACCOUNT_PERIOD
                });
        }
        next
    }

    fn account_due(&mut self) -> Option<Effect> {
        if self.account.in_flight {
            return None;
        }
        let gap = if self.account.wanted {
            ACCOUNT_MIN_GAP
        } else {
            ACCOUNT_PERIOD
        };
        let due = self
            .account
            .last_try
            .is_none_or(|t| self.now.duration_since(t) >= gap);
        if !due {
            return None;
        }
        self.account.in_flight = true;
        self.account.wanted = false;
        self.account.last_try = Some(self.now);
        Some(Effect::FetchAccount)
    }

    pub fn say(&mut self, text: impl Into<String>) {
        self.message = Some(Message {
            text: text.into(),
            error: false,
            until: self.now + MESSAGE_TIME,
        });
    }

    pub fn error(&mut self, text: impl Into<String>) {
        let text = text.into();
        tracing::warn!("{text}");
        self.message = Some(Message {
            text,
            error: true,
            until: self.now + ERROR_TIME,
        });
    }

    pub(super) fn open_dialog(&mut self, d: Dialog) {
        self.dialog = Some(d);
    }

    pub(super) fn rescroll(&mut self) {
        let (hl, hr) = (
            self.pane_height(Side::Local),
            self.pane_height(Side::Remote),
        );
        let len = self.local.len();
        self.local.list.scroll(len, hl);
        let len = self.remote.len();
        self.remote.list.scroll(len, hr);
        let rows = self.areas().panel_rows();
        let len = self.transfers.jobs.len();
        self.transfers.list.scroll(len, rows);
    }

    pub(super) fn context(&self) -> Context {
        match self.focus {
            Focus::Local => Context::Local,
            Focus::Remote => Context::Remote,
            Focus::Transfers => Context::Transfers,
        }
    }

    fn on_engine(&mut self, ev: EngineEvent) -> Vec<Effect> {
        match ev {
            EngineEvent::Jobs(jobs) => {
                let had_work = self.transfers.has_work();
                let rows = self.areas().panel_rows();
                self.transfers.set_jobs(jobs, rows);
                let c = self.transfers.counts();
                // The panel hides once the work is over (unless something failed): say so, or the
                // last transfer would end without a word.
                if had_work && !self.transfers.has_work() && c.failed == 0 {
                    self.say("all transfers done");
                }
                self.rescroll();
                Vec::new()
            }
            EngineEvent::Conflict(q) => {
                self.conflicts.push_back(q);
                self.next_conflict();
                Vec::new()
            }
            EngineEvent::Notice(text) => {
                self.error(text);
                Vec::new()
            }
            EngineEvent::Finished { changed, .. } => {
                self.account.wanted = true;
                match changed {
                    Changed::Remote(id) => self.remote.refresh(id).into_iter().collect(),
                    Changed::Local(dir) if self.local.is_in(&dir) => vec![self.local.reload()],
                    _ => Vec::new(),
                }
            }
        }
    }

    fn on_done(&mut self, done: OpDone) -> Vec<Effect> {
        match done.result {
            Ok(text) => {
                self.say(text);
                match done.select {
                    Some(Select::Local { dir, name }) if self.local.is_in(&dir) => {
                        self.local.select_on_listing(name.into())
                    }
                    Some(Select::Remote { folder, name }) => {
                        self.remote.select_on_listing(folder, name)
                    }
                    _ => {}
                }
            }
            Err(text) => {
                tracing::warn!("{text}");
                self.open_dialog(Dialog::Message {
                    title: "That did not work".into(),
                    text,
                    error: true,
                });
            }
        }
        let mut effects = Vec::new();
        for r in done.refresh {
            match r {
                Refresh::Local(dir) if self.local.is_in(&dir) => effects.push(self.local.reload()),
                Refresh::Local(_) => {}
                Refresh::Remote(id) => effects.extend(self.remote.refresh(id)),
            }
        }
        effects
    }

    /// `~/x` for a path under the home directory.
    pub fn show_path(&self, path: &std::path::Path) -> String {
        if let Some(home) = &self.home
            && let Ok(rest) = path.strip_prefix(home)
        {
            return if rest.as_os_str().is_empty() {
                "~".into()
            } else {
                format!("~/{}", rest.display())
            };
        }
        path.display().to_string()
    }
}
