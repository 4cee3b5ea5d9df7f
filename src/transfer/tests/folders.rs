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
    let existing = env.folder(0, "top");
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

    assert_eq!(env.sb().find_folder("/top"), Some(existing), "reused");
    assert_eq!(env.sb().list_names(0).0, vec!["top"], "not made twice");
    let sub = env.sb().find_folder("/top/sub").unwrap();
    let deeper = env.sb().find_folder("/top/sub/deeper").unwrap();
    assert!(env.sb().find_folder("/top/empty").is_some());
    assert_eq!(env.remote(existing), expect(&[("x.txt", &x)]));
    assert_eq!(env.remote(sub), expect(&[("y.txt", &y)]));
    assert_eq!(env.remote(deeper), expect(&[("z.txt", &z)]));
    let summary = engine.summary(Some(&ids)).await;
    assert_eq!((summary.done, summary.bytes), (3, 7500));
    // The file jobs are in the journal, after their folder job.
    let saved = journal::read_jobs(env.state.path());
    assert_eq!(saved.len(), 4);
    assert!(saved[1..].iter().all(|j| j.meta.parent == Some(ids[0])));
}

/// Every regular file under `root`, with its bytes; panics on anything that is not a plain
/// file or folder.
fn tree(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let path = e.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                todo.push(path);
            } else {
                assert!(meta.is_file(), "{}", path.display());
                found.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_downloaded_folder_stays_inside_whatever_the_names() {
    let env = Env::new();
    let stuff = env.folder(0, "stuff");
    let dotdot = env.folder(stuff, "..");
    let sub = env.folder(stuff, "sub");
    let abs = env.folder(stuff, "/etc");
    let long = format!("{}.bin", "é".repeat(125)); // 254 bytes
    let longest = "x".repeat(255);
    let contents = [
        (stuff, "../evil.txt".to_string(), bytes(100, 1)),
        (stuff, "../../etc/passwd".to_string(), bytes(150, 2)),
        (stuff, "/abs".to_string(), bytes(180, 3)),
        (stuff, "a/b".to_string(), bytes(200, 4)),
        (stuff, "ok.txt".to_string(), bytes(300, 5)),
        (stuff, ".".to_string(), bytes(310, 6)),
        (dotdot, "inner.txt".to_string(), bytes(400, 7)),
        (
            sub,
            "\u{1b}[2Jx\u{1b}]0;title\u{7}".to_string(),
            bytes(500, 8),
        ),
        (sub, long.clone(), bytes(600, 9)),
        (sub, longest.clone(), bytes(700, 10)),
        (abs, "shadow".to_string(), bytes(800, 11)),
    ];
    for (folder, name, data) in &contents {
        env.sb().add_file(*folder, name, data);
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
    assert_eq!(
        (summary.done, summary.failed.len()),
        (contents.len(), 0),
        "{summary:?}"
    );

    let found = tree(&parent);
    for (path, _) in &found {
        assert!(
            paths::is_inside(&parent.join("stuff"), path),
            "{}",
            path.display()
        );
        let name = path.file_name().unwrap().to_string_lossy();
        assert!(name.len() <= 255, "{name}");
        assert!(!name.chars().any(char::is_control), "{name:?}");
        assert!(!name.ends_with(".part"), "{name}");
    }
    let mut got: Vec<Vec<u8>> = found.into_iter().map(|(_, d)| d).collect();
    got.sort();
    let mut expected: Vec<Vec<u8>> = contents.iter().map(|(_, _, d)| d.clone()).collect();
    expected.sort();
    assert_eq!(got, expected, "every file, whole, once");
    assert_eq!(
        std::fs::read_dir(env.local.path()).unwrap().count(),
        1,
        "nothing beside dl/"
    );
    // Plain names survive as they are.
    assert_eq!(
        std::fs::read(parent.join("stuff/ok.txt")).unwrap(),
        bytes(300, 5)
    );
    assert_eq!(
        std::fs::read(parent.join("stuff/sub").join(&long)).unwrap(),
        bytes(600, 9)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_uploads_poll_until_the_service_answers() {
    let env = Env::new();
    let source = bytes(5000, 3);
    let url = env.sb().add_file(0, "source.bin", &source);
    let inbox = env.folder(0, "inbox");
    // A URL the sandbox may fetch: a one-time link to its own file.
    let direct = env.client().download_token(&FileUrl(url)).await.unwrap();
    // The sandbox pulls it slowly: the job has not run at the first polls.
    env.sb().faults().set_bandwidth(Some(10_000));
    let (engine, _rx) = env.start(env.opts());
    let ok = engine.enqueue(vec![JobKind::RemoteUpload {
        urls: vec![direct],
        folder: FolderId(inbox),
    }]);
    idle(&engine).await;
    env.sb().faults().set_bandwidth(None);
    let polls = env.stats().by_endpoint.get("remote/ls.cgi").copied();
    assert!(polls > Some(1), "{polls:?}");
    match state_of(&engine, ok[0]) {
        JobState::Done { result } => {
            assert!(result.starts_with("https://1fichier.com/?"), "{result}")
        }
        s => panic!("{s:?}"),
    }
    let fetched = env.remote(inbox);
    assert_eq!(fetched.len(), 1);
    assert_eq!(fetched[0].1, digest(&source));

    let bad = engine.enqueue(vec![JobKind::RemoteUpload {
        urls: vec!["https://e.x/b.iso".into()],
        folder: FolderId(inbox),
    }]);
    idle(&engine).await;
    let reason = failure(state_of(&engine, bad[0]));
    assert!(
        reason.contains("https://e.x/b.iso: URL not allowed"),
        "{reason}"
    );
    assert_eq!(env.stats().by_endpoint.get("remote/request.cgi"), Some(&2));
    assert_eq!(env.remote(inbox).len(), 1);
    let saved = journal::read_jobs(env.state.path());
    assert!(
        saved.iter().all(|j| j.meta.remote_job.is_some()),
        "{saved:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_name_that_is_another_ones_part_does_not_clash() {
    let env = Env::new();
    let top = env.folder(0, "top");
    let data = [
        bytes(3000, 1),
        bytes(4000, 2),
        bytes(5000, 3),
        bytes(6000, 4),
    ];
    // Listed in this order: a finished file named like the other one's partial download, on
    // either side, and a folder in the way of a part.
    env.sb().add_file(top, "x.bin.part", &data[0]);
    env.sb().add_file(top, "x.bin", &data[1]);
    env.sb().add_file(top, "y.dat", &data[2]);
    let sub = env.folder(top, "y.dat.part");
    env.sb().add_file(sub, "inner", &data[3]);
    // One at a time: the finished "x.bin.part" is on disk when "x.bin" starts.
    let (engine, _rx) = env.start(EngineOptions {
        concurrency: 1,
        ..env.opts()
    });
    engine.enqueue(vec![JobKind::DownloadDir {
        folder: FolderId(top),
        name: "top".into(),
        local_parent: env.local.path().to_path_buf(),
    }]);
    idle(&engine).await;
    let summary = engine.summary(None).await;
    assert_eq!((summary.done, summary.failed.len()), (4, 0), "{summary:?}");
    let mut got: Vec<Digest> = tree(&env.local.path().join("top"))
        .iter()
        .map(|(_, d)| digest(d))
        .collect();
    got.sort();
    let mut want: Vec<Digest> = data.iter().map(|d| digest(d)).collect();
    want.sort();
    assert_eq!(got, want, "every file whole, none lost to another's part");
}
