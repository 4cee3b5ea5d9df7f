//! The UI's whole state and `update`, the one place it changes: an action in, effects out, no I/O.
//! Commands of the panes (what F5, F6, F8... build) live in `ops.rs`.

use super::action::{AccountMsg, Action, LocalMsg, OpDone, Refresh, RemoteMsg};
use super::dialog::{Confirm, Dialog, DialogOutcome, OnConfirm};
use super::effect::Effect;
use super::keymap::{Cmd, Context, GlobalCmd, KeyChord, Keymap, Nav, TransferCmd};
use super::layout::{Areas, Side};
use super::local_pane::{Filter, LocalPane};
use super::remote_tree::RemotePane;
use super::theme::Theme;
use super::transfers::TransferPanel;
use crate::api::{AccountInfo, PaceStatus};
use crate::transfer::{Changed, ConflictQuestion, Control, EngineEvent, JobState};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, MouseButton, MouseEvent, MouseEventKind};
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
    conflicts: VecDeque<ConflictQuestion>,
    pub account: Account,
    pub pace: PaceStatus,
    pub message: Option<Message>,
    pub keymap: Keymap,
    pub theme: Theme,
    pub width: u16,
    pub height: u16,
    pub now: Instant,
    /// For `~` in paths.
    pub home: Option<PathBuf>,
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
            theme: Theme::named(&opts.theme, opts.no_color),
            width: 80,
            height: 24,
            now,
            home: opts.home,
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
                Vec::new()
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
                Vec::new()
            }
            Action::Account(msg) => {
                self.account.in_flight = false;
                match msg {
                    AccountMsg::Loaded(info) => self.account.info = Some(info),
                    // "Too often": the old values stay, quietly; the next try waits its turn.
                    AccountMsg::Failed { flood: true, .. } => {}
                    AccountMsg::Failed {
                        message,
                        flood: false,
                    } => self.error(format!("account: {message}")),
                }
                Vec::new()
            }
            Action::Engine(ev) => self.on_engine(ev),
            Action::Pace(p) => {
                self.pace = p;
                Vec::new()
            }
            Action::Done(done) => self.on_done(done),
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

    fn rescroll(&mut self) {
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

    fn context(&self) -> Context {
        match self.focus {
            Focus::Local => Context::Local,
            Focus::Remote => Context::Remote,
            Focus::Transfers => Context::Transfers,
        }
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.kind == KeyEventKind::Release {
            self.dirty = false;
            return Vec::new();
        }
        if let Some(dialog) = &mut self.dialog {
            // The body of a scrolling dialog: the screen less its margins, borders and footer.
            let page = self.height.saturating_sub(5).max(1) as usize;
            let outcome = dialog.handle_key(&key, page);
            match dialog {
                Dialog::Help { scroll } => {
                    *scroll = (*scroll).min(
                        super::draw::help_lines(&self.keymap)
                            .len()
                            .saturating_sub(page),
                    )
                }
                Dialog::Links { scroll, links } => {
                    *scroll = (*scroll).min((links.len() * 2).saturating_sub(page))
                }
                _ => {}
            }
            return self.on_dialog_outcome(outcome);
        }
        if let Some(effects) = self.on_filter_key(&key) {
            return effects;
        }
        let Some(chord) = KeyChord::from_event(&key) else {
            return Vec::new();
        };
        match self.keymap.lookup(self.context().chain(), chord) {
            Some(cmd) => self.run(cmd),
            None if key.code == KeyCode::Esc => {
                self.set_filter(None);
                Vec::new()
            }
            None => {
                self.dirty = false;
                Vec::new()
            }
        }
    }

    fn focused_filter(&mut self) -> Option<&mut Option<Filter>> {
        match self.focus {
            Focus::Local => Some(&mut self.local.filter),
            Focus::Remote => Some(&mut self.remote.filter),
            Focus::Transfers => None,
        }
    }

    pub(super) fn set_filter(&mut self, filter: Option<Filter>) {
        if let Some(f) = self.focused_filter() {
            *f = filter;
        }
        self.refilter();
    }

    fn refilter(&mut self) {
        match self.focus {
            Focus::Local => {
                let h = self.pane_height(Side::Local);
                self.local.refilter(h);
            }
            Focus::Remote => {
                let h = self.pane_height(Side::Remote);
                self.remote.refilter(h);
            }
            Focus::Transfers => {}
        }
    }

    /// Keys while a filter is being typed: text edits it, Enter keeps it, Esc drops it, arrows move.
    fn on_filter_key(&mut self, key: &KeyEvent) -> Option<Vec<Effect>> {
        let filter = self.focused_filter()?.as_mut().filter(|f| f.typing)?;
        match key.code {
            KeyCode::Esc => self.set_filter(None),
            KeyCode::Enter => {
                filter.typing = false;
                if filter.input.text().is_empty() {
                    self.set_filter(None);
                }
            }
            KeyCode::Up | KeyCode::Down | KeyCode::PageUp | KeyCode::PageDown => {
                let nav = match key.code {
                    KeyCode::Up => Nav::Up,
                    KeyCode::Down => Nav::Down,
                    KeyCode::PageUp => Nav::PageUp,
                    _ => Nav::PageDown,
                };
                return Some(self.run(Cmd::Nav(nav)));
            }
            _ => {
                // Keys the text field does not take (Tab, F5, ctrl-c...) keep their meaning.
                if !filter.input.handle_key(key) {
                    return None;
                }
                self.refilter();
            }
        }
        Some(Vec::new())
    }

    fn on_paste(&mut self, text: &str) {
        if let Some(Dialog::Input(d)) = &mut self.dialog {
            d.input.insert_str(text);
        } else if let Some(Some(f)) = self.focused_filter()
            && f.typing
        {
            f.input.insert_str(text);
            self.refilter();
        }
    }

    fn on_dialog_outcome(&mut self, outcome: DialogOutcome) -> Vec<Effect> {
        let effects = match outcome {
            DialogOutcome::Stay => return Vec::new(),
            DialogOutcome::Close => Vec::new(),
            DialogOutcome::Quit => {
                self.quit = true;
                Vec::new()
            }
            DialogOutcome::Effects(effects) => {
                if effects.iter().any(|e| matches!(e, Effect::Enqueue(_))) {
                    // New work: the panel follows the queue again, and the marks have done their job.
                    self.transfers.shown = None;
                    match self.side {
                        Side::Local => self.local.clear_marks(),
                        Side::Remote => self.remote.clear_marks(),
                    }
                }
                effects
            }
            DialogOutcome::Submit(text, purpose) => {
                self.dialog = None;
                let effects = self.submit(text, purpose);
                self.next_conflict();
                return effects;
            }
        };
        self.dialog = None;
        self.next_conflict();
        effects
    }

    fn next_conflict(&mut self) {
        if self.dialog.is_none()
            && let Some(q) = self.conflicts.pop_front()
        {
            self.dialog = Some(Dialog::Conflict(super::dialog::ConflictDialog {
                question: q,
                for_all: false,
            }));
        }
    }

    pub(super) fn run(&mut self, cmd: Cmd) -> Vec<Effect> {
        match cmd {
            Cmd::Global(g) => self.run_global(g),
            Cmd::Nav(nav) => {
                match self.focus {
                    Focus::Local => {
                        let h = self.pane_height(Side::Local);
                        self.local.nav(nav, h);
                    }
                    Focus::Remote => {
                        let h = self.pane_height(Side::Remote);
                        self.remote.nav(nav, h);
                    }
                    Focus::Transfers => {
                        let rows = self.areas().panel_rows();
                        let len = self.transfers.jobs.len();
                        self.transfers.list.nav(nav, len, rows);
                    }
                }
                Vec::new()
            }
            Cmd::Pane(p) => match self.focus {
                Focus::Local => self.local_cmd(p),
                Focus::Remote => self.remote_cmd(p),
                Focus::Transfers => Vec::new(),
            },
            Cmd::Transfer(t) => self.transfer_cmd(t),
        }
    }

    fn run_global(&mut self, g: GlobalCmd) -> Vec<Effect> {
        match g {
            GlobalCmd::Quit => {
                if self.transfers.has_work() {
                    let c = self.transfers.counts();
                    let left = c.running + c.waiting + c.queued + c.paused;
                    self.open_dialog(Dialog::Confirm(Confirm {
                        title: "Quit?".into(),
                        names: Vec::new(),
                        lines: vec![
                            format!(
                                "{left} transfer{} not finished.",
                                if left == 1 { " is" } else { "s are" }
                            ),
                            "The queue is saved and resumes on the next start.".into(),
                        ],
                        ok: "Quit".into(),
                        cancel: "Stay".into(),
                        focus_ok: true,
                        danger: false,
                        then: OnConfirm::Quit,
                    }));
                } else {
                    self.quit = true;
                }
            }
            GlobalCmd::Help => self.open_dialog(Dialog::Help { scroll: 0 }),
            GlobalCmd::SwitchPane => {
                let to = match self.focus {
                    Focus::Local => Side::Remote,
                    Focus::Remote => Side::Local,
                    Focus::Transfers => self.side,
                };
                self.focus_side(to);
            }
            GlobalCmd::ToggleTransfers => {
                let show = !self.transfers.visible();
                self.transfers.shown = Some(show);
                if !show && self.focus == Focus::Transfers {
                    self.focus_side(self.side);
                }
                self.rescroll();
            }
            GlobalCmd::FocusTransfers => {
                if self.focus == Focus::Transfers {
                    self.focus_side(self.side);
                } else {
                    if !self.transfers.visible() {
                        self.transfers.shown = Some(true);
                    }
                    self.stop_typing();
                    self.focus = Focus::Transfers;
                    self.rescroll();
                }
            }
        }
        Vec::new()
    }

    pub(super) fn focus_side(&mut self, side: Side) {
        self.stop_typing();
        self.side = side;
        self.focus = match side {
            Side::Local => Focus::Local,
            Side::Remote => Focus::Remote,
        };
        self.rescroll();
    }

    /// Leaving a pane ends the typing of its filter: the filter stays (an empty one goes), and
    /// keys mean commands again when the user comes back.
    fn stop_typing(&mut self) {
        let (hl, hr) = (
            self.pane_height(Side::Local),
            self.pane_height(Side::Remote),
        );
        if let Some(f) = &mut self.local.filter {
            f.typing = false;
            if f.input.text().is_empty() {
                self.local.filter = None;
                self.local.refilter(hl);
            }
        }
        if let Some(f) = &mut self.remote.filter {
            f.typing = false;
            if f.input.text().is_empty() {
                self.remote.filter = None;
                self.remote.refilter(hr);
            }
        }
    }

    fn transfer_cmd(&mut self, t: TransferCmd) -> Vec<Effect> {
        if t == TransferCmd::Leave {
            self.focus_side(self.side);
            return Vec::new();
        }
        if t == TransferCmd::ClearFinished {
            return vec![Effect::Control(Control::ClearFinished)];
        }
        if t == TransferCmd::PauseAll {
            let any_going = self.transfers.jobs.iter().any(|j| {
                matches!(
                    j.state,
                    JobState::Running { .. } | JobState::Waiting { .. } | JobState::Queued
                )
            });
            return vec![Effect::Control(if any_going {
                Control::PauseAll
            } else {
                Control::ResumeAll
            })];
        }
        let Some(job) = self.transfers.selected() else {
            return Vec::new();
        };
        let id = job.id;
        let control = match t {
            TransferCmd::PauseResume => match job.state {
                JobState::Paused { .. } => Control::Resume(id),
                ref s if s.is_finished() => return Vec::new(),
                _ => Control::Pause(id),
            },
            TransferCmd::Cancel if job.state.is_finished() => return Vec::new(),
            TransferCmd::Cancel => Control::Cancel(id),
            TransferCmd::Retry
                if matches!(job.state, JobState::Failed { .. } | JobState::Cancelled) =>
            {
                Control::Retry(id)
            }
            TransferCmd::Retry => return Vec::new(),
            TransferCmd::MoveUp => Control::MoveUp(id),
            TransferCmd::MoveDown => Control::MoveDown(id),
            TransferCmd::Leave | TransferCmd::ClearFinished | TransferCmd::PauseAll => {
                return Vec::new();
            }
        };
        vec![Effect::Control(control)]
    }

    fn on_engine(&mut self, ev: EngineEvent) -> Vec<Effect> {
        match ev {
            EngineEvent::Jobs(jobs) => {
                let rows = self.areas().panel_rows();
                self.transfers.set_jobs(jobs, rows);
                self.rescroll();
                Vec::new()
            }
            EngineEvent::Conflict(q) => {
                self.conflicts.push_back(q);
                self.next_conflict();
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
            Ok(text) => self.say(text),
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

    fn on_mouse(&mut self, m: MouseEvent) -> Vec<Effect> {
        if self.dialog.is_some() {
            self.dirty = false;
            return Vec::new();
        }
        let areas = self.areas();
        let hit =
            |r: Option<ratatui::layout::Rect>| r.filter(|r| r.contains((m.column, m.row).into()));
        let (target, rect) = if let Some(r) = hit(areas.local) {
            (Focus::Local, r)
        } else if let Some(r) = hit(areas.remote) {
            (Focus::Remote, r)
        } else if let Some(r) = hit(areas.transfers) {
            (Focus::Transfers, r)
        } else {
            self.dirty = false;
            return Vec::new();
        };
        match m.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                match target {
                    Focus::Local => self.focus_side(Side::Local),
                    Focus::Remote => self.focus_side(Side::Remote),
                    Focus::Transfers => self.focus = Focus::Transfers,
                }
                // Lists start under the top border, and below the column header in the panes.
                let first = rect.y + if target == Focus::Transfers { 1 } else { 2 };
                if m.row >= first && m.row < rect.bottom().saturating_sub(1) {
                    let i = (m.row - first) as usize;
                    match target {
                        Focus::Local => {
                            let h = self.pane_height(Side::Local);
                            let row = self.local.list.offset + i;
                            if row < self.local.len() {
                                self.local.list.select(row, self.local.len(), h);
                            }
                        }
                        Focus::Remote => {
                            let h = self.pane_height(Side::Remote);
                            let row = self.remote.list.offset + i;
                            if row < self.remote.len() {
                                self.remote.list.select(row, self.remote.len(), h);
                            }
                        }
                        Focus::Transfers => {
                            let rows = areas.panel_rows();
                            let row = self.transfers.list.offset + i;
                            if row < self.transfers.jobs.len() {
                                self.transfers
                                    .list
                                    .select(row, self.transfers.jobs.len(), rows);
                            }
                        }
                    }
                }
                Vec::new()
            }
            MouseEventKind::ScrollUp | MouseEventKind::ScrollDown => {
                let nav = if m.kind == MouseEventKind::ScrollUp {
                    Nav::Up
                } else {
                    Nav::Down
                };
                let before = self.focus;
                self.focus = target;
                for _ in 0..3 {
                    self.run(Cmd::Nav(nav));
                }
                self.focus = before;
                Vec::new()
            }
            _ => {
                self.dirty = false;
                Vec::new()
            }
        }
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
