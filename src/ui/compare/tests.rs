use super::*;
use crate::api::{FolderListing, SubFolder};
use crate::ui::action::{LocalMsg, RemoteListing, RemoteMsg};
use crate::ui::app::{AppOptions, Focus};
use crate::ui::keymap::Cmd;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::time::SystemTime;

fn entry(name: &str, is_dir: bool, size: u64) -> LocalEntry {
    LocalEntry {
        file_name: name.into(),
        name: name.into(),
        lower: name.to_lowercase(),
        is_dir,
        is_symlink: false,
        size,
        modified: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_000)),
    }
}

fn rfile(name: &str, size: u64, sum: Option<&str>) -> RemoteFile {
    RemoteFile {
        url: FileUrl(format!("https://1fichier.com/?{name}")),
        filename: name.into(),
        size,
        date: None,
        checksum: sum.map(str::to_string),
        content_type: None,
        cdn: false,
        pass: false,
    }
}

fn url(name: &str) -> FileUrl {
    FileUrl(format!("https://1fichier.com/?{name}"))
}

fn remote_listing(files: Vec<RemoteFile>) -> RemoteListing {
    RemoteListing {
        folder: FolderListing {
            folder_id: FolderId::ROOT,
            name: String::new(),
            sub_folders: [(2, "shared"), (3, "remote-dir")]
                .iter()
                .map(|(id, n)| SubFolder {
                    id: FolderId(*id),
                    name: n.to_string(),
                    create_date: None,
                    pass: false,
                })
                .collect(),
        },
        files,
    }
}

fn remote_files() -> Vec<RemoteFile> {
    vec![
        rfile("same.txt", 10, Some("aa")),
        rfile("edited.bin", 10, Some("bb")),
        rfile("bigger", 7, Some("cc")),
        rfile("remote-only", 4, None),
        rfile("it\u{FF07}s", 2, None),
    ]
}

fn local_entries() -> Vec<LocalEntry> {
    vec![
        entry("same.txt", false, 10),
        entry("edited.bin", false, 10),
        entry("bigger", false, 5),
        entry("local-only", false, 3),
        entry("it's", false, 2),
        entry("shared", true, 0),
        entry("dir-only-here", true, 0),
        entry(".hidden", false, 1),
    ]
}

/// An app showing /l on the left and the remote root (listed) on the right.
fn app() -> App {
    let mut app = App::new(AppOptions {
        start_dir: PathBuf::from("/l"),
        theme: "default".into(),
        ..AppOptions::default()
    });
    app.update(Action::Resize {
        width: 120,
        height: 40,
    });
    for e in app.start() {
        match e {
            Effect::ListLocal { dir, ticket } => {
                app.update(Action::Local(LocalMsg::Listed {
                    ticket,
                    dir,
                    result: Ok(local_entries()),
                }));
            }
            Effect::ListRemote { folder, ticket } => {
                app.update(Action::Remote(RemoteMsg::Listed {
                    folder,
                    ticket,
                    result: Ok(remote_listing(remote_files())),
                }));
            }
            _ => {}
        }
    }
    app
}

fn press(app: &mut App, c: char) -> Vec<Effect> {
    app.update(Action::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE,
    )))
}

fn local_marks(app: &App) -> Vec<String> {
    let mut v: Vec<String> = app
        .local
        .selection()
        .iter()
        .map(|e| e.name.clone())
        .collect();
    v.sort();
    v
}

fn hashed(app: &mut App, ticket: u64, results: &[(&str, &str)]) {
    let results = results
        .iter()
        .map(|(n, h)| (PathBuf::from("/l").join(n), Ok(h.to_string())))
        .collect();
    app.update(Action::Compare(CompareMsg::Hashed { ticket, results }));
}

