//! The sync dialog driven through `App::update` against a real sandbox and real files: effects are
//! carried out here as the runtime would (listings, and `run_request`, the same task the runtime
//! spawns), and their answers fed back, so the plan, Esc, the run and the cap are the real ones.

mod common;

use common::{TestSandbox, local_tree, pattern};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use fichier_tui::api::{ApiKey, Client, ClientOptions, FolderId};
use fichier_tui::checksum::{same_checksum, whirlpool_hex};
use fichier_tui::sandbox::TEST_KEY;
use fichier_tui::sync::Report;
use fichier_tui::ui::action::{LocalMsg, RemoteListing, RemoteMsg};
use fichier_tui::ui::dialog::Dialog;
use fichier_tui::ui::sync_dialog::{DeleteWarning, Stage, SyncMsg, SyncSettings, run_request};
use fichier_tui::ui::{Action, App, AppOptions, Effect, draw};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

fn key(code: KeyCode) -> Action {
    Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
}
fn ch(c: char) -> Action {
    key(KeyCode::Char(c))
}

/// A sandbox with a `/Backup` folder, a local folder, a state folder, and the app between them.
struct World {
    sb: TestSandbox,
    client: Client,
    backup: u64,
    local: tempfile::TempDir,
    state: tempfile::TempDir,
    /// The phases the sync task reported, in order.
    phases: std::cell::RefCell<Vec<&'static str>>,
}

impl World {
    fn new() -> World {
        let sb = TestSandbox::start();
        let mut o = ClientOptions::new(sb.url(), ApiKey::new(TEST_KEY));
        o.calls_per_second = 50.0;
        let client = Client::new(o).expect("a client");
        let backup = sb.sandbox.add_folder(FolderId::ROOT.0, "Backup");
        World {
            sb,
            client,
            backup,
            local: tempfile::tempdir().expect("tmp"),
            state: tempfile::tempdir().expect("tmp"),
            phases: Default::default(),
        }
    }

    fn write(&self, rel: &str, body: &[u8]) {
        let p = self.local.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("a parent")).expect("folders");
        std::fs::write(p, body).expect("written");
    }

    fn settings(&self) -> SyncSettings {
        SyncSettings {
            client: self.client.clone(),
            state_dir: self.state.path().to_path_buf(),
            jobs: 2,
            bwlimit: None,
        }
    }

    /// The app on the local folder, with the remote cursor on /Backup and the local pane active.
    fn app(&self) -> App {
        let mut app = App::new(AppOptions {
            start_dir: self.local.path().to_path_buf(),
            theme: "default".into(),
            ..AppOptions::default()
        });
        app.update(Action::Resize {
            width: 100,
            height: 30,
        });
        let effects = app.start();
        self.pump(&mut app, effects);
        self.press(&mut app, key(KeyCode::Tab));
        for _ in 0..10 {
            if app.remote.path(app.remote.current_folder()) == "/Backup" {
                break;
            }
            self.press(&mut app, ch('j'));
        }
        assert_eq!(app.remote.path(app.remote.current_folder()), "/Backup");
        self.press(&mut app, key(KeyCode::Tab));
        app
    }

    /// A key, and everything it leads to; returns every effect seen on the way.
    fn press(&self, app: &mut App, action: Action) -> Vec<Effect> {
        let effects = app.update(action);
        self.pump(app, effects)
    }

    /// Carries out effects as the runtime does and feeds their answers back until none is left.
    fn pump(&self, app: &mut App, effects: Vec<Effect>) -> Vec<Effect> {
        let mut seen = Vec::new();
        let mut queue: VecDeque<Effect> = effects.into();
        while let Some(effect) = queue.pop_front() {
            seen.push(effect.clone());
            let answers: Vec<Action> = match effect {
                Effect::ListLocal { dir, ticket } => {
                    let result = fichier_tui::local::list_dir(&dir).map_err(|e| e.to_string());
                    vec![Action::Local(LocalMsg::Listed {
                        ticket,
                        dir,
                        result,
                    })]
                }
                Effect::ListRemote { folder, ticket } => {
                    let c = &self.client;
                    let result = self.sb.block_on(async {
                        let folder_listing =
                            c.folder_ls(folder).await.map_err(|e| e.to_string())?;
                        let files = c.file_ls(folder).await.map_err(|e| e.to_string())?;
                        Ok(RemoteListing {
                            folder: folder_listing,
                            files,
                        })
                    });
                    vec![Action::Remote(RemoteMsg::Listed {
                        folder,
                        ticket,
                        result,
                    })]
                }
                Effect::Sync(req) => {
                    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
                    self.sb.block_on(run_request(self.settings(), req, tx));
                    let mut out = Vec::new();
                    while let Ok(a) = rx.try_recv() {
                        if let Action::Sync(SyncMsg::Phase { phase, .. }) = &a {
                            self.phases.borrow_mut().push(phase);
                        }
                        out.push(a);
                    }
                    out
                }
                _ => Vec::new(),
            };
            for a in answers {
                queue.extend(app.update(a));
            }
        }
        seen
    }

    /// Remote names in /Backup (files), sorted.
    fn remote_files(&self) -> Vec<String> {
        let mut names = self.sb.sandbox.list_names(self.backup).1;
        names.sort();
        names
    }

    /// One copy of `name` in remote `folder`, with the same bytes and whirlpool as `body`.
    fn assert_remote(&self, folder: u64, name: &str, body: &[u8]) {
        let files = self
            .sb
            .block_on(self.client.file_ls(FolderId(folder)))
            .expect("file/ls");
        let copies: Vec<_> = files.iter().filter(|f| f.filename == name).collect();
        assert_eq!(copies.len(), 1, "{name}: one copy, not {}", copies.len());
        let f = copies[0];
        let sum = f.checksum.as_deref().expect("a checksum");
        assert!(
            same_checksum(sum, &whirlpool_hex(body)),
            "{name}: whirlpool"
        );
        let stored = self.sb.sandbox.file_body(f.url.as_str()).expect("a body");
        assert!(stored == body, "{name}: bytes differ");
    }
}

