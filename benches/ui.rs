//! The UI on big folders (issue 5), driving `ui::App::update` and `ui::draw` into a ratatui
//! TestBackend at 200x50, as tests/ui_*.rs do:
//! - a local folder of 100,000 files: listing + sorting + first frame (goal < 150 ms) against
//!   `ls -f | sort` on the same folder; a move key to its frame (< 10 ms); a filter key to its
//!   frame (< 16 ms); the process's memory with the folder shown (< 100 MiB);
//! - a remote folder of 50,000 files: one file/ls.cgi answer parsed and shown (< 200 ms beyond the
//!   HTTP time), against an in-process sandbox on loopback.
//!
//! Run: cargo bench --bench ui   (UI_BENCH_FILES / UI_BENCH_REMOTE change the sizes)

mod common;

use common::{Figure, mean_seconds, mib, ms, print_table};
use criterion::{BatchSize, Criterion};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use fichier_tui::api::{ApiKey, Client, ClientOptions, FolderId, FolderListing, RemoteFile};
use fichier_tui::local::{NAMES_FIRST_FROM, list_in_steps};
use fichier_tui::sandbox::{Sandbox, SandboxConfig, TEST_KEY};
use fichier_tui::ui::action::{LocalMsg, RemoteListing, RemoteMsg};
use fichier_tui::ui::{Action, App, AppOptions, Effect, draw};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const WIDTH: u16 = 200;
const HEIGHT: u16 = 50;
const LOCAL: &str = "ui_local_100k";
const REMOTE: &str = "ui_remote_50k";

fn size_from_env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn key(code: KeyCode) -> Action {
    Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// A folder of `n` empty files with varied names (and a few sub folders), made once.
fn make_folder(n: usize) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("fichier-ui-bench-")
        .tempdir()
        .expect("a temp dir");
    let words = ["report", "Photo", "backup", "notes", "IMG", "video", "data"];
    for i in 0..n {
        let name = format!(
            "{}-{:06}.{}",
            words[i % words.len()],
            (i * 7919) % n,
            ["txt", "jpg", "bin"][i % 3]
        );
        std::fs::File::create(dir.path().join(name)).expect("creating a file");
    }
    for i in 0..50 {
        std::fs::create_dir(dir.path().join(format!("folder {i:02}"))).expect("creating a folder");
    }
    dir
}

fn terminal() -> Terminal<TestBackend> {
    Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("a test terminal")
}

fn frame(term: &mut Terminal<TestBackend>, app: &App) {
    term.draw(|f| draw(app, f)).expect("drawing");
}

/// An app whose local pane lists `dir` from the disk (and whose remote root holds `files`), as
/// the binary's runtime does: the listing on threads of its own, its messages applied in turn.
/// With `first_frame_only`, returns once the first listing message is shown (the stats of a big
/// folder are stopped, outside the time); otherwise once every stat is in.
fn open_app(
    dir: &Path,
    files: Vec<RemoteFile>,
    first_frame_only: bool,
) -> (App, Terminal<TestBackend>, Duration) {
    let t = Instant::now();
    let mut app = App::new(AppOptions {
        start_dir: dir.to_path_buf(),
        theme: "default".into(),
        ..AppOptions::default()
    });
    let mut term = terminal();
    app.update(Action::Resize {
        width: WIDTH,
        height: HEIGHT,
    });
    let mut files = Some(files);
    let mut lister = None;
    for effect in app.start() {
        match effect {
            Effect::ListLocal { dir, ticket } => lister = Some(Lister::start(dir, ticket)),
            Effect::ListRemote { folder, ticket } => {
                let listing = remote_listing(folder, files.take().unwrap_or_default());
                app.update(Action::Remote(RemoteMsg::Listed {
                    folder,
                    ticket,
                    result: Ok(listing),
                }));
            }
            _ => {}
        }
    }
    let Some(lister) = lister else {
        panic!("the app lists its local folder")
    };
    // The first message, then whatever else is queued, then one frame (as the runtime's loop).
    let mut more = lister.apply(&mut app);
    frame(&mut term, &app);
    if first_frame_only {
        let shown = t.elapsed();
        lister.finish();
        return (app, term, shown);
    }
    while more {
        more = lister.apply(&mut app);
        frame(&mut term, &app);
    }
    let done = t.elapsed();
    lister.finish();
    (app, term, done)
}

