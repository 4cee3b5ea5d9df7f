//! Uploads: verified, retried, never sent twice, failing in words.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_arrive_verified_and_journaled() {
    let env = Env::new();
    let folder = env.folder(0, "dest");
    let (engine, mut rx) = env.start(EngineOptions {
        concurrency: 2,
        ..env.opts()
    });
    let mut kinds = Vec::new();
    let mut contents = Vec::new();
    for i in 0..6u8 {
        let (path, data) = env.file(&format!("f{i}.bin"), 200_000 + usize::from(i) * 1000, i);
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
    let mut remote = env.remote(folder);
    remote.sort();
    let expected: Vec<(String, Digest)> = contents
        .iter()
        .enumerate()
        .map(|(i, d)| (format!("f{i}.bin"), digest(d)))
        .collect();
    assert_eq!(remote, expected);
    let stats = env.stats();
    assert_eq!(stats.uploads_completed, 6, "each sent once");
    assert!(stats.max_bodies_at_once <= 2, "{stats:?}");
    assert_eq!(
        stats.by_endpoint.get("file/ls.cgi"),
        Some(&1),
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

    // Idle: nothing more is sent, nothing more is called.
    let calls = env.stats().api_calls;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(drain(&mut rx).is_empty());
    assert_eq!(env.stats().api_calls, calls);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_uploads_are_sent_again_then_reported() {
    let env = Env::new();
    let folder = env.folder(0, "d");
    let (a, data) = env.file("a.bin", 50_000, 1);
    let (b, _) = env.file("b.bin", 50_000, 2);
    env.sb().faults().cut_uploads_after(10_000, 2);
    let (engine, _rx) = env.start(EngineOptions {
        concurrency: 1,
        max_attempts: 3,
        ..env.opts()
    });
    let ids = engine.enqueue(vec![upload(&a, folder, "a.bin")]);
    idle(&engine).await;
    assert!(matches!(state_of(&engine, ids[0]), JobState::Done { .. }));
    assert_eq!(env.remote(folder), expect(&[("a.bin", &data)]));
    assert_eq!(env.stats().uploads_completed, 1);

    env.sb().faults().cut_uploads_after(10_000, 3);
    let ids = engine.enqueue(vec![upload(&b, folder, "b.bin")]);
    idle(&engine).await;
    let reason = failure(state_of(&engine, ids[0]));
    assert!(reason.contains("cannot reach 1fichier"), "{reason}");
    assert_eq!(env.names(folder), vec!["a.bin"]);
    let summary = engine.summary(None).await;
    assert_eq!((summary.done, summary.failed.len()), (1, 1));
    assert_eq!(summary.failed[0].name, "b.bin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checksum_mismatch_on_upload_fails_and_removes_the_copy() {
    let env = Env::new();
    let folder = env.folder(0, "d");
    let (a, _) = env.file("a.bin", 5000, 1);
    env.sb().faults().corrupt_uploads(1);
    let (engine, _rx) = env.start(env.opts());
    let ids = engine.enqueue(vec![upload(&a, folder, "a.bin")]);
    idle(&engine).await;
    let reason = failure(state_of(&engine, ids[0]));
    assert!(reason.contains("checksum"), "{reason}");
    assert!(reason.contains("removed"), "{reason}");
    assert_eq!(env.stats().uploads_completed, 1);
    assert!(env.names(folder).is_empty(), "the bad copy is gone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_whose_answer_was_lost_is_found_not_resent() {
    let env = Env::new();
    let folder = env.folder(0, "d");
    let (a, data) = env.file("a.bin", 5000, 1);
    env.sb().faults().drop_upload_answers(1);
    let (engine, _rx) = env.start(env.opts());
    let ids = engine.enqueue(vec![upload(&a, folder, "a.bin")]);
    idle(&engine).await;
    assert!(matches!(state_of(&engine, ids[0]), JobState::Done { .. }));
    assert_eq!(env.remote(folder), expect(&[("a.bin", &data)]));
    assert_eq!(env.stats().uploads_completed, 1, "no duplicate");
}

#[test]
fn an_upload_the_service_kept_before_kill_9_is_not_sent_again() {
    let env = Env::new();
    let folder = env.folder(0, "d");
    let (a, data) = env.file("big.iso", 50_000, 3);
    // The node keeps the file, then says "still processing" for long: the kill comes first.
    env.sb().faults().set_end_pending(1000);
    crash_after(|| async {
        let (engine, _rx) = env.start(env.opts());
        engine.enqueue(vec![upload(&a, folder, "big.iso")]);
        env.until_stats("the upload kept", |s| s.uploads_completed == 1)
            .await;
        engine
    });
    env.settle();
    let saved = journal::read_jobs(env.state.path());
    assert!(
        saved[0].meta.attempted,
        "the journal knew the upload may have gone: {saved:?}"
    );
    env.sb().faults().clear();
    runtime().block_on(async {
        let (engine, _rx) = env.start(env.opts());
        assert_eq!(engine.jobs().len(), 1, "the same queue");
        idle(&engine).await;
        assert!(
            matches!(engine.jobs()[0].state, JobState::Done { .. }),
            "{:?}",
            engine.jobs()
        );
    });
    assert_eq!(env.remote(folder), expect(&[("big.iso", &data)]));
    assert_eq!(env.stats().uploads_completed, 1, "sent once");
}

#[test]
fn an_upload_cut_by_kill_9_is_sent_again_from_zero() {
    let env = Env::new();
    let folder = env.folder(0, "d");
    let (a, data) = env.file("a.bin", 50_000, 3);
    env.sb().faults().set_bandwidth(Some(20_000));
    crash_after(|| async {
        let (engine, _rx) = env.start(env.opts());
        engine.enqueue(vec![upload(&a, folder, "a.bin")]);
        env.until_stats("bytes arriving", |s| s.upload_bytes_received > 0)
            .await;
        engine
    });
    env.settle();
    env.sb().faults().clear();
    runtime().block_on(async {
        let (engine, _rx) = env.start(env.opts());
        idle(&engine).await;
        assert!(matches!(engine.jobs()[0].state, JobState::Done { .. }));
    });
    assert_eq!(env.remote(folder), expect(&[("a.bin", &data)]));
    let stats = env.stats();
    assert_eq!(stats.uploads_completed, 1);
    assert_eq!(
        stats.by_endpoint.get("upload/get_upload_server.cgi"),
        Some(&2),
        "begun twice"
    );
}

#[test]
fn an_overwrite_cut_by_kill_9_still_removes_the_old_copy_once() {
    let env = Env::new();
    let folder = env.folder(0, "d");
    let old_url = env.sb().add_file(folder, "a.txt", b"old");
    let (a, new) = env.file("a.txt", 4000, 1);
    env.sb().faults().set_end_pending(1000);
    let options = EngineOptions {
        on_conflict: ConflictPolicy::Overwrite,
        ..env.opts()
    };
    crash_after(|| async {
        let (engine, _rx) = env.start(options.clone());
        engine.enqueue(vec![upload(&a, folder, "a.txt")]);
        env.until_stats("the upload kept", |s| s.uploads_completed == 1)
            .await;
        engine
    });
    env.settle();
    assert_eq!(
        env.remote(folder).len(),
        2,
        "old and new side by side, the old one not yet removed"
    );
    env.sb().faults().clear();
    runtime().block_on(async {
        // Even if the policy changed since, the decision taken stands.
        let (engine, _rx) = env.start(EngineOptions {
            on_conflict: ConflictPolicy::Skip,
            ..options
        });
        idle(&engine).await;
        assert!(matches!(engine.jobs()[0].state, JobState::Done { .. }));
    });
    assert_eq!(env.remote(folder), expect(&[("a.txt", &new)]));
    assert!(env.sb().file_body(&old_url).is_none());
    let stats = env.stats();
    assert_eq!(stats.by_endpoint.get("file/rm.cgi"), Some(&1));
    assert_eq!(stats.uploads_completed, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_files_that_cannot_be_sent_fail_in_words_and_the_rest_goes_on() {
    let env = Env::new();
    let folder = env.folder(0, "d");
    let (empty, _) = env.file("empty", 0, 0);
    let (a, a_data) = env.file("a.txt", 3000, 1);
    let (b, b_data) = env.file("b.txt", 3000, 2);
    let (engine, _rx) = env.start(env.opts());
    let ids = engine.enqueue(vec![
        upload(&env.local.path().join("missing.txt"), folder, "missing.txt"),
        upload(&a, folder, "a.txt"),
        upload(&empty, folder, "empty"),
        upload(&env.local.path().join("x"), 999, "x"),
        upload(&b, folder, "b.txt"),
    ]);
    idle(&engine).await;
    let reasons: Vec<String> = [0, 2, 3]
        .iter()
        .map(|i| failure(state_of(&engine, ids[*i])))
        .collect();
    assert!(reasons[0].contains("missing.txt is gone"), "{}", reasons[0]);
    assert!(
        reasons[1].contains("1fichier does not accept empty files"),
        "{}",
        reasons[1]
    );
    assert!(reasons[2].contains("is gone"), "{}", reasons[2]);
    let mut remote = env.remote(folder);
    remote.sort();
    assert_eq!(remote, expect(&[("a.txt", &a_data), ("b.txt", &b_data)]));
    assert_eq!(env.stats().upload_bytes_received, 6000, "nothing else sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_destination_folder_that_vanished_fails_in_words() {
    let env = Env::new();
    let (a, _) = env.file("a.bin", 100, 1);
    let (engine, _rx) = env.start(env.opts());
    let ids = engine.enqueue(vec![upload(&a, 999, "a.bin")]);
    idle(&engine).await;
    let reason = failure(state_of(&engine, ids[0]));
    assert!(
        reason.contains("folder 999 is no longer on 1fichier"),
        "{reason}"
    );
    assert_eq!(env.stats().uploads_completed, 0);
    assert!(env.names(0).is_empty(), "nothing landed in the root");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_changes_while_it_is_sent_is_sent_again() {
    let env = Env::new();
    let folder = env.folder(0, "d");
    let size = 120_000;
    let (a, _) = env.file("a.bin", size, 1);
    env.sb().faults().set_bandwidth(Some(100_000));
    let (engine, _rx) = env.start(env.opts());
    let ids = engine.enqueue(vec![upload(&a, folder, "a.bin")]);
    env.until_stats("half of the first copy", |s| {
        s.upload_bytes_received >= size as u64 / 2
    })
    .await;
    // Rewritten in place, same length, other bytes: only the file's change of time can tell.
    let changed = bytes(size, 99);
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().write(true).open(&a).unwrap();
        f.write_all(&changed).unwrap();
    }
    env.sb().faults().set_bandwidth(None);
    idle(&engine).await;
    assert!(
        matches!(state_of(&engine, ids[0]), JobState::Done { .. }),
        "{:?}",
        engine.jobs()
    );
    assert_eq!(
        env.remote(folder),
        expect(&[("a.bin", &changed)]),
        "one copy, of the file as it is now"
    );
    let stats = env.stats();
    assert_eq!(
        stats.uploads_completed, 2,
        "the mixed copy was sent, then again"
    );
    assert_eq!(stats.by_endpoint.get("file/rm.cgi"), Some(&1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_grows_while_it_is_sent_is_sent_again_whole() {
    let env = Env::new();
    let folder = env.folder(0, "d");
    let size = 120_000;
    let (a, mut data) = env.file("log.txt", size, 2);
    env.sb().faults().set_bandwidth(Some(100_000));
    let (engine, _rx) = env.start(env.opts());
    let ids = engine.enqueue(vec![upload(&a, folder, "log.txt")]);
    env.until_stats("a part of the first copy", |s| s.upload_bytes_received > 0)
        .await;
    let more = bytes(5000, 3);
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().append(true).open(&a).unwrap();
        f.write_all(&more).unwrap();
    }
    data.extend_from_slice(&more);
    env.sb().faults().set_bandwidth(None);
    idle(&engine).await;
    assert!(
        matches!(state_of(&engine, ids[0]), JobState::Done { .. }),
        "{:?}",
        engine.jobs()
    );
    assert_eq!(env.remote(folder), expect(&[("log.txt", &data)]));
    // Caught while reading (the short copy never lands) or after (it lands and is removed).
    let stats = env.stats();
    let removed = stats.by_endpoint.get("file/rm.cgi").copied().unwrap_or(0);
    assert_eq!(stats.uploads_completed, 1 + removed, "{stats:?}");
}
