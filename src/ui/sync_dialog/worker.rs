//! The task behind the sync dialog: one call of `sync::run` (the subcommand's engine, lock and
//! journal), its events turned into `SyncMsg`s for the UI, and the hashing counters sampled a few
//! times a second (the UI holds plain numbers, never the shared counters).

use super::{SyncMsg, SyncRequest, action};
use crate::api::Client;
use crate::remote::RemoteFs;
use crate::sync::{HashProgress, SyncEnv, SyncEvent, SyncOptions};
use crate::ui::action::Action;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

/// How often hashing progress is sampled.
const SAMPLE: Duration = Duration::from_millis(200);

/// What a run takes from the program rather than from the dialog.
#[derive(Debug, Clone)]
pub struct SyncSettings {
    pub client: Client,
    /// The program's state folder (each pair keeps its lock, journal and cache below it).
    pub state_dir: PathBuf,
    /// Transfers at once, and the bandwidth cap, as the user configured them.
    pub jobs: usize,
    pub bwlimit: Option<u64>,
}

impl SyncSettings {
    fn options(&self, req: &SyncRequest) -> SyncOptions {
        SyncOptions {
            dry_run: req.dry_run,
            delete: req.choices.delete,
            max_delete: req.choices.max_delete,
            force: false,
            size_only: req.choices.size_only,
            jobs: self.jobs.max(1),
            bwlimit: self.bwlimit,
            ..SyncOptions::default()
        }
    }
}

/// Stops the hashing threads when the task is dropped (hashing that ended stays ended).
struct StopHashing(Option<Arc<HashProgress>>);

impl Drop for StopHashing {
    fn drop(&mut self) {
        if let Some(p) = &self.0 {
            p.cancel.store(true, Ordering::Relaxed);
        }
    }
}

/// Runs one request to its end, reporting on `tx`; the last message is always `Finished`.
pub async fn run_request(settings: SyncSettings, req: SyncRequest, tx: UnboundedSender<Action>) {
    let ticket = req.ticket;
    let env = SyncEnv {
        // A fresh tree cache: the panes may have changed folders since the last run.
        remote: RemoteFs::new(settings.client.clone()),
        client: settings.client.clone(),
        state_dir: settings.state_dir.clone(),
    };
    let options = settings.options(&req);
    let (etx, mut erx) = tokio::sync::mpsc::unbounded_channel();
    let run = crate::sync::run(&env, &req.pair, &options, Some(etx));
    tokio::pin!(run);
    // A plan dropped half way (Esc, another option) must not leave threads reading big files.
    let mut hashing = StopHashing(None);
    let mut last = (u64::MAX, u64::MAX);
    let mut tick = tokio::time::interval(SAMPLE);
    let send = |msg: SyncMsg| {
        let _ = tx.send(action(msg));
    };
    let result = loop {
        tokio::select! {
            result = &mut run => break result,
            Some(ev) = erx.recv() => match ev {
                SyncEvent::Phase(phase) => send(SyncMsg::Phase { ticket, phase }),
                SyncEvent::Hashing(p) => hashing.0 = Some(p),
                SyncEvent::Jobs(jobs) => send(SyncMsg::Jobs { ticket, jobs }),
                SyncEvent::Notice(text) => send(SyncMsg::Notice { ticket, text }),
            },
            _ = tick.tick(), if hashing.0.is_some() => {
                if let Some(p) = &hashing.0 {
                    let now = (
                        p.bytes_done.load(Ordering::Relaxed),
                        p.bytes_total.load(Ordering::Relaxed),
                    );
                    if now != last {
                        last = now;
                        send(SyncMsg::Hashing { ticket, done: now.0, total: now.1 });
                    }
                }
            }
        }
    };
    // What the run said last still counts (a notice about leftovers, the final job list).
    while let Ok(ev) = erx.try_recv() {
        if let SyncEvent::Notice(text) = ev {
            send(SyncMsg::Notice { ticket, text });
        }
    }
    send(SyncMsg::Finished {
        ticket,
        result: result.map(Box::new).map_err(|e| e.to_string()),
    });
}