/// A local listing running as the runtime runs it (`list_in_steps` on a thread of its own,
/// sending the same messages).
struct Lister {
    rx: std::sync::mpsc::Receiver<LocalMsg>,
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Lister {
    fn start(dir: PathBuf, ticket: u64) -> Lister {
        let (tx, rx) = std::sync::mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let tx = std::sync::Mutex::new(tx);
            let send = |step| {
                let msg = LocalMsg::from_step(ticket, &dir, step);
                tx.lock().is_ok_and(|tx| tx.send(msg).is_ok())
            };
            list_in_steps(&dir, NAMES_FIRST_FROM, &flag, &send).expect("the folder lists");
        });
        Lister { rx, stop, thread }
    }

    /// Waits for a message and applies it with those queued behind it; false once the listing
    /// is over (every stat in).
    fn apply(&self, app: &mut App) -> bool {
        let Ok(first) = self.rx.recv() else {
            return false;
        };
        app.update(Action::Local(first));
        while let Ok(msg) = self.rx.try_recv() {
            app.update(Action::Local(msg));
        }
        app.local.loading.is_some() || app.local.filling()
    }

    fn finish(self) {
        self.stop.store(true, Ordering::Relaxed);
        drop(self.rx);
        self.thread.join().expect("the listing thread ends");
    }
}

fn remote_listing(folder: FolderId, files: Vec<RemoteFile>) -> RemoteListing {
    RemoteListing {
        folder: FolderListing {
            folder_id: folder,
            name: String::new(),
            sub_folders: Vec::new(),
        },
        files,
    }
}

/// Runs the keys in a cycle `rounds` times, one key and one frame per call. Returns the worst
/// time seen, and the worst key's median over the rounds with its place in the cycle (on a
/// shared machine, a single sample's worst is often the scheduler's, not ours).
fn worst_key(
    app: &mut App,
    term: &mut Terminal<TestBackend>,
    cycle: &[Action],
    rounds: usize,
) -> (Duration, Duration, usize) {
    let mut times = vec![Vec::new(); cycle.len()];
    for _ in 0..rounds {
        for (i, k) in cycle.iter().enumerate() {
            let t = Instant::now();
            app.update(clone_key(k));
            frame(term, app);
            times[i].push(t.elapsed());
        }
    }
    let worst = times.iter().flatten().max().copied().unwrap_or_default();
    let (at, median) = times
        .iter_mut()
        .map(|t| {
            t.sort();
            t[t.len() / 2]
        })
        .enumerate()
        .max_by_key(|(_, m)| *m)
        .unwrap_or_default();
    (worst, median, at)
}

fn clone_key(a: &Action) -> Action {
    match a {
        Action::Key(k) => Action::Key(*k),
        _ => unreachable!("only keys cycle"),
    }
}

fn moves() -> Vec<Action> {
    use KeyCode::*;
    [Down, Down, Down, PageDown, Down, Up, Up, PageUp, Up, Up]
        .into_iter()
        .map(key)
        .collect()
}

/// Opens the filter, narrows it letter by letter, widens it again, closes it.
fn filter_keys() -> Vec<Action> {
    let mut keys = vec![key(KeyCode::Char('/'))];
    keys.extend("rep-01".chars().map(|c| key(KeyCode::Char(c))));
    keys.extend((0..6).map(|_| key(KeyCode::Backspace)));
    keys.push(key(KeyCode::Esc));
    keys
}

struct Remote {
    runtime: tokio::runtime::Runtime,
    sandbox: Sandbox,
    client: Client,
    folder: FolderId,
    http: reqwest::Client,
}

