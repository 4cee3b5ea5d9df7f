//! The real binary in a real terminal (tmux) against a sandbox: browse, upload, download, rename,
//! delete and quit as a user would, then check the sandbox, the disk and the terminal left behind.
//! Every wait polls the screen (or the sandbox) with a generous timeout; nothing sleeps to assert.

mod common;

use common::tmux::Tmux;
use common::{Home, TestSandbox, pattern};
use fichier_tui::api::{ApiKey, Client, ClientOptions, FolderId};
use fichier_tui::sandbox::TEST_KEY;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Long enough for a loaded 2-core machine; a normal run takes a second or two per test.
const WAIT: Duration = Duration::from_secs(20);
const HOSTILE: &str = "\x1b[31mred\x1b[0m.txt";
const HOSTILE_SHOWN: &str = "?[31mred?[0m.txt";

/// A sandbox with a folder and a few files, a home, and a local folder to start in.
struct World {
    sandbox: TestSandbox,
    home: Home,
    local: tempfile::TempDir,
    backups: u64,
}

impl World {
    fn new() -> World {
        let sandbox = TestSandbox::start();
        let sb = &sandbox.sandbox;
        let backups = sb.add_folder(0, "Backups");
        sb.add_file(backups, "report.pdf", &pattern(3000, 1));
        sb.add_file(0, "hello.txt", b"hello from the sandbox\n");
        sb.add_file(0, HOSTILE, b"red\n");
        let local = tempfile::tempdir().expect("a temp dir");
        std::fs::create_dir(local.path().join("inbox")).expect("inbox");
        std::fs::write(local.path().join("local.bin"), pattern(300_000, 7)).expect("local.bin");
        World {
            sandbox,
            home: Home::new(),
            local,
            backups,
        }
    }

    /// The binary in a `width` x `height` terminal, started in the local folder; returns once
    /// `ready` shows.
    fn start(&self, width: u16, height: u16, ready: &str) -> Tmux {
        let env = self.home.env(&self.sandbox.url());
        let tmux = Tmux::start(
            Path::new(env!("CARGO_BIN_EXE_fichier-tui")),
            &[],
            &env,
            self.local.path(),
            width,
            height,
        );
        tmux.wait_for(ready, WAIT);
        tmux
    }

    /// The names in a sandbox folder: (sub-folders, files), as the service stores them.
    fn names(&self, folder: u64) -> (Vec<String>, Vec<String>) {
        self.sandbox.sandbox.list_names(folder)
    }

    /// The URL of the file `name` in `folder`, asked of the sandbox through the API.
    fn url_of(&self, folder: u64, name: &str) -> Option<String> {
        let mut options = ClientOptions::new(self.sandbox.url(), ApiKey::new(TEST_KEY));
        options.calls_per_second = 50.0;
        let client = Client::new(options).expect("a client");
        let files = self
            .sandbox
            .block_on(client.file_ls(FolderId(folder)))
            .expect("file/ls");
        files
            .into_iter()
            .find(|f| f.filename == name)
            .map(|f| f.url.0)
    }
}

/// Polls `check` until it holds; panics with `what` after the timeout.
fn eventually(what: &str, check: impl Fn() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < WAIT, "waited {WAIT:?} for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[derive(Clone, Copy)]
enum Pane {
    Left,
    Right,
}

/// The columns of one pane of a two-pane screen (the panes split the width in halves).
fn pane_text(screen: &str, pane: Pane) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut out = String::new();
    for line in screen.lines() {
        let total: usize = line.chars().map(|c| c.width().unwrap_or(0)).sum();
        let half = total.div_ceil(2).max(1);
        let mut col = 0;
        for c in line.chars() {
            let keep = match pane {
                Pane::Left => col < half,
                Pane::Right => col >= half,
            };
            if keep {
                out.push(c);
            }
            col += c.width().unwrap_or(0);
        }
        out.push('\n');
    }
    out
}

