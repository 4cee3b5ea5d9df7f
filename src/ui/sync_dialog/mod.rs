//! The sync dialog (`S`): a one-way sync of the two panes' folders through the same engine as the
//! `sync` subcommand. It first asks for a dry run and shows the plan; Enter starts the real run,
//! which goes on in the background (a line in the status bar) while the user keeps browsing, and
//! ends with the report's summary as a notice. The state lives here, keys and messages in
//! `update`, the task in `worker`.

mod update;
mod worker;

pub use worker::{SyncSettings, run_request};

use super::action::Action;
use super::app::App;
use super::effect::Effect;
use crate::api::FolderId;
use crate::sync::{Change, Direction, Pair, Report};
use crate::transfer::{JobState, JobView};
use std::sync::Arc;

/// How long the end of a run stays in the status bar.
const SUMMARY_TIME: std::time::Duration = std::time::Duration::from_secs(20);
/// Problems named in the box at the end of a run (all of them go to the log).
const PROBLEMS_SHOWN: usize = 5;

/// What the user chose in the dialog; the rest of `SyncOptions` comes from the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncChoices {
    /// Remove what exists only on the destination (after every copy succeeded).
    pub delete: bool,
    /// More removals than this and nothing is deleted (the subcommand's `--max-delete`).
    pub max_delete: usize,
    pub size_only: bool,
}

impl Default for SyncChoices {
    fn default() -> Self {
        SyncChoices {
            delete: false,
            max_delete: crate::sync::SyncOptions::default().max_delete,
            size_only: false,
        }
    }
}

/// A run the runtime is asked to start (a dry run for the plan, or the real one).
#[derive(Debug, Clone, PartialEq)]
pub struct SyncRequest {
    pub ticket: u64,
    pub pair: Pair,
    pub dry_run: bool,
    pub choices: SyncChoices,
}

/// The task's reports, tagged with the ticket of the request they answer.
#[derive(Debug)]
pub enum SyncMsg {
    Phase {
        ticket: u64,
        phase: &'static str,
    },
    /// Local files hashed so far, in bytes.
    Hashing {
        ticket: u64,
        done: u64,
        total: u64,
    },
    Jobs {
        ticket: u64,
        jobs: Arc<Vec<JobView>>,
    },
    Notice {
        ticket: u64,
        text: String,
    },
    Finished {
        ticket: u64,
        result: Result<Box<Report>, String>,
    },
}

impl SyncMsg {
    fn ticket(&self) -> u64 {
        match self {
            SyncMsg::Phase { ticket, .. }
            | SyncMsg::Hashing { ticket, .. }
            | SyncMsg::Jobs { ticket, .. }
            | SyncMsg::Notice { ticket, .. }
            | SyncMsg::Finished { ticket, .. } => *ticket,
        }
    }
}

/// How far a run has gone, folded from its messages.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Progress {
    pub phase: &'static str,
    /// Bytes of local files hashed, and to hash.
    pub hashing: Option<(u64, u64)>,
    /// Transfers finished, and all of them.
    pub files: (usize, usize),
    /// The transfer moving now: its name (raw) and how far it is.
    pub current: Option<(String, u64, u64)>,
    /// The last thing the run said.
    pub notice: Option<String>,
}

impl Progress {
    fn fold_jobs(&mut self, jobs: &[JobView]) {
        let finished = jobs.iter().filter(|j| j.state.is_finished()).count();
        self.files = (finished, jobs.len());
        self.current = jobs.iter().find_map(|j| match &j.state {
            JobState::Running { done, total, .. } => Some((j.name.clone(), *done, *total)),
            _ => None,
        });
    }

    /// One short line: "sending 3/10 files", "comparing: hashing 45%".
    pub fn line(&self) -> String {
        let phase = if self.phase.is_empty() {
            "starting"
        } else {
            self.phase
        };
        let mut s = phase.to_string();
        if let Some((done, total)) = self.hashing
            && done < total
        {
            let pct = (done * 100).checked_div(total).unwrap_or(0);
            s.push_str(&format!(", hashing local files {pct}%"));
        }
        if self.files.1 > 0 {
            s.push_str(&format!(" {}/{} files", self.files.0, self.files.1));
        }
        s
    }
}

#[derive(Debug, Clone)]
pub enum Stage {
    /// The dry run is going.
    Planning(Progress),
    /// The plan, waiting for Enter or Esc.
    Plan(Box<Report>),
    /// The plan could not be made (another run holds the pair, the source is gone...).
    Failed(String),
    /// The real run is going.
    Running(Progress),
}

