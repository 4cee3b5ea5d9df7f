//! The event loop and the effects' executor. The loop `select!`s over terminal events, task
//! messages, engine events, the pacer's status and a timer that is armed only when the state asks
//! to wake (a countdown, a message to clear, the account refresh): idle means no wake-ups. It takes
//! one event, drains what else is queued, and draws once if something changed (at most ~20 frames
//! a second unless the user typed). Work runs in tasks that report back on a channel.

use super::UiContext;
use super::action::{
    AccountMsg, Action, LocalMsg, OpDone, Refresh, RemoteListing, RemoteMsg, Select,
};
use super::app::{App, AppOptions};
use super::draw::draw;
use super::effect::{Effect, LocalOp, RemoteDest, RemoteOp};
use super::sync_dialog::{SyncSettings, run_request};
use super::terminal::Tui;
use super::text::base64;
use crate::api::{ApiError, Client, FileUrl, FolderId};
use crate::sanitize::from_service_name;
use crate::transfer::{Engine, EngineEvent};
use crossterm::event::{Event, EventStream};
use futures_util::StreamExt;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio::task::{AbortHandle, JoinHandle};

/// The shortest time between two frames drawn for anything but the user's own input.
const FRAME_GAP: Duration = Duration::from_millis(50);
/// Messages drained per frame, so a flood of events cannot starve the screen.
const DRAIN_MAX: usize = 512;

pub async fn run(ctx: UiContext) -> anyhow::Result<()> {
    let UiContext {
        client,
        engine,
        mut engine_events,
        start_dir,
        keys,
        mouse,
        theme,
        no_color,
        show_hidden,
        ephemeral_queue,
        state_dir,
        sync_jobs,
        sync_bwlimit,
    } = ctx;
    let home = directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf());
    let mut app = App::new(AppOptions {
        start_dir,
        keys,
        theme,
        no_color,
        show_hidden,
        home,
        ephemeral_queue,
    });
    let mut tui = Tui::enter(mouse)?;
    let size = tui.terminal.size()?;
    let (tx, mut rx) = unbounded_channel::<Action>();
    let mut exec = Executor {
        client: client.clone(),
        engine: engine.clone(),
        tx,
        local: None,
        remote: HashMap::new(),
        sync: SyncSettings {
            client: client.clone(),
            state_dir,
            jobs: sync_jobs,
            bwlimit: sync_bwlimit,
        },
        sync_task: None,
    };

    app.update(Action::Resize {
        width: size.width,
        height: size.height,
    });
    let jobs = engine.jobs();
    app.update(Action::Engine(EngineEvent::Jobs(jobs)));
    for e in app.start() {
        exec.run(e, &mut tui);
    }

    let mut events = EventStream::new();
    let mut pace = client.pace_status();
    let pace_now = pace.borrow_and_update().clone();
    app.update(Action::Pace(pace_now));
    let mut pace_open = true;
    let mut engine_open = true;
    use tokio::signal::unix::{SignalKind, signal};
    let mut sigterm = signal(SignalKind::terminate())?;
    // A dropped SSH session hangs up the terminal: end as on SIGTERM, so the queue is saved and
    // the demo's temporary folder removed (the terminal's restore fails quietly then).
    let mut sighup = signal(SignalKind::hangup())?;
    render(&mut tui, &app)?;
    app.dirty = false;
    let mut last_draw: Option<Instant> = Some(Instant::now());
    let mut draw_due: Option<Instant> = None;

    loop {
        let wake = match (app.next_wakeup(), draw_due) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let first = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(ev)) => event_action(ev),
                Some(Err(e)) => return Err(e.into()),
                None => break,
            },
            Some(a) = rx.recv() => Some(a),
            ev = engine_events.recv(), if engine_open => match ev {
                Some(ev) => Some(Action::Engine(ev)),
                None => { engine_open = false; None }
            },
            changed = pace.changed(), if pace_open => match changed {
                Ok(()) => Some(Action::Pace(pace.borrow_and_update().clone())),
                Err(_) => { pace_open = false; None }
            },
            _ = sleep_until(wake), if wake.is_some() => Some(Action::Tick),
            _ = sigterm.recv() => break,
            _ = sighup.recv() => break,
        };
        let typed = matches!(
            first,
            Some(Action::Key(_) | Action::Mouse(_) | Action::Paste(_) | Action::Resize { .. })
        );
        if let Some(a) = first {
            dispatch(&mut app, a, &mut exec, &mut tui);
        }
        // Drain what else is queued before drawing once.
        for _ in 0..DRAIN_MAX {
            let next = match rx.try_recv() {
                Ok(a) => Some(a),
                Err(_) => engine_events.try_recv().ok().map(Action::Engine),
            };
            let Some(a) = next else { break };
            dispatch(&mut app, a, &mut exec, &mut tui);
        }
        if app.quit {
            break;
        }
        let now = Instant::now();
        if app.dirty || draw_due.is_some_and(|d| d <= now) {
            let too_soon = last_draw.is_some_and(|t| now.duration_since(t) < FRAME_GAP);
            if too_soon && !typed {
                draw_due = last_draw.map(|t| t + FRAME_GAP);
            } else {
                render(&mut tui, &app)?;
                app.dirty = false;
                draw_due = None;
                last_draw = Some(now);
            }
        }
    }
    drop(tui);
    Ok(())
}

