//! What commands do: the global ones (quit, help, focus, the transfer panel) and those of the
//! transfer panel. Pane commands are in `ops.rs` and `remote_ops.rs`.

use super::app::{App, Focus};
use super::dialog::{Confirm, Dialog, OnConfirm};
use super::effect::Effect;
use super::keymap::{Cmd, GlobalCmd, TransferCmd};
use super::layout::Side;
use crate::transfer::{Control, JobState};

impl App {
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
            Cmd::Compare => self.compare_toggle(),
            Cmd::Sync => self.sync_open(),
        }
    }

    fn run_global(&mut self, g: GlobalCmd) -> Vec<Effect> {
        match g {
            GlobalCmd::Quit => {
                if self.sync.as_ref().is_some_and(|s| s.is_running()) {
                    self.open_dialog(Dialog::Confirm(Confirm {
                        title: "Quit?".into(),
                        names: Vec::new(),
                        lines: vec![
                            "A sync is running.".into(),
                            "Its transfers are journaled: running the same sync again finishes them.".into(),
                        ],
                        ok: "Quit".into(),
                        cancel: "Stay".into(),
                        focus_ok: false,
                        danger: false,
                        then: OnConfirm::Quit,
                    }));
                } else if self.transfers.has_work() {
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
                            if self.ephemeral_queue {
                                "The demo's queue is not kept after it quits.".into()
                            } else {
                                "The queue is saved and resumes on the next start.".into()
                            },
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
    pub(super) fn stop_typing(&mut self) {
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
}
