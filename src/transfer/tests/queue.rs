//! The queue itself: order, flood locks, restarts and the journal.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_lock_shows_on_waiting_jobs_then_they_finish() {
    let env = Env::new();
    let folder = env.folder(0, "d");
    let (a, data) = env.file("a.bin", 5000, 1);
    env.sb().faults().lock_flood(Duration::from_millis(600));
    let (engine, _rx) = env.start(env.opts());
    let ids = engine.enqueue(vec![upload(&a, folder, "a.bin")]);
    match until_state(&engine, ids[0], |s| matches!(s, JobState::Waiting { .. })).await {
        JobState::Waiting { reason, until } => {
            assert!(reason.contains("flood"), "{reason}");
            assert!(until.is_some());
        }
        s => panic!("{s:?}"),
    }
    idle(&engine).await;
    assert!(matches!(state_of(&engine, ids[0]), JobState::Done { .. }));
    assert_eq!(env.remote(folder), expect(&[("a.bin", &data)]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn move_up_changes_who_goes_next() {
    let env = Env::new();
    let folder = env.folder(0, "d");
    let files: Vec<PathBuf> = ["blocker", "a", "b", "c"]
        .iter()
        .map(|n| env.file(n, 20_000, 1).0)
        .collect();
    env.sb().faults().set_bandwidth(Some(2_000));
    let (engine, _rx) = env.start(EngineOptions {
        concurrency: 1,
        ..env.opts()
    });
    let blocker = engine.enqueue(vec![upload(&files[0], folder, "blocker")]);
    env.until_stats("the blocker sending", |s| s.upload_bytes_received > 0)
        .await;
    env.sb().faults().set_bandwidth(None);
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
        env.sb().list_names(folder).1,
        vec!["c", "b", "a"],
        "sent in the new order; the blocker never landed"
    );
    let order: Vec<JobId> = engine.jobs().iter().map(|j| j.id).collect();
    assert_eq!(order, vec![blocker[0], ids[2], ids[1], ids[0]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_shows_the_same_queue_and_repeats_nothing() {
    let env = Env::new();
    let folder = env.folder(0, "d");
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
    assert_eq!(env.stats().uploads_completed, 4);
    assert_eq!(env.names(folder), vec!["0", "1", "2", "later"]);
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
    let err = Engine::start(env.client(), env.opts()).unwrap_err();
    assert!(
        err.to_string().contains("in use by another fichier-tui"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_stops_everything_and_the_next_start_finishes_it() {
    let env = Env::new();
    let folder = env.folder(0, "d");
    let kinds: Vec<JobKind> = (0..3u8)
        .map(|i| {
            upload(
                &env.file(&format!("{i}"), 20_000, i).0,
                folder,
                &format!("{i}"),
            )
        })
        .collect();
    env.sb().faults().set_bandwidth(Some(2_000));
    let (engine, _rx) = env.start(EngineOptions {
        concurrency: 1,
        ..env.opts()
    });
    engine.enqueue(kinds);
    env.until_stats("the first upload sending", |s| s.upload_bytes_received > 0)
        .await;
    engine.shutdown().await;
    let stats = env.stats();
    assert_eq!(
        stats.by_endpoint.get("upload/get_upload_server.cgi"),
        Some(&1),
        "nothing new starts while stopping"
    );
    assert_eq!(stats.uploads_completed, 0);
    let saved: Vec<SavedState> = journal::read_jobs(env.state.path())
        .into_iter()
        .map(|j| j.state)
        .collect();
    assert_eq!(
        saved,
        vec![SavedState::Running, SavedState::Queued, SavedState::Queued]
    );

    env.sb().faults().set_bandwidth(None);
    let (engine, _rx) = env.start(env.opts());
    idle(&engine).await;
    assert_eq!(env.names(folder), vec!["0", "1", "2"]);
    assert_eq!(env.stats().uploads_completed, 3);
}

#[tokio::test]
async fn a_shutdown_right_after_enqueue_starts_nothing() {
    let env = Env::new();
    let folder = env.folder(0, "d");
    let (a, _) = env.file("a", 100, 1);
    let (engine, _rx) = env.start(env.opts());
    // On this single-threaded runtime both commands reach the scheduler in one batch.
    engine.enqueue(vec![upload(&a, folder, "a")]);
    engine.shutdown().await;
    let saved = journal::read_jobs(env.state.path());
    assert_eq!(saved[0].state, SavedState::Queued);
    assert_eq!(env.stats().api_calls, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_already_under_way_is_not_queued_twice() {
    let env = Env::new();
    let folder = env.folder(0, "d");
    let (a, data) = env.file("a.bin", 20_000, 1);
    env.sb().faults().set_bandwidth(Some(50_000));
    let (engine, mut rx) = env.start(EngineOptions {
        on_conflict: ConflictPolicy::Rename,
        ..env.opts()
    });
    let ids = engine.enqueue(vec![
        upload(&a, folder, "a.bin"),
        upload(&a, folder, "a.bin"),
    ]);
    env.until_stats("the upload sending", |s| s.upload_bytes_received > 0)
        .await;
    // Asked for again while it runs: still one job.
    let again = engine.enqueue(vec![upload(&a, folder, "a.bin")]);
    env.sb().faults().set_bandwidth(None);
    idle(&engine).await;
    let listed: Vec<JobId> = engine.jobs().iter().map(|j| j.id).collect();
    assert_eq!(listed, vec![ids[0]], "{again:?} {ids:?}");
    let notices = drain(&mut rx)
        .into_iter()
        .filter(|e| matches!(e, EngineEvent::Notice(t) if t.contains("already in the queue")))
        .count();
    assert_eq!(notices, 2);
    assert_eq!(env.remote(folder), expect(&[("a.bin", &data)]));
    // Once it is done, asking again is a new job (here: a second copy, as Rename says).
    let later = engine.enqueue(vec![upload(&a, folder, "a.bin")]);
    idle(&engine).await;
    assert!(matches!(state_of(&engine, later[0]), JobState::Done { .. }));
    assert_eq!(env.names(folder), vec!["a (1).bin", "a.bin"]);
}