/// Waits until one pane shows `text` (the transfer panel below may show it too: not enough).
fn wait_in_pane(tmux: &Tmux, pane: Pane, text: &str) {
    let panes_only = |s: &str| {
        // The panes end where the transfer panel or the status bar begins.
        let end = s.find("┌ Transfers").unwrap_or(s.len());
        pane_text(&s[..end], pane)
    };
    if let Err(last) = tmux.wait_until(WAIT, |s| panes_only(s).contains(text)) {
        panic!("waited {WAIT:?} for {text:?} in a pane; the screen was:\n{last}");
    }
}

/// Quits with `q` and checks that the terminal is as the shell left it.
fn quit_and_check_terminal(tmux: &Tmux) {
    tmux.send(&["q"]);
    let (code, flags) = tmux.wait_exit(WAIT);
    assert_eq!(code, 0, "exit code");
    assert_terminal_restored(tmux, &flags);
}

fn assert_terminal_restored(tmux: &Tmux, flags: &[String]) {
    assert_eq!(
        tmux.pane_format("#{alternate_on}"),
        "0",
        "left the alternate screen"
    );
    for flag in ["icanon", "echo", "isig"] {
        assert!(
            flags.iter().any(|f| f == flag),
            "{flag} is on again after exit: {flags:?}"
        );
    }
}

#[test]
fn browse_the_tree_and_quit_cleanly() {
    let w = World::new();
    let tmux = w.start(120, 40, "Backups/");
    let screen = tmux.screen();
    assert!(screen.contains("Local "), "{screen}");
    assert!(
        screen.contains("local.bin") && screen.contains("inbox/"),
        "{screen}"
    );
    assert!(screen.contains("hello.txt"), "{screen}");
    assert!(
        !screen.contains("report.pdf"),
        "Backups is closed: {screen}"
    );
    // Tab to the tree, down to Backups, open it: its file shows under it.
    tmux.send(&["Tab", "Down", "Enter"]);
    let screen = tmux.wait_for("report.pdf", WAIT);
    assert!(screen.contains("v Backups/"), "{screen}");
    assert!(screen.contains("1fichier /Backups"), "{screen}");
    // Closing it hides the file again.
    tmux.send(&["Left"]);
    tmux.wait_gone("report.pdf", WAIT);
    quit_and_check_terminal(&tmux);
}

#[test]
fn upload_then_download_back() {
    let w = World::new();
    let tmux = w.start(120, 40, "Backups/");
    let original = pattern(300_000, 7);
    // The local cursor starts on `..`: inbox/, then local.bin. The remote cursor is on `/`.
    tmux.send(&["Down", "Down", "F5"]);
    let screen = tmux.wait_for("Upload 1 item", WAIT);
    assert!(screen.contains("to   1fichier /"), "{screen}");
    tmux.send(&["Enter"]);
    // The sandbox ends up with the same bytes...
    eventually("local.bin in the sandbox", || {
        w.url_of(0, "local.bin")
            .and_then(|url| w.sandbox.sandbox.file_body(&url))
            .is_some_and(|body| body == original)
    });
    // ...the panel goes with the work, and the remote pane lists the file.
    tmux.wait_for("all transfers done", WAIT);
    wait_in_pane(&tmux, Pane::Right, "local.bin");

    // Into inbox/ on the local side, then download the file back there.
    tmux.send(&["Home", "Down", "Enter"]);
    tmux.wait_for("inbox ", WAIT);
    // Remote rows: /, Backups/, the red file, hello.txt, local.bin: the last one.
    tmux.send(&["Tab", "End", "F5"]);
    let screen = tmux.wait_for("Download 1 item", WAIT);
    assert!(screen.contains("inbox"), "{screen}");
    tmux.send(&["Enter"]);
    let target: PathBuf = w.local.path().join("inbox/local.bin");
    eventually("the downloaded file", || {
        std::fs::read(&target).is_ok_and(|b| b == original)
    });
    // The local pane shows it too (it was listed again when the job finished).
    wait_in_pane(&tmux, Pane::Left, "local.bin");
    quit_and_check_terminal(&tmux);
}

