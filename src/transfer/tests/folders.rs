//! Folder jobs and remote uploads.

use super::*;

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
