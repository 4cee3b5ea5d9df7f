//! Screens as a user sees them, rendered into ratatui's TestBackend at 120x40, 80x24 and 40x10.
//! Local fixtures are real files in a temp dir with fixed names, sizes (sparse) and mtimes.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use fichier_tui::api::{
    AccountInfo, FileUrl, FolderId, FolderListing, Offer, PaceStatus, RemoteFile, SubFolder,
};
use fichier_tui::transfer::{ConflictQuestion, Direction, EngineEvent, JobId, JobState, JobView};
use fichier_tui::ui::action::{AccountMsg, LocalMsg, RemoteListing, RemoteMsg};
use fichier_tui::ui::dialog::Dialog;
use fichier_tui::ui::{Action, App, AppOptions, Effect, draw};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use unicode_width::UnicodeWidthStr;

const GIB: u64 = 1024 * 1024 * 1024;
const HOSTILE: &str = "\x1b[31mred\x1b[0m.txt";
const BIDI: &str = "invoice\u{202E}fdp.exe";
const LONG_CJK: &str =
    "長い名前のファイルはここで切られるべきです_とても長い日本語の名前のファイル.txt";

fn day(y_m_d_secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(y_m_d_secs)
}
// 2026-11-20, 2026-11-25, 2026-11-26, 2026-11-01 (UTC noon).
const NOV20: u64 = 1_795_176_000;
const NOV25: u64 = NOV20 + 5 * 86_400;
const NOV26: u64 = NOV20 + 6 * 86_400;
const NOV01: u64 = NOV20 - 19 * 86_400;

fn touch(path: &Path, size: u64, mtime: u64) {
    let f = File::create(path).unwrap();
    f.set_len(size).unwrap();
    f.set_modified(day(mtime)).unwrap();
}

/// ~/backups with the names of SCREENS.md, hostile ones included.
fn fixture() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("backups");
    std::fs::create_dir(&dir).unwrap();
    std::fs::create_dir(dir.join("photos")).unwrap();
    File::open(dir.join("photos"))
        .unwrap()
        .set_modified(day(NOV20))
        .unwrap();
    touch(&dir.join("db-2026-11-25.sql.gz"), 1_288_490_189, NOV25);
    touch(&dir.join("db-2026-11-26.sql.gz"), 1_288_490_189, NOV26);
    touch(&dir.join("日本語のファイル.txt"), 12, NOV01);
    touch(&dir.join(HOSTILE), 24, NOV01);
    touch(&dir.join(BIDI), 4096, NOV01);
    touch(&dir.join(LONG_CJK), 3 * 1024 * 1024, NOV01);
    touch(&dir.join(".hidden"), 1, NOV01);
    home
}

fn key(code: KeyCode) -> Action {
    Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
}
fn ch(c: char) -> Action {
    key(KeyCode::Char(c))
}

fn rfile(name: &str, id: &str, size: u64, date: &str) -> RemoteFile {
    RemoteFile {
        url: FileUrl(format!("https://1fichier.com/?{id}")),
        filename: name.into(),
        size,
        date: Some(format!("{date} 10:00:00")),
        checksum: None,
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
                    create_date: Some("2026-11-20 08:00:00".into()),
                    pass: false,
                })
                .collect(),
        },
        files,
    }
}

/// Feeds an action and answers the remote listing it asks for, if `answer` has one.
fn act(app: &mut App, action: Action, answer: Option<RemoteListing>) {
    let effects = app.update(action);
    if let Some(l) = answer {
        let ticket = effects
            .iter()
            .find_map(|e| match e {
                Effect::ListRemote { ticket, .. } => Some(*ticket),
                _ => None,
            })
            .expect("a listing request");
        app.update(Action::Remote(RemoteMsg::Listed {
            folder: l.folder.folder_id,
            ticket,
            result: Ok(l),
        }));
    }
}