#[test]
fn rename_and_delete_on_the_remote_side() {
    let w = World::new();
    let tmux = w.start(120, 40, "Backups/");
    // Remote rows: /, Backups/, the red file, hello.txt: End is hello.txt.
    tmux.send(&["Tab", "End", "r"]);
    tmux.wait_for("new name for hello.txt", WAIT);
    tmux.send(&["C-u"]);
    tmux.type_text("bye \"now\".txt");
    tmux.send(&["Enter"]);
    tmux.wait_for("bye \"now\".txt ", WAIT);
    // The service keeps `"` as its full-width look-alike; the pane showed the user's name.
    eventually("the rename in the sandbox", || {
        w.names(0)
            .1
            .contains(&"bye \u{FF02}now\u{FF02}.txt".to_string())
    });
    assert!(!w.names(0).1.contains(&"hello.txt".to_string()));

    // Delete it: the dialog names it and starts on Cancel; `y` confirms.
    tmux.send(&["F8"]);
    let screen = tmux.wait_for("Delete 1 item", WAIT);
    assert!(screen.contains("This cannot be undone."), "{screen}");
    assert!(screen.contains("bye \"now\".txt"), "{screen}");
    tmux.send(&["y"]);
    tmux.wait_for("deleted 1 item", WAIT);
    let screen = tmux.wait_gone("bye \"now\".txt", WAIT);
    assert!(
        screen.contains(HOSTILE_SHOWN),
        "the other files stay: {screen}"
    );
    let (_, files) = w.names(0);
    assert_eq!(files, [HOSTILE.to_string()]);
    assert_eq!(w.names(w.backups).1, ["report.pdf"]);
    quit_and_check_terminal(&tmux);
}

#[test]
fn small_terminal_shows_one_pane_and_tab_switches() {
    let w = World::new();
    std::fs::write(w.local.path().join("\x1b[2Jlocal-clear.txt"), b"x").expect("hostile file");
    let tmux = w.start(40, 10, "local.bin");
    let screen = tmux.screen();
    assert!(screen.contains("┌ Local "), "{screen}");
    assert!(
        !screen.contains("┌ 1fichier"),
        "one pane at a time: {screen}"
    );
    assert!(screen.contains("[Tab] 1fichier"), "{screen}");
    assert!(screen.contains("?[2Jlocal-clear.txt"), "{screen}");
    tmux.send(&["Tab"]);
    let screen = tmux.wait_for("Backups/", WAIT);
    assert!(screen.contains("┌ 1fichier /"), "{screen}");
    assert!(!screen.contains("┌ Local"), "{screen}");
    assert!(screen.contains("[Tab] local"), "{screen}");
    // The hostile name shows as text: had the escape reached the terminal, tmux would have
    // turned it into a colour and the `[31m` would not be on the screen.
    assert!(screen.contains(HOSTILE_SHOWN), "{screen}");
    let styled = tmux.screen_styled();
    assert!(styled.contains("?[31mred?[0m.txt"), "{styled:?}");
    // Every line fits the width: nothing wraps.
    for line in screen.lines() {
        assert!(
            unicode_width::UnicodeWidthStr::width(line) <= 40,
            "{line:?}"
        );
    }
    tmux.send(&["Tab"]);
    tmux.wait_for("┌ Local ", WAIT);
    // Growing the terminal brings both panes back.
    tmux.resize(100, 30);
    let screen = tmux.wait_for("┌ 1fichier /", WAIT);
    assert!(screen.contains("┌ Local "), "{screen}");
    quit_and_check_terminal(&tmux);
}

#[test]
fn sigterm_restores_the_terminal() {
    let w = World::new();
    let tmux = w.start(80, 24, "Backups/");
    assert_eq!(
        tmux.pane_format("#{alternate_on}"),
        "1",
        "the UI is on the alternate screen"
    );
    tmux.signal("TERM");
    let (code, flags) = tmux.wait_exit(WAIT);
    assert_eq!(code, 0, "SIGTERM ends the program as a quit does");
    assert_terminal_restored(&tmux, &flags);
}