/// One frame, inside a synchronized update so a slow link never shows half of it (terminals
/// that do not know the escape ignore it).
fn render(tui: &mut Tui, app: &App) -> std::io::Result<()> {
    use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
    crossterm::queue!(tui.terminal.backend_mut(), BeginSynchronizedUpdate)?;
    let drawn = tui.terminal.draw(|f| draw(app, f)).map(|_| ());
    crossterm::execute!(tui.terminal.backend_mut(), EndSynchronizedUpdate)?;
    drawn
}

async fn sleep_until(at: Option<Instant>) {
    if let Some(at) = at {
        tokio::time::sleep_until(at.into()).await;
    }
}

fn event_action(ev: Event) -> Option<Action> {
    match ev {
        Event::Key(k) => Some(Action::Key(k)),
        Event::Mouse(m) => Some(Action::Mouse(m)),
        Event::Paste(s) => Some(Action::Paste(s)),
        Event::Resize(width, height) => Some(Action::Resize { width, height }),
        Event::FocusGained | Event::FocusLost => None,
    }
}

fn dispatch(app: &mut App, action: Action, exec: &mut Executor, tui: &mut Tui) {
    app.now = Instant::now();
    for effect in app.update(action) {
        exec.run(effect, tui);
    }
}

/// Lists `dir` (on a blocking thread) as messages to the UI: a small folder whole, a big one as
/// its names, then its stats in batches.
fn list_local(dir: PathBuf, ticket: u64, stop: &AtomicBool, tx: &UnboundedSender<Action>) {
    let send = |step| {
        let msg = LocalMsg::from_step(ticket, &dir, step);
        tx.send(Action::Local(msg)).is_ok()
    };
    if let Err(e) = crate::local::list_in_steps(&dir, crate::local::NAMES_FIRST_FROM, stop, &send) {
        let _ = tx.send(Action::Local(LocalMsg::Listed {
            ticket,
            dir: dir.clone(),
            result: Err(e.to_string()),
        }));
    }
}

/// Runs effects: starts tasks, talks to the engine, writes the clipboard escape.
struct Executor {
    client: Client,
    engine: Engine,
    tx: UnboundedSender<Action>,
    /// Stops the local listing in flight; a new one replaces it.
    local: Option<Arc<AtomicBool>>,
    /// Remote listings in flight, per folder; a new request for a folder replaces the old one.
    remote: HashMap<FolderId, AbortHandle>,
    sync: SyncSettings,
    /// The sync dialog's task, and whether it is a dry run: a new request stops a plan, but
    /// waits for a run to end (only `SyncStop`, the user's `x`, stops a run).
    sync_task: Option<(bool, JoinHandle<()>)>,
}