/// The main screen's state: both panes listed, a tree with two folders open and one loading,
/// the account known, one local file marked.
fn main_app(home: &Path, width: u16, height: u16) -> App {
    let mut app = App::new(AppOptions {
        start_dir: home.join("backups"),
        keys: BTreeMap::new(),
        theme: "default".into(),
        home: Some(home.to_path_buf()),
        ..AppOptions::default()
    });
    app.update(Action::Resize { width, height });
    for e in app.start() {
        match e {
            Effect::ListLocal { dir, ticket } => {
                let result = fichier_tui::local::list_dir(&dir).map_err(|e| e.to_string());
                app.update(Action::Local(LocalMsg::Listed {
                    ticket,
                    dir,
                    result,
                }));
            }
            Effect::ListRemote { folder, ticket } => {
                let files = vec![
                    rfile(HOSTILE, "h", 24, "2026-11-01"),
                    rfile(BIDI, "i", 4096, "2026-11-01"),
                    rfile("notes.md", "n", 8, "2026-11-02"),
                ];
                let l = listing(0, &[(1, "Backups"), (5, "Photos 2024")], files);
                app.update(Action::Remote(RemoteMsg::Listed {
                    folder,
                    ticket,
                    result: Ok(l),
                }));
            }
            _ => {}
        }
    }
    app.update(Action::Account(AccountMsg::Loaded(AccountInfo {
        email: Some("demo@example.org".into()),
        offer: Some(Offer::Premium),
        subscription_end: Some("2027-12-31 00:00:00".into()),
        cold_storage: Some(412 * GIB),
        available_cold_storage: Some(20 * 1024 * GIB),
        ..AccountInfo::default()
    })));
    // The tree: open Backups and nas, leave Photos 2024 loading.
    act(&mut app, key(KeyCode::Tab), None);
    act(&mut app, ch('j'), None);
    act(
        &mut app,
        key(KeyCode::Enter),
        Some(listing(
            1,
            &[(2, "nas")],
            vec![rfile("report.pdf", "r", 21_076_377, "2026-11-02")],
        )),
    );
    act(&mut app, ch('j'), None);
    let nas_files = vec![
        rfile("db-2026-11-24.sql.gz", "d1", 1_288_490_189, "2026-11-24"),
        rfile("db-2026-11-24.sql.gz", "d2", 1_288_490_189, "2026-11-24"),
        rfile(LONG_CJK, "c", 3 * 1024 * 1024, "2026-11-01"),
    ];
    act(
        &mut app,
        key(KeyCode::Enter),
        Some(listing(2, &[(3, "2025")], nas_files)),
    );
    for _ in 0..6 {
        act(&mut app, ch('j'), None);
    }
    act(&mut app, key(KeyCode::Enter), None); // Photos 2024: loading...
    act(&mut app, ch('k'), None);
    // Back to the local pane, mark the newest dump, cursor on it.
    act(&mut app, key(KeyCode::Tab), None);
    for _ in 0..4 {
        act(&mut app, ch('j'), None);
    }
    act(&mut app, ch(' '), None);
    act(&mut app, ch('k'), None);
    app.message = None;
    app
}

fn jobs(app: &App) -> Vec<JobView> {
    let job = |id, direction, name: &str, state| JobView {
        id: JobId(id),
        direction,
        name: name.into(),
        state,
    };
    vec![
        job(
            1,
            Direction::Up,
            "db-2026-11-26.sql.gz",
            JobState::Running {
                done: 681_574_400,
                total: 1_288_490_189,
                speed: 48.2e6,
                eta: Some(Duration::from_secs(12)),
            },
        ),
        job(
            2,
            Direction::Down,
            "report.pdf",
            JobState::Running {
                done: 3_565_158,
                total: 21_076_377,
                speed: 2.1e6,
                eta: Some(Duration::from_secs(8)),
            },
        ),
        job(
            3,
            Direction::Up,
            "big.iso",
            JobState::Waiting {
                reason: "flood lock".into(),
                until: Some(app.now + Duration::from_secs(24)),
            },
        ),
        job(4, Direction::Up, "notes.txt", JobState::Queued),
        job(
            5,
            Direction::Down,
            HOSTILE,
            JobState::Failed {
                reason: "not found on 1fichier: Resource not found #469".into(),
            },
        ),
        job(
            6,
            Direction::Remote,
            "https://example.org/a.iso",
            JobState::Paused { done: 0, total: 0 },
        ),
        job(
            7,
            Direction::Up,
            LONG_CJK,
            JobState::Done {
                result: String::new(),
            },
        ),
    ]
}

