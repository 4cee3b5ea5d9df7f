//! `App::update` without a terminal: actions in, state and effects out.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use fichier_tui::api::{AccountInfo, FileUrl, FolderId, FolderListing, RemoteFile, SubFolder};
use fichier_tui::local::LocalEntry;
use fichier_tui::transfer::{
    Changed, ConflictAnswer, ConflictPolicy, ConflictQuestion, Control, Direction, EngineEvent,
    JobId, JobKind, JobState, JobView,
};
use fichier_tui::ui::action::{AccountMsg, LocalMsg, RemoteListing, RemoteMsg};
use fichier_tui::ui::dialog::Dialog;
use fichier_tui::ui::effect::{LocalOp, RemoteDest, RemoteOp};
use fichier_tui::ui::remote_tree::{Load, RowItem};
use fichier_tui::ui::{Action, App, AppOptions, Effect, Focus};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

fn key(code: KeyCode) -> Action {
    Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
}
fn ch(c: char) -> Action {
    key(KeyCode::Char(c))
}

fn entry(name: &str, is_dir: bool, size: u64) -> LocalEntry {
    LocalEntry {
        file_name: name.into(),
        name: name.into(),
        lower: name.to_lowercase(),
        is_dir,
        is_symlink: false,
        size,
        modified: None,
    }
}

fn rfile(name: &str, id: &str, size: u64) -> RemoteFile {
    RemoteFile {
        url: FileUrl(format!("https://1fichier.com/?{id}")),
        filename: name.into(),
        size,
        date: Some("2026-11-02 10:00:00".into()),
        checksum: Some("ab".into()),
        content_type: None,
        cdn: false,
        pass: false,
    }
}

fn listing(id: u64, subs: &[(u64, &str)], files: Vec<RemoteFile>) -> RemoteListing {
    RemoteListing {
        folder: FolderListing {
            folder_id: FolderId(id),
            name: String::new(),
            sub_folders: subs
                .iter()
                .map(|(i, n)| SubFolder {
                    id: FolderId(*i),
                    name: n.to_string(),
                    create_date: None,
                    pass: false,
                })
                .collect(),
        },
        files,
    }
}

/// Sends a key sequence; returns the effects of all of them.
fn keys(app: &mut App, actions: Vec<Action>) -> Vec<Effect> {
    actions.into_iter().flat_map(|a| app.update(a)).collect()
}

/// An app whose local pane shows /home/u/x and whose remote root holds Backups (1) and a file.
fn app() -> App {
    app_with(BTreeMap::new())
}

fn app_with(keys: BTreeMap<String, Vec<String>>) -> App {
    let mut app = App::new(AppOptions {
        start_dir: PathBuf::from("/home/u/x"),
        keys,
        theme: "default".into(),
        home: Some(PathBuf::from("/home/u")),
        ..AppOptions::default()
    });
    app.update(Action::Resize {
        width: 120,
        height: 40,
    });
    let effects = app.start();
    assert!(effects.contains(&Effect::FetchAccount));
    for e in effects {
        match e {
            Effect::ListLocal { dir, ticket } => {
                let entries = vec![
                    entry("b.txt", false, 2048),
                    entry("dir", true, 0),
                    entry("a.txt", false, 1024),
                    entry(".env", false, 1),
                ];
                app.update(Action::Local(LocalMsg::Listed {
                    ticket,
                    dir,
                    result: Ok(entries),
                }));
            }
            Effect::ListRemote { folder, ticket } => {
                let l = listing(0, &[(1, "Backups")], vec![rfile("notes.md", "n", 8)]);
                app.update(Action::Remote(RemoteMsg::Listed {
                    folder,
                    ticket,
                    result: Ok(l),
                }));
            }
            _ => {}
        }
    }
    app
}

fn local_cursor_name(app: &App) -> Option<String> {
    app.local.cursor_entry().map(|e| e.name.clone())
}

#[test]
fn moves_marks_and_inverts() {
    let mut app = app();
    assert_eq!(app.local.len(), 4, ".., dir, a.txt, b.txt; .env hidden");
    keys(&mut app, vec![ch('j'), ch('j')]);
    assert_eq!(local_cursor_name(&app).as_deref(), Some("a.txt"));
    keys(&mut app, vec![ch(' ')]);
    assert_eq!(app.local.marked(), (1, 1024));
    assert_eq!(
        local_cursor_name(&app).as_deref(),
        Some("b.txt"),
        "space moves down"
    );
    keys(&mut app, vec![ch('*')]);
    assert_eq!(app.local.marked(), (2, 2048), "dir and b.txt");
    keys(&mut app, vec![ch('G')]);
    assert_eq!(local_cursor_name(&app).as_deref(), Some("b.txt"));
    keys(&mut app, vec![key(KeyCode::Home)]);
    assert_eq!(app.local.list.cursor, 0);
    keys(&mut app, vec![ch('.')]);
    assert_eq!(app.local.len(), 5, "dot files show");
}

