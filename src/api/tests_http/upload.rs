//! Uploads: the exact multipart body, the folder check, refusals, changes and cancellation.

use super::*;

/// The parts of a multipart body, read by axum's own parser: (did, file name, file bytes).
async fn parse_multipart(seen: &Seen) -> (String, String, Vec<u8>) {
    let content_type = seen.header("content-type").unwrap();
    let mut req = Request::builder()
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(seen.body.clone()))
        .unwrap();
    *req.extensions_mut() = seen.extensions.clone();
    let mut mp = Multipart::from_request(req, &()).await.unwrap();
    let (mut did, mut name, mut bytes) = (String::new(), String::new(), Vec::new());
    while let Some(field) = mp.next_field().await.unwrap() {
        match field.name() {
            Some("did") => did = field.text().await.unwrap(),
            Some("file[]") => {
                name = field.file_name().unwrap_or_default().to_string();
                bytes = field.bytes().await.unwrap().to_vec();
            }
            other => panic!("unexpected field {other:?}"),
        }
    }
    (did, name, bytes)
}

/// An upload node that checks the framing and answers end.pl after one HTML "processing" page.
async fn upload_server() -> (Server, Arc<Mutex<Option<(String, String, Vec<u8>)>>>) {
    let received = Arc::new(Mutex::new(None::<(String, String, Vec<u8>)>));
    let store = Arc::clone(&received);
    let server = serve(move |addr| {
        move |seen: &Seen, nth| match seen.path.as_str() {
            "/v1/folder/ls.cgi" => match seen.json()["folder_id"].as_u64() {
                Some(5) => ok(json!({"status":"OK","folder_id":5,"name":"dest"})),
                _ => json(404, json!({"status":"KO","message":"Resource not found #469"})),
            },
            "/v1/upload/get_upload_server.cgi" => ok(json!({"url":addr.to_string(),"id":"Up123"})),
            "/upload.cgi" => {
                let length: usize = seen.header("content-length").unwrap().parse().unwrap();
                assert_eq!(length, seen.body.len(), "Content-Length must be the exact body length");
                assert!(seen.header("transfer-encoding").is_none(), "no chunked encoding");
                assert_eq!(seen.query.as_deref(), Some("id=Up123"));
                let parsed = futures_util::FutureExt::now_or_never(Box::pin(parse_multipart(seen)))
                    .expect("the whole body is in memory");
                *store.lock().unwrap() = Some(parsed);
                (StatusCode::FOUND, [(header::LOCATION, "/end.pl?xid=Up123")]).into_response()
            }
            "/end.pl" => {
                assert_eq!(seen.header("json"), Some("1"));
                if nth == 0 {
                    return (StatusCode::OK, "<html>processing</html>").into_response();
                }
                let (_, name, bytes) = store.lock().unwrap().clone().unwrap();
                ok(json!({"incoming":0,"links":[{"download":"https://1fichier.com/?newfile","filename":name,
                    "remove":"x","size":bytes.len().to_string(),"whirlpool":whirlpool_hex(&bytes)}]}))
            }
            _ => json(404, json!({"status":"KO","message":"no such page"})),
        }
    })
    .await;
    (server, received)
}

#[tokio::test]
async fn upload_streams_an_exact_multipart_body_and_checks_the_result() {
    let (server, received) = upload_server().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("local.bin");
    let content = data(3 * 1024 * 1024 + 12345);
    std::fs::write(&path, &content).unwrap();
    let ctl = TransferCtl::default();
    let out = client(&server)
        .upload_file(&path, FolderId(5), "rapport \"final\".bin", &ctl)
        .await
        .unwrap();

    let (did, name, bytes) = received.lock().unwrap().clone().unwrap();
    assert_eq!(did, "5");
    assert_eq!(name, "rapport \u{FF02}final\u{FF02}.bin");
    assert!(bytes == content, "the node received other bytes");
    assert_eq!(out.local_whirlpool, whirlpool_hex(&content));
    assert_eq!(
        out.file.whirlpool.as_deref(),
        Some(&*whirlpool_hex(&content))
    );
    assert_eq!(out.file.url.as_str(), "https://1fichier.com/?newfile");
    assert_eq!(out.file.size, content.len() as u64);
    assert_eq!(ctl.progress.load(Ordering::Relaxed), content.len() as u64);
    assert_eq!(server.calls_to("/end.pl"), 2);
    let upload = server
        .seen()
        .into_iter()
        .find(|s| s.path == "/upload.cgi")
        .unwrap();
    assert_eq!(upload.method, "POST");
    assert_eq!(
        upload.header("content-length"),
        Some(&*upload.body.len().to_string())
    );
    assert!(upload.header("transfer-encoding").is_none());
    assert!(
        upload
            .header("content-type")
            .unwrap()
            .starts_with("multipart/form-data; boundary=")
    );
}

#[tokio::test]
async fn upload_refuses_empty_files_and_unknown_folders() {
    let (server, _) = upload_server().await;
    let c = client(&server);
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::write(&empty, b"").unwrap();
    let e = c
        .upload_file(&empty, FolderId(5), "empty", &TransferCtl::default())
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("1fichier does not accept empty files"),
        "{e}"
    );
    let full = dir.path().join("full");
    std::fs::write(&full, b"x").unwrap();
    let e = c
        .upload_file(&full, FolderId(6), "full", &TransferCtl::default())
        .await
        .unwrap_err();
    assert!(
        matches!(e, ApiError::NotFound { ref message } if message.contains("folder 6")),
        "{e:?}"
    );
    assert_eq!(
        server.calls_to("/v1/upload/get_upload_server.cgi"),
        0,
        "nothing may go to the root"
    );
    assert_eq!(server.calls_to("/upload.cgi"), 0);
}

