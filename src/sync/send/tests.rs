//! The windows against the sandbox over loopback: every copy counted once, failures named by
//! their path, the engine's queue never longer than a window, the list shown whole.

use super::*;
use crate::api::{ApiKey, Client, ClientOptions, FolderId};
use crate::sandbox::{Sandbox, SandboxConfig, TEST_KEY};
use crate::sync::plan::{Change, CopyFrom};
use crate::transfer::EngineOptions;
use std::path::Path;
use std::time::Duration;

/// A sandbox on a runtime of its own (an async test may not block its own runtime).
fn sandbox() -> (Sandbox, tokio::runtime::Runtime) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let sb = std::thread::scope(|s| {
        s.spawn(|| runtime.block_on(Sandbox::start(SandboxConfig::for_tests())))
            .join()
            .unwrap()
    })
    .unwrap();
    (sb, runtime)
}

fn upload(path: &Path, name: &str) -> (JobKind, Copy) {
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    let kind = JobKind::Upload {
        local: path.to_path_buf(),
        folder: FolderId::ROOT,
        remote_name: name.to_string(),
    };
    let copy = Copy {
        key: vec![name.to_string()],
        shown: format!("shown/{name}"),
        size,
        change: Change::New,
        from: CopyFrom::Local(path.to_path_buf()),
    };
    (kind, copy)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn windows_count_every_copy_and_keep_the_queue_short() {
    let (sb, runtime) = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let mut made = Vec::new();
    for i in 0..10 {
        let path = dir.path().join(format!("f{i}"));
        if i != 6 {
            std::fs::write(&path, vec![i as u8 + 1; 1000 + i]).unwrap();
        }
        made.push(upload(&path, &format!("f{i}")));
    }
    let client = Client::new(ClientOptions {
        calls_per_second: 200.0,
        retry_base: Duration::from_millis(5),
        ..ClientOptions::new(sb.api_url(), ApiKey::new(TEST_KEY))
    })
    .unwrap();
    let options = EngineOptions {
        retry_base: Duration::from_millis(5),
        retry_max: Duration::from_millis(20),
        ..EngineOptions::new(dir.path().join("queue"))
    };
    let (engine, rx) = Engine::start(client, options).unwrap();
    let (tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let (mut sender, forward) = Sender::new(engine, rx, Some(tx));
    sender.window = 4;

    let longest = sender.longest_list.clone();

    let jobs: Vec<(JobKind, &Copy)> = made.iter().map(|(k, c)| (k.clone(), c)).collect();
    sender.announce(&jobs);
    let mut sent = Sent::default();
    sender.send(jobs, &mut sent).await;
    sender.engine().shutdown().await;
    drop(sender);
    forward.await.unwrap();

    assert_eq!(sent.files, 9);
    let sizes: u64 = (0..10u64).filter(|i| *i != 6).map(|i| 1000 + i).sum();
    assert_eq!(sent.bytes, sizes);
    let done: Vec<&str> = sent.done.iter().map(|c| c.shown.as_str()).collect();
    assert_eq!(done.len(), 9);
    assert!(!done.contains(&"shown/f6"));
    assert_eq!(sent.failed.len(), 1, "{:?}", sent.failed);
    assert_eq!(sent.failed[0].path, "shown/f6", "named by its path");
    assert_eq!(sent.pending, 0);
    assert_eq!(sb.stats().uploads_completed, 9);
    assert_eq!(sb.list_names(0).1.len(), 9, "each file once");

    let longest = longest.load(Ordering::Relaxed);
    assert!(
        (1..=4).contains(&longest),
        "the engine held {longest} jobs at once"
    );
    let mut last = None;
    while let Ok(ev) = events.try_recv() {
        if let SyncEvent::Jobs(jobs) = ev {
            last = Some(jobs);
        }
    }
    let last = last.expect("job lists were sent");
    assert_eq!(last.len(), 10, "the list shown holds every copy");
    assert!(last.iter().all(|j| j.state.is_finished()), "{last:?}");
    drop(sb);
    runtime.shutdown_background();
}
