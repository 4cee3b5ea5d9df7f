//! Downloads: resumed from their part after drops and after kill -9, verified, paused, cancelled.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_resumes_after_drops_and_is_verified() {
    let env = Env::new();
    let (kind, data) = env.remote_file(0, "movie.mkv", 100_000, 4);
    env.sb().faults().cut_downloads_after(10_000, 3);
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
    let stats = env.stats();
    // Each try continued where the last one was cut: not one byte was served twice.
    assert_eq!(stats.download_bytes_served, 100_000);
    assert_eq!(stats.tokens_issued, 4, "a fresh token for each try");
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
    let dest = env.local.path().join("movie.mkv");
    let part = paths::part_path(&dest);
    env.sb().faults().set_bandwidth(Some(100_000));
    crash_after(|| async {
        let (engine, _rx) = env.start(env.opts());
        engine.enqueue(vec![kind]);
        until("a third of the part", || {
            (len(&part) >= 100_000).then_some(())
        })
        .await;
        engine
    });
    env.settle();
    let kept = len(&part);
    assert!((100_000..300_000).contains(&kept), "{kept}");
    env.sb().faults().set_bandwidth(None);
    env.sb().reset_stats();
    runtime().block_on(async {
        let (engine, _rx) = env.start(env.opts());
        idle(&engine).await;
        assert!(matches!(engine.jobs()[0].state, JobState::Done { .. }));
    });
    assert_eq!(std::fs::read(&dest).unwrap(), data);
    assert_eq!(
        env.stats().download_bytes_served,
        300_000 - kept,
        "only the missing end was fetched"
    );
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
    let reason = failure(state_of(&engine, ids[0]));
    assert!(
        reason.contains("checksum") && reason.contains("twice"),
        "{reason}"
    );
    assert_eq!(
        env.stats().download_bytes_served,
        60_000,
        "the second try starts from zero"
    );
    assert!(!local.exists());
    assert!(!paths::part_path(&local).exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_keeps_the_part_and_resume_continues_it() {
    let env = Env::new();
    let (kind, data) = env.remote_file(0, "x.bin", 200_000, 8);
    let dest = env.local.path().join("x.bin");
    let part = paths::part_path(&dest);
    env.sb().faults().set_bandwidth(Some(100_000));
    let (engine, _rx) = env.start(env.opts());
    let ids = engine.enqueue(vec![kind]);
    until("a quarter of the part", || {
        (len(&part) >= 50_000).then_some(())
    })
    .await;
    engine.control(Control::Pause(ids[0]));
    idle(&engine).await; // paused jobs leave the queue idle
    let kept = len(&part);
    match state_of(&engine, ids[0]) {
        JobState::Paused { done, total } => {
            assert_eq!(total, 200_000);
            assert!(done > 0 && done <= kept, "{done} of {kept}");
        }
        s => panic!("{s:?}"),
    }
    assert!(matches!(
        journal::read_jobs(env.state.path())[0].state,
        SavedState::Paused { .. }
    ));
    // Paused means paused: the part does not grow.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(len(&part), kept);
    env.sb().faults().set_bandwidth(None);
    let served = env
        .until_stats("the paused body to stop", |s| s.bodies_in_flight == 0)
        .await
        .download_bytes_served;
    engine.control(Control::Resume(ids[0]));
    idle(&engine).await;
    assert!(matches!(state_of(&engine, ids[0]), JobState::Done { .. }));
    assert_eq!(std::fs::read(&dest).unwrap(), data);
    assert_eq!(
        env.stats().download_bytes_served - served,
        200_000 - kept,
        "the resume fetched only the rest"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_removes_the_part() {
    let env = Env::new();
    let (kind, _) = env.remote_file(0, "x.bin", 200_000, 9);
    let dest = env.local.path().join("x.bin");
    let part = paths::part_path(&dest);
    env.sb().faults().set_bandwidth(Some(100_000));
    let (engine, mut rx) = env.start(env.opts());
    let ids = engine.enqueue(vec![kind]);
    until("a part", || (len(&part) > 0).then_some(())).await;
    engine.control(Control::Cancel(ids[0]));
    idle(&engine).await;
    assert_eq!(state_of(&engine, ids[0]), JobState::Cancelled);
    assert!(!part.exists());
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_gone_from_the_service_fails_in_words() {
    let env = Env::new();
    let (kind, _) = env.remote_file(0, "x.bin", 1000, 1);
    let JobKind::Download { url, .. } = &kind else {
        unreachable!()
    };
    env.client()
        .file_rm(std::slice::from_ref(url))
        .await
        .unwrap();
    let (engine, _rx) = env.start(env.opts());
    let ids = engine.enqueue(vec![kind]);
    idle(&engine).await;
    let reason = failure(state_of(&engine, ids[0]));
    assert!(reason.contains("no longer on 1fichier"), "{reason}");
}
