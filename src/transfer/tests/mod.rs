//! The engine end to end against an in-memory service: real files in temporary folders, real
//! journals, faults injected per call, and kill -9 played by dropping a runtime with everything
//! in flight. (Tests over HTTP against the sandbox come on top of these.)

mod fake;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_arrive_verified_and_journaled() {
    let env = Env::new();
    let folder = env.fake.mkdir_now(0, "dest");
    let (engine, mut rx) = env.start(EngineOptions {
        concurrency: 2,
        ..env.opts()
    });
    let mut kinds = Vec::new();
    let mut contents = Vec::new();
    for i in 0..6u8 {
        let (path, data) = env.file(&format!("f{i}.bin"), 20_000 + usize::from(i) * 1000, i);
        kinds.push(upload(&path, folder, &format!("f{i}.bin")));
        contents.push(data);
    }
    let ids = engine.enqueue(kinds);
    idle(&engine).await;

    for id in &ids {
        match state_of(&engine, *id) {
            JobState::Done { result } => {
                assert!(result.starts_with("https://1fichier.com/?"), "{result}")
            }
            s => panic!("{s:?}"),
        }
    }
    let remote = env.fake.files_in(folder);
    assert_eq!(remote.len(), 6);
    for (i, data) in contents.iter().enumerate() {
        let f = remote
            .iter()
            .find(|f| f.name == format!("f{i}.bin"))
            .unwrap();
        assert_eq!(&*f.data, data);
    }
    assert!(
        env.fake.state().max_running <= 2,
        "{}",
        env.fake.state().max_running
    );
    assert_eq!(
        env.fake.state().file_ls_calls,
        1,
        "one listing serves every upload into the folder"
    );
    let events = drain(&mut rx);
    let finished = events
        .iter()
        .filter(|e| matches!(e, EngineEvent::Finished { ok: true, changed: Changed::Remote(f), .. } if f.0 == folder))
        .count();
    assert_eq!(finished, 6);
    assert!(events.iter().any(|e| matches!(e, EngineEvent::Jobs(_))));
    let saved = journal::read_jobs(env.state.path());
    assert_eq!(saved.len(), 6);
    assert!(
        saved
            .iter()
            .all(|j| matches!(j.state, SavedState::Done { .. })),
        "{saved:?}"
    );
    let summary = engine.summary(Some(&ids)).await;
    assert_eq!(summary.done, 6);
    assert_eq!(
        summary.bytes,
        contents.iter().map(|c| c.len() as u64).sum::<u64>()
    );
    assert!(summary.failed.is_empty());