#[test]
fn filter_as_you_type_and_escape_clears() {
    let mut app = app();
    keys(&mut app, vec![ch('/'), ch('B'), ch('.')]);
    assert_eq!(app.local.len(), 2, ".. and b.txt");
    assert_eq!(local_cursor_name(&app).as_deref(), Some("b.txt"));
    // Typed letters went to the filter, not to the keymap (`.` would toggle hidden files).
    assert!(!app.local.show_hidden);
    keys(&mut app, vec![key(KeyCode::Enter)]);
    assert!(app.local.filter.as_ref().is_some_and(|f| !f.typing));
    keys(&mut app, vec![ch('j')]);
    keys(&mut app, vec![key(KeyCode::Esc)]);
    assert!(app.local.filter.is_none());
    assert_eq!(app.local.len(), 4);
}

#[test]
fn sort_cycles_name_size_date() {
    let mut app = app();
    keys(&mut app, vec![ch('s')]);
    let names: Vec<String> = (1..app.local.len())
        .filter_map(|i| match app.local.row(i) {
            Some(fichier_tui::ui::local_pane::LocalRow::Entry { entry, .. }) => {
                Some(entry.name.clone())
            }
            _ => None,
        })
        .collect();
    assert_eq!(names, ["dir", "b.txt", "a.txt"]);
    assert_eq!(app.local.sort, fichier_tui::local::SortKey::Size);
    keys(&mut app, vec![ch('s'), ch('s')]);
    assert_eq!(app.local.sort, fichier_tui::local::SortKey::Name);
}