fn plan(app: &App) -> &Report {
    match app.sync.as_ref().map(|s| &s.stage) {
        Some(Stage::Plan(r)) => r,
        other => panic!("no plan: {other:?}"),
    }
}

fn screen(app: &App) -> String {
    let mut t = Terminal::new(TestBackend::new(app.width, app.height)).expect("a terminal");
    t.draw(|f| draw(app, f)).expect("drawn");
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..app.height {
        for x in 0..app.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// Two new files (one in a sub-folder), one the same, one of another size, one of other
/// content, and one only on 1fichier.
fn mixed(w: &World) {
    w.write("new.txt", &pattern(3000, 1));
    w.write("sub/deep.bin", &pattern(5000, 2));
    w.write("same.bin", &pattern(4000, 3));
    w.write("size.bin", &pattern(6000, 4));
    w.write("content.bin", &pattern(4096, 5));
    w.sb.sandbox
        .add_file(w.backup, "same.bin", &pattern(4000, 3));
    w.sb.sandbox
        .add_file(w.backup, "size.bin", &pattern(5000, 4));
    w.sb.sandbox
        .add_file(w.backup, "content.bin", &pattern(4096, 6));
    w.sb.sandbox
        .add_file(w.backup, "extra.txt", b"only on 1fichier");
}

#[test]
fn the_plan_counts_what_differs_and_esc_changes_nothing() {
    let w = World::new();
    mixed(&w);
    let mut app = w.app();
    let before_local = local_tree(w.local.path());
    let before_remote = w.remote_files();
    w.sb.sandbox.reset_stats();

    w.press(&mut app, ch('S'));
    // The dialog heard the plan being made: listing, then comparing (hashing).
    assert_eq!(*w.phases.borrow(), ["listing", "comparing"]);
    let r = plan(&app);
    assert_eq!(
        (r.new, r.changed, r.unchanged, r.to_delete, r.skipped.len()),
        (2, 2, 1, 1, 0),
        "{}",
        r.plan_lines()
    );
    let text = screen(&app);
    assert!(
        text.contains("2 new · 2 changed · 1 extra · 1 unchanged · 0 skipped"),
        "{text}"
    );
    for path in [
        "new.txt",
        "sub/deep.bin",
        "size.bin",
        "content.bin",
        "extra.txt",
    ] {
        assert!(text.contains(path), "{path} is not listed:\n{text}");
    }

    let effects = w.press(&mut app, key(KeyCode::Esc));
    assert!(app.sync.is_none());
    assert!(!effects.iter().any(|e| matches!(e, Effect::Sync(_))));
    assert_eq!(w.sb.sandbox.stats().uploads_completed, 0);
    assert_eq!(w.remote_files(), before_remote);
    assert_eq!(local_tree(w.local.path()), before_local);
}

#[test]
fn confirm_sends_the_files_through_the_engine_and_lists_both_panes_again() {
    let w = World::new();
    mixed(&w);
    let mut app = w.app();
    // /Backup open in the tree, so its new listing shows at once.
    for k in [key(KeyCode::Tab), key(KeyCode::Enter), key(KeyCode::Tab)] {
        w.press(&mut app, k);
    }
    w.press(&mut app, ch('S'));
    let effects = w.press(&mut app, key(KeyCode::Enter));
    assert!(app.sync.is_none(), "the run ended");
    let m = app.message.as_ref().expect("a summary");
    assert!(!m.error, "{}", m.text);
    assert!(m.text.contains("4 sent"), "{}", m.text);
    // Both panes are listed again, and the tree shows what arrived.
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::ListLocal { .. }))
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::ListRemote { .. }))
    );
    let shown: Vec<&str> = app
        .remote
        .node(FolderId(w.backup))
        .map(|n| n.files.iter().map(|f| f.filename.as_str()).collect())
        .unwrap_or_default();
    assert!(shown.contains(&"new.txt"), "{shown:?}");

    for (name, body) in [
        ("new.txt", pattern(3000, 1)),
        ("same.bin", pattern(4000, 3)),
        ("size.bin", pattern(6000, 4)),
        ("content.bin", pattern(4096, 5)),
    ] {
        w.assert_remote(w.backup, name, &body);
    }
    let sub = w.sb.sandbox.find_folder("/Backup/sub").expect("sub made");
    w.assert_remote(sub, "deep.bin", &pattern(5000, 2));
    // Delete was off: the extra file stays.
    assert!(w.remote_files().contains(&"extra.txt".to_string()));

    // The same sync again has nothing to do.
    w.press(&mut app, ch('S'));
    let r = plan(&app);
    assert_eq!((r.new, r.changed, r.unchanged), (0, 0, 5));
}