/// The sync dialog and its run.
#[derive(Debug, Clone)]
pub struct SyncUi {
    pub pair: Pair,
    pub choices: SyncChoices,
    pub stage: Stage,
    /// The dialog is on screen (a running sync can be sent to the background).
    pub shown: bool,
    /// First row of the plan's list on screen.
    pub scroll: usize,
    /// The remote folder the pair names, to list again when the run ends.
    pub remote_folder: FolderId,
    ticket: u64,
}

/// One row of the plan's list: its kind ("new", "changed", "delete" or, with the delete option
/// off, "extra", "skipped"), the path (raw: sanitize to draw) and a size or reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRow {
    pub kind: &'static str,
    pub path: String,
    pub detail: String,
}

/// The rows of a plan: copies first, then removals, then what was left alone.
pub fn plan_rows(report: &Report, delete: bool) -> Vec<PlanRow> {
    let mut rows: Vec<PlanRow> = report
        .plan
        .copy
        .iter()
        .map(|c| PlanRow {
            kind: match c.change {
                Change::New => "new",
                Change::Size { .. } | Change::Content => "changed",
            },
            path: c.path.clone(),
            detail: crate::units::Bytes(c.size).to_string(),
        })
        .collect();
    rows.extend(report.plan.delete.iter().map(|d| PlanRow {
        kind: if delete { "delete" } else { "extra" },
        path: d.clone(),
        detail: String::new(),
    }));
    rows.extend(
        report
            .skipped
            .iter()
            .chain(&report.failed)
            .map(|n| PlanRow {
                kind: "skipped",
                path: n.path.clone(),
                detail: n.reason.clone(),
            }),
    );
    rows
}

/// What the delete option will do with this plan, for the dialog's warning line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteWarning {
    /// Delete is on and this many files go.
    WillDelete(usize),
    /// More than the cap: nothing will be deleted.
    OverCap { found: usize, cap: usize },
}

impl SyncUi {
    pub fn warning(&self) -> Option<DeleteWarning> {
        let Stage::Plan(r) = &self.stage else {
            return None;
        };
        if !self.choices.delete || r.to_delete == 0 {
            return None;
        }
        Some(if r.to_delete > self.choices.max_delete {
            DeleteWarning::OverCap {
                found: r.to_delete,
                cap: self.choices.max_delete,
            }
        } else {
            DeleteWarning::WillDelete(r.to_delete)
        })
    }

    pub fn is_running(&self) -> bool {
        matches!(self.stage, Stage::Running(_))
    }

    /// "backup" or "restore", for titles.
    pub fn verb(&self) -> &'static str {
        match self.pair.direction {
            Direction::Up => "Backup",
            Direction::Down => "Restore",
        }
    }

    fn request(&mut self, dry_run: bool) -> Effect {
        self.ticket += 1;
        let mut choices = self.choices;
        // The plan always lists what only the destination has, so the delete option can be
        // switched without asking again, and the user sees what "extra" means before choosing.
        choices.delete |= dry_run;
        Effect::Sync(SyncRequest {
            ticket: self.ticket,
            pair: self.pair.clone(),
            dry_run,
            choices,
        })
    }

    /// A new dry run with the current choices (the old one, if any, is stopped).
    fn replan(&mut self) -> Vec<Effect> {
        self.stage = Stage::Planning(Progress::default());
        self.scroll = 0;
        vec![Effect::SyncStop, self.request(true)]
    }
}

/// The plan has something to do.
pub(super) fn has_work(r: &Report, choices: SyncChoices) -> bool {
    r.new + r.changed > 0
        || (choices.delete && r.to_delete > 0 && r.to_delete <= choices.max_delete)
}

/// The two ends as the user reads them, source first: `~/backups` and `1fichier /Backups/nas`
/// (raw: sanitize to draw).
pub fn ends(app: &App, pair: &Pair) -> (String, String) {
    let local = app.show_path(&pair.local);
    let remote = format!("1fichier {}", pair.remote);
    match pair.direction {
        Direction::Up => (local, remote),
        Direction::Down => (remote, local),
    }
}

/// The status bar's line while a sync runs in the background.
pub fn legend(app: &App) -> Option<String> {
    let s = app.sync.as_ref()?;
    let Stage::Running(p) = &s.stage else {
        return None;
    };
    let arrow = match s.pair.direction {
        Direction::Up => "↑",
        Direction::Down => "↓",
    };
    Some(format!(" sync {arrow} {} ", p.line()))
}

/// Wraps a message for the runtime's channel.
pub(crate) fn action(msg: SyncMsg) -> Action {
    Action::Sync(msg)
}

#[cfg(test)]
mod tests;