#[test]
fn opening_a_local_folder_lists_it_and_going_up_returns() {
    let mut app = app();
    let effects = keys(&mut app, vec![ch('j'), key(KeyCode::Enter)]);
    let [Effect::ListLocal { dir, ticket }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(dir, &PathBuf::from("/home/u/x/dir"));
    app.update(Action::Local(LocalMsg::Listed {
        ticket: *ticket,
        dir: dir.clone(),
        result: Ok(vec![]),
    }));
    assert_eq!(app.local.dir, PathBuf::from("/home/u/x/dir"));
    let effects = keys(&mut app, vec![key(KeyCode::Backspace)]);
    assert!(
        matches!(effects.as_slice(), [Effect::ListLocal { dir, .. }] if dir == &PathBuf::from("/home/u/x"))
    );
}

#[test]
fn tree_expands_with_a_loading_state_and_drops_stale_listings() {
    let mut app = app();
    keys(&mut app, vec![key(KeyCode::Tab)]);
    assert_eq!(app.focus, Focus::Remote);
    let effects = keys(&mut app, vec![ch('j'), key(KeyCode::Enter)]);
    let [
        Effect::ListRemote {
            folder: FolderId(1),
            ticket: first,
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    let node = app.remote.node(FolderId(1)).unwrap();
    assert!(node.expanded && matches!(node.load, Load::Loading { .. }));
    // R asks again: the first answer is now stale.
    let effects = keys(&mut app, vec![ch('R')]);
    let [
        Effect::ListRemote {
            folder: FolderId(1),
            ticket: second,
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    app.update(Action::Remote(RemoteMsg::Listed {
        folder: FolderId(1),
        ticket: *second,
        result: Ok(listing(1, &[(2, "nas")], vec![rfile("new", "2", 1)])),
    }));
    app.update(Action::Remote(RemoteMsg::Listed {
        folder: FolderId(1),
        ticket: *first,
        result: Ok(listing(1, &[], vec![rfile("old", "1", 1)])),
    }));
    let node = app.remote.node(FolderId(1)).unwrap();
    assert_eq!(node.files[0].filename, "new");
    assert_eq!(node.load, Load::Loaded);
    assert_eq!(app.remote.len(), 5, "/, Backups, nas, new, notes.md");
    // Collapse.
    keys(&mut app, vec![ch('h')]);
    assert_eq!(app.remote.len(), 3);
    // A failed listing says so and can be retried.
    let effects = keys(&mut app, vec![ch('j'), ch('l')]);
    assert!(effects.is_empty(), "cached: no new listing");
}

#[test]
fn upload_asks_then_enqueues_files_and_folders() {
    let mut app = app();
    // Remote cursor on Backups: the destination.
    keys(
        &mut app,
        vec![key(KeyCode::Tab), ch('j'), key(KeyCode::Tab)],
    );
    keys(&mut app, vec![ch('j'), ch(' '), ch(' ')]); // dir, a.txt
    let effects = keys(&mut app, vec![key(KeyCode::F(5))]);
    assert!(effects.is_empty(), "asks first");
    let Some(Dialog::Confirm(c)) = &app.dialog else {
        panic!("{:?}", app.dialog)
    };
    assert_eq!(c.title, "Upload 2 items (1.0 KiB)");
    assert_eq!(c.lines, ["from ~/x", "to   1fichier /Backups"]);
    let effects = keys(&mut app, vec![key(KeyCode::Enter)]);
    assert_eq!(
        effects,
        [Effect::Enqueue(vec![
            JobKind::UploadDir {
                local: PathBuf::from("/home/u/x/dir"),
                parent: FolderId(1)
            },
            JobKind::Upload {
                local: PathBuf::from("/home/u/x/a.txt"),
                folder: FolderId(1),
                remote_name: "a.txt".into()
            },
        ])]
    );
    assert!(app.dialog.is_none());
    assert_eq!(app.local.marked().0, 0, "marks are cleared once queued");
}

#[test]
fn download_uses_safe_local_names() {
    let mut app = app();
    keys(&mut app, vec![key(KeyCode::Tab)]);
    // A hostile remote name.
    let effects = keys(&mut app, vec![ch('R')]);
    let [Effect::ListRemote { ticket, .. }] = effects.as_slice() else {
        panic!()
    };
    app.update(Action::Remote(RemoteMsg::Listed {
        folder: FolderId::ROOT,
        ticket: *ticket,
        result: Ok(listing(
            0,
            &[(1, "Backups")],
            vec![rfile("../../etc/passwd", "p", 5)],
        )),
    }));
    keys(&mut app, vec![ch('j'), ch(' '), ch(' ')]);
    keys(&mut app, vec![ch('c')]);
    let Some(Dialog::Confirm(c)) = &app.dialog else {
        panic!()
    };
    assert_eq!(c.title, "Download 2 items (5 B)");
    let effects = keys(&mut app, vec![ch('y')]);
    assert_eq!(
        effects,
        [Effect::Enqueue(vec![
            JobKind::DownloadDir {
                folder: FolderId(1),
                name: "Backups".into(),
                local_parent: PathBuf::from("/home/u/x")
            },
            JobKind::Download {
                url: FileUrl("https://1fichier.com/?p".into()),
                local: PathBuf::from("/home/u/x/.._.._etc_passwd"),
                size: 5,
                checksum: Some("ab".into()),
            },
        ])]
    );
}

#[test]
fn delete_names_what_goes_and_defaults_to_cancel() {
    let mut app = app();
    keys(&mut app, vec![ch('j'), ch('j'), ch(' '), ch(' ')]);
    keys(&mut app, vec![key(KeyCode::F(8))]);
    let Some(Dialog::Confirm(c)) = &app.dialog else {
        panic!()
    };
    assert!(c.danger && !c.focus_ok);
    assert!(
        c.names.iter().any(|l| l.contains("a.txt")) && c.names.iter().any(|l| l.contains("b.txt"))
    );
    assert!(c.lines.iter().any(|l| l.contains("cannot be undone")));
    let effects = keys(&mut app, vec![key(KeyCode::Enter)]);
    assert!(effects.is_empty(), "Enter on Cancel cancels");
    assert!(app.dialog.is_none());
    keys(&mut app, vec![key(KeyCode::Delete), key(KeyCode::Tab)]);
    let effects = keys(&mut app, vec![key(KeyCode::Enter)]);
    assert_eq!(
        effects,
        [Effect::Local(LocalOp::Delete {
            paths: vec![
                PathBuf::from("/home/u/x/a.txt"),
                PathBuf::from("/home/u/x/b.txt")
            ],
            dir: PathBuf::from("/home/u/x"),
        })]
    );
}

#[test]
fn remote_delete_covers_files_and_folders() {
    let mut app = app();
    // `*` marks the files only: a folder's mark would take everything in it.
    keys(&mut app, vec![key(KeyCode::Tab), ch('*')]);
    assert_eq!(app.remote.marked(), (1, 8));
    keys(&mut app, vec![key(KeyCode::F(8)), ch('y')]);
    assert!(app.dialog.is_none());
    let mut app2 = self::app();
    keys(
        &mut app2,
        vec![
            key(KeyCode::Tab),
            ch('j'),
            ch(' '),
            ch(' '),
            key(KeyCode::F(8)),
        ],
    );
    // A folder among them: the dialog says, before, that only empty ones go.
    let Some(Dialog::Confirm(c)) = &app2.dialog else {
        panic!("{:?}", app2.dialog)
    };
    assert!(
        c.lines.iter().any(|l| l.contains("only empty folders")),
        "{c:?}"
    );
    let effects = keys(&mut app2, vec![ch('y')]);
    assert_eq!(
        effects,
        [Effect::Remote(RemoteOp::Delete {
            files: vec![FileUrl("https://1fichier.com/?n".into())],
            folders: vec![FolderId(1)],
            refresh: vec![FolderId::ROOT],
        })]
    );
}

#[test]
fn quit_with_work_asks_and_without_work_quits() {
    let mut app = app();
    let job = |id, state| JobView {
        id: JobId(id),
        direction: Direction::Up,
        name: "big.iso".into(),
        state,
    };
    app.update(Action::Engine(EngineEvent::Jobs(Arc::new(vec![job(
        1,
        JobState::Queued,
    )]))));
    assert!(app.transfers.visible(), "shows by itself with work");
    keys(&mut app, vec![ch('q')]);
    let Some(Dialog::Confirm(c)) = &app.dialog else {
        panic!()
    };
    assert!(c.lines.iter().any(|l| l.contains("saved")));
    assert!(!app.quit);
    keys(&mut app, vec![key(KeyCode::Esc)]);
    assert!(!app.quit && app.dialog.is_none());
    keys(&mut app, vec![key(KeyCode::F(10)), key(KeyCode::Enter)]);
    assert!(app.quit);

    let mut idle = self::app();
    keys(&mut idle, vec![ch('q')]);
    assert!(idle.quit);
}

#[test]
fn conflicts_are_asked_one_at_a_time() {
    let mut app = app();
    let q = |id| ConflictQuestion {
        job: JobId(id),
        name: "report.pdf".into(),
        existing: (10, None),
        incoming: (20, None),
    };
    app.update(Action::Engine(EngineEvent::Conflict(q(1))));
    app.update(Action::Engine(EngineEvent::Conflict(q(2))));
    let effects = keys(&mut app, vec![ch('a'), ch('o')]);
    assert_eq!(
        effects,
        [Effect::Control(Control::Answer(
            JobId(1),
            ConflictAnswer {
                policy: ConflictPolicy::Overwrite,
                for_all: true
            }
        ))]
    );
    let Some(Dialog::Conflict(c)) = &app.dialog else {
        panic!("the second question follows")
    };
    assert_eq!(c.question.job, JobId(2));
    let effects = keys(&mut app, vec![key(KeyCode::Esc)]);
    assert_eq!(
        effects,
        [Effect::Control(Control::Answer(
            JobId(2),
            ConflictAnswer {
                policy: ConflictPolicy::Skip,
                for_all: false
            }
        ))]
    );
    assert!(app.dialog.is_none());
}

#[test]
fn transfer_panel_keys_send_controls() {
    let mut app = app();
    let job = |id, state| JobView {
        id: JobId(id),
        direction: Direction::Down,
        name: "f".into(),
        state,
    };
    let jobs = vec![
        job(
            1,
            JobState::Running {
                done: 1,
                total: 2,
                speed: 1.0,
                eta: None,
            },
        ),
        job(2, JobState::Paused { done: 0, total: 2 }),
        job(3, JobState::Failed { reason: "x".into() }),
    ];
    app.update(Action::Engine(EngineEvent::Jobs(Arc::new(jobs))));
    keys(&mut app, vec![ch('T')]);
    assert_eq!(app.focus, Focus::Transfers);
    assert_eq!(
        keys(&mut app, vec![ch('p')]),
        [Effect::Control(Control::Pause(JobId(1)))]
    );
    assert_eq!(
        keys(&mut app, vec![ch('j'), ch('p')]),
        [Effect::Control(Control::Resume(JobId(2)))]
    );
    assert_eq!(
        keys(&mut app, vec![ch('+')]),
        [Effect::Control(Control::MoveUp(JobId(2)))]
    );
    assert_eq!(
        keys(&mut app, vec![ch('j'), ch('r')]),
        [Effect::Control(Control::Retry(JobId(3)))]
    );
    assert_eq!(
        keys(&mut app, vec![ch('x')]),
        [],
        "a finished job cannot be cancelled"
    );
    assert_eq!(
        keys(&mut app, vec![ch('C')]),
        [Effect::Control(Control::ClearFinished)]
    );
    assert_eq!(
        keys(&mut app, vec![ch('P')]),
        [Effect::Control(Control::PauseAll)]
    );
    keys(&mut app, vec![key(KeyCode::Esc)]);
    assert_eq!(app.focus, Focus::Local);
}

#[test]
fn rename_and_move_on_the_remote_side() {
    let mut app = app();
    keys(&mut app, vec![key(KeyCode::Tab), ch('G')]); // notes.md
    keys(&mut app, vec![ch('r')]);
    let Some(Dialog::Input(d)) = &app.dialog else {
        panic!()
    };
    assert_eq!(d.input.text(), "notes.md");
    let mut typing = vec![key(KeyCode::Home)];
    typing.extend("my ".chars().map(ch));
    typing.push(key(KeyCode::Enter));
    let effects = keys(&mut app, typing);
    assert_eq!(
        effects,
        [Effect::Remote(RemoteOp::RenameFile {
            url: FileUrl("https://1fichier.com/?n".into()),
            name: "my notes.md".into(),
            folder: FolderId::ROOT
        })]
    );

    // m: the path prefilled; changing the folder moves the file there.
    keys(&mut app, vec![ch('m')]);
    let Some(Dialog::Input(d)) = &app.dialog else {
        panic!()
    };
    assert_eq!(d.input.text(), "/notes.md");
    let mut typing = vec![key(KeyCode::Home), key(KeyCode::Right)];
    typing.extend("Backups/".chars().map(ch));
    typing.push(key(KeyCode::Enter));
    let effects = keys(&mut app, typing);
    assert_eq!(
        effects,
        [Effect::Remote(RemoteOp::Move {
            files: vec![FileUrl("https://1fichier.com/?n".into())],
            folders: vec![],
            dest: RemoteDest {
                start: FolderId(1),
                rest: vec!["notes.md".into()],
                rename_last: true
            },
            refresh: vec![FolderId::ROOT, FolderId(1)],
        })]
    );
    // Unchanged text does nothing.
    let effects = keys(&mut app, vec![ch('m'), key(KeyCode::Enter)]);
    assert!(effects.is_empty(), "{effects:?}");
}

#[test]
fn links_go_to_the_clipboard_and_a_dialog() {
    let mut app = app();
    let effects = keys(&mut app, vec![key(KeyCode::Tab), ch('G'), ch('y')]);
    assert_eq!(
        effects,
        [Effect::Clipboard("https://1fichier.com/?n".into())]
    );
    assert!(matches!(&app.dialog, Some(Dialog::Links { links, .. }) if links.len() == 1));
}

#[test]
fn remote_upload_enqueues_a_url_job() {
    let mut app = app();
    keys(&mut app, vec![key(KeyCode::Tab), ch('j'), ch('u')]);
    app.update(Action::Paste("example.org/a.iso".into()));
    let effects = keys(&mut app, vec![key(KeyCode::Enter)]);
    assert_eq!(
        effects,
        [Effect::Enqueue(vec![JobKind::RemoteUpload {
            urls: vec!["https://example.org/a.iso".into()],
            folder: FolderId(1)
        }])]
    );
}

#[test]
fn mkdir_on_both_sides() {
    let mut app = app();
    let effects = keys(
        &mut app,
        vec![
            key(KeyCode::F(7)),
            ch('n'),
            ch('e'),
            ch('w'),
            key(KeyCode::Enter),
        ],
    );
    assert_eq!(
        effects,
        [Effect::Local(LocalOp::Mkdir {
            dir: PathBuf::from("/home/u/x"),
            name: "new".into()
        })]
    );
    let effects = keys(
        &mut app,
        vec![
            key(KeyCode::Tab),
            ch('j'),
            ch('n'),
            ch('日'),
            key(KeyCode::Enter),
        ],
    );
    assert_eq!(
        effects,
        [Effect::Remote(RemoteOp::Mkdir {
            parent: FolderId(1),
            name: "日".into()
        })]
    );
}

#[test]
fn finished_jobs_refresh_the_folder_they_changed() {
    let mut app = app();
    let effects = app.update(Action::Engine(EngineEvent::Finished {
        job: JobId(1),
        ok: true,
        changed: Changed::Remote(FolderId::ROOT),
    }));
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::ListRemote {
                folder: FolderId(0),
                ..
            }]
        ),
        "{effects:?}"
    );
    let effects = app.update(Action::Engine(EngineEvent::Finished {
        job: JobId(2),
        ok: true,
        changed: Changed::Local(PathBuf::from("/home/u/x")),
    }));
    assert!(matches!(effects.as_slice(), [Effect::ListLocal { .. }]));
    let effects = app.update(Action::Engine(EngineEvent::Finished {
        job: JobId(3),
        ok: true,
        changed: Changed::Local(PathBuf::from("/elsewhere")),
    }));
    assert!(effects.is_empty());
}

#[test]
fn account_refreshes_at_most_once_a_minute_and_keeps_values_on_flood() {
    let mut app = app();
    let t0 = app.now;
    app.update(Action::Account(AccountMsg::Loaded(AccountInfo {
        email: Some("a@b.c".into()),
        ..Default::default()
    })));
    assert_eq!(
        app.next_wakeup(),
        Some(t0 + Duration::from_secs(300)),
        "idle: only the five-minute timer"
    );
    app.update(Action::Engine(EngineEvent::Finished {
        job: JobId(1),
        ok: true,
        changed: Changed::Nothing,
    }));
    assert_eq!(app.next_wakeup(), Some(t0 + Duration::from_secs(60)));
    app.now = t0 + Duration::from_secs(30);
    assert!(!app.update(Action::Tick).contains(&Effect::FetchAccount));
    app.now = t0 + Duration::from_secs(61);
    assert!(app.update(Action::Tick).contains(&Effect::FetchAccount));
    app.update(Action::Account(AccountMsg::Failed {
        message: "Flood #38".into(),
        flood: true,
    }));
    assert_eq!(
        app.account.info.as_ref().and_then(|a| a.email.as_deref()),
        Some("a@b.c")
    );
    assert!(app.message.is_none(), "a flood answer is kept quiet");
    app.update(Action::Account(AccountMsg::Failed {
        message: "boom".into(),
        flood: false,
    }));
    assert!(app.message.as_ref().is_some_and(|m| m.error));
}

#[test]
fn bad_key_entries_are_reported_not_fatal() {
    let mut keys_table = BTreeMap::new();
    keys_table.insert("transfer".to_string(), vec!["F2".to_string()]);
    keys_table.insert("fly".to_string(), vec!["z".to_string()]);
    let mut app = app_with(keys_table);
    assert!(app.message.as_ref().is_some_and(|m| m.text.contains("fly")));
    keys(&mut app, vec![ch('j'), ch('j')]);
    assert!(keys(&mut app, vec![key(KeyCode::F(5))]).is_empty());
    assert!(app.dialog.is_none(), "F5 no longer transfers");
    keys(&mut app, vec![key(KeyCode::F(2))]);
    assert!(matches!(app.dialog, Some(Dialog::Confirm(_))));
}

#[test]
fn mouse_click_focuses_and_selects() {
    let mut app = app();
    // Right pane starts at column 60; row 0 border, row 1 header, row 2 = first tree row.
    let click = |column, row| {
        Action::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    app.update(click(70, 3));
    assert_eq!(app.focus, Focus::Remote);
    assert_eq!(app.remote.cursor_item(), Some(RowItem::Folder(FolderId(1))));
    app.update(click(5, 4));
    assert_eq!(app.focus, Focus::Local);
    assert_eq!(local_cursor_name(&app).as_deref(), Some("a.txt"));
}

#[test]
fn idle_means_no_wakeups_but_countdowns_tick() {
    let mut app = app();
    app.update(Action::Account(AccountMsg::Loaded(AccountInfo::default())));
    let idle = app.next_wakeup();
    assert_eq!(
        idle,
        Some(app.account.last_try.unwrap() + Duration::from_secs(300))
    );
    let until = app.now + Duration::from_secs(24);
    let jobs = vec![JobView {
        id: JobId(1),
        direction: Direction::Up,
        name: "a".into(),
        state: JobState::Waiting {
            reason: "flood lock".into(),
            until: Some(until),
        },
    }];
    app.update(Action::Engine(EngineEvent::Jobs(Arc::new(jobs))));
    assert_eq!(app.next_wakeup(), Some(app.now + Duration::from_secs(1)));
}

#[test]
fn a_hundred_thousand_entries_stay_workable() {
    let mut app = App::new(AppOptions {
        start_dir: PathBuf::from("/big"),
        ..AppOptions::default()
    });
    app.update(Action::Resize {
        width: 120,
        height: 40,
    });
    let effects = app.start();
    let Some(Effect::ListLocal { ticket, dir }) = effects
        .into_iter()
        .find(|e| matches!(e, Effect::ListLocal { .. }))
    else {
        panic!()
    };
    let entries: Vec<LocalEntry> = (0..100_000)
        .map(|i| entry(&format!("file-{i:06}.dat"), i % 1000 == 0, i))
        .collect();
    app.update(Action::Local(LocalMsg::Listed {
        ticket,
        dir,
        result: Ok(entries),
    }));
    assert_eq!(app.local.len(), 100_001);
    keys(&mut app, vec![ch('G')]);
    assert_eq!(app.local.list.cursor, 100_000);
    assert!(
        app.local.list.offset > 99_000,
        "the window follows the cursor"
    );
    keys(&mut app, vec![ch('*')]);
    assert_eq!(app.local.marked().0, 100_000);
    keys(
        &mut app,
        vec![ch('/'), ch('0'), ch('9'), ch('9'), ch('9'), ch('9')],
    );
    // "09999": file-009999, and file-099990 to file-099999.
    assert_eq!(app.local.len(), 1 + 1 + 10);
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    terminal.draw(|f| fichier_tui::ui::draw(&app, f)).unwrap();
}

#[test]
fn keys_the_filter_does_not_take_keep_their_meaning() {
    let mut app = app();
    keys(&mut app, vec![ch('/'), ch('a'), key(KeyCode::Tab)]);
    assert_eq!(
        app.focus,
        Focus::Remote,
        "Tab still switches panes while a filter is typed"
    );
    assert!(app.local.filter.is_some());
}

#[test]
fn copy_and_folder_rename_and_moving_many() {
    let mut app = app();
    keys(&mut app, vec![key(KeyCode::Tab), ch('G'), ch('C')]);
    let Some(Dialog::Input(d)) = &app.dialog else {
        panic!("{:?}", app.dialog)
    };
    assert_eq!(d.input.text(), "/");
    let mut typing: Vec<Action> = "Backups/new/".chars().map(ch).collect();
    typing.push(key(KeyCode::Enter));
    let effects = keys(&mut app, typing);
    assert_eq!(
        effects,
        [Effect::Remote(RemoteOp::Copy {
            files: vec![FileUrl("https://1fichier.com/?n".into())],
            dest: RemoteDest {
                start: FolderId(1),
                rest: vec!["new".into()],
                rename_last: false
            },
        })]
    );

    // r on a folder renames the folder.
    keys(
        &mut app,
        vec![ch('g'), ch('j'), ch('r'), key(KeyCode::End), ch('2')],
    );
    let effects = keys(&mut app, vec![key(KeyCode::Enter)]);
    assert_eq!(
        effects,
        [Effect::Remote(RemoteOp::RenameFolder {
            id: FolderId(1),
            parent: FolderId::ROOT,
            name: "Backups2".into()
        })]
    );

    // Several marked items move into a folder; the text is a folder path.
    // (`*` marks files only: the folder is marked by hand.)
    keys(&mut app, vec![ch('g'), ch('j'), ch(' '), ch(' '), ch('m')]);
    let Some(Dialog::Input(d)) = &app.dialog else {
        panic!()
    };
    assert_eq!(d.label, "move 2 items to the 1fichier folder");
    keys(
        &mut app,
        vec![KeyCode::Char('u'), KeyCode::Char('x')]
            .into_iter()
            .map(|c| Action::Key(KeyEvent::new(c, KeyModifiers::CONTROL)))
            .collect(),
    );
    let mut typing: Vec<Action> = "/Elsewhere".chars().map(ch).collect();
    typing.push(key(KeyCode::Enter));
    let effects = keys(&mut app, typing);
    assert_eq!(
        effects,
        [Effect::Remote(RemoteOp::Move {
            files: vec![FileUrl("https://1fichier.com/?n".into())],
            folders: vec![FolderId(1)],
            dest: RemoteDest {
                start: FolderId::ROOT,
                rest: vec!["Elsewhere".into()],
                rename_last: false
            },
            refresh: vec![FolderId::ROOT],
        })]
    );
}

/// The listing that answers the one `ListRemote` among `effects`.
fn answer_remote(app: &mut App, effects: &[Effect], l: RemoteListing) {
    let Some((folder, ticket)) = effects.iter().find_map(|e| match e {
        Effect::ListRemote { folder, ticket } => Some((*folder, *ticket)),
        _ => None,
    }) else {
        panic!("no remote listing asked for in {effects:?}");
    };
    app.update(Action::Remote(RemoteMsg::Listed {
        folder,
        ticket,
        result: Ok(l),
    }));
}

#[test]
fn the_cursor_lands_on_what_was_just_made_or_renamed() {
    use fichier_tui::ui::action::{OpDone, Refresh, Select};
    let mut app = app();
    // Remote: a new folder at the root; the root's next listing puts the cursor on it.
    keys(&mut app, vec![key(KeyCode::Tab)]);
    let effects = app.update(Action::Done(OpDone {
        result: Ok("made the folder New".into()),
        refresh: vec![Refresh::Remote(FolderId::ROOT)],
        select: Some(Select::Remote {
            folder: FolderId::ROOT,
            name: "New \"one\"".into(),
        }),
    }));
    // The service stores `"` as its full-width look-alike; the pane finds it all the same.
    let l = listing(
        0,
        &[(1, "Backups"), (7, "New \u{FF02}one\u{FF02}")],
        vec![rfile("notes.md", "n", 8)],
    );
    answer_remote(&mut app, &effects, l);
    assert_eq!(app.remote.cursor_item(), Some(RowItem::Folder(FolderId(7))));
    // Local: a renamed file keeps the cursor under its new name.
    keys(&mut app, vec![key(KeyCode::Tab)]);
    let effects = app.update(Action::Done(OpDone {
        result: Ok("renamed to c.txt".into()),
        refresh: vec![Refresh::Local(PathBuf::from("/home/u/x"))],
        select: Some(Select::Local {
            dir: PathBuf::from("/home/u/x"),
            name: "c.txt".into(),
        }),
    }));
    let Some(Effect::ListLocal { dir, ticket }) = effects.first().cloned() else {
        panic!("{effects:?}")
    };
    app.update(Action::Local(LocalMsg::Listed {
        ticket,
        dir,
        result: Ok(vec![
            entry("a.txt", false, 1),
            entry("c.txt", false, 2),
            entry("d.txt", false, 3),
        ]),
    }));
    assert_eq!(local_cursor_name(&app).as_deref(), Some("c.txt"));
}

#[test]
fn remote_names_sort_as_the_user_reads_them() {
    let mut app = app();
    keys(&mut app, vec![key(KeyCode::Tab)]);
    let effects = keys(&mut app, vec![ch('R')]);
    // `␠b` is how the service keeps " b": it sorts as a space, before `a`.
    let l = listing(
        0,
        &[],
        vec![rfile("a.txt", "a", 1), rfile("\u{2420}b.txt", "b", 1)],
    );
    answer_remote(&mut app, &effects, l);
    let names: Vec<String> = app
        .remote
        .rows()
        .iter()
        .filter_map(|r| match r.item {
            RowItem::File { folder, index } => {
                app.remote.file(folder, index).map(|f| f.filename.clone())
            }
            RowItem::Folder(_) => None,
        })
        .collect();
    assert_eq!(names, ["\u{2420}b.txt", "a.txt"]);
}

#[test]
fn the_end_of_the_work_is_said() {
    let mut app = app();
    let job = |state| JobView {
        id: JobId(1),
        direction: Direction::Up,
        name: "a.txt".into(),
        state,
    };
    let running = JobState::Running {
        done: 1,
        total: 2,
        speed: 1.0,
        eta: None,
    };
    app.update(Action::Engine(EngineEvent::Jobs(Arc::new(vec![job(
        running,
    )]))));
    assert!(app.transfers.visible());
    app.update(Action::Engine(EngineEvent::Jobs(Arc::new(vec![job(
        JobState::Done {
            result: String::new(),
        },
    )]))));
    assert!(!app.transfers.visible(), "the panel goes with the work");
    let said = app.message.as_ref().map(|m| m.text.as_str());
    assert_eq!(said, Some("all transfers done"));
}