#[test]
fn delete_stops_at_the_cap_and_goes_through_under_it() {
    let w = World::new();
    w.write("keep.txt", &pattern(1000, 9));
    for n in ["x1.txt", "x2.txt", "x3.txt"] {
        w.sb.sandbox.add_file(w.backup, n, n.as_bytes());
    }
    let mut app = w.app();
    w.press(&mut app, ch('S'));
    w.press(&mut app, ch('d'));
    if let Some(s) = &mut app.sync {
        s.choices.max_delete = 2;
    }
    assert_eq!(
        app.sync.as_ref().and_then(|s| s.warning()),
        Some(DeleteWarning::OverCap { found: 3, cap: 2 })
    );
    assert!(screen(&app).contains("more than the cap of 2"));
    w.press(&mut app, key(KeyCode::Enter));
    let m = app.message.as_ref().expect("a summary");
    assert!(m.error && m.text.contains("nothing deleted"), "{}", m.text);
    // The problem is also named in a box, closed with Esc.
    match &app.dialog {
        Some(Dialog::Message { title, text, .. }) => {
            assert!(
                title.contains("problems") && text.contains("max-delete"),
                "{text}"
            )
        }
        other => panic!("no box: {other:?}"),
    }
    w.press(&mut app, key(KeyCode::Esc));
    assert!(app.dialog.is_none());
    assert_eq!(
        w.remote_files(),
        ["keep.txt", "x1.txt", "x2.txt", "x3.txt"].map(String::from)
    );

    w.press(&mut app, ch('S'));
    w.press(&mut app, ch('d'));
    assert_eq!(
        app.sync.as_ref().and_then(|s| s.warning()),
        Some(DeleteWarning::WillDelete(3))
    );
    assert!(screen(&app).contains("will be DELETED"));
    w.press(&mut app, ch('y'));
    let m = app.message.as_ref().expect("a summary");
    assert!(!m.error && m.text.contains("3 deleted"), "{}", m.text);
    assert_eq!(w.remote_files(), ["keep.txt"].map(String::from));
    w.assert_remote(w.backup, "keep.txt", &pattern(1000, 9));
}

#[test]
fn a_restore_from_the_remote_pane_writes_the_local_folder() {
    let w = World::new();
    w.sb.sandbox
        .add_file(w.backup, "down.bin", &pattern(7000, 3));
    w.write("local-only.txt", b"stays");
    let mut app = w.app();
    w.press(&mut app, key(KeyCode::Tab));
    w.press(&mut app, ch('S'));
    let r = plan(&app);
    assert_eq!((r.new, r.to_delete), (1, 1));
    w.press(&mut app, key(KeyCode::Enter));
    assert_eq!(
        std::fs::read(w.local.path().join("down.bin")).expect("restored"),
        pattern(7000, 3)
    );
    assert!(w.local.path().join("local-only.txt").exists());
}

