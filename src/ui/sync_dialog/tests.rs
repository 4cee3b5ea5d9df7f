use super::*;
use crate::api::{FolderListing, SubFolder};
use crate::sync::{HashStats, Listed, Listing};
use crate::ui::AppOptions;
use crate::ui::action::{RemoteListing, RemoteMsg};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::path::PathBuf;

fn key(code: KeyCode) -> Action {
    Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// Local pane in /srv/data, remote root listed with one folder, Backups (7), under the cursor.
fn app() -> App {
    let mut app = App::new(AppOptions {
        start_dir: PathBuf::from("/srv/data"),
        theme: "default".into(),
        ..AppOptions::default()
    });
    for e in app.start() {
        if let Effect::ListRemote { folder, ticket } = e {
            let listing = RemoteListing {
                folder: FolderListing {
                    folder_id: folder,
                    name: String::new(),
                    sub_folders: vec![SubFolder {
                        id: FolderId(7),
                        name: "Backups".into(),
                        create_date: None,
                        pass: false,
                    }],
                },
                files: Vec::new(),
            };
            app.update(Action::Remote(RemoteMsg::Listed {
                folder,
                ticket,
                result: Ok(listing),
            }));
        }
    }
    // The remote cursor on Backups, the local pane active again.
    for k in [KeyCode::Tab, KeyCode::Char('j'), KeyCode::Tab] {
        app.update(key(k));
    }
    app
}

fn request(effects: &[Effect]) -> SyncRequest {
    effects
        .iter()
        .find_map(|e| match e {
            Effect::Sync(r) => Some(r.clone()),
            _ => None,
        })
        .expect("a sync request")
}

fn report(new: usize, to_delete: usize) -> Report {
    Report {
        direction: Direction::Up,
        source: "/srv/data".into(),
        destination: "1f:/Backups".into(),
        dry_run: true,
        new,
        changed: 0,
        unchanged: 3,
        unverified: 0,
        excluded: 0,
        sent: 0,
        bytes: 0,
        resumed: 0,
        to_delete,
        deleted: 0,
        delete_refused: None,
        pending: 0,
        skipped: Vec::new(),
        failed: Vec::new(),
        hashes: HashStats::default(),
        seconds: 0.0,
        plan: Listing {
            copy: (0..new)
                .map(|i| Listed {
                    path: format!("f{i}"),
                    size: 10,
                    change: Change::New,
                })
                .collect(),
            delete: (0..to_delete).map(|i| format!("x{i}")).collect(),
        },
    }
}

fn finish(app: &mut App, ticket: u64, result: Result<Report, String>) -> Vec<Effect> {
    let result = result.map(Box::new);
    app.update(Action::Sync(SyncMsg::Finished { ticket, result }))
}

#[test]
fn the_active_pane_is_the_source_and_f_flips_with_a_new_plan() {
    let mut app = app();
    let r = request(&app.update(key(KeyCode::Char('S'))));
    assert_eq!(r.pair.direction, Direction::Up);
    assert_eq!(r.pair.local, PathBuf::from("/srv/data"));
    assert_eq!(r.pair.remote, "/Backups");
    assert!(r.dry_run && r.choices.delete, "a plan always lists extras");
    assert_eq!(r.ticket, 1);

    let effects = app.update(key(KeyCode::Char('f')));
    assert_eq!(
        effects.first(),
        Some(&Effect::SyncStop),
        "the old plan stops"
    );
    let r2 = request(&effects);
    assert_eq!((r2.pair.direction, r2.ticket), (Direction::Down, 2));
    // The first plan's answer is stale now.
    finish(&mut app, 1, Ok(report(1, 0)));
    assert!(matches!(
        app.sync.as_ref().map(|s| &s.stage),
        Some(Stage::Planning(_))
    ));

    // From the remote pane, the direction is a restore.
    let mut app = self::app();
    app.update(key(KeyCode::Tab));
    let r = request(&app.update(key(KeyCode::Char('S'))));
    assert_eq!(r.pair.direction, Direction::Down);
}

#[test]
fn esc_stops_the_plan_and_enter_runs_with_the_choices() {
    let mut app = app();
    app.update(key(KeyCode::Char('S')));
    let effects = app.update(key(KeyCode::Esc));
    assert_eq!(effects, vec![Effect::SyncStop]);
    assert!(app.sync.is_none());

    app.update(key(KeyCode::Char('S')));
    let t = app.sync.as_ref().map(|s| s.ticket).unwrap_or_default();
    finish(&mut app, t, Ok(report(2, 1)));
    // Delete is off by default, and switching it needs no new plan.
    assert_eq!(app.update(key(KeyCode::Char('d'))), Vec::new());
    assert_eq!(
        app.sync.as_ref().and_then(|s| s.warning()),
        Some(DeleteWarning::WillDelete(1))
    );
    let r = request(&app.update(key(KeyCode::Enter)));
    assert!(!r.dry_run && r.choices.delete && !r.choices.size_only);
    assert!(app.sync.as_ref().is_some_and(|s| s.is_running()));

    // While it runs, Esc only hides it and the key shows it again; no second run starts.
    assert!(app.update(key(KeyCode::Esc)).is_empty());
    assert!(app.sync.as_ref().is_some_and(|s| !s.shown));
    assert!(legend(&app).is_some_and(|l| l.contains("sync")));
    assert!(app.update(key(KeyCode::Char('S'))).is_empty());
    assert!(app.sync.as_ref().is_some_and(|s| s.shown));
    // Quitting now asks first.
    app.update(key(KeyCode::Esc));
    app.update(key(KeyCode::Char('q')));
    assert!(!app.quit && app.dialog.is_some());
}

#[test]
fn the_end_says_the_summary_and_lists_both_panes_again() {
    let mut app = app();
    app.update(key(KeyCode::Char('S')));
    finish(&mut app, 1, Ok(report(1, 0)));
    app.update(key(KeyCode::Enter));
    let mut done = report(1, 0);
    done.dry_run = false;
    done.sent = 1;
    done.bytes = 10;
    let effects = finish(&mut app, 2, Ok(done));
    assert!(app.sync.is_none());
    let m = app.message.as_ref().expect("a notice");
    assert!(!m.error && m.text.contains("1 sent"), "{}", m.text);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::ListLocal { .. }))
    );
    // The remote folder is closed: it is listed again when it is opened.
    assert!(
        app.remote
            .node(FolderId(7))
            .is_some_and(|n| matches!(n.load, crate::ui::remote_tree::Load::NotLoaded))
    );
}

