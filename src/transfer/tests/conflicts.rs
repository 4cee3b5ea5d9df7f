//! Conflicts on either side, under each policy, and questions for the user.

use super::*;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_conflicts_follow_the_policy() {
    let env = Env::new();
    let (a, new) = env.file("a.txt", 3000, 10);
    let old = bytes(2000, 11);

    let skip = env.folder(0, "skip");
    env.sb().add_file(skip, "a.txt", &old);
    let states = run_with(&env, ConflictPolicy::Skip, vec![upload(&a, skip, "a.txt")]).await;
    assert!(
        matches!(&states[0], JobState::Skipped { reason } if reason.contains("already there")),
        "{states:?}"
    );
    assert_eq!(env.remote(skip), expect(&[("a.txt", &old)]));
    assert_eq!(env.stats().upload_bytes_received, 0, "nothing sent");

    let rename = env.folder(0, "rename");
    env.sb().add_file(rename, "a.txt", &old);
    env.sb().add_file(rename, "a (1).txt", &old);
    let states = run_with(
        &env,
        ConflictPolicy::Rename,
        vec![upload(&a, rename, "a.txt")],
    )
    .await;
    assert!(matches!(states[0], JobState::Done { .. }), "{states:?}");
    assert_eq!(
        env.remote(rename),
        expect(&[("a.txt", &old), ("a (1).txt", &old), ("a (2).txt", &new)])
    );

    // Overwrite: the old copy goes only once the new one is there and verified. A first try
    // whose copy 1fichier stores damaged fails, and the old copy is still there.
    let over = env.folder(0, "over");
    let old_url = env.sb().add_file(over, "a.txt", &old);
    env.sb().faults().corrupt_uploads(1);
    let states = run_with(
        &env,
        ConflictPolicy::Overwrite,
        vec![upload(&a, over, "a.txt")],
    )
    .await;
    let reason = failure(states[0].clone());
    assert!(reason.contains("checksum"), "{reason}");
    assert_eq!(env.remote(over), expect(&[("a.txt", &old)]));
    let states = run_with(
        &env,
        ConflictPolicy::Overwrite,
        vec![upload(&a, over, "a.txt")],
    )
    .await;
    assert!(matches!(states[0], JobState::Done { .. }), "{states:?}");
    assert_eq!(env.remote(over), expect(&[("a.txt", &new)]));
    assert!(env.sb().file_body(&old_url).is_none());
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
    assert_eq!(env.stats().download_bytes_served, 0, "nothing fetched");

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

    // Overwrite: the local file is replaced only by a verified part. A download that does not
    // match its checksum leaves the old file alone.
    let JobKind::Download {
        url, local, size, ..
    } = kind.clone()
    else {
        unreachable!()
    };
    let wrong = JobKind::Download {
        url,
        local,
        size,
        checksum: Some(whirlpool_hex(b"not it")),
    };
    let states = run_with(&env, ConflictPolicy::Overwrite, vec![wrong]).await;
    assert!(matches!(states[0], JobState::Failed { .. }), "{states:?}");
    assert_eq!(std::fs::read(&dest).unwrap(), b"old");
    let states = run_with(&env, ConflictPolicy::Overwrite, vec![kind]).await;
    assert!(matches!(states[0], JobState::Done { .. }), "{states:?}");
    assert_eq!(std::fs::read(&dest).unwrap(), new);
    assert!(!paths::part_path(&dest).exists());
    let mut names: Vec<String> = std::fs::read_dir(env.local.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, vec!["r (1).pdf", "r.pdf"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_parks_conflicts_and_an_answer_for_all_settles_them() {
    let env = Env::new();
    let folder = env.folder(0, "d");
    env.sb().add_file(folder, "a.txt", b"old a");
    env.sb().add_file(folder, "b.txt", b"old b");
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
            assert!(q.existing.1.is_some(), "the service's date is shown");
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
        env.names(folder),
        vec!["a (1).txt", "a.txt", "b (1).txt", "b.txt", "c.txt"]
    );
}