#[test]
fn compare_marks_both_sides_and_checks_content_off_the_ui_task() {
    let mut app = app();
    let effects = press(&mut app, '=');
    let Some(Effect::HashLocal { ticket, files }) = effects.first() else {
        panic!("no hashing asked: {effects:?}");
    };
    let mut asked: Vec<PathBuf> = files.iter().map(|(p, _)| p.clone()).collect();
    asked.sort();
    assert_eq!(
        asked,
        [PathBuf::from("/l/edited.bin"), PathBuf::from("/l/same.txt")],
        "only same-size files with a remote checksum are read"
    );
    let ticket = *ticket;
    let c = app.compare.as_ref().expect("a comparison");
    assert_eq!(c.local.get(OsStr::new("bigger")), Some(&Diff::Size));
    assert_eq!(c.local.get(OsStr::new("local-only")), Some(&Diff::OnlyHere));
    assert_eq!(
        c.local.get(OsStr::new("dir-only-here")),
        Some(&Diff::OnlyHere)
    );
    assert_eq!(c.local.get(OsStr::new("same.txt")), Some(&Diff::Checking));
    assert_eq!(
        c.local.get(OsStr::new("it's")),
        None,
        "look-alike names match"
    );
    assert_eq!(
        c.local.get(OsStr::new(".hidden")),
        None,
        "hidden files stay out"
    );
    assert_eq!(
        c.remote_files.get(&url("remote-only")),
        Some(&Diff::OnlyHere)
    );
    assert_eq!(c.remote_folders.get(&FolderId(3)), Some(&Diff::OnlyHere));
    assert_eq!(c.remote_folders.get(&FolderId(2)), None);
    assert_eq!(local_marks(&app), ["bigger", "dir-only-here", "local-only"]);
    assert_eq!(app.remote.marked().0, 3, "bigger, remote-only, remote-dir/");
    assert!(
        legend(&app).is_some_and(|l| l.contains("+ only here") && l.contains("? checking")),
        "{:?}",
        legend(&app)
    );

    // Progress, then the whirlpools: edited.bin differs, same.txt is the same.
    app.update(Action::Compare(CompareMsg::Progress {
        ticket,
        done: 5,
        total: 20,
    }));
    assert!(legend(&app).is_some_and(|l| l.contains("checking 25%")));
    hashed(
        &mut app,
        ticket,
        &[("edited.bin", "00"), ("same.txt", "AA")],
    );
    let c = app.compare.as_ref().expect("a comparison");
    assert_eq!(c.local.get(OsStr::new("edited.bin")), Some(&Diff::Content));
    assert_eq!(c.remote_files.get(&url("edited.bin")), Some(&Diff::Content));
    assert_eq!(c.local.get(OsStr::new("same.txt")), None);
    assert_eq!(
        local_marks(&app),
        ["bigger", "dir-only-here", "edited.bin", "local-only"]
    );
    assert_eq!(app.remote.marked().0, 4);

    // F5 sends the marked items as usual.
    app.focus = Focus::Local;
    app.update(Action::Cmd(Cmd::Pane(crate::ui::keymap::PaneCmd::Transfer)));
    assert!(app.dialog.is_some(), "the usual upload confirmation");
    app.dialog = None;

    // `=` again: off, marks cleared.
    press(&mut app, '=');
    assert!(app.compare.is_none());
    assert!(local_marks(&app).len() <= 1, "only the cursor row is left");
    assert_eq!(app.local.marked().0, 0);
    assert_eq!(app.remote.marked().0, 0);
}

#[test]
fn stale_answers_are_dropped_and_a_relisting_compares_again_without_rereading() {
    let mut app = app();
    let effects = press(&mut app, '=');
    let Some(Effect::HashLocal { ticket, .. }) = effects.first().cloned() else {
        panic!("{effects:?}")
    };
    hashed(
        &mut app,
        ticket + 7,
        &[("edited.bin", "00"), ("same.txt", "aa")],
    );
    assert!(
        app.compare
            .as_ref()
            .is_some_and(|c| c.local.get(OsStr::new("same.txt")) == Some(&Diff::Checking)),
        "an answer for another ticket changes nothing"
    );
    hashed(
        &mut app,
        ticket,
        &[("edited.bin", "00"), ("same.txt", "aa")],
    );

    // After an upload the remote folder is listed again: edited.bin now matches.
    let mut files = remote_files();
    files[1].checksum = Some("00".into());
    let effect = app.remote.request(FolderId::ROOT);
    let Some(Effect::ListRemote { ticket: t, .. }) = effect else {
        panic!()
    };
    let effects = app.update(Action::Remote(RemoteMsg::Listed {
        folder: FolderId::ROOT,
        ticket: t,
        result: Ok(remote_listing(files)),
    }));
    assert!(
        effects.is_empty(),
        "whirlpools already known are not asked for again: {effects:?}"
    );
    let c = app.compare.as_ref().expect("still comparing");
    assert_eq!(c.local.get(OsStr::new("edited.bin")), None);
    assert_eq!(c.same, 4, "same.txt, edited.bin, it's, shared/");

    // Listing another folder leaves the user's marks alone.
    app.remote.clear_marks();
    let Some(Effect::ListRemote { ticket: t, .. }) = app.remote.request(FolderId(2)) else {
        panic!()
    };
    let mut l = remote_listing(Vec::new());
    l.folder.sub_folders.clear();
    let effects = app.update(Action::Remote(RemoteMsg::Listed {
        folder: FolderId(2),
        ticket: t,
        result: Ok(l),
    }));
    assert!(effects.is_empty());
    assert_eq!(app.remote.marked().0, 0);
}