#[test]
fn a_hang_up_ends_the_demo_and_removes_its_temporary_folder() {
    // A dropped SSH session sends SIGHUP: the program must end as on a quit, not die in place.
    let home = Home::new();
    let tmp = tempfile::tempdir().expect("a temp dir");
    let mut env = home.env("http://127.0.0.1:9");
    env.push(("TMPDIR".into(), tmp.path().display().to_string()));
    let tmux = Tmux::start(
        Path::new(env!("CARGO_BIN_EXE_fichier-tui")),
        &["--demo"],
        &env,
        tmp.path(),
        100,
        30,
    );
    tmux.wait_for("┌ 1fichier /", WAIT);
    let demo_dirs = || {
        std::fs::read_dir(tmp.path())
            .expect("the temp dir")
            .filter_map(Result::ok)
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with("fichier-tui-demo")
            })
            .count()
    };
    assert_eq!(demo_dirs(), 1, "the demo keeps its state in TMPDIR");
    tmux.signal("HUP");
    let (code, _) = tmux.wait_exit(WAIT);
    assert_eq!(code, 0, "a hang-up ends the program as a quit does");
    assert_eq!(demo_dirs(), 0, "the demo's folder is removed");
}

#[test]
fn quitting_mid_upload_asks_and_the_queue_resumes_on_the_next_start() {
    let w = World::new();
    // Slow enough that the upload is still running when `q` comes, whatever the machine's load.
    w.home.write_config(
        "calls_per_second = 50.0\nflood_wait_seconds = 1\n[transfers]\nbwlimit = \"20k\"\n",
    );
    let tmux = w.start(120, 40, "Backups/");
    tmux.send(&["Down", "Down", "F5"]);
    tmux.wait_for("Upload 1 item", WAIT);
    tmux.send(&["Enter"]);
    tmux.wait_for("Transfers: 1 running", WAIT);
    tmux.send(&["q"]);
    let screen = tmux.wait_for("Quit?", WAIT);
    assert!(screen.contains("1 transfer is not finished."), "{screen}");
    assert!(screen.contains("resumes on the next start"), "{screen}");
    // Quit is the focused button.
    tmux.send(&["Enter"]);
    let (code, flags) = tmux.wait_exit(WAIT);
    assert_eq!(code, 0);
    assert_terminal_restored(&tmux, &flags);
    assert!(
        w.url_of(0, "local.bin").is_none(),
        "the upload was cut short"
    );

    // The next start, at full speed, picks the job up from the journal and finishes it.
    w.home
        .write_config("calls_per_second = 50.0\nflood_wait_seconds = 1\n");
    let tmux = w.start(120, 40, "Backups/");
    let original = pattern(300_000, 7);
    eventually("the resumed upload in the sandbox", || {
        w.url_of(0, "local.bin")
            .and_then(|url| w.sandbox.sandbox.file_body(&url))
            .is_some_and(|body| body == original)
    });
    wait_in_pane(&tmux, Pane::Right, "local.bin");
    quit_and_check_terminal(&tmux);
}

#[test]
fn sync_dialog_shows_the_plan_then_sends() {
    let w = World::new();
    let tmux = w.start(120, 40, "Backups/");
    let original = pattern(300_000, 7);
    // The remote cursor on Backups, back to the local pane, and `S`: a backup into Backups.
    tmux.send(&["Tab", "Down", "Tab", "S"]);
    let screen = tmux.wait_for("Enter: sync", WAIT);
    assert!(
        screen.contains("Sync: backup local -> 1fichier"),
        "{screen}"
    );
    assert!(screen.contains("to   1fichier /Backups"), "{screen}");
    assert!(screen.contains("1 new · 0 changed · 1 extra"), "{screen}");
    assert!(
        screen.contains("local.bin") && screen.contains("report.pdf"),
        "{screen}"
    );
    // Nothing moved while the plan showed.
    assert_eq!(w.names(w.backups).1, vec!["report.pdf".to_string()]);
    tmux.send(&["Enter"]);
    eventually("local.bin in Backups", || {
        w.url_of(w.backups, "local.bin")
            .and_then(|url| w.sandbox.sandbox.file_body(&url))
            .is_some_and(|body| body == original)
    });
    tmux.wait_for("1 sent", WAIT);
    // Delete was off: the extra file is still there.
    assert!(w.names(w.backups).1.contains(&"report.pdf".to_string()));
    quit_and_check_terminal(&tmux);
}
