//! Uploads: verified, retried, never sent twice, failing in words.

use super::*;

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