#[tokio::test]
async fn upload_refuses_a_bad_upload_server_answer() {
    let server =
        serve(|_| |_: &Seen, _| ok(json!({"url":"https://evil.example/x","id":"abc"}))).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, b"data").unwrap();
    let e = client(&server)
        .upload_file(&path, FolderId::ROOT, "f", &TransferCtl::default())
        .await
        .unwrap_err();
    assert!(matches!(e, ApiError::Protocol { .. }), "{e:?}");
}

/// Reads what `produce` would send for a file whose size "at start" was `claimed`.
async fn produce_with_claimed_size(content: &[u8], claimed: u64) -> Result<Option<String>> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, content).unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let framing = crate::api::multipart::Framing::new(FolderId::ROOT, "f");
    let r = crate::api::upload::produce(path, claimed, framing, TransferCtl::default(), &tx).await;
    drop(tx);
    drain.await.unwrap();
    r
}

#[tokio::test]
async fn a_file_that_changes_during_upload_is_refused() {
    let content = data(700_000);
    let grew = produce_with_claimed_size(&content, 600_000)
        .await
        .unwrap_err();
    assert!(
        grew.to_string()
            .contains("changed while it was being uploaded"),
        "{grew}"
    );
    let shrank = produce_with_claimed_size(&content, 800_000)
        .await
        .unwrap_err();
    assert!(shrank.to_string().contains("fewer"), "{shrank}");
    let same = produce_with_claimed_size(&content, 700_000).await.unwrap();
    assert_eq!(same, Some(whirlpool_hex(&content)));
}

#[tokio::test]
async fn a_run_of_uploads_checks_the_folder_once() {
    let (server, received) = upload_server().await;
    let c = client(&server);
    let dir = tempfile::tempdir().unwrap();
    for i in 0..3u8 {
        let path = dir.path().join(format!("f{i}"));
        std::fs::write(&path, [i + 1; 1000]).unwrap();
        let out = c
            .upload_file(
                &path,
                FolderId(5),
                &format!("f{i}"),
                &TransferCtl::default(),
            )
            .await
            .unwrap();
        assert_eq!(out.local_whirlpool, whirlpool_hex(&[i + 1; 1000]));
        assert_eq!(
            received.lock().unwrap().as_ref().unwrap().2,
            vec![i + 1; 1000]
        );
    }
    assert_eq!(server.calls_to("/v1/folder/ls.cgi"), 1);
    assert_eq!(
        server.calls_to("/v1/upload/get_upload_server.cgi"),
        3,
        "one upload node per file"
    );
    // A folder removed through this client is checked again.
    c.folder_rm(FolderId(5)).await.unwrap_err();
    let path = dir.path().join("f0");
    c.upload_file(&path, FolderId(5), "again", &TransferCtl::default())
        .await
        .unwrap();
    assert_eq!(server.calls_to("/v1/folder/ls.cgi"), 2);
}

#[tokio::test]
async fn a_refused_upload_says_why() {
    let server = serve(|addr| {
        move |seen: &Seen, _| match seen.path.as_str() {
            "/v1/upload/get_upload_server.cgi" => ok(json!({"url":addr.to_string(),"id":"u1"})),
            "/upload.cgi" => json(
                403,
                json!({"status":"KO","message":"Upload forbidden: over quota"}),
            ),
            _ => ok(json!({"status":"OK"})),
        }
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, b"some bytes").unwrap();
    let e = client(&server)
        .upload_file(&path, FolderId::ROOT, "f", &TransferCtl::default())
        .await
        .unwrap_err();
    assert!(
        matches!(e, ApiError::Service { ref message } if message.contains("over quota")),
        "{e:?}"
    );
    assert_eq!(server.calls_to("/end.pl"), 0);
}

#[tokio::test]
async fn a_cancelled_upload_stops_at_once() {
    let server = serve(|addr| {
        move |seen: &Seen, _| match seen.path.as_str() {
            "/v1/upload/get_upload_server.cgi" => ok(json!({"url":addr.to_string(),"id":"u1"})),
            "/upload.cgi" => {
                (StatusCode::FOUND, [(header::LOCATION, "/end.pl?xid=u1")]).into_response()
            }
            _ => ok(json!({"status":"OK"})),
        }
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, data(4 * 1024 * 1024)).unwrap();
    // A slow cap keeps the upload going long enough to cancel it in the middle.
    let ctl = TransferCtl {
        bandwidth: Some(Arc::new(Bandwidth::new(Some(256 * 1024)))),
        ..Default::default()
    };
    let watcher = {
        let ctl = ctl.clone();
        tokio::spawn(async move {
            while ctl.progress.load(Ordering::Relaxed) == 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            ctl.cancel.cancel();
        })
    };
    let e = client(&server)
        .upload_file(&path, FolderId::ROOT, "f", &ctl)
        .await
        .unwrap_err();
    watcher.await.unwrap();
    assert!(matches!(e, ApiError::Cancelled), "{e:?}");
    let sent = ctl.progress.load(Ordering::Relaxed);
    assert!(sent > 0 && sent < 4 * 1024 * 1024, "{sent}");
    assert_eq!(server.calls_to("/end.pl"), 0);
}