impl Executor {
    fn run(&mut self, effect: Effect, tui: &mut Tui) {
        let tx = self.tx.clone();
        match effect {
            Effect::ListLocal { dir, ticket } => {
                // The listing before is stale: its threads stop at their next batch.
                if let Some(stop) = self.local.take() {
                    stop.store(true, Ordering::Relaxed);
                }
                let stop = Arc::new(AtomicBool::new(false));
                self.local = Some(stop.clone());
                tokio::task::spawn_blocking(move || list_local(dir, ticket, &stop, &tx));
            }
            Effect::ListRemote { folder, ticket } => {
                if let Some(h) = self.remote.remove(&folder) {
                    h.abort();
                }
                self.remote.retain(|_, h| !h.is_finished());
                let client = self.client.clone();
                let task = tokio::spawn(async move {
                    let result = async {
                        let listing = client.folder_ls(folder).await?;
                        let files = client.file_ls(folder).await?;
                        Ok::<_, ApiError>(RemoteListing {
                            folder: listing,
                            files,
                        })
                    }
                    .await
                    .map_err(|e| e.to_string());
                    let _ = tx.send(Action::Remote(RemoteMsg::Listed {
                        folder,
                        ticket,
                        result,
                    }));
                });
                self.remote.insert(folder, task.abort_handle());
            }
            Effect::FetchAccount => {
                let client = self.client.clone();
                tokio::spawn(async move {
                    let msg = match client.user_info().await {
                        Ok(info) => AccountMsg::Loaded(info),
                        Err(e) => AccountMsg::Failed {
                            flood: matches!(e, ApiError::Flood { .. }),
                            message: e.to_string(),
                        },
                    };
                    let _ = tx.send(Action::Account(msg));
                });
            }
            Effect::Local(op) => {
                tokio::spawn(async move {
                    let done = tokio::task::spawn_blocking(move || local_op(op))
                        .await
                        .unwrap_or_else(|e| OpDone {
                            result: Err(e.to_string()),
                            refresh: Vec::new(),
                            select: None,
                        });
                    let _ = tx.send(Action::Done(done));
                });
            }
            Effect::Remote(op) => {
                let client = self.client.clone();
                tokio::spawn(async move {
                    let done = remote_op(&client, op).await;
                    let _ = tx.send(Action::Done(done));
                });
            }
            Effect::Enqueue(jobs) => {
                let n = jobs.len();
                self.engine.enqueue(jobs);
                tracing::info!("queued {n} jobs");
            }
            Effect::Control(c) => self.engine.control(c),
            Effect::HashLocal { ticket, files } => super::compare::spawn_hashing(ticket, files, tx),
            Effect::Sync(req) => {
                let previous = self.sync_task.take();
                if let Some((true, h)) = &previous {
                    h.abort();
                }
                let dry_run = req.dry_run;
                let settings = self.sync.clone();
                let task = tokio::spawn(async move {
                    // The previous run must let go of the pair's lock before this one takes it.
                    if let Some((_, h)) = previous {
                        let _ = h.await;
                    }
                    run_request(settings, req, tx).await;
                });
                self.sync_task = Some((dry_run, task));
            }
            Effect::SyncStop => {
                if let Some((_, h)) = &self.sync_task {
                    h.abort();
                }
            }
            Effect::Clipboard(text) => {
                let escape = format!("\x1b]52;c;{}\x07", base64(text.as_bytes()));
                if let Err(e) = tui.write_raw(escape.as_bytes()) {
                    tracing::warn!("clipboard escape not written: {e}");
                }
            }
        }
    }
}

/// Runs one local file operation (blocking: called inside `spawn_blocking`).
fn local_op(op: LocalOp) -> OpDone {
    match op {
        LocalOp::Mkdir { dir, name } => {
            let result = crate::local::make_dir(&dir, &name)
                .map(|p| format!("made {}", p.display()))
                .map_err(|e| e.to_string());
            OpDone {
                result,
                refresh: vec![Refresh::Local(dir.clone())],
                select: Some(Select::Local { dir, name }),
            }
        }
        LocalOp::Rename { path, new_name } => {
            let dir = path.parent().map(|p| p.to_path_buf()).unwrap_or_default();
            let result = crate::local::rename_entry(&path, &new_name)
                .map(|_| format!("renamed to {new_name}"))
                .map_err(|e| e.to_string());
            OpDone {
                result,
                refresh: vec![Refresh::Local(dir.clone())],
                select: Some(Select::Local {
                    dir,
                    name: new_name,
                }),
            }
        }
        LocalOp::Delete { paths, dir } => {
            let (n, err) = crate::local::delete_paths(&paths);
            let result = match err {
                None => Ok(format!("deleted {n} item{}", if n == 1 { "" } else { "s" })),
                Some(e) => Err(format!("deleted {n} of {}; {e}", paths.len())),
            };
            OpDone {
                result,
                refresh: vec![Refresh::Local(dir)],
                select: None,
            }
        }
    }
}

