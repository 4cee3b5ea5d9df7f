//! Every endpoint of the API client against the sandbox over real HTTP: what each call sends is
//! checked by what the sandbox then holds (names, folders, bodies, checksums), and each call is
//! counted, so a batch operation that quietly became one call per file would fail here.

mod common;

use common::api::{calls, client, ctl, local_file, sandbox, sandbox_with};
use common::pattern;
use fichier_tui::api::{ApiError, FileUrl, FolderId, Offer};
use fichier_tui::checksum::{whirlpool_file, whirlpool_hex};
use fichier_tui::sandbox::SandboxConfig;
use fichier_tui::sanitize::{from_service_name, service_refuses};
use std::time::Duration;

fn url(s: &str) -> FileUrl {
    FileUrl(s.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_info_reads_the_account_and_its_usage() {
    let sb = sandbox().await;
    sb.add_file(0, "a.bin", &pattern(1000, 1));
    let folder = sb.add_folder(0, "f");
    sb.add_file(folder, "b.bin", &pattern(234, 2));
    let c = client(&sb);
    let info = c.user_info().await.unwrap();
    assert_eq!(info.email.as_deref(), Some("test@example.org"));
    assert_eq!(info.offer, Some(Offer::Premium));
    assert!(info.subscription_end.is_some());
    assert_eq!(info.hot_storage, Some(0));
    let quota = 20u64 << 40;
    assert_eq!(info.usage(), (Some(1234), Some(quota)));
    assert_eq!(info.available_storage, Some(quota - 1234));
    assert!(!info.overquota && !info.upload_forbidden);
    assert_eq!(calls(&sb, "user/info.cgi"), 1);

    // An account over its quota: the flags come as the number 1 and the string "1".
    let small = sandbox_with(SandboxConfig {
        quota: 100,
        ..SandboxConfig::for_tests()
    })
    .await;
    small.add_file(0, "big.bin", &pattern(200, 3));
    let info = client(&small).user_info().await.unwrap();
    assert_eq!(info.usage(), (Some(200), Some(100)));
    assert!(info.overquota);
    assert!(info.upload_forbidden);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn folders_are_listed_created_moved_and_removed() {
    let sb = sandbox().await;
    let docs = sb.add_folder(0, "Documents");
    let music = sb.add_folder(0, "Music");
    let c = client(&sb);

    let root = c.folder_ls(FolderId::ROOT).await.unwrap();
    assert_eq!(root.folder_id, FolderId::ROOT);
    let subs: Vec<(u64, &str)> = root
        .sub_folders
        .iter()
        .map(|f| (f.id.0, f.name.as_str()))
        .collect();
    assert_eq!(subs, [(docs, "Documents"), (music, "Music")]);
    assert!(root.sub_folders.iter().all(|f| f.create_date.is_some()));
    // An empty folder's answer has no sub_folders at all.
    let empty = c.folder_ls(FolderId(music)).await.unwrap();
    assert_eq!(empty.name, "Music");
    assert!(empty.sub_folders.is_empty());

    // mkdir maps refused characters on the way in; the stored name maps back to the user's.
    let odd = "2024/\"best\" <of> $5";
    let made = c.mkdir(FolderId(docs), odd).await.unwrap();
    let (names, _) = sb.list_names(docs);
    assert_eq!(names.len(), 1);
    assert!(!service_refuses(&names[0]), "{:?}", names[0]);
    assert_eq!(from_service_name(&names[0]), odd);
    let listed = c.folder_ls(FolderId(docs)).await.unwrap();
    assert_eq!(listed.sub_folders[0].id, made);
    // A second folder of the same name is the service's refusal, in its words.
    let e = c.mkdir(FolderId(docs), odd).await.unwrap_err();
    assert!(
        matches!(&e, ApiError::Service { message } if message.contains("already exists")),
        "{e:?}"
    );
    let before = calls(&sb, "folder/mkdir.cgi");
    assert!(matches!(
        c.mkdir(FolderId(docs), "").await,
        Err(ApiError::Invalid(_))
    ));
    assert_eq!(
        calls(&sb, "folder/mkdir.cgi"),
        before,
        "refused before sending"
    );

    // Move, then move with a rename.
    c.folder_mv(made, FolderId(music), None).await.unwrap();
    assert!(sb.list_names(docs).0.is_empty());
    assert_eq!(sb.list_names(music).0, names);
    c.folder_mv(made, FolderId::ROOT, Some("Best of"))
        .await
        .unwrap();
    assert!(sb.list_names(music).0.is_empty());
    assert_eq!(sb.find_folder("/Best of"), Some(made.0));

    // A folder with a file in it is refused; the root is refused without a call.
    sb.add_file(made.0, "keep.txt", b"keep");
    let e = c.folder_rm(made).await.unwrap_err();
    assert!(
        matches!(&e, ApiError::Service { message } if message.contains("not empty")),
        "{e:?}"
    );
    assert_eq!(sb.find_folder("/Best of"), Some(made.0));
    let before = calls(&sb, "folder/rm.cgi");
    let e = c.folder_rm(FolderId::ROOT).await.unwrap_err();
    assert!(
        matches!(&e, ApiError::Invalid(m) if m.contains("root")),
        "{e:?}"
    );
    assert_eq!(calls(&sb, "folder/rm.cgi"), before);
    // An empty one goes.
    c.folder_rm(FolderId(docs)).await.unwrap();
    assert_eq!(sb.find_folder("/Documents"), None);
    // And a folder that is not there is not found.
    let e = c.folder_rm(FolderId(docs)).await.unwrap_err();
    assert!(matches!(e, ApiError::NotFound { .. }), "{e:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_are_listed_and_described() {
    let sb = sandbox().await;
    let empty = sb.add_folder(0, "empty");
    let full = sb.add_folder(0, "full");
    let a = pattern(5000, 4);
    let b = pattern(17, 5);
    let ua = sb.add_file(full, "a.txt", &a);
    let ub = sb.add_file(full, "b.bin", &b);
    let c = client(&sb);

    // No `items` in the answer for an empty folder: an empty list.
    assert!(c.file_ls(FolderId(empty)).await.unwrap().is_empty());
    let files = c.file_ls(FolderId(full)).await.unwrap();
    let seen: Vec<(&str, &str, u64)> = files
        .iter()
        .map(|f| (f.url.as_str(), f.filename.as_str(), f.size))
        .collect();
    assert_eq!(
        seen,
        [(ua.as_str(), "a.txt", 5000), (ub.as_str(), "b.bin", 17)]
    );
    assert_eq!(
        files[0].checksum.as_deref(),
        Some(whirlpool_hex(&a).as_str())
    );
    assert_eq!(
        files[1].checksum.as_deref(),
        Some(whirlpool_hex(&b).as_str())
    );
    assert_eq!(files[0].content_type.as_deref(), Some("text/plain"));
    assert!(files.iter().all(|f| f.date.is_some() && !f.cdn && !f.pass));

    let info = c.file_info(&url(&ua)).await.unwrap();
    assert_eq!(info, files[0]);
    let e = c
        .file_info(&url("https://1fichier.com/?nosuchfile"))
        .await
        .unwrap_err();
    assert!(matches!(e, ApiError::NotFound { .. }), "{e:?}");
    assert_eq!(calls(&sb, "file/ls.cgi"), 2);
    assert_eq!(calls(&sb, "file/info.cgi"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_operations_take_one_call_for_many_files() {
    let sb = sandbox().await;
    let src = sb.add_folder(0, "src");
    let dst = sb.add_folder(0, "dst");
    let bodies: Vec<Vec<u8>> = (0..4).map(|i| pattern(100 + i, i as u8)).collect();
    let urls: Vec<FileUrl> = bodies
        .iter()
        .enumerate()
        .map(|(i, b)| url(&sb.add_file(src, &format!("f{i}"), b)))
        .collect();
    let c = client(&sb);

    // Copy two in one call: the copies hold the same bytes under new URLs.
    let pairs = c.file_cp(&urls[..2], FolderId(dst)).await.unwrap();
    assert_eq!(calls(&sb, "file/cp.cgi"), 1);
    assert_eq!(pairs.len(), 2);
    for ((from, to), body) in pairs.iter().zip(&bodies) {
        assert!(urls.contains(from));
        assert_ne!(from, to);
        assert_eq!(sb.file_body(to.as_str()).as_deref(), Some(body.as_slice()));
    }
    assert_eq!(sb.list_names(dst).1, ["f0", "f1"]);

    // Move three in one call.
    let moved = c.file_mv(&urls[1..], FolderId(dst)).await.unwrap();
    assert_eq!(calls(&sb, "file/mv.cgi"), 1);
    assert_eq!(moved, urls[1..]);
    assert_eq!(sb.list_names(src).1, ["f0"]);
    assert_eq!(sb.list_names(dst).1, ["f0", "f1", "f1", "f2", "f3"]);

    // Move and rename: two calls, as the contract says (a rename in the move is #312).
    let moved = c.file_mv(&urls[..1], FolderId(dst)).await.unwrap();
    let renamed = c
        .file_rename(&[(moved[0].clone(), "first".to_string())])
        .await
        .unwrap();
    assert_eq!(renamed, 1);
    assert!(sb.list_names(src).1.is_empty());
    assert!(sb.list_names(dst).1.contains(&"first".to_string()));
    assert_eq!(
        sb.file_body(moved[0].as_str()).as_deref(),
        Some(bodies[0].as_slice())
    );

    // Remove three in one call.
    let removed = c.file_rm(&urls[1..]).await.unwrap();
    assert_eq!(removed, 3);
    assert_eq!(calls(&sb, "file/rm.cgi"), 1);
    assert!(urls[1..].iter().all(|u| sb.file_body(u.as_str()).is_none()));
    assert!(sb.file_body(urls[0].as_str()).is_some());
    // Nothing to do costs no call.
    assert_eq!(c.file_rm(&[]).await.unwrap(), 0);
    assert!(c.file_mv(&[], FolderId(dst)).await.unwrap().is_empty());
    assert_eq!(calls(&sb, "file/rm.cgi") + calls(&sb, "file/mv.cgi"), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renames_map_refused_characters_and_back() {
    let sb = sandbox().await;
    let u1 = url(&sb.add_file(0, "one", b"1"));
    let u2 = url(&sb.add_file(0, "two", b"2"));
    let c = client(&sb);
    let wanted = [
        " lead \"q\" 'a' <b> $c \\d `e` \u{00B4}f".to_string(),
        "x/y.txt".to_string(),
    ];
    let renamed = c
        .file_rename(&[
            (u1.clone(), wanted[0].clone()),
            (u2.clone(), wanted[1].clone()),
        ])
        .await
        .unwrap();
    assert_eq!(renamed, 2);
    assert_eq!(calls(&sb, "file/rename.cgi"), 1);
    let files = c.file_ls(FolderId::ROOT).await.unwrap();
    for (file, want) in files.iter().zip(&wanted) {
        assert!(!service_refuses(&file.filename), "{:?}", file.filename);
        assert_eq!(&from_service_name(&file.filename), want);
    }
    // A rename to the current name changes nothing: the service says #312.
    let same = files[0].filename.clone();
    let e = c
        .file_rename(&[(u1.clone(), from_service_name(&same))])
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ApiError::Service { message } if message.ends_with("#312")),
        "{e:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_token_serves_the_file_once() {
    let sb = sandbox().await;
    let body = pattern(70_000, 6);
    let file = url(&sb.add_file(0, "t.bin", &body));
    let c = client(&sb);
    let token = c.download_token(&file).await.unwrap();
    assert!(token.starts_with("http://127.0.0.1:"), "{token}");
    let http = reqwest::Client::new();
    let got = http.get(&token).send().await.unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.bytes().await.unwrap(), body);
    // `single: 1`: the token is used up.
    let again = http.get(&token).send().await.unwrap();
    assert_eq!(again.status(), 410);
    assert_eq!(sb.stats().tokens_issued, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_takes_three_steps_and_lands_whole() {
    let sb = sandbox().await;
    let folder = sb.add_folder(0, "up");
    let dir = tempfile::tempdir().unwrap();
    let content = pattern(3 * 1024 * 1024 + 123, 7);
    let path = local_file(dir.path(), "local.bin", &content);
    let c = client(&sb);
    let ctl = ctl();
    let out = c
        .upload_file(&path, FolderId(folder), "report <final>.bin", &ctl)
        .await
        .unwrap();
    let ours = whirlpool_hex(&content);
    assert_eq!(out.local_whirlpool, ours);
    assert_eq!(out.file.whirlpool.as_deref(), Some(ours.as_str()));
    assert_eq!(out.file.size, content.len() as u64);
    assert_eq!(from_service_name(&out.file.filename), "report <final>.bin");
    assert_eq!(
        sb.file_body(out.file.url.as_str()).as_deref(),
        Some(content.as_slice())
    );
    assert_eq!(
        sb.list_names(folder).1,
        std::slice::from_ref(&out.file.filename),
        "in the folder asked for"
    );
    assert_eq!(
        ctl.progress.load(std::sync::atomic::Ordering::Relaxed),
        content.len() as u64
    );
    let stats = sb.stats();
    assert_eq!(calls(&sb, "upload/get_upload_server.cgi"), 1);
    assert_eq!(
        calls(&sb, "folder/ls.cgi"),
        1,
        "the folder is checked first"
    );
    assert_eq!(stats.uploads_completed, 1);
    assert_eq!(stats.upload_bytes_received, content.len() as u64);
    let listed = c.file_info(&out.file.url).await.unwrap();
    assert_eq!(listed.checksum.as_deref(), Some(ours.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_resumes_its_part_with_range() {
    let sb = sandbox().await;
    let body = pattern(2 * 1024 * 1024 + 77, 8);
    let file = url(&sb.add_file(0, "d.bin", &body));
    let dir = tempfile::tempdir().unwrap();
    let c = client(&sb);

    // A whole download.
    let whole = dir.path().join("whole.part");
    let out = c.download_file(&file, &whole, &ctl()).await.unwrap();
    assert_eq!(std::fs::read(&whole).unwrap(), body);
    assert_eq!(out.size, body.len() as u64);
    assert_eq!(out.fetched, body.len() as u64);
    assert_eq!(out.whirlpool, whirlpool_hex(&body));

    // A part that holds the first 1 MiB + 5: only the rest crosses the network.
    sb.reset_stats();
    let part = dir.path().join("resumed.part");
    let prefix = (1 << 20) + 5;
    std::fs::write(&part, &body[..prefix]).unwrap();
    let ctl = ctl();
    let out = c.download_file(&file, &part, &ctl).await.unwrap();
    assert_eq!(std::fs::read(&part).unwrap(), body);
    assert_eq!(out.fetched, (body.len() - prefix) as u64);
    assert_eq!(out.whirlpool, whirlpool_file(&part).unwrap());
    assert_eq!(out.whirlpool, whirlpool_hex(&body));
    assert_eq!(
        sb.stats().download_bytes_served,
        (body.len() - prefix) as u64
    );
    assert_eq!(
        ctl.progress.load(std::sync::atomic::Ordering::Relaxed),
        body.len() as u64
    );

    // A part that already holds everything costs a token and no byte.
    sb.reset_stats();
    let out = c.download_file(&file, &part, &ctl).await.unwrap();
    assert_eq!(out.fetched, 0);
    assert_eq!(out.whirlpool, whirlpool_hex(&body));
    assert_eq!(sb.stats().download_bytes_served, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_upload_pulls_a_loopback_url() {
    let sb = sandbox().await;
    let body = pattern(40_000, 9);
    let source = url(&sb.add_file(0, "source.bin", &body));
    let into = sb.add_folder(0, "pulled");
    let c = client(&sb);
    // The URL to pull: a download token of another file, on loopback.
    let token = c.download_token(&source).await.unwrap();
    let job = c
        .remote_request(std::slice::from_ref(&token), FolderId(into))
        .await
        .unwrap();
    let mut results = Vec::new();
    for _ in 0..200 {
        results = c.remote_info(job).await.unwrap();
        if !results.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(results.len(), 1, "the job ran");
    assert_eq!(results[0].url.as_deref(), Some(token.as_str()));
    let link = results[0].download_link.clone().expect("a download link");
    assert_eq!(sb.file_body(&link).as_deref(), Some(body.as_slice()));
    assert_eq!(sb.list_names(into).1.len(), 1);

    let jobs = c.remote_ls().await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].id, job);
    assert!(jobs[0].has_run());
    assert!(jobs[0].request_date.is_some());

    // A second job for a URL the sandbox refuses to fetch says why.
    let refused = c
        .remote_request(&["http://example.org/x".to_string()], FolderId(into))
        .await
        .unwrap();
    let mut results = Vec::new();
    for _ in 0..200 {
        results = c.remote_info(refused).await.unwrap();
        if !results.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(results[0].message.as_deref(), Some("URL not allowed"));
    assert!(results[0].download_link.as_deref().unwrap_or("").is_empty());
    assert!(matches!(
        c.remote_request(&[], FolderId(into)).await,
        Err(ApiError::Invalid(_))
    ));
    let e = c.remote_info(999).await.unwrap_err();
    assert!(matches!(e, ApiError::NotFound { .. }), "{e:?}");
}
