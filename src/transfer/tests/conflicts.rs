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