/// Walks `dest.rest` down from `dest.start`; with `rename_last`, a last name that is not a folder
/// comes back as the new name.
async fn resolve(
    client: &Client,
    dest: &RemoteDest,
) -> Result<(FolderId, Option<String>), ApiError> {
    let mut at = dest.start;
    for (i, name) in dest.rest.iter().enumerate() {
        let listing = client.folder_ls(at).await?;
        match listing
            .sub_folders
            .iter()
            .find(|s| from_service_name(&s.name) == *name)
        {
            Some(sub) => at = sub.id,
            None if dest.rename_last && i + 1 == dest.rest.len() => {
                return Ok((at, Some(name.clone())));
            }
            None => return Err(ApiError::Invalid(format!("no folder named {name:?} there"))),
        }
    }
    Ok((at, None))
}

async fn remote_op(client: &Client, op: RemoteOp) -> OpDone {
    let mut refresh = Vec::new();
    let mut select = None;
    let result: Result<String, ApiError> = async {
        match op {
            RemoteOp::Mkdir { parent, name } => {
                refresh.push(Refresh::Remote(parent));
                // The client maps the user's name to the service's form itself.
                client.mkdir(parent, &name).await?;
                select = Some(Select::Remote {
                    folder: parent,
                    name: name.clone(),
                });
                Ok(format!("made the folder {name}"))
            }
            RemoteOp::Delete {
                files,
                folders,
                refresh: places,
            } => {
                refresh.extend(places.into_iter().map(Refresh::Remote));
                let mut n = 0;
                if !files.is_empty() {
                    n += client.file_rm(&files).await?;
                }
                for f in folders {
                    client.folder_rm(f).await?;
                    n += 1;
                }
                Ok(format!("deleted {n} item{}", if n == 1 { "" } else { "s" }))
            }
            RemoteOp::RenameFile { url, name, folder } => {
                refresh.push(Refresh::Remote(folder));
                client.file_rename(&[(url, name.clone())]).await?;
                Ok(format!("renamed to {name}"))
            }
            RemoteOp::RenameFolder { id, parent, name } => {
                refresh.push(Refresh::Remote(parent));
                client.folder_mv(id, parent, Some(&name)).await?;
                Ok(format!("renamed to {name}/"))
            }
            RemoteOp::Move {
                files,
                folders,
                dest,
                refresh: places,
            } => {
                refresh.extend(places.into_iter().map(Refresh::Remote));
                let (to, rename) = resolve(client, &dest).await?;
                refresh.push(Refresh::Remote(to));
                let mut n = 0;
                if !files.is_empty() {
                    let moved: Vec<FileUrl> = client.file_mv(&files, to).await?;
                    n += files.len();
                    // A move with a rename in one call has been seen to fail (#312): rename after.
                    if let (Some(name), Some(url)) = (&rename, moved.first().or(files.first())) {
                        client.file_rename(&[(url.clone(), name.clone())]).await?;
                    }
                }
                for f in folders {
                    client.folder_mv(f, to, rename.as_deref()).await?;
                    n += 1;
                }
                Ok(format!("moved {n} item{}", if n == 1 { "" } else { "s" }))
            }
            RemoteOp::Copy { files, dest } => {
                let (to, _) = resolve(client, &dest).await?;
                refresh.push(Refresh::Remote(to));
                let copied = client.file_cp(&files, to).await?;
                Ok(format!(
                    "copied {} file{}",
                    copied.len(),
                    if copied.len() == 1 { "" } else { "s" }
                ))
            }
        }
    }
    .await;
    OpDone {
        result: result.map_err(|e| e.to_string()),
        refresh,
        select,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_operations_report_and_refresh_their_folder() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_path_buf();
        let done = local_op(LocalOp::Mkdir {
            dir: d.clone(),
            name: "new".into(),
        });
        assert!(done.result.is_ok());
        assert_eq!(done.refresh, [Refresh::Local(d.clone())]);
        let done = local_op(LocalOp::Rename {
            path: d.join("new"),
            new_name: "old".into(),
        });
        assert!(done.result.is_ok() && d.join("old").is_dir());
        let done = local_op(LocalOp::Mkdir {
            dir: d.clone(),
            name: "../x".into(),
        });
        assert!(done.result.is_err());
        let done = local_op(LocalOp::Delete {
            paths: vec![d.join("old"), d.join("nope")],
            dir: d.clone(),
        });
        assert!(
            done.result
                .as_ref()
                .is_err_and(|e| e.starts_with("deleted 1 of 2")),
            "{:?}",
            done.result
        );
        assert!(!d.join("old").exists());
    }
}