/// The screen as text; a wide character's second cell is skipped so columns read as on screen.
fn screen(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| draw(app, f)).unwrap();
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..height {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let symbol = buffer[(x, y)].symbol();
            line.push_str(symbol);
            skip = symbol.width().saturating_sub(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

const SIZES: [(u16, u16); 3] = [(120, 40), (80, 24), (40, 10)];

#[test]
fn main_screen() {
    let home = fixture();
    for (w, h) in SIZES {
        let app = main_app(home.path(), w, h);
        let text = screen(&app, w, h);
        assert!(
            !text.contains('\x1b') && !text.contains('\u{202E}'),
            "no raw control characters reach a cell"
        );
        insta::assert_snapshot!(format!("main_{w}x{h}"), text);
    }
}

#[test]
fn remote_pane_focused_in_one_pane_mode() {
    let home = fixture();
    let mut app = main_app(home.path(), 40, 10);
    act(&mut app, key(KeyCode::Tab), None);
    insta::assert_snapshot!("remote_40x10", screen(&app, 40, 10));
    let mut app = main_app(home.path(), 80, 24);
    act(&mut app, key(KeyCode::Tab), None);
    act(&mut app, ch('k'), None);
    act(&mut app, ch(' '), None);
    insta::assert_snapshot!("remote_marked_80x24", screen(&app, 80, 24));
}

#[test]
fn transfer_panel_mid_transfer() {
    let home = fixture();
    // 104 columns: the width of SCREENS.md's sketch, where names give room to the progress.
    for (w, h) in SIZES.into_iter().chain([(104, 30)]) {
        let mut app = main_app(home.path(), w, h);
        let list = jobs(&app);
        app.update(Action::Engine(EngineEvent::Jobs(Arc::new(list))));
        app.pace = PaceStatus::Waiting {
            until: app.now + Duration::from_secs(24),
            reason: "flood lock".into(),
        };
        insta::assert_snapshot!(format!("transfers_{w}x{h}"), screen(&app, w, h));
    }
    // Focused, with the cursor on the waiting job.
    let mut app = main_app(home.path(), 120, 40);
    let list = jobs(&app);
    app.update(Action::Engine(EngineEvent::Jobs(Arc::new(list))));
    act(&mut app, ch('T'), None);
    act(&mut app, ch('j'), None);
    act(&mut app, ch('j'), None);
    insta::assert_snapshot!("transfers_focused_120x40", screen(&app, 120, 40));
}

#[test]
fn help_screen() {
    let home = fixture();
    let mut remapped = BTreeMap::new();
    remapped.insert(
        "transfer".to_string(),
        vec!["F2".to_string(), "ctrl-t".to_string()],
    );
    for (w, h) in SIZES {
        let mut app = main_app(home.path(), w, h);
        app.keymap = fichier_tui::ui::keymap::Keymap::new(&remapped);
        act(&mut app, ch('?'), None);
        insta::assert_snapshot!(format!("help_{w}x{h}"), screen(&app, w, h));
    }
    let mut app = main_app(home.path(), 80, 24);
    act(&mut app, key(KeyCode::F(1)), None);
    act(&mut app, key(KeyCode::PageDown), None);
    insta::assert_snapshot!("help_scrolled_80x24", screen(&app, 80, 24));
}

/// Opens each dialog from the main screen and snapshots it at every size.
#[test]
fn dialogs() {
    let home = fixture();
    type Setup = fn(&mut App);
    let cases: [(&str, Setup); 10] = [
        ("upload", |app| act(app, key(KeyCode::F(5)), None)),
        ("delete", |app| {
            act(app, ch('*'), None);
            act(app, key(KeyCode::F(8)), None);
        }),
        ("download", |app| {
            act(app, key(KeyCode::Tab), None);
            act(app, key(KeyCode::F(5)), None);
        }),
        ("rename_input", |app| {
            for _ in 0..3 {
                act(app, ch('j'), None);
            }
            act(app, ch('r'), None);
            for _ in 0..6 {
                act(app, key(KeyCode::Left), None);
            }
        }),
        ("move_input", |app| {
            act(app, key(KeyCode::Tab), None);
            act(app, ch('m'), None);
        }),
        ("conflict", |app| {
            let q = ConflictQuestion {
                job: JobId(9),
                name: "report.pdf".into(),
                existing: (21_076_377, Some("2026-11-02 10:00:00".into())),
                incoming: (21_286_093, Some("2026-11-25 09:00:00".into())),
            };
            app.update(Action::Engine(EngineEvent::Conflict(q)));
            act(app, ch('a'), None);
        }),
        ("error", |app| {
            app.dialog = Some(Dialog::Message {
                title: "That did not work".into(),
                text: "1fichier said: a folder that is not empty cannot be removed #612".into(),
                error: true,
            });
        }),
        ("links", |app| {
            act(app, key(KeyCode::Tab), None);
            act(app, ch('*'), None);
            act(app, ch('y'), None);
        }),
        ("quit", |app| {
            let list = jobs(app);
            app.update(Action::Engine(EngineEvent::Jobs(Arc::new(list))));
            act(app, ch('q'), None);
        }),
        ("remote_upload", |app| {
            act(app, key(KeyCode::Tab), None);
            act(app, ch('u'), None);
            app.update(Action::Paste("example.org/big.iso".into()));
        }),
    ];
    for (name, setup) in cases {
        for (w, h) in SIZES {
            let mut app = main_app(home.path(), w, h);
            setup(&mut app);
            assert!(app.dialog.is_some(), "{name}: no dialog");
            insta::assert_snapshot!(format!("dialog_{name}_{w}x{h}"), screen(&app, w, h));
        }
    }
}

#[test]
fn warnings_and_messages_in_the_status_bar() {
    let home = fixture();
    let mut app = main_app(home.path(), 120, 40);
    app.update(Action::Account(AccountMsg::Loaded(AccountInfo {
        email: Some("demo@example.org".into()),
        offer: Some(Offer::Gold),
        cold_storage: Some(21 * 1024 * GIB),
        available_cold_storage: Some(20 * 1024 * GIB),
        hot_storage: Some(3 * GIB),
        overquota: true,
        upload_forbidden: true,
        ..AccountInfo::default()
    })));
    insta::assert_snapshot!(
        "status_overquota_120x40",
        screen(&app, 120, 40).lines().last().unwrap_or_default()
    );
    app.error("cannot reach 1fichier (connection refused); check the network");
    insta::assert_snapshot!(
        "status_error_120x40",
        screen(&app, 120, 40).lines().last().unwrap_or_default()
    );
    insta::assert_snapshot!(
        "status_error_40x10",
        screen(&app, 40, 10).lines().last().unwrap_or_default()
    );
}

#[test]
fn filter_and_hidden_files() {
    let home = fixture();
    let mut app = main_app(home.path(), 80, 24);
    act(&mut app, ch('.'), None);
    act(&mut app, ch('/'), None);
    for c in "TXT".chars() {
        act(&mut app, ch(c), None);
    }
    insta::assert_snapshot!("filter_typing_80x24", screen(&app, 80, 24));
}

#[test]
fn tiny_and_odd_sizes_never_panic() {
    let home = fixture();
    for (w, h) in [
        (1, 1),
        (0, 0),
        (5, 0),
        (0, 5),
        (2, 3),
        (10, 2),
        (20, 5),
        (39, 9),
        (79, 30),
        (300, 100),
    ] {
        let mut app = main_app(home.path(), w, h);
        screen(&app, w, h);
        let list = jobs(&app);
        app.update(Action::Engine(EngineEvent::Jobs(Arc::new(list))));
        screen(&app, w, h);
        act(&mut app, ch('?'), None);
        screen(&app, w, h);
        act(&mut app, key(KeyCode::Esc), None);
        act(&mut app, key(KeyCode::F(8)), None);
        screen(&app, w, h);
        act(&mut app, key(KeyCode::Esc), None);
        act(&mut app, ch('r'), None);
        screen(&app, w, h);
    }
}

#[test]
fn mono_theme_uses_no_colour() {
    let home = fixture();
    let mut app = main_app(home.path(), 80, 24);
    app.theme = fichier_tui::ui::theme::Theme::named("default", true);
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| draw(&app, f)).unwrap();
    for cell in terminal.backend().buffer().content() {
        assert_eq!(cell.fg, ratatui::style::Color::Reset);
        assert_eq!(cell.bg, ratatui::style::Color::Reset);
    }
}

#[test]
fn the_cursor_row_is_highlighted_across_the_pane() {
    use ratatui::style::Modifier;
    let home = fixture();
    let mut app = main_app(home.path(), 80, 24);
    app.theme = fichier_tui::ui::theme::Theme::mono();
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| draw(&app, f)).unwrap();
    let buf = terminal.backend().buffer();
    // Local cursor on db-2026-11-26 (row 6): reversed from the mark column to the last column.
    for x in 1..39 {
        assert!(
            buf[(x, 6)].modifier.contains(Modifier::REVERSED),
            "column {x}"
        );
    }
    assert!(!buf[(1, 5)].modifier.contains(Modifier::REVERSED));
    // The remote pane's cursor is there too, but dim (underlined in mono), not reversed.
    let remote_row = (2..22).find(|y| buf[(45, *y)].modifier.contains(Modifier::UNDERLINED));
    assert!(remote_row.is_some(), "the other pane's cursor shows");
    assert!(!(2..22).any(|y| buf[(45, y)].modifier.contains(Modifier::REVERSED)));
}

