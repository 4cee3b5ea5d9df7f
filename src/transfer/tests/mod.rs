//! The engine end to end with the real client against the sandbox over loopback HTTP: real files
//! in temporary folders, real journals, faults injected by the sandbox. kill -9 is played by
//! dropping the engine's runtime with everything in flight; the sandbox runs on a runtime of its
//! own, so it outlives the crash as the real service would.

mod conflicts;
mod downloads;
mod faults;
mod folders;
mod queue;
mod uploads;

use super::journal::{self, SavedState};
use super::*;
use crate::api::{ApiKey, ClientOptions, FileUrl, FolderId};
use crate::checksum::whirlpool_hex;
use crate::sandbox::{Sandbox, SandboxConfig, Stats, TEST_KEY};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tempfile::TempDir;
use tokio::time::timeout;

/// How long a test waits for something before calling it stuck (a guard, never an assertion).
const PATIENCE: Duration = Duration::from_secs(30);

/// Engine options with short pauses, so retries and polls cost milliseconds.
fn opts(state: &Path) -> EngineOptions {
    EngineOptions {
        retry_base: Duration::from_millis(5),
        retry_max: Duration::from_millis(40),
        remote_poll: Duration::from_millis(20),
        progress_interval: Duration::from_millis(10),
        ..EngineOptions::new(state)
    }
}

/// Client options for the sandbox: fast pace, short flood pauses and retries.
fn client_options(url: &str) -> ClientOptions {
    ClientOptions {
        calls_per_second: 200.0,
        flood_wait: Duration::from_millis(50),
        max_flood_wait: Duration::from_millis(400),
        retry_base: Duration::from_millis(5),
        ..ClientOptions::new(url, ApiKey::new(TEST_KEY))
    }
}

fn bytes(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| ((i * 31 + usize::from(seed) * 7) % 251) as u8)
        .collect()
}

