//! Downloads: resumed from their part, verified, paused, cancelled, and a full disk.

use super::*;

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