#[test]
fn old_account_values_say_their_age() {
    let home = fixture();
    let mut app = main_app(home.path(), 120, 40);
    app.now += Duration::from_secs(12 * 60 + 5);
    app.message = None;
    insta::assert_snapshot!(
        "status_stale_120x40",
        screen(&app, 120, 40).lines().last().unwrap_or_default()
    );
}

/// However long an error, its box keeps the way out on screen, down to the smallest size.
#[test]
fn a_long_error_keeps_its_closing_hint() {
    let home = fixture();
    let long = "the service said something very long about this: ".repeat(12);
    for (w, h) in [(120, 40), (80, 24), (40, 10), (30, 7)] {
        let mut app = main_app(home.path(), w, h);
        app.dialog = Some(Dialog::Message {
            title: "That did not work".into(),
            text: long.clone(),
            error: true,
        });
        let text = screen(&app, w, h);
        assert!(text.contains("Enter: close"), "{w}x{h}:\n{text}");
        assert!(text.contains("the service said"), "{w}x{h}:\n{text}");
    }
}

/// A refused key: the tree says why in the pane, and the status bar keeps saying it after the
/// message has gone, with the help key still on it.
#[test]
fn refused_key_says_why_where_it_shows() {
    let home = fixture();
    let refused = "the API key was refused (No such user #93): check FICHIER_API_KEY or api_key \
                   in the config file";
    let mut app = App::new(AppOptions {
        start_dir: home.path().join("backups"),
        theme: "default".into(),
        home: Some(home.path().to_path_buf()),
        ..AppOptions::default()
    });
    app.update(Action::Resize {
        width: 80,
        height: 24,
    });
    for e in app.start() {
        match e {
            Effect::ListRemote { folder, ticket } => {
                app.update(Action::Remote(RemoteMsg::Listed {
                    folder,
                    ticket,
                    result: Err(refused.into()),
                }));
            }
            Effect::ListLocal { dir, ticket } => {
                let result = fichier_tui::local::list_dir(&dir).map_err(|e| e.to_string());
                app.update(Action::Local(LocalMsg::Listed {
                    ticket,
                    dir,
                    result,
                }));
            }
            _ => {}
        }
    }
    app.update(Action::Account(AccountMsg::Failed {
        message: refused.into(),
        flood: false,
    }));
    act(&mut app, key(KeyCode::Tab), None);
    // Later: the message has expired, the reason stays.
    app.now += Duration::from_secs(60);
    app.update(Action::Tick);
    assert!(app.message.is_none());
    let text = screen(&app, 80, 24);
    assert!(
        text.lines()
            .last()
            .is_some_and(|l| l.trim_end().ends_with("? help")),
        "{text}"
    );
    insta::assert_snapshot!("remote_refused_80x24", text);
    let text = screen(&app, 40, 10);
    assert!(text.contains("R: try again"), "{text}");
}