/// A sandbox on a runtime of its own.
struct Service {
    sandbox: Option<Sandbox>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Service {
    fn start(config: SandboxConfig) -> Service {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        // From a thread of its own: an async test may not block its runtime's thread.
        let sandbox = std::thread::scope(|s| {
            s.spawn(|| runtime.block_on(Sandbox::start(config)))
                .join()
                .unwrap()
        })
        .unwrap();
        Service {
            sandbox: Some(sandbox),
            runtime: Some(runtime),
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        drop(self.sandbox.take());
        // Dropping a runtime inside an async test would panic; this one may be let go anywhere.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

struct Env {
    state: TempDir,
    local: TempDir,
    service: Service,
}

impl Env {
    fn new() -> Env {
        Env::with(SandboxConfig::for_tests())
    }
    fn with(config: SandboxConfig) -> Env {
        Env {
            state: tempfile::tempdir().unwrap(),
            local: tempfile::tempdir().unwrap(),
            service: Service::start(config),
        }
    }
    fn sb(&self) -> &Sandbox {
        self.service.sandbox.as_ref().unwrap()
    }
    fn stats(&self) -> Stats {
        self.sb().stats()
    }
    fn client(&self) -> Client {
        Client::new(client_options(&self.sb().api_url())).unwrap()
    }
    fn opts(&self) -> EngineOptions {
        opts(self.state.path())
    }
    fn start(&self, options: EngineOptions) -> (Engine, mpsc::UnboundedReceiver<EngineEvent>) {
        Engine::start(self.client(), options).unwrap()
    }
    /// `start` with a client that calls the API up to `calls_per_second`.
    fn start_paced(
        &self,
        options: EngineOptions,
        calls_per_second: f64,
    ) -> (Engine, mpsc::UnboundedReceiver<EngineEvent>) {
        let client = Client::new(ClientOptions {
            calls_per_second,
            ..client_options(&self.sb().api_url())
        })
        .unwrap();
        Engine::start(client, options).unwrap()
    }
    fn file(&self, name: &str, size: usize, seed: u8) -> (PathBuf, Vec<u8>) {
        let path = self.local.path().join(name);
        let data = bytes(size, seed);
        std::fs::write(&path, &data).unwrap();
        (path, data)
    }
    fn folder(&self, parent: u64, name: &str) -> u64 {
        self.sb().add_folder(parent, name)
    }
    /// A remote file, and the download job that fetches it to `name` in the local folder.
    fn remote_file(&self, folder: u64, name: &str, size: usize, seed: u8) -> (JobKind, Vec<u8>) {
        let data = bytes(size, seed);
        let url = self.sb().add_file(folder, name, &data);
        let kind = JobKind::Download {
            url: FileUrl(url),
            local: self.local.path().join(name),
            size: size as u64,
            checksum: Some(whirlpool_hex(&data).to_uppercase()),
        };
        (kind, data)
    }
    /// A folder's files on the service as (name, digest of the bytes), in upload order.
    fn remote(&self, folder: u64) -> Vec<(String, Digest)> {
        self.sb()
            .file_urls(folder)
            .into_iter()
            .map(|(name, url)| {
                let body = self.sb().file_body(&url).unwrap();
                (name, digest(&body))
            })
            .collect()
    }
    fn names(&self, folder: u64) -> Vec<String> {
        let mut n = self.sb().list_names(folder).1;
        n.sort();
        n
    }
    /// Blocks until the sandbox has no body in flight: after a crash, it has noticed the dead
    /// connections (or kept what had all arrived), so its counters no longer move.
    fn settle(&self) {
        let deadline = Instant::now() + PATIENCE;
        while self.stats().bodies_in_flight > 0 {
            assert!(Instant::now() < deadline, "bodies still in flight");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    /// Waits until the sandbox's counters say so.
    async fn until_stats(&self, what: &str, pred: impl Fn(&Stats) -> bool) -> Stats {
        until(what, || Some(self.stats()).filter(&pred)).await
    }
}

/// Bytes as a failed assertion should print them: their length and checksum.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Digest(usize, String);

fn digest(data: &[u8]) -> Digest {
    Digest(data.len(), whirlpool_hex(data)[..16].to_string())
}

/// What a folder should hold: (name, digest) pairs.
fn expect(files: &[(&str, &[u8])]) -> Vec<(String, Digest)> {
    files
        .iter()
        .map(|(n, d)| (n.to_string(), digest(d)))
        .collect()
}

fn upload(local: &Path, folder: u64, name: &str) -> JobKind {
    JobKind::Upload {
        local: local.to_path_buf(),
        folder: FolderId(folder),
        remote_name: name.into(),
    }
}

async fn idle(engine: &Engine) {
    timeout(PATIENCE, engine.wait_idle())
        .await
        .expect("the queue never went idle");
}

fn state_of(engine: &Engine, id: JobId) -> JobState {
    listed_state(engine, id).expect("the job is listed")
}

fn listed_state(engine: &Engine, id: JobId) -> Option<JobState> {
    engine
        .jobs()
        .iter()
        .find(|j| j.id == id)
        .map(|j| j.state.clone())
}

/// Polls `f` until it gives something; a test that waits longer than `PATIENCE` is stuck.
async fn until<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "stuck waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn until_state(engine: &Engine, id: JobId, pred: impl Fn(&JobState) -> bool) -> JobState {
    until(&format!("job {id}"), || {
        listed_state(engine, id).filter(|s| pred(s))
    })
    .await
}

/// The length of a file, 0 when it is not there.
fn len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn drain(rx: &mut mpsc::UnboundedReceiver<EngineEvent>) -> Vec<EngineEvent> {
    let mut out = Vec::new();
    while let Ok(e) = rx.try_recv() {
        out.push(e);
    }
    out
}

async fn next_event(
    rx: &mut mpsc::UnboundedReceiver<EngineEvent>,
    pred: impl Fn(&EngineEvent) -> bool,
) -> EngineEvent {
    timeout(PATIENCE, async {
        loop {
            let e = rx.recv().await.expect("the engine is running");
            if pred(&e) {
                return e;
            }
        }
    })
    .await
    .expect("the event never came")
}

fn failure(state: JobState) -> String {
    match state {
        JobState::Failed { reason } => reason,
        s => panic!("not failed: {s:?}"),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Runs `f` on a runtime of its own, then drops that runtime with every task in flight: what
/// kill -9 leaves behind (the journal keeps whatever it had written).
fn crash_after<Fut: Future<Output = Engine>>(f: impl FnOnce() -> Fut) {
    let rt = runtime();
    let engine = rt.block_on(f());
    drop(rt);
    drop(engine);
}