impl Remote {
    fn start(n: usize) -> Remote {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let sandbox = runtime
            .block_on(Sandbox::start(SandboxConfig::for_tests()))
            .expect("the sandbox starts");
        let folder = sandbox.add_folder(0, "big");
        for i in 0..n {
            sandbox.add_file(
                folder,
                &format!("remote file {i:06}.dat"),
                &[(i % 251) as u8],
            );
        }
        let mut options = ClientOptions::new(sandbox.api_url(), ApiKey::new(TEST_KEY));
        options.calls_per_second = 1000.0;
        let client = runtime
            .block_on(async { Client::new(options) })
            .expect("a client");
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("reqwest");
        Remote {
            runtime,
            sandbox,
            client,
            folder: FolderId(folder),
            http,
        }
    }

    /// file/ls.cgi read whole, not parsed: the HTTP time.
    fn raw(&self) -> usize {
        self.runtime.block_on(async {
            let body = self
                .http
                .post(format!("{}/file/ls.cgi", self.sandbox.api_url()))
                .header("Authorization", format!("Bearer {TEST_KEY}"))
                .header("Content-Type", "application/json")
                .body(format!("{{\"folder_id\":{}}}", self.folder.0))
                .send()
                .await
                .expect("file/ls.cgi answers")
                .bytes()
                .await
                .expect("a body");
            body.len()
        })
    }

    fn file_ls(&self) -> Vec<RemoteFile> {
        self.runtime
            .block_on(self.client.file_ls(self.folder))
            .expect("file/ls.cgi parses")
    }
}