    // Idle: nothing more is sent.
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(drain(&mut rx).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_failures_are_retried_then_reported() {
    let env = Env::new();
    let folder = env.fake.mkdir_now(0, "d");
    let (a, data) = env.file("a.bin", 5000, 1);
    let (b, _) = env.file("b.bin", 5000, 2);
    {
        let mut s = env.fake.state();
        s.upload_faults
            .extend([UploadFault::Network, UploadFault::Network]);
    }
    let (engine, _rx) = env.start(EngineOptions {
        concurrency: 1,
        max_attempts: 3,
        ..env.opts()
    });
    let ids = engine.enqueue(vec![upload(&a, folder, "a.bin")]);
    idle(&engine).await;
    assert!(matches!(state_of(&engine, ids[0]), JobState::Done { .. }));
    assert_eq!(&*env.fake.files_in(folder)[0].data, &data);

    env.fake
        .state()
        .upload_faults
        .extend([UploadFault::Network; 3]);
    let ids = engine.enqueue(vec![upload(&b, folder, "b.bin")]);
    idle(&engine).await;
    match state_of(&engine, ids[0]) {
        JobState::Failed { reason } => {
            assert!(reason.contains("cannot reach 1fichier"), "{reason}")
        }
        s => panic!("{s:?}"),
    }
    assert_eq!(env.fake.files_in(folder).len(), 1);
    let summary = engine.summary(None).await;
    assert_eq!((summary.done, summary.failed.len()), (1, 1));
    assert_eq!(summary.failed[0].name, "b.bin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checksum_mismatch_on_upload_fails_and_removes_the_copy() {
    let env = Env::new();
    let folder = env.fake.mkdir_now(0, "d");
    let (a, _) = env.file("a.bin", 5000, 1);
    env.fake
        .state()
        .upload_faults
        .push_back(UploadFault::WrongWhirlpool);
    let (engine, _rx) = env.start(env.opts());
    let ids = engine.enqueue(vec![upload(&a, folder, "a.bin")]);
    idle(&engine).await;
    match state_of(&engine, ids[0]) {
        JobState::Failed { reason } => {
            assert!(reason.contains("checksum"), "{reason}");
            assert!(reason.contains("removed"), "{reason}");
        }
        s => panic!("{s:?}"),
    }
    assert!(env.fake.files_in(folder).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_whose_answer_was_lost_is_found_not_resent() {
    let env = Env::new();
    let folder = env.fake.mkdir_now(0, "d");
    let (a, _) = env.file("a.bin", 5000, 1);
    env.fake
        .state()
        .upload_faults
        .push_back(UploadFault::CommitThenNetwork);
    let (engine, _rx) = env.start(env.opts());
    let ids = engine.enqueue(vec![upload(&a, folder, "a.bin")]);
    idle(&engine).await;
    assert!(matches!(state_of(&engine, ids[0]), JobState::Done { .. }));
    assert_eq!(env.fake.files_in(folder).len(), 1, "no duplicate");
    assert_eq!(env.fake.state().upload_calls.len(), 1);
}

#[test]
fn an_upload_the_service_kept_before_kill_9_is_not_sent_again() {
    let env = Env::new();
    let folder = env.fake.mkdir_now(0, "d");
    let (a, data) = env.file("big.iso", 50_000, 3);
    env.fake
        .state()
        .upload_faults
        .push_back(UploadFault::CommitThenHang);
    crash_after(|| async {
        let (engine, _rx) = env.start(env.opts());
        engine.enqueue(vec![upload(&a, folder, "big.iso")]);
        wait_hung(&env.fake, 1).await;
        engine
    });
    let saved = journal::read_jobs(env.state.path());
    assert!(
        saved[0].meta.attempted,
        "the journal knew the upload may have gone: {saved:?}"
    );
    runtime().block_on(async {
        let (engine, _rx) = env.start(env.opts());
        let jobs = engine.jobs();
        assert_eq!(jobs.len(), 1);
        // Queued at start; the scheduler may already have started it again.
        assert!(
            matches!(jobs[0].state, JobState::Queued | JobState::Running { .. }),
            "{jobs:?}"
        );
        idle(&engine).await;
        assert!(
            matches!(engine.jobs()[0].state, JobState::Done { .. }),
            "{:?}",
            engine.jobs()
        );
    });
    let files = env.fake.files_in(folder);
    assert_eq!(files.len(), 1, "sent once");
    assert_eq!(&*files[0].data, &data);
    assert_eq!(env.fake.state().upload_calls.len(), 1);
}

#[test]
fn an_upload_cut_by_kill_9_is_sent_again_from_zero() {
    let env = Env::new();
    let folder = env.fake.mkdir_now(0, "d");
    let (a, data) = env.file("a.bin", 50_000, 3);
    env.fake.state().upload_faults.push_back(UploadFault::Hang);
    crash_after(|| async {
        let (engine, _rx) = env.start(env.opts());
        engine.enqueue(vec![upload(&a, folder, "a.bin")]);
        wait_hung(&env.fake, 1).await;
        engine
    });
    runtime().block_on(async {
        let (engine, _rx) = env.start(env.opts());
        idle(&engine).await;
        assert!(matches!(engine.jobs()[0].state, JobState::Done { .. }));
    });
    let files = env.fake.files_in(folder);
    assert_eq!(files.len(), 1);
    assert_eq!(&*files[0].data, &data);
    assert_eq!(env.fake.state().upload_calls.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_resumes_after_drops_and_is_verified() {
    let env = Env::new();
    let (kind, data) = env.remote_file(0, "movie.mkv", 100_000, 4);
    env.fake
        .state()
        .download_faults
        .extend([DownloadFault::Drop(10_000); 3]);
    let (engine, mut rx) = env.start(env.opts());
    let ids = engine.enqueue(vec![kind]);
    idle(&engine).await;
    let dest = env.local.path().join("movie.mkv");
    assert_eq!(
        state_of(&engine, ids[0]),
        JobState::Done {
            result: dest.display().to_string()
        }
    );
    assert_eq!(std::fs::read(&dest).unwrap(), data);
    assert!(!paths::part_path(&dest).exists());
    assert_eq!(
        env.fake.state().download_offsets,
        vec![0, 10_000, 20_000, 30_000]
    );
    let finished = drain(&mut rx)
        .into_iter()
        .find(|e| matches!(e, EngineEvent::Finished { .. }));
    match finished {
        Some(EngineEvent::Finished {
            ok: true,
            changed: Changed::Local(dir),
            ..
        }) => assert_eq!(dir, env.local.path()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_download_cut_by_kill_9_continues_from_its_part() {
    let env = Env::new();
    let (kind, data) = env.remote_file(0, "movie.mkv", 300_000, 5);
    env.fake
        .state()
        .download_faults
        .push_back(DownloadFault::Hang(120_000));
    crash_after(|| async {
        let (engine, _rx) = env.start(env.opts());
        engine.enqueue(vec![kind]);
        wait_hung(&env.fake, 1).await;
        engine
    });
    let dest = env.local.path().join("movie.mkv");
    assert_eq!(
        std::fs::metadata(paths::part_path(&dest)).unwrap().len(),
        120_000
    );
    runtime().block_on(async {
        let (engine, _rx) = env.start(env.opts());
        idle(&engine).await;
        assert!(matches!(engine.jobs()[0].state, JobState::Done { .. }));
    });
    assert_eq!(std::fs::read(&dest).unwrap(), data);
    assert_eq!(env.fake.state().download_offsets, vec![0, 120_000]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_that_does_not_match_its_checksum_retries_once_then_fails() {
    let env = Env::new();
    let (kind, _) = env.remote_file(0, "x.bin", 30_000, 6);
    let JobKind::Download {
        url, local, size, ..
    } = kind
    else {
        unreachable!()
    };
    let wrong = JobKind::Download {
        url,
        local: local.clone(),
        size,
        checksum: Some(whirlpool_hex(b"other")),
    };
    let (engine, _rx) = env.start(env.opts());
    let ids = engine.enqueue(vec![wrong]);
    idle(&engine).await;
    match state_of(&engine, ids[0]) {
        JobState::Failed { reason } => assert!(
            reason.contains("checksum") && reason.contains("twice"),
            "{reason}"
        ),
        s => panic!("{s:?}"),
    }
    assert_eq!(
        env.fake.state().download_offsets,
        vec![0, 0],
        "the second try starts from zero"
    );
    assert!(!local.exists());
    assert!(!paths::part_path(&local).exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_fails_the_job_and_keeps_the_part() {
    let env = Env::new();
    let (kind, data) = env.remote_file(0, "x.bin", 100_000, 7);
    env.fake
        .state()
        .download_faults
        .push_back(DownloadFault::DiskFull(40_000));
    let (engine, _rx) = env.start(env.opts());
    let ids = engine.enqueue(vec![kind]);
    idle(&engine).await;
    match state_of(&engine, ids[0]) {
        JobState::Failed { reason } => assert!(reason.contains("disk is full"), "{reason}"),
        s => panic!("{s:?}"),
    }
    let dest = env.local.path().join("x.bin");
    assert_eq!(
        std::fs::metadata(paths::part_path(&dest)).unwrap().len(),
        40_000
    );
    engine.control(Control::Retry(ids[0]));
    idle(&engine).await;
    assert!(matches!(state_of(&engine, ids[0]), JobState::Done { .. }));
    assert_eq!(std::fs::read(&dest).unwrap(), data);
    assert_eq!(env.fake.state().download_offsets, vec![0, 40_000]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_keeps_the_part_and_resume_continues_it() {
    let env = Env::new();
    let (kind, data) = env.remote_file(0, "x.bin", 100_000, 8);
    env.fake
        .state()
        .download_faults
        .push_back(DownloadFault::Hang(25_000));
    let (engine, _rx) = env.start(env.opts());
    let ids = engine.enqueue(vec![kind]);
    wait_hung(&env.fake, 1).await;
    engine.control(Control::Pause(ids[0]));
    idle(&engine).await; // paused jobs leave the queue idle
    assert_eq!(
        state_of(&engine, ids[0]),
        JobState::Paused {
            done: 25_000,
            total: 100_000
        }
    );
    let dest = env.local.path().join("x.bin");
    assert_eq!(
        std::fs::metadata(paths::part_path(&dest)).unwrap().len(),
        25_000
    );
    assert!(matches!(
        journal::read_jobs(env.state.path())[0].state,
        SavedState::Paused { .. }
    ));
    engine.control(Control::Resume(ids[0]));
    idle(&engine).await;
    assert!(matches!(state_of(&engine, ids[0]), JobState::Done { .. }));
    assert_eq!(std::fs::read(&dest).unwrap(), data);
    assert_eq!(env.fake.state().download_offsets, vec![0, 25_000]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_removes_the_part() {
    let env = Env::new();
    let (kind, _) = env.remote_file(0, "x.bin", 100_000, 9);
    env.fake
        .state()
        .download_faults
        .push_back(DownloadFault::Hang(25_000));
    let (engine, mut rx) = env.start(env.opts());
    let ids = engine.enqueue(vec![kind]);
    wait_hung(&env.fake, 1).await;
    engine.control(Control::Cancel(ids[0]));
    idle(&engine).await;
    assert_eq!(state_of(&engine, ids[0]), JobState::Cancelled);
    let dest = env.local.path().join("x.bin");
    assert!(!paths::part_path(&dest).exists());
    assert!(!dest.exists());
    assert!(
        !drain(&mut rx)
            .iter()
            .any(|e| matches!(e, EngineEvent::Finished { .. }))
    );
    // Cleared, it is gone from the list and from the journal.
    engine.control(Control::ClearFinished);
    engine.flush().await;
    assert!(engine.jobs().is_empty());
    assert!(journal::read_jobs(env.state.path()).is_empty());
}

/// Runs `kinds` on a fresh engine with `policy` and returns their final states.
async fn run_with(env: &Env, policy: ConflictPolicy, kinds: Vec<JobKind>) -> Vec<JobState> {
    let state = tempfile::tempdir().unwrap();
    let (engine, _rx) = env.start(EngineOptions {
        on_conflict: policy,
        ..opts(state.path())
    });
    let ids = engine.enqueue(kinds);
    idle(&engine).await;
    let states = ids.iter().map(|id| state_of(&engine, *id)).collect();
    engine.shutdown().await;
    states
}

fn names(fake: &Fake, folder: u64) -> Vec<String> {
    let mut n: Vec<String> = fake.files_in(folder).into_iter().map(|f| f.name).collect();
    n.sort();
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_conflicts_follow_the_policy() {
    let env = Env::new();
    let (a, new) = env.file("a.txt", 3000, 10);
    let old = bytes(2000, 11);

    let skip = env.fake.mkdir_now(0, "skip");
    env.fake.put(skip, "a.txt", &old);
    let states = run_with(&env, ConflictPolicy::Skip, vec![upload(&a, skip, "a.txt")]).await;
    assert!(
        matches!(&states[0], JobState::Skipped { reason } if reason.contains("already there")),
        "{states:?}"
    );
    assert_eq!(&*env.fake.files_in(skip)[0].data, &old);

    let rename = env.fake.mkdir_now(0, "rename");
    env.fake.put(rename, "a.txt", &old);
    env.fake.put(rename, "a (1).txt", &old);
    let states = run_with(
        &env,
        ConflictPolicy::Rename,
        vec![upload(&a, rename, "a.txt")],
    )
    .await;
    assert!(matches!(states[0], JobState::Done { .. }), "{states:?}");
    assert_eq!(
        names(&env.fake, rename),
        vec!["a (1).txt", "a (2).txt", "a.txt"]
    );

    let over = env.fake.mkdir_now(0, "over");
    let old_url = env.fake.put(over, "a.txt", &old);
    let states = run_with(
        &env,
        ConflictPolicy::Overwrite,
        vec![upload(&a, over, "a.txt")],
    )
    .await;
    assert!(matches!(states[0], JobState::Done { .. }), "{states:?}");
    let files = env.fake.files_in(over);
    assert_eq!(files.len(), 1);
    assert_eq!(&*files[0].data, &new);
    assert!(env.fake.state().removed.contains(&old_url));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_conflicts_follow_the_policy() {
    let env = Env::new();
    let dest = env.local.path().join("r.pdf");
    let (kind, new) = env.remote_file(0, "r.pdf", 4000, 12);

    std::fs::write(&dest, b"old").unwrap();
    let states = run_with(&env, ConflictPolicy::Skip, vec![kind.clone()]).await;
    assert!(matches!(states[0], JobState::Skipped { .. }), "{states:?}");
    assert_eq!(std::fs::read(&dest).unwrap(), b"old");

    let states = run_with(&env, ConflictPolicy::Rename, vec![kind.clone()]).await;
    let renamed = env.local.path().join("r (1).pdf");
    assert_eq!(
        states[0],
        JobState::Done {
            result: renamed.display().to_string()
        }
    );
    assert_eq!(std::fs::read(&renamed).unwrap(), new);
    assert_eq!(std::fs::read(&dest).unwrap(), b"old");

    let states = run_with(&env, ConflictPolicy::Overwrite, vec![kind]).await;
    assert!(matches!(states[0], JobState::Done { .. }), "{states:?}");
    assert_eq!(std::fs::read(&dest).unwrap(), new);
    assert!(!paths::part_path(&dest).exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_parks_conflicts_and_an_answer_for_all_settles_them() {
    let env = Env::new();
    let folder = env.fake.mkdir_now(0, "d");
    env.fake.put(folder, "a.txt", b"old a");
    env.fake.put(folder, "b.txt", b"old b");
    let (a, _) = env.file("a.txt", 1000, 1);
    let (b, _) = env.file("b.txt", 1000, 2);
    let (c, _) = env.file("c.txt", 1000, 3);
    let (engine, mut rx) = env.start(EngineOptions {
        on_conflict: ConflictPolicy::Ask,
        ..env.opts()
    });
    let ids = engine.enqueue(vec![
        upload(&a, folder, "a.txt"),
        upload(&b, folder, "b.txt"),
        upload(&c, folder, "c.txt"),
    ]);
    let mut asked = Vec::new();
    while asked.len() < 2 {
        if let EngineEvent::Conflict(q) =
            next_event(&mut rx, |e| matches!(e, EngineEvent::Conflict(_))).await
        {
            assert_eq!(q.existing.0, 5);
            assert_eq!(q.incoming.0, 1000);
            asked.push(q.job);
        }
    }
    asked.sort();
    assert_eq!(asked, vec![ids[0], ids[1]]);
    // The free one does not wait for the questions.
    until_state(&engine, ids[2], |s| matches!(s, JobState::Done { .. })).await;
    assert!(matches!(
        state_of(&engine, ids[0]),
        JobState::Waiting { until: None, .. }
    ));
    engine.control(Control::Answer(
        ids[0],
        ConflictAnswer {
            policy: ConflictPolicy::Rename,
            for_all: true,
        },
    ));
    idle(&engine).await;
    assert_eq!(
        names(&env.fake, folder),
        vec!["a (1).txt", "a.txt", "b (1).txt", "b.txt", "c.txt"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uploaded_folder_reuses_what_exists_and_queues_its_files() {
    let env = Env::new();
    let top = env.local.path().join("top");
    std::fs::create_dir_all(top.join("sub/deeper")).unwrap();
    std::fs::create_dir_all(top.join("empty")).unwrap();
    let x = bytes(1500, 1);
    let y = bytes(2500, 2);
    let z = bytes(3500, 3);
    std::fs::write(top.join("x.txt"), &x).unwrap();
    std::fs::write(top.join("sub/y.txt"), &y).unwrap();
    std::fs::write(top.join("sub/deeper/z.txt"), &z).unwrap();
    let existing = env.fake.mkdir_now(0, "top");
    let (engine, _rx) = env.start(env.opts());
    let ids = engine.enqueue(vec![JobKind::UploadDir {
        local: top.clone(),
        parent: FolderId(0),
    }]);
    idle(&engine).await;
    assert_eq!(
        state_of(&engine, ids[0]),
        JobState::Done {
            result: "3 files in 4 folders queued".into()
        }
    );

    let folders = env.fake.state().folders.clone();
    let child = |parent: u64, name: &str| {
        let found: Vec<u64> = folders
            .iter()
            .filter(|(_, (p, n))| *p == parent && n == name)
            .map(|(id, _)| *id)
            .collect();
        assert_eq!(found.len(), 1, "{name} in {parent}: {folders:?}");
        found[0]
    };
    assert_eq!(child(0, "top"), existing, "the existing folder is reused");
    let sub = child(existing, "sub");
    let deeper = child(sub, "deeper");
    child(existing, "empty");
    assert_eq!(&*env.fake.files_in(existing)[0].data, &x);
    assert_eq!(&*env.fake.files_in(sub)[0].data, &y);
    assert_eq!(&*env.fake.files_in(deeper)[0].data, &z);
    let summary = engine.summary(Some(&ids)).await;
    assert_eq!((summary.done, summary.bytes), (3, 7500));
    // The file jobs are in the journal, after their folder job.
    let saved = journal::read_jobs(env.state.path());
    assert_eq!(saved.len(), 4);
    assert!(saved[1..].iter().all(|j| j.meta.parent == Some(ids[0])));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_downloaded_folder_stays_inside_whatever_the_names() {
    let env = Env::new();
    let stuff = env.fake.mkdir_now(0, "stuff");
    let dotdot = env.fake.mkdir_now(stuff, "..");
    let sub = env.fake.mkdir_now(stuff, "sub");
    let contents = [
        (stuff, "../evil.txt", bytes(100, 1)),
        (stuff, "a/b", bytes(200, 2)),
        (stuff, "ok.txt", bytes(300, 3)),
        (dotdot, "inner.txt", bytes(400, 4)),
        (sub, "\u{1b}[2Jx", bytes(500, 5)),
    ];
    for (folder, name, data) in &contents {
        env.fake.put(*folder, name, data);
    }
    let parent = env.local.path().join("dl");
    std::fs::create_dir(&parent).unwrap();
    let (engine, _rx) = env.start(env.opts());
    engine.enqueue(vec![JobKind::DownloadDir {
        folder: FolderId(stuff),
        name: "stuff".into(),
        local_parent: parent.clone(),
    }]);
    idle(&engine).await;
    let summary = engine.summary(None).await;
    assert_eq!((summary.done, summary.failed.len()), (5, 0), "{summary:?}");

    let mut found = Vec::new();
    let mut todo = vec![parent.clone()];
    while let Some(dir) = todo.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                assert!(
                    paths::is_inside(&parent.join("stuff"), &path),
                    "{}",
                    path.display()
                );
                found.push(std::fs::read(&path).unwrap());
            }
        }
    }
    found.sort();
    let mut expected: Vec<Vec<u8>> = contents.iter().map(|(_, _, d)| d.clone()).collect();
    expected.sort();
    assert_eq!(found, expected);
    assert_eq!(
        std::fs::read_dir(env.local.path()).unwrap().count(),
        1,
        "nothing beside dl/"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_uploads_poll_until_the_service_answers() {
    let env = Env::new();
    env.fake.state().remote_polls_needed = 3;
    let (engine, _rx) = env.start(env.opts());
    let ok = engine.enqueue(vec![JobKind::RemoteUpload {
        urls: vec!["https://e.x/a.iso".into()],
        folder: FolderId(0),
    }]);
    idle(&engine).await;
    match state_of(&engine, ok[0]) {
        JobState::Done { result } => {
            assert!(result.starts_with("https://1fichier.com/?r"), "{result}")
        }
        s => panic!("{s:?}"),
    }
    env.fake.state().remote_fail = Some("404 Not Found".into());
    let bad = engine.enqueue(vec![JobKind::RemoteUpload {
        urls: vec!["https://e.x/b.iso".into()],
        folder: FolderId(0),
    }]);
    idle(&engine).await;
    match state_of(&engine, bad[0]) {
        JobState::Failed { reason } => assert!(
            reason.contains("https://e.x/b.iso: 404 Not Found"),
            "{reason}"
        ),
        s => panic!("{s:?}"),
    }
    assert_eq!(env.fake.state().remote_requests, 2);
    assert_eq!(
        journal::read_jobs(env.state.path())[0].meta.remote_job,
        Some(101)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_lock_shows_on_stalled_jobs() {
    let env = Env::new();
    let folder = env.fake.mkdir_now(0, "d");
    let (a, _) = env.file("a.bin", 5000, 1);
    env.fake.state().upload_faults.push_back(UploadFault::Hang);
    let (engine, _rx) = env.start(env.opts());
    let ids = engine.enqueue(vec![upload(&a, folder, "a.bin")]);
    wait_hung(&env.fake, 1).await;
    let until = Instant::now() + Duration::from_secs(30);
    env.fake.pace.send_replace(PaceStatus::Waiting {
        until,
        reason: "flood lock (#374)".into(),
    });
    let s = until_state(&engine, ids[0], |s| matches!(s, JobState::Waiting { .. })).await;
    assert_eq!(
        s,
        JobState::Waiting {
            reason: "flood lock (#374)".into(),
            until: Some(until)
        }
    );
    env.fake.pace.send_replace(PaceStatus::Ready);
    until_state(&engine, ids[0], |s| matches!(s, JobState::Running { .. })).await;
    engine.control(Control::Cancel(ids[0]));
    idle(&engine).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn move_up_changes_who_goes_next() {
    let env = Env::new();
    let folder = env.fake.mkdir_now(0, "d");
    let files: Vec<PathBuf> = ["blocker", "a", "b", "c"]
        .iter()
        .map(|n| env.file(n, 100, 1).0)
        .collect();
    env.fake.state().upload_faults.push_back(UploadFault::Hang);
    let (engine, _rx) = env.start(EngineOptions {
        concurrency: 1,
        ..env.opts()
    });
    let blocker = engine.enqueue(vec![upload(&files[0], folder, "blocker")]);
    wait_hung(&env.fake, 1).await;
    let ids = engine.enqueue(vec![
        upload(&files[1], folder, "a"),
        upload(&files[2], folder, "b"),
        upload(&files[3], folder, "c"),
    ]);
    engine.control(Control::MoveUp(ids[2]));
    engine.control(Control::MoveUp(ids[2]));
    engine.control(Control::MoveDown(ids[0]));
    engine.control(Control::Cancel(blocker[0]));
    idle(&engine).await;
    assert_eq!(
        env.fake.state().upload_calls,
        vec!["blocker", "c", "b", "a"]
    );
    let order: Vec<JobId> = engine.jobs().iter().map(|j| j.id).collect();
    assert_eq!(order, vec![blocker[0], ids[2], ids[1], ids[0]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_files_that_cannot_be_sent_fail_in_words() {
    let env = Env::new();
    let folder = env.fake.mkdir_now(0, "d");
    let (empty, _) = env.file("empty", 0, 0);
    let (engine, _rx) = env.start(env.opts());
    let ids = engine.enqueue(vec![
        upload(&env.local.path().join("missing.txt"), folder, "missing.txt"),
        upload(&empty, folder, "empty"),
        upload(&env.local.path().join("x"), 999, "x"),
    ]);
    idle(&engine).await;
    let reasons: Vec<String> = ids
        .iter()
        .map(|id| match state_of(&engine, *id) {
            JobState::Failed { reason } => reason,
            s => panic!("{s:?}"),
        })
        .collect();
    assert!(reasons[0].contains("missing.txt is gone"), "{}", reasons[0]);
    assert!(reasons[1].contains("empty files"), "{}", reasons[1]);
    assert!(reasons[2].contains("is gone"), "{}", reasons[2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_destination_folder_that_vanished_fails_in_words() {
    let env = Env::new();
    let (a, _) = env.file("a.bin", 100, 1);
    let (engine, _rx) = env.start(env.opts());
    let ids = engine.enqueue(vec![upload(&a, 999, "a.bin")]);
    idle(&engine).await;
    match state_of(&engine, ids[0]) {
        JobState::Failed { reason } => assert!(
            reason.contains("folder 999 is no longer on 1fichier"),
            "{reason}"
        ),
        s => panic!("{s:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_shows_the_same_queue_and_repeats_nothing() {
    let env = Env::new();
    let folder = env.fake.mkdir_now(0, "d");
    let kinds: Vec<JobKind> = (0..3u8)
        .map(|i| {
            upload(
                &env.file(&format!("{i}"), 100, i).0,
                folder,
                &format!("{i}"),
            )
        })
        .collect();
    let (engine, _rx) = env.start(env.opts());
    let ids = engine.enqueue(kinds);
    idle(&engine).await;
    let before = engine.jobs();
    engine.shutdown().await;

    let (engine, _rx) = env.start(env.opts());
    assert_eq!(engine.jobs(), before);
    let more = engine.enqueue(vec![upload(&env.file("later", 100, 9).0, folder, "later")]);
    assert!(more[0] > ids[2], "ids are never reused");
    idle(&engine).await;
    assert_eq!(env.fake.state().upload_calls.len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_journal_is_set_aside_with_a_notice() {
    let env = Env::new();
    std::fs::write(
        env.state.path().join("queue.json"),
        b"{\"version\":1,\"jobs\":[{\"id\":",
    )
    .unwrap();
    let (engine, mut rx) = env.start(env.opts());
    match next_event(&mut rx, |_| true).await {
        EngineEvent::Notice(text) => assert!(text.contains("could not be read"), "{text}"),
        e => panic!("{e:?}"),
    }
    assert!(engine.jobs().is_empty());
    let aside = std::fs::read_dir(env.state.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("queue.json.corrupt-")
        })
        .count();
    assert_eq!(aside, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_engine_on_the_same_queue_is_refused() {
    let env = Env::new();
    let (_engine, _rx) = env.start(env.opts());
    let err = Engine::start_with(env.fake.clone(), env.opts()).unwrap_err();
    assert!(
        err.to_string().contains("in use by another fichier-tui"),
        "{err}"
    );
}

#[test]
fn an_overwrite_cut_by_kill_9_still_removes_the_old_copy_once() {
    let env = Env::new();
    let folder = env.fake.mkdir_now(0, "d");
    let old_url = env.fake.put(folder, "a.txt", b"old");
    let (a, new) = env.file("a.txt", 4000, 1);
    env.fake
        .state()
        .upload_faults
        .push_back(UploadFault::CommitThenHang);
    let options = EngineOptions {
        on_conflict: ConflictPolicy::Overwrite,
        ..env.opts()
    };
    crash_after(|| async {
        let (engine, _rx) = env.start(options.clone());
        engine.enqueue(vec![upload(&a, folder, "a.txt")]);
        wait_hung(&env.fake, 1).await;
        engine
    });
    assert_eq!(
        env.fake.files_in(folder).len(),
        2,
        "old and new side by side"
    );
    runtime().block_on(async {
        // Even if the policy changed since, the decision taken stands.
        let (engine, _rx) = env.start(EngineOptions {
            on_conflict: ConflictPolicy::Skip,
            ..options
        });
        idle(&engine).await;
        assert!(matches!(engine.jobs()[0].state, JobState::Done { .. }));
    });
    let files = env.fake.files_in(folder);
    assert_eq!(files.len(), 1);
    assert_eq!(&*files[0].data, &new);
    assert_eq!(env.fake.state().removed, vec![old_url]);
    assert_eq!(env.fake.state().upload_calls.len(), 1);
}