#[test]
fn an_unlisted_folder_is_listed_first_and_leaving_the_folder_ends_it() {
    let mut app = app();
    app.focus = Focus::Remote;
    // Cursor onto Backups-like folder "remote-dir" (not listed yet).
    let pos = app
        .remote
        .rows()
        .iter()
        .position(|r| r.item == RowItem::Folder(FolderId(3)))
        .expect("a row");
    app.remote.list.cursor = pos;
    let effects = press(&mut app, '=');
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::ListRemote {
                folder: FolderId(3),
                ..
            }]
        ),
        "{effects:?}"
    );
    assert!(legend(&app).is_some_and(|l| l.contains("listing")));
    let Some(Effect::ListRemote { ticket, .. }) = effects.first().cloned() else {
        panic!()
    };
    let mut l = remote_listing(vec![rfile("local-only", 3, None)]);
    l.folder.sub_folders.clear();
    app.update(Action::Remote(RemoteMsg::Listed {
        folder: FolderId(3),
        ticket,
        result: Ok(l),
    }));
    let c = app.compare.as_ref().expect("compared once listed");
    assert!(!c.waiting);
    assert_eq!(
        c.local.get(OsStr::new("local-only")),
        None,
        "same size, no checksum: same"
    );
    assert_eq!(c.local.get(OsStr::new("bigger")), Some(&Diff::OnlyHere));

    // The local pane moves to another folder: the comparison ends.
    let Some(Effect::ListLocal { ticket, .. }) = app.local.up() else {
        panic!()
    };
    app.update(Action::Local(LocalMsg::Listed {
        ticket,
        dir: PathBuf::from("/"),
        result: Ok(vec![entry("l", true, 0)]),
    }));
    assert!(app.compare.is_none());
}

#[test]
fn symbols_and_legend_are_drawn() {
    let mut app = app();
    let effects = press(&mut app, '=');
    let Some(Effect::HashLocal { ticket, .. }) = effects.first().cloned() else {
        panic!()
    };
    hashed(
        &mut app,
        ticket,
        &[("edited.bin", "00"), ("same.txt", "aa")],
    );
    let backend = ratatui::backend::TestBackend::new(120, 40);
    let mut term = ratatui::Terminal::new(backend).expect("a terminal");
    term.draw(|f| crate::ui::draw(&app, f)).expect("drawn");
    let buf = term.backend().buffer().clone();
    let lines: Vec<String> = (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect()
        })
        .collect();
    let row = |name: &str| {
        lines
            .iter()
            .find(|l| l.contains(name))
            .cloned()
            .unwrap_or_default()
    };
    assert!(
        row("local-only").contains("│+local-only"),
        "{}",
        row("local-only")
    );
    assert!(
        row("edited.bin").contains("!edited.bin"),
        "{}",
        row("edited.bin")
    );
    assert!(
        row("remote-only").contains("│+    remote-only"),
        "{}",
        row("remote-only")
    );
    let status = lines.last().cloned().unwrap_or_default();
    assert!(status.contains("+ only here"), "{status}");
}

#[tokio::test]
async fn the_hashing_task_answers_with_whirlpools() {
    let dir = tempfile::tempdir().expect("tmp");
    let a = dir.path().join("a");
    std::fs::write(&a, b"abc").expect("written");
    let stamp = Stamp::read(&a).expect("stamp");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    spawn_hashing(9, vec![(a.clone(), stamp)], tx);
    loop {
        match rx.recv().await {
            Some(Action::Compare(CompareMsg::Hashed { ticket, results })) => {
                assert_eq!(ticket, 9);
                assert_eq!(results, [(a, Ok(crate::checksum::whirlpool_hex(b"abc")))]);
                break;
            }
            Some(_) => {}
            None => panic!("no answer"),
        }
    }
}
