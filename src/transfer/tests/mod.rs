//! The engine end to end against an in-memory service: real files in temporary folders, real
//! journals, faults injected per call, and kill -9 played by dropping a runtime with everything
//! in flight. (Tests over HTTP against the sandbox come on top of these.)

mod conflicts;
mod downloads;
mod fake;
mod folders;
mod queue;
mod uploads;

use super::journal::{self, SavedState};
use super::*;
use crate::api::{FileUrl, FolderId, PaceStatus};
use crate::checksum::whirlpool_hex;
use fake::{DownloadFault, Fake, UploadFault};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tempfile::TempDir;
use tokio::time::timeout;

const PATIENCE: Duration = Duration::from_secs(20);

fn opts(state: &Path) -> EngineOptions {
    EngineOptions {
        retry_base: Duration::from_millis(1),
        retry_max: Duration::from_millis(4),
        remote_poll: Duration::from_millis(5),
        progress_interval: Duration::from_millis(10),
        ..EngineOptions::new(state)
    }
}

fn bytes(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| ((i * 31 + usize::from(seed) * 7) % 251) as u8)
        .collect()
}

struct Env {
    state: TempDir,
    local: TempDir,
    fake: Arc<Fake>,
}

impl Env {
    fn new() -> Env {
        Env {
            state: tempfile::tempdir().unwrap(),
            local: tempfile::tempdir().unwrap(),
            fake: Fake::new(),
        }
    }
    fn opts(&self) -> EngineOptions {
        opts(self.state.path())
    }
    fn file(&self, name: &str, size: usize, seed: u8) -> (PathBuf, Vec<u8>) {
        let path = self.local.path().join(name);
        let data = bytes(size, seed);
        std::fs::write(&path, &data).unwrap();
        (path, data)
    }
    fn start(&self, options: EngineOptions) -> (Engine, mpsc::UnboundedReceiver<EngineEvent>) {
        Engine::start_with(self.fake.clone(), options).unwrap()
    }
    /// A remote file, and the download job that fetches it to `name` in the local folder.
    fn remote_file(&self, folder: u64, name: &str, size: usize, seed: u8) -> (JobKind, Vec<u8>) {
        let data = bytes(size, seed);
        let url = self.fake.put(folder, name, &data);
        let kind = JobKind::Download {
            url: FileUrl(url),
            local: self.local.path().join(name),
            size: size as u64,
            checksum: Some(whirlpool_hex(&data).to_uppercase()),
        };
        (kind, data)
    }
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
    engine
        .jobs()
        .iter()
        .find(|j| j.id == id)
        .map(|j| j.state.clone())
        .expect("the job is listed")
}

async fn until_state(engine: &Engine, id: JobId, pred: impl Fn(&JobState) -> bool) -> JobState {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let s = state_of(engine, id);
        if pred(&s) {
            return s;
        }
        assert!(Instant::now() < deadline, "job {id} stuck in {s:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
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

async fn wait_hung(fake: &Fake, n: usize) {
    let mut hung = fake.hung.subscribe();
    timeout(PATIENCE, hung.wait_for(|h| *h >= n))
        .await
        .expect("never reached the hang")
        .unwrap();
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
