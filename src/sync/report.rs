//! What a run did (or, in a dry run, would do): counts for the summary line, the paths for the
//! plan listing, and the same as JSON for scripts.

use super::hash_cache::HashStats;
use super::plan::{Change, Note, Plan};
use super::spec::{Direction, Pair};
use crate::units::Bytes;
use serde::Serialize;
use std::fmt::Write as _;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub direction: Direction,
    pub source: String,
    pub destination: String,
    pub dry_run: bool,
    /// What the comparison found.
    pub new: usize,
    pub changed: usize,
    pub unchanged: usize,
    /// Same name and size, no checksum from the service to compare with: left alone.
    pub unverified: usize,
    pub excluded: usize,
    /// Files copied in this run (an interrupted run's leftovers included) and their bytes.
    pub sent: usize,
    pub bytes: u64,
    /// Transfers left by an interrupted run, finished before comparing.
    pub resumed: usize,
    /// With `--delete`: what is only on the destination, and what was removed.
    pub to_delete: usize,
    pub deleted: usize,
    /// Why nothing was deleted although `--delete` asked for it.
    pub delete_refused: Option<String>,
    /// Transfers neither done nor failed (the run was stopped).
    pub pending: usize,
    pub skipped: Vec<Note>,
    pub failed: Vec<Note>,
    pub hashes: HashStats,
    pub seconds: f64,
    pub plan: Listing,
}

/// Every path of the plan, for `--dry-run` and `--json`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Listing {
    pub copy: Vec<Listed>,
    pub delete: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    pub path: String,
    pub size: u64,
    pub change: Change,
}

impl Report {
    pub fn new(pair: &Pair, plan: &Plan, dry_run: bool) -> Report {
        Report {
            direction: pair.direction,
            source: pair.source(),
            destination: pair.destination(),
            dry_run,
            new: plan.new_count(),
            changed: plan.changed_count(),
            unchanged: plan.unchanged,
            unverified: plan.unverified,
            excluded: plan.excluded,
            sent: 0,
            bytes: 0,
            resumed: 0,
            to_delete: plan.removals.len(),
            deleted: 0,
            delete_refused: None,
            pending: 0,
            skipped: plan.skipped.clone(),
            failed: plan.failed.clone(),
            hashes: HashStats::default(),
            seconds: 0.0,
            plan: Listing {
                copy: plan
                    .copies
                    .iter()
                    .map(|c| Listed {
                        path: c.shown.clone(),
                        size: c.size,
                        change: c.change,
                    })
                    .collect(),
                delete: plan
                    .removals
                    .iter()
                    .map(|r| r.shown.clone())
                    .chain(plan.dir_removals.iter().map(|d| d.shown.clone()))
                    .collect(),
            },
        }
    }

    /// Everything succeeded: the exit status of the run.
    pub fn ok(&self) -> bool {
        self.failed.is_empty() && self.delete_refused.is_none() && self.pending == 0
    }

    /// The plan, one path a line (names made safe for a terminal).
    pub fn plan_lines(&self) -> String {
        let mut out = String::new();
        for c in &self.plan.copy {
            let what = match c.change {
                Change::New => format!("new      {}", shown(&c.path)),
                Change::Size { was } => format!(
                    "changed  {} (size {} -> {})",
                    shown(&c.path),
                    Bytes(was),
                    Bytes(c.size)
                ),
                Change::Content => format!("changed  {} (content)", shown(&c.path)),
            };
            let _ = writeln!(out, "{what}");
        }
        for d in &self.plan.delete {
            let _ = writeln!(out, "delete   {}", shown(d));
        }
        out
    }

    /// Skipped and failed entries, one a line.
    pub fn problem_lines(&self) -> String {
        let mut out = String::new();
        for n in &self.skipped {
            let _ = writeln!(out, "skipped  {}: {}", shown(&n.path), shown(&n.reason));
        }
        for n in &self.failed {
            let _ = writeln!(out, "failed   {}: {}", shown(&n.path), shown(&n.reason));
        }
        if let Some(why) = &self.delete_refused {
            let _ = writeln!(out, "{}", shown(why));
        }
        out
    }

    /// The one line a cron mail shows.
    pub fn summary_line(&self) -> String {
        let dir = match self.direction {
            Direction::Up => "up",
            Direction::Down => "down",
        };
        if self.dry_run {
            return format!(
                "dry run {dir} {} -> {}: {} new, {} changed, {} to delete, {} unchanged, {} excluded; nothing was changed",
                shown(&self.source),
                shown(&self.destination),
                self.new,
                self.changed,
                self.to_delete,
                self.unchanged + self.unverified,
                self.excluded,
            );
        }
        let mut line = format!(
            "sync {dir} {} -> {}: {} sent ({}), {} unchanged, {} skipped, {} deleted, {} failed in {:.1} s",
            shown(&self.source),
            shown(&self.destination),
            self.sent,
            Bytes(self.bytes),
            self.unchanged + self.unverified,
            self.skipped.len(),
            self.deleted,
            self.failed.len(),
            self.seconds,
        );
        if self.resumed > 0 {
            let _ = write!(line, " ({} resumed from an interrupted run)", self.resumed);
        }
        if self.pending > 0 {
            let _ = write!(line, "; {} not finished", self.pending);
        }
        line
    }
}

fn shown(s: &str) -> std::borrow::Cow<'_, str> {
    crate::sanitize::for_terminal(s)
}