#[test]
fn a_second_run_of_a_pair_that_is_running_is_refused() {
    let w = World::new();
    w.write("big.bin", &pattern(400_000, 7));
    let mut app = w.app();
    // The same pair, started elsewhere (the subcommand, another window): slow, so it is
    // still sending when the dialog asks.
    let req = fichier_tui::ui::sync_dialog::SyncRequest {
        ticket: 99,
        pair: fichier_tui::sync::Pair {
            local: w.local.path().to_path_buf(),
            remote: "/Backup".into(),
            direction: fichier_tui::sync::Direction::Up,
        },
        dry_run: false,
        choices: Default::default(),
    };
    w.sb.sandbox.faults().set_bandwidth(Some(200_000));
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let settings = w.settings();
    let runtime = w.sb.block_on(async { tokio::runtime::Handle::current() });
    let other = runtime.spawn(run_request(settings, req, tx));
    let deadline = Instant::now() + Duration::from_secs(60);
    while w.sb.sandbox.stats().upload_bytes_received == 0 {
        assert!(Instant::now() < deadline, "the other run never started");
        std::thread::sleep(Duration::from_millis(10));
    }
    w.press(&mut app, ch('S'));
    match app.sync.as_ref().map(|s| &s.stage) {
        Some(Stage::Failed(e)) => assert!(e.contains("is running"), "{e}"),
        other => panic!("not refused: {other:?}"),
    }
    assert!(screen(&app).contains("is running"));
    w.press(&mut app, key(KeyCode::Esc));
    w.sb.block_on(other).expect("the other run ends");
    assert_eq!(w.sb.sandbox.stats().uploads_completed, 1);
}

#[test]
fn a_stopped_run_is_taken_up_by_the_next_one_without_duplicates() {
    let w = World::new();
    let bodies: Vec<(String, Vec<u8>)> = (0..3)
        .map(|i| (format!("f{i}.bin"), pattern(300_000, 20 + i)))
        .collect();
    for (name, body) in &bodies {
        w.write(name, body);
    }
    let mut app = w.app();
    w.press(&mut app, ch('S'));
    assert!(matches!(
        app.sync.as_ref().map(|s| &s.stage),
        Some(Stage::Plan(_))
    ));
    // Enter starts the real run; here it runs on the sandbox's runtime, slowly, as the UI's
    // runtime would run it, so that `x` finds it sending.
    let req = app
        .update(key(KeyCode::Enter))
        .into_iter()
        .find_map(|e| match e {
            Effect::Sync(req) => Some(req),
            _ => None,
        })
        .expect("a run");
    assert!(!req.dry_run);
    w.sb.sandbox.faults().set_bandwidth(Some(150_000));
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let runtime = w.sb.block_on(async { tokio::runtime::Handle::current() });
    let run = runtime.spawn(run_request(w.settings(), req, tx));
    let deadline = Instant::now() + Duration::from_secs(60);
    while w.sb.sandbox.stats().upload_bytes_received == 0 {
        assert!(Instant::now() < deadline, "the run never started sending");
        std::thread::sleep(Duration::from_millis(10));
    }
    let effects = app.update(ch('x'));
    assert_eq!(effects.first(), Some(&Effect::SyncStop));
    run.abort(); // what the runtime does for SyncStop
    // The runtime's next sync waits for the stopped task's end (its pair lock let go).
    assert!(w.sb.block_on(run).is_err_and(|e| e.is_cancelled()));
    assert!(app.sync.is_none());
    w.sb.sandbox.faults().set_bandwidth(None);

    // The next sync of the pair goes on from there. The stopped run's engine lets go of the
    // pair's queue once it has wound down (milliseconds): until then a run says it is in use.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        w.press(&mut app, ch('S'));
        w.press(&mut app, key(KeyCode::Enter));
        let in_use = app
            .message
            .as_ref()
            .is_some_and(|m| m.error && m.text.contains("in use"));
        if !in_use {
            break;
        }
        assert!(Instant::now() < deadline, "the stopped run never let go");
        std::thread::sleep(Duration::from_millis(50));
    }
    let m = app.message.as_ref().expect("a summary");
    assert!(!m.error && m.text.contains("sent"), "{}", m.text);
    assert!(app.sync.is_none(), "the run ended");
    for (name, body) in &bodies {
        w.assert_remote(w.backup, name, body);
    }
    assert_eq!(w.remote_files().len(), 3);
}