#[test]
fn x_stops_a_running_sync_and_lists_both_panes_again() {
    let mut app = app();
    app.update(key(KeyCode::Char('S')));
    finish(&mut app, 1, Ok(report(2, 0)));
    app.update(key(KeyCode::Enter));
    assert!(app.sync.as_ref().is_some_and(|s| s.is_running()));
    let effects = app.update(key(KeyCode::Char('x')));
    assert_eq!(effects.first(), Some(&Effect::SyncStop));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::ListLocal { .. }))
    );
    assert!(app.sync.is_none());
    let m = app.message.as_ref().expect("a notice");
    assert!(m.text.contains("sync stopped"), "{}", m.text);
    // The stopped run's late answer changes nothing.
    assert!(finish(&mut app, 2, Err("stopped".into())).is_empty());
    assert!(
        app.message
            .as_ref()
            .is_some_and(|m| m.text.contains("sync stopped"))
    );
}

#[test]
fn an_over_the_cap_plan_warns_and_a_busy_pair_says_so() {
    let mut app = app();
    app.update(key(KeyCode::Char('S')));
    if let Some(s) = &mut app.sync {
        s.choices.max_delete = 2;
    }
    finish(&mut app, 1, Ok(report(0, 3)));
    app.update(key(KeyCode::Char('d')));
    assert_eq!(
        app.sync.as_ref().and_then(|s| s.warning()),
        Some(DeleteWarning::OverCap { found: 3, cap: 2 })
    );
    // Nothing to copy and deletions refused: Enter starts nothing.
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    assert!(app.sync.is_none());

    app.update(key(KeyCode::Char('S')));
    let t = app.sync.as_ref().map(|s| s.ticket).unwrap_or_default();
    finish(&mut app, t, Err("another sync of a -> b is running".into()));
    assert!(matches!(
        app.sync.as_ref().map(|s| &s.stage),
        Some(Stage::Failed(e)) if e.contains("is running")
    ));
    // `r` asks again, with a new ticket.
    let r = request(&app.update(key(KeyCode::Char('r'))));
    assert_eq!(r.ticket, t + 1);
    assert!(matches!(
        app.sync.as_ref().map(|s| &s.stage),
        Some(Stage::Planning(_))
    ));
    finish(&mut app, t + 1, Err("still running".into()));
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    assert!(app.sync.is_none());
}
