//! What the sync dialog does with keys and with its task's messages: open it for the two panes'
//! folders, plan again when an option changes, start the real run on Enter, and fold the run's
//! progress and its end (a summary, both panes listed again) into the state.

use super::{
    PROBLEMS_SHOWN, Progress, SUMMARY_TIME, Stage, SyncChoices, SyncMsg, SyncUi, ends, has_work,
    plan_rows,
};
use crate::api::FolderId;
use crate::sync::{Direction, Pair, Report};
use crate::ui::app::{App, Focus};
use crate::ui::dialog::Dialog;
use crate::ui::effect::Effect;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

impl App {
    /// `S`: opens the sync dialog for the two panes' folders, the active pane being the source;
    /// while a sync runs, shows its progress instead.
    pub(in crate::ui) fn sync_open(&mut self) -> Vec<Effect> {
        if let Some(s) = &mut self.sync {
            s.shown = true;
            return Vec::new();
        }
        let direction = match self.focus {
            Focus::Remote => Direction::Down,
            _ => Direction::Up,
        };
        let folder = self.remote.current_folder();
        let mut ui = SyncUi {
            pair: Pair {
                local: self.local.dir.clone(),
                remote: self.remote.path(folder),
                direction,
            },
            choices: SyncChoices::default(),
            stage: Stage::Planning(Progress::default()),
            shown: true,
            scroll: 0,
            remote_folder: folder,
            ticket: 0,
        };
        let effect = ui.request(true);
        self.sync = Some(ui);
        vec![effect]
    }

    /// Keys while the dialog shows. `page`: rows of the plan's list on screen.
    pub(in crate::ui) fn sync_key(&mut self, key: &KeyEvent, page: usize) -> Vec<Effect> {
        let Some(s) = &mut self.sync else {
            return Vec::new();
        };
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if let Stage::Running(_) = s.stage {
            if key.code == KeyCode::Char('x') {
                let (local, folder) = (s.pair.local.clone(), s.remote_folder);
                self.sync = None;
                self.say("sync stopped: what was sent stays; the next sync of these folders goes on from there");
                let mut effects = vec![Effect::SyncStop];
                effects.extend(self.sync_refresh(&local, folder));
                return effects;
            }
            // The run goes on whatever else is pressed: these only hide its window.
            if matches!(
                key.code,
                KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') | KeyCode::Char('b')
            ) || ctrl
            {
                s.shown = false;
            }
            return Vec::new();
        }
        if key.code == KeyCode::Esc
            || matches!(key.code, KeyCode::Char('n') | KeyCode::Char('q'))
            || (ctrl && key.code == KeyCode::Char('c'))
        {
            self.sync = None;
            self.say("sync cancelled; nothing was changed");
            return vec![Effect::SyncStop];
        }
        let rows = match &s.stage {
            Stage::Plan(r) => plan_rows(r, s.choices.delete).len(),
            _ => 0,
        };
        let max = rows.saturating_sub(page.max(1));
        match key.code {
            KeyCode::Char('f') => {
                s.pair.direction = match s.pair.direction {
                    Direction::Up => Direction::Down,
                    Direction::Down => Direction::Up,
                };
                s.replan()
            }
            KeyCode::Char('d') => {
                s.choices.delete = !s.choices.delete;
                Vec::new()
            }
            KeyCode::Char('s') => {
                s.choices.size_only = !s.choices.size_only;
                s.replan()
            }
            // Again, as it is: after a refusal (another run held the pair) or to see changes.
            KeyCode::Char('r') => s.replan(),
            KeyCode::Enter | KeyCode::Char('y') => self.sync_confirm(),
            KeyCode::Up | KeyCode::Char('k') => {
                s.scroll = s.scroll.saturating_sub(1);
                Vec::new()
            }
            KeyCode::Down | KeyCode::Char('j') => {
                s.scroll = (s.scroll + 1).min(max);
                Vec::new()
            }
            KeyCode::PageUp => {
                s.scroll = s.scroll.saturating_sub(page.max(1));
                Vec::new()
            }
            KeyCode::PageDown | KeyCode::Char(' ') => {
                s.scroll = (s.scroll + page.max(1)).min(max);
                Vec::new()
            }
            KeyCode::Home | KeyCode::Char('g') => {
                s.scroll = 0;
                Vec::new()
            }
            KeyCode::End | KeyCode::Char('G') => {
                s.scroll = max;
                Vec::new()
            }
            _ => {
                self.dirty = false;
                Vec::new()
            }
        }
    }