/// A plan as a dry run of `~/backups -> 1fichier /Backups/nas` would report it, hostile names
/// included.
fn sync_plan() -> fichier_tui::sync::Report {
    use fichier_tui::sync::{Change, Direction, HashStats, Listed, Listing, Note, Report};
    let copy = vec![
        Listed {
            path: "db-2026-11-26.sql.gz".into(),
            size: 1_288_490_189,
            change: Change::New,
        },
        Listed {
            path: format!("photos/{LONG_CJK}"),
            size: 3 * 1024 * 1024,
            change: Change::New,
        },
        Listed {
            path: HOSTILE.into(),
            size: 24,
            change: Change::Size { was: 20 },
        },
        Listed {
            path: BIDI.into(),
            size: 4096,
            change: Change::Content,
        },
    ];
    Report {
        direction: Direction::Up,
        source: "/home/u/backups".into(),
        destination: "1f:/Backups/nas".into(),
        dry_run: true,
        new: 2,
        changed: 2,
        unchanged: 12,
        unverified: 0,
        excluded: 0,
        sent: 0,
        bytes: 0,
        resumed: 0,
        to_delete: 2,
        deleted: 0,
        delete_refused: None,
        pending: 0,
        skipped: vec![Note {
            path: "empty.txt".into(),
            reason: "1fichier does not take empty files".into(),
        }],
        failed: Vec::new(),
        hashes: HashStats::default(),
        seconds: 0.4,
        plan: Listing {
            copy,
            delete: vec!["db-2026-11-24.sql.gz".into(), "old/notes.md".into()],
        },
    }
}