fn main() {
    let n_local = size_from_env("UI_BENCH_FILES", 100_000);
    let n_remote = size_from_env("UI_BENCH_REMOTE", 50_000);
    eprintln!("making a folder of {n_local} files...");
    let folder = make_folder(n_local);
    let dir = folder.path().to_path_buf();

    // Memory first, before criterion allocates anything: the folder listed, sorted and drawn.
    let rss_before = common::rss().unwrap_or(0);
    let (mut app, mut term, _) = open_app(&dir, Vec::new(), false);
    let rss_shown = common::rss().unwrap_or(0);
    let entries = app.local.len();
    let (worst_move, move_median, _) = worst_key(&mut app, &mut term, &moves(), 21);
    let (worst_filter, filter_median, worst_at) = worst_key(&mut app, &mut term, &filter_keys(), 9);
    eprintln!(
        "slowest filter key (by its median): #{worst_at} of the cycle {:?}",
        filter_keys()
            .iter()
            .map(|a| match a {
                Action::Key(k) => k.code.to_string(),
                _ => String::new(),
            })
            .collect::<Vec<_>>()
    );

    let mut c: Criterion = common::criterion(10, 5);
    {
        let mut g = c.benchmark_group(LOCAL);
        // Timed from App::new to the frame; the app is dropped and the listing's threads
        // stopped outside the timing (freeing 100,000 entries is not showing them).
        g.bench_function("list_sort_first_frame", |b| {
            b.iter_custom(|iters| (0..iters).map(|_| open_app(&dir, Vec::new(), true).2).sum())
        });
        g.bench_function("list_sort_all_stats_in", |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| open_app(&dir, Vec::new(), false).2)
                    .sum()
            })
        });
        g.bench_function("ls_f_sort", |b| {
            b.iter(|| {
                let status = Command::new("sh")
                    .arg("-c")
                    .arg("ls -f \"$0\" | sort >/dev/null")
                    .arg(&dir)
                    .status()
                    .expect("sh runs");
                assert!(status.success());
            })
        });
        let cycle = moves();
        let mut i = 0;
        g.bench_function("move_key_frame", |b| {
            b.iter(|| {
                app.update(clone_key(&cycle[i % cycle.len()]));
                i += 1;
                frame(&mut term, &app);
            })
        });
        let cycle = filter_keys();
        let mut i = 0;
        g.bench_function("filter_key_frame", |b| {
            b.iter(|| {
                app.update(clone_key(&cycle[i % cycle.len()]));
                i += 1;
                frame(&mut term, &app);
            })
        });
        g.finish();
    }
    drop(app);

    eprintln!("filling a sandbox folder with {n_remote} files...");
    let remote = Remote::start(n_remote);
    let files = remote.file_ls();
    let json_bytes = remote.raw();
    {
        let mut g = c.benchmark_group(REMOTE);
        g.bench_function("http_only", |b| b.iter(|| remote.raw()));
        g.bench_function("http_and_parse", |b| {
            b.iter_with_large_drop(|| remote.file_ls())
        });
        let small = tempfile::tempdir().expect("a temp dir");
        g.bench_function("show_and_frame", |b| {
            b.iter_batched(
                || files.clone(),
                |files| open_app(small.path(), files, true),
                BatchSize::PerIteration,
            )
        });
        g.bench_function("empty_app_frame", |b| {
            b.iter_with_large_drop(|| open_app(small.path(), Vec::new(), true))
        });
        g.finish();
    }
    c.final_summary();

    let get = |g: &str, id: &str| mean_seconds(g, id).unwrap_or(f64::NAN);
    let first = get(LOCAL, "list_sort_first_frame");
    let all_in = get(LOCAL, "list_sort_all_stats_in");
    let ls = get(LOCAL, "ls_f_sort");
    let mv = get(LOCAL, "move_key_frame");
    let fk = get(LOCAL, "filter_key_frame");
    let http = get(REMOTE, "http_only");
    let parsed = get(REMOTE, "http_and_parse");
    let shown = get(REMOTE, "show_and_frame") - get(REMOTE, "empty_app_frame");
    let beyond = parsed - http + shown;
    let figures = vec![
        Figure {
            what: format!("local {n_local}: list+sort+first frame"),
            ours: ms(first),
            reference: format!("ls -f|sort {}", ms(ls)),
            ratio: format!("{:.2}", first / ls),
            goal: "< 150 ms".into(),
        },
        Figure {
            what: "local: every size and date in, drawn".into(),
            ours: ms(all_in),
            reference: format!("ls -f|sort {}", ms(ls)),
            ratio: format!("{:.2}", all_in / ls),
            goal: "-".into(),
        },
        Figure {
            what: "local: move key to frame (mean / slowest key / worst)".into(),
            ours: format!(
                "{} / {} / {}",
                ms(mv),
                ms(move_median.as_secs_f64()),
                ms(worst_move.as_secs_f64())
            ),
            reference: "-".into(),
            ratio: "-".into(),
            goal: "< 10 ms".into(),
        },
        Figure {
            what: "local: filter key to frame (mean / slowest key / worst)".into(),
            ours: format!(
                "{} / {} / {}",
                ms(fk),
                ms(filter_median.as_secs_f64()),
                ms(worst_filter.as_secs_f64())
            ),
            reference: "-".into(),
            ratio: "-".into(),
            goal: "< 16 ms".into(),
        },
        Figure {
            what: format!("local: RSS with {entries} rows shown (delta)"),
            ours: mib(rss_shown),
            reference: format!("before {}", mib(rss_before)),
            ratio: format!("+{}", mib(rss_shown.saturating_sub(rss_before))),
            goal: "< 100 MiB".into(),
        },
        Figure {
            what: format!(
                "remote {n_remote}: file/ls.cgi HTTP ({} KiB)",
                json_bytes / 1024
            ),
            ours: ms(http),
            reference: "-".into(),
            ratio: "-".into(),
            goal: "(reference)".into(),
        },
        Figure {
            what: "remote: parse (client.file_ls - HTTP)".into(),
            ours: ms(parsed - http),
            reference: format!("HTTP {}", ms(http)),
            ratio: format!("{:.2}", (parsed - http) / http),
            goal: "-".into(),
        },
        Figure {
            what: "remote: listing to frame (update + draw)".into(),
            ours: ms(shown),
            reference: "-".into(),
            ratio: "-".into(),
            goal: "-".into(),
        },
        Figure {
            what: "remote: parsed and shown, beyond HTTP".into(),
            ours: ms(beyond),
            reference: format!("HTTP {}", ms(http)),
            ratio: format!("{:.2}", beyond / http),
            goal: "< 200 ms".into(),
        },
    ];
    print_table("UI (ratio = ours / reference)", &figures);
    drop(remote);
}