    /// Enter on a plan: the real run, through the same engine, lock and journal as `sync`.
    fn sync_confirm(&mut self) -> Vec<Effect> {
        let Some(pair) = self.sync.as_ref().map(|s| s.pair.clone()) else {
            return Vec::new();
        };
        let (from, to) = ends(self, &pair);
        let Some(s) = &mut self.sync else {
            return Vec::new();
        };
        match &s.stage {
            Stage::Plan(r) if has_work(r, s.choices) => {
                s.stage = Stage::Running(Progress::default());
                s.scroll = 0;
                let effect = s.request(false);
                let text = format!(
                    "sync started: {} -> {}",
                    crate::sanitize::for_terminal(&from),
                    crate::sanitize::for_terminal(&to)
                );
                self.say(text);
                vec![effect]
            }
            Stage::Plan(r) => {
                let over_cap = s.choices.delete && r.to_delete > s.choices.max_delete;
                self.sync = None;
                self.say(if over_cap {
                    "nothing to copy, and more to delete than the cap allows: nothing done"
                } else {
                    "nothing to sync: both sides already match"
                });
                Vec::new()
            }
            Stage::Failed(_) => {
                self.sync = None;
                Vec::new()
            }
            _ => {
                self.dirty = false;
                Vec::new()
            }
        }
    }

    pub(in crate::ui) fn on_sync(&mut self, msg: SyncMsg) -> Vec<Effect> {
        let Some(s) = &mut self.sync else {
            self.dirty = false;
            return Vec::new();
        };
        if msg.ticket() != s.ticket {
            self.dirty = false;
            return Vec::new();
        }
        let progress = match &mut s.stage {
            Stage::Planning(p) | Stage::Running(p) => Some(p),
            _ => None,
        };
        match (msg, progress) {
            (SyncMsg::Phase { phase, .. }, Some(p)) => p.phase = phase,
            (SyncMsg::Hashing { done, total, .. }, Some(p)) => p.hashing = Some((done, total)),
            (SyncMsg::Jobs { jobs, .. }, Some(p)) => p.fold_jobs(&jobs),
            (SyncMsg::Notice { text, .. }, Some(p)) => p.notice = Some(text),
            (SyncMsg::Finished { result, .. }, _) => return self.sync_finished(result),
            _ => self.dirty = false,
        }
        Vec::new()
    }

    fn sync_finished(&mut self, result: Result<Box<Report>, String>) -> Vec<Effect> {
        let Some(s) = &mut self.sync else {
            return Vec::new();
        };
        match (&s.stage, result) {
            (Stage::Planning(_), Ok(report)) => {
                s.stage = Stage::Plan(report);
                s.scroll = 0;
                Vec::new()
            }
            (Stage::Planning(_), Err(e)) => {
                s.stage = Stage::Failed(e);
                Vec::new()
            }
            (Stage::Running(_), result) => {
                let pair = s.pair.clone();
                let folder = s.remote_folder;
                self.sync = None;
                match result {
                    Ok(r) if r.ok() => self.say(r.summary_line()),
                    Ok(r) => {
                        // What failed, by name, in a box the user closes; the line stays below.
                        let problems: Vec<String> =
                            r.problem_lines().lines().map(String::from).collect();
                        let mut text = problems
                            .iter()
                            .take(PROBLEMS_SHOWN)
                            .cloned()
                            .collect::<Vec<_>>()
                            .join("; ");
                        if problems.len() > PROBLEMS_SHOWN {
                            text.push_str(&format!(
                                "; and {} more (see the log)",
                                problems.len() - PROBLEMS_SHOWN
                            ));
                        }
                        for p in &problems {
                            tracing::warn!("sync: {p}");
                        }
                        if self.dialog.is_none() {
                            self.open_dialog(Dialog::Message {
                                title: "Sync finished with problems".into(),
                                text: format!("{} {text}", r.summary_line()),
                                error: true,
                            });
                        }
                        self.error(format!(
                            "{}; {}",
                            r.summary_line(),
                            problems.first().map(String::as_str).unwrap_or_default()
                        ));
                    }
                    Err(e) => self.error(format!("sync: {e}")),
                }
                // A run's outcome is worth more than the usual few seconds.
                if let Some(m) = &mut self.message {
                    m.until = m.until.max(self.now + SUMMARY_TIME);
                }
                self.account.wanted = true;
                self.sync_refresh(&pair.local, folder)
            }
            _ => Vec::new(),
        }
    }

    /// Both panes list again what the run changed: the local pane when it shows the pair's
    /// folder or one below it, and the remote folder with every listed folder under it.
    fn sync_refresh(&mut self, local: &std::path::Path, folder: FolderId) -> Vec<Effect> {
        let mut effects = Vec::new();
        if self.local.dir.starts_with(local) {
            effects.push(self.local.reload());
        }
        let mut todo = vec![folder];
        let mut seen = std::collections::HashSet::new();
        while let Some(id) = todo.pop() {
            if !seen.insert(id) {
                continue;
            }
            if let Some(node) = self.remote.node(id) {
                todo.extend(node.children.iter().copied());
            }
            effects.extend(self.remote.refresh(id));
        }
        effects
    }
}