/// The sync dialog from the main screen: while the plan is made, the plan, the plan with delete
/// on, and a run sent to the background (a line in the status bar).
#[test]
fn sync_dialog() {
    use fichier_tui::ui::sync_dialog::SyncMsg;
    let home = fixture();
    type Setup = fn(&mut App);
    let cases: [(&str, Setup); 4] = [
        ("computing", |app| {
            act(app, ch('S'), None);
            app.update(Action::Sync(SyncMsg::Phase {
                ticket: 1,
                phase: "comparing",
            }));
            app.update(Action::Sync(SyncMsg::Hashing {
                ticket: 1,
                done: 1_288_490_189,
                total: 2_576_980_378,
            }));
        }),
        ("plan", |app| {
            act(app, ch('S'), None);
            app.update(Action::Sync(SyncMsg::Finished {
                ticket: 1,
                result: Ok(Box::new(sync_plan())),
            }));
        }),
        ("plan_delete", |app| {
            act(app, ch('S'), None);
            app.update(Action::Sync(SyncMsg::Finished {
                ticket: 1,
                result: Ok(Box::new(sync_plan())),
            }));
            act(app, ch('d'), None);
        }),
        ("busy", |app| {
            act(app, ch('S'), None);
            app.update(Action::Sync(SyncMsg::Finished {
                ticket: 1,
                result: Err("another sync of /home/u/backups -> 1f:/Backups/nas is running (process 4242); not starting a second one".into()),
            }));
        }),
    ];
    for (name, setup) in cases {
        for (w, h) in SIZES {
            let mut app = main_app(home.path(), w, h);
            setup(&mut app);
            let text = screen(&app, w, h);
            assert!(
                !text.contains('\x1b') && !text.contains('\u{202E}'),
                "no raw control characters reach a cell"
            );
            insta::assert_snapshot!(format!("sync_{name}_{w}x{h}"), text);
        }
    }
    // Confirmed, then hidden: the run goes on and the status bar says how far it is.
    let (w, h) = (80, 24);
    let mut app = main_app(home.path(), w, h);
    act(&mut app, ch('S'), None);
    app.update(Action::Sync(SyncMsg::Finished {
        ticket: 1,
        result: Ok(Box::new(sync_plan())),
    }));
    act(&mut app, key(KeyCode::Enter), None);
    let list = jobs(&app);
    app.update(Action::Sync(SyncMsg::Phase {
        ticket: 2,
        phase: "sending",
    }));
    app.update(Action::Sync(SyncMsg::Jobs {
        ticket: 2,
        jobs: Arc::new(list),
    }));
    insta::assert_snapshot!("sync_running_80x24", screen(&app, w, h));
    act(&mut app, key(KeyCode::Esc), None);
    app.message = None;
    insta::assert_snapshot!("sync_background_80x24", screen(&app, w, h));
}
