//! The engine under the service's bad days, at size: a large download cut again and again, a
//! flood lock in the middle of many uploads, 5xx on a fifth of the calls, and a large round trip.

use super::*;
use std::io::{Read, Write};

const MIB: usize = 1 << 20;

/// Deterministic bytes that do not repeat with a short period (so a misplaced range shows).
fn big(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut out = vec![0u8; len];
    rng.fill(&mut out);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_download_cut_five_times_resumes_each_time() {
    let env = Env::new();
    let size = 100 * MIB;
    let data = big(size, 1);
    let url = env.sb().add_file(0, "big.bin", &data);
    // Each body is cut after 15 MiB: the file breaks at 15, 30, 45, 60 and 75 MiB.
    env.sb().faults().cut_downloads_after(15 * MIB as u64, 5);
    let (engine, _rx) = env.start(env.opts());
    let dest = env.local.path().join("big.bin");
    let ids = engine.enqueue(vec![JobKind::Download {
        url: FileUrl(url),
        local: dest.clone(),
        size: size as u64,
        checksum: Some(whirlpool_hex(&data)),
    }]);
    idle(&engine).await;
    // Done means the whole part matched 1fichier's whirlpool before it was renamed.
    assert_eq!(
        state_of(&engine, ids[0]),
        JobState::Done {
            result: dest.display().to_string()
        }
    );
    assert!(std::fs::read(&dest).unwrap() == data, "the bytes differ");
    let stats = env.stats();
    assert_eq!(stats.tokens_issued, 6, "five cuts, six tries");
    assert!(
        stats.download_bytes_served < 2 * size as u64,
        "served {} for a {size}-byte file",
        stats.download_bytes_served
    );
    assert!(stats.download_bytes_served >= size as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_lock_among_many_uploads_costs_waiting_not_failures() {
    let env = Env::with(SandboxConfig {
        // The client below calls up to 500 times a second: the service locks it again and again.
        flood_limit: Some(150),
        flood_lock: Duration::from_millis(100),
        ..SandboxConfig::for_tests()
    });
    let folder = env.folder(0, "many");
    let dir = env.local.path().join("many");
    std::fs::create_dir(&dir).unwrap();
    let mut kinds = Vec::new();
    let mut expected = Vec::new();
    for i in 0..200usize {
        let name = format!("f{i:03}.txt");
        let data = bytes(1000 + i * 7, i as u8);
        std::fs::write(dir.join(&name), &data).unwrap();
        kinds.push(upload(&dir.join(&name), folder, &name));
        expected.push((name, digest(&data)));
    }
    let (engine, mut rx) = env.start_paced(
        EngineOptions {
            concurrency: 6,
            ..env.opts()
        },
        500.0,
    );
    let ids = engine.enqueue(kinds);
    let waited = tokio::spawn(async move {
        let mut seen = false;
        while let Some(e) = rx.recv().await {
            if let EngineEvent::Jobs(jobs) = e {
                seen |= jobs.iter().any(
                    |j| matches!(&j.state, JobState::Waiting { reason, .. } if reason.contains("flood")),
                );
            }
        }
        seen
    });
    idle(&engine).await;
    let summary = engine.summary(Some(&ids)).await;
    assert_eq!(summary.done, 200, "{:?}", summary.failed);
    assert!(summary.failed.is_empty());
    let stats = env.stats();
    assert!(
        stats.flood_locks > 0,
        "the pace never met the limit: {stats:?}"
    );
    assert_eq!(stats.uploads_completed, 200, "each file sent once");
    let mut remote = env.remote(folder);
    remote.sort();
    assert_eq!(remote, expected);
    engine.shutdown().await;
    drop(engine);
    assert!(
        waited.await.unwrap(),
        "the jobs never showed that they waited for the lock"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_on_a_fifth_of_the_calls_still_finish_every_job() {
    let env = Env::new();
    let up = env.folder(0, "up");
    let down = env.folder(0, "down");
    let mut kinds = Vec::new();
    let mut sent = Vec::new();
    let mut fetched = Vec::new();
    for i in 0..20u8 {
        let name = format!("u{i}.bin");
        let (path, data) = env.file(&name, 30_000 + usize::from(i) * 100, i);
        kinds.push(upload(&path, up, &name));
        sent.push((name, digest(&data)));
        let (kind, data) = env.remote_file(down, &format!("d{i}.bin"), 40_000, i + 50);
        kinds.push(kind);
        fetched.push((format!("d{i}.bin"), data));
    }
    env.sb().faults().set_error_rate(0.2);
    let (engine, _rx) = env.start(EngineOptions {
        concurrency: 4,
        ..env.opts()
    });
    let ids = engine.enqueue(kinds);
    idle(&engine).await;
    env.sb().faults().set_error_rate(0.0);
    let summary = engine.summary(Some(&ids)).await;
    assert_eq!(summary.done, 40, "{:?}", summary.failed);
    // At least 61 calls, each failing one time in five: never none (0.8^61 < 1e-5).
    assert!(env.stats().injected_errors > 0);
    let mut remote = env.remote(up);
    remote.sort();
    sent.sort();
    assert_eq!(remote, sent);
    for (name, data) in &fetched {
        assert_eq!(
            &std::fs::read(env.local.path().join(name)).unwrap(),
            data,
            "{name}"
        );
    }
    assert_eq!(env.stats().uploads_completed, 20, "none sent twice");
}

/// Compares two files without holding either in memory.
fn same_bytes(a: &Path, b: &Path) -> bool {
    let (mut fa, mut fb) = (
        std::fs::File::open(a).unwrap(),
        std::fs::File::open(b).unwrap(),
    );
    let (mut ba, mut bb) = (vec![0u8; MIB], vec![0u8; MIB]);
    loop {
        let na = fa.read(&mut ba).unwrap();
        if na == 0 {
            return fb.read(&mut bb).unwrap() == 0;
        }
        if fb.read_exact(&mut bb[..na]).is_err() || ba[..na] != bb[..na] {
            return false;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_256_mib_round_trip_keeps_every_byte() {
    let env = Env::new();
    let size = 256 * MIB;
    let src = env.local.path().join("disk.img");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&src).unwrap());
        for part in 0..(size / (16 * MIB)) {
            f.write_all(&big(16 * MIB, 100 + part as u64)).unwrap();
        }
        f.flush().unwrap();
    }
    let ours = crate::checksum::whirlpool_file(&src).unwrap();
    let folder = env.folder(0, "backup");
    let (engine, _rx) = env.start(env.opts());
    let up = engine.enqueue(vec![upload(&src, folder, "disk.img")]);
    idle(&engine).await;
    assert!(
        matches!(state_of(&engine, up[0]), JobState::Done { .. }),
        "{:?}",
        engine.jobs()
    );
    let listed = env.client().file_ls(FolderId(folder)).await.unwrap();
    assert_eq!(listed.len(), 1);
    let remote = &listed[0];
    assert_eq!(remote.size, size as u64);
    let theirs = remote.checksum.clone().unwrap();
    assert!(
        crate::checksum::same_checksum(&theirs, &ours),
        "1fichier's whirlpool {theirs} is not the file's {ours}"
    );

    let back = env.local.path().join("back");
    std::fs::create_dir(&back).unwrap();
    let dest = back.join("disk.img");
    let down = engine.enqueue(vec![JobKind::Download {
        url: remote.url.clone(),
        local: dest.clone(),
        size: remote.size,
        checksum: Some(theirs),
    }]);
    idle(&engine).await;
    assert!(
        matches!(state_of(&engine, down[0]), JobState::Done { .. }),
        "{:?}",
        engine.jobs()
    );
    assert!(
        same_bytes(&src, &dest),
        "the copy differs from the original"
    );
    let stats = env.stats();
    assert_eq!(stats.upload_bytes_received, size as u64);
    assert_eq!(stats.download_bytes_served, size as u64);
}
