//! Terminal input: keys (to an open dialog, to a filter being typed, else through the keymap),
//! pasted text, and the mouse (hit-tested against the same layout `draw` uses).

use super::app::{App, Focus};
use super::dialog::{ConflictDialog, Dialog, DialogOutcome};
use super::effect::Effect;
use super::keymap::{Cmd, KeyChord, Nav};
use super::layout::Side;
use super::local_pane::Filter;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, MouseButton, MouseEvent, MouseEventKind};

impl App {
    pub(super) fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.kind == KeyEventKind::Release {
            self.dirty = false;
            return Vec::new();
        }
        if let Some(dialog) = &self.dialog {
            // A scrolling dialog pages by its body's height and stops at its last line.
            let limits = super::draw::scroll_limits(self, dialog);
            let page = limits.map_or(1, |l| l.1);
            let Some(dialog) = &mut self.dialog else {
                return Vec::new();
            };
            let outcome = dialog.handle_key(&key, page);
            if let (Some((max, _)), Dialog::Help { scroll } | Dialog::Links { scroll, .. }) =
                (limits, dialog)
            {
                *scroll = (*scroll).min(max);
            }
            return self.on_dialog_outcome(outcome);
        }
        if self.sync.as_ref().is_some_and(|s| s.shown) {
            let page = super::draw::sync_page(self);
            return self.sync_key(&key, page);
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

    pub(super) fn on_paste(&mut self, text: &str) {
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

    pub(super) fn next_conflict(&mut self) {
        if self.dialog.is_none()
            && let Some(q) = self.conflicts.pop_front()
        {
            self.dialog = Some(Dialog::Conflict(ConflictDialog {
                question: q,
                for_all: false,
            }));
        }
    }

    pub(super) fn on_mouse(&mut self, m: MouseEvent) -> Vec<Effect> {
        if self.dialog.is_some() || self.sync.as_ref().is_some_and(|s| s.shown) {
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
}
