//! Downloads: resume with Range, a server that ignores it, drops, cancellation, disk errors.

use super::*;

/// A download server: get_token hands out `/dl/<n>`; `serve_file` answers each GET.
async fn download_server<F>(serve_file: F) -> Server
where
    F: Fn(&Seen, usize) -> Response + Send + Sync + 'static,
{
    serve(move |addr| {
        move |seen: &Seen, _| {
            if seen.path == "/v1/download/get_token.cgi" {
                return ok(json!({"status":"OK","url":format!("http://{addr}/dl/file")}));
            }
            let gets = seen.path == "/dl/file";
            assert!(gets, "unexpected {}", seen.path);
            // Rank among downloads, whatever the path.
            serve_file(seen, 0)
        }
    })
    .await
}

fn range_start(seen: &Seen) -> Option<u64> {
    seen.header("range")?
        .strip_prefix("bytes=")?
        .strip_suffix('-')?
        .parse()
        .ok()
}

/// Honours `Range: bytes=N-` like the real service.
fn ranged(content: Arc<Vec<u8>>) -> impl Fn(&Seen, usize) -> Response + Send + Sync + 'static {
    move |seen: &Seen, _| match range_start(seen) {
        Some(start) if start as usize >= content.len() => (
            StatusCode::RANGE_NOT_SATISFIABLE,
            [(header::CONTENT_RANGE, format!("bytes */{}", content.len()))],
        )
            .into_response(),
        Some(start) => (
            StatusCode::PARTIAL_CONTENT,
            [(
                header::CONTENT_RANGE,
                format!("bytes {start}-{}/{}", content.len() - 1, content.len()),
            )],
            content[start as usize..].to_vec(),
        )
            .into_response(),
        None => (StatusCode::OK, content.to_vec()).into_response(),
    }
}

#[tokio::test]
async fn download_resumes_with_range_and_hashes_the_whole_file() {
    let content = Arc::new(data(3 * 1024 * 1024 + 777));
    let server = download_server(ranged(Arc::clone(&content))).await;
    let dir = tempfile::tempdir().unwrap();
    let part = dir.path().join("f.part");
    let prefix = 1024 * 1024 + 17;
    std::fs::write(&part, &content[..prefix]).unwrap();
    let ctl = TransferCtl::default();
    let url = FileUrl("https://1fichier.com/?abc".into());
    let out = client(&server)
        .download_file(&url, &part, &ctl)
        .await
        .unwrap();

    assert!(std::fs::read(&part).unwrap() == *content);
    assert_eq!(out.size, content.len() as u64);
    assert_eq!(out.fetched, (content.len() - prefix) as u64);
    assert_eq!(out.whirlpool, whirlpool_hex(&content));
    assert_eq!(ctl.progress.load(Ordering::Relaxed), content.len() as u64);
    let gets: Vec<_> = server
        .seen()
        .into_iter()
        .filter(|s| s.path == "/dl/file")
        .collect();
    assert_eq!(gets.len(), 1);
    assert_eq!(range_start(&gets[0]), Some(prefix as u64));
    assert!(
        gets[0].header("authorization").is_none(),
        "the key stays with the API"
    );

    // A part that already holds the whole file: the server says 416, nothing is fetched.
    let again = client(&server)
        .download_file(&url, &part, &TransferCtl::default())
        .await
        .unwrap();
    assert_eq!((again.size, again.fetched), (content.len() as u64, 0));
    assert_eq!(again.whirlpool, whirlpool_hex(&content));
}

#[tokio::test]
async fn download_starts_over_when_the_server_ignores_range() {
    let content = Arc::new(data(1024 * 1024 + 5));
    let full = Arc::clone(&content);
    let server =
        download_server(move |_: &Seen, _| (StatusCode::OK, full.to_vec()).into_response()).await;
    let dir = tempfile::tempdir().unwrap();
    let part = dir.path().join("f.part");
    std::fs::write(&part, vec![0xAAu8; 5000]).unwrap();
    let out = client(&server)
        .download_file(
            &FileUrl("https://1fichier.com/?abc".into()),
            &part,
            &TransferCtl::default(),
        )
        .await
        .unwrap();
    assert!(std::fs::read(&part).unwrap() == *content);
    assert_eq!(out.whirlpool, whirlpool_hex(&content));
    assert_eq!(out.fetched, content.len() as u64);
}

#[tokio::test]
async fn a_dropped_download_continues_from_where_it_stopped_with_a_fresh_token() {
    let content = Arc::new(data(2 * 1024 * 1024 + 99));
    let served = Arc::clone(&content);
    let calls = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&calls);
    let server = download_server(move |seen: &Seen, _| {
        if counter.fetch_add(1, Ordering::SeqCst) > 0 {
            return ranged(Arc::clone(&served))(seen, 0);
        }
        // First try: the right length announced, a megabyte sent, then the connection breaks.
        let first = Bytes::copy_from_slice(&served[..1024 * 1024]);
        let stream = futures_util::stream::iter(vec![
            Ok::<_, std::io::Error>(first),
            Err(std::io::Error::other("cable cut")),
        ]);
        (
            StatusCode::OK,
            [(header::CONTENT_LENGTH, served.len().to_string())],
            Body::from_stream(stream),
        )
            .into_response()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let part = dir.path().join("f.part");
    let out = client(&server)
        .download_file(
            &FileUrl("https://1fichier.com/?abc".into()),
            &part,
            &TransferCtl::default(),
        )
        .await
        .unwrap();
    assert!(std::fs::read(&part).unwrap() == *content);
    assert_eq!(out.whirlpool, whirlpool_hex(&content));
    assert_eq!(out.fetched, content.len() as u64, "no byte fetched twice");
    assert_eq!(
        server.calls_to("/v1/download/get_token.cgi"),
        2,
        "one token per attempt"
    );
    let gets: Vec<_> = server
        .seen()
        .into_iter()
        .filter(|s| s.path == "/dl/file")
        .collect();
    assert_eq!(gets.len(), 2);
    let resumed_at = range_start(&gets[1]).unwrap_or(0);
    assert!(resumed_at > 0 && resumed_at <= 1024 * 1024, "{resumed_at}");
}

#[tokio::test]
async fn a_cancelled_download_keeps_its_part_for_later() {
    let content = Arc::new(data(2 * 1024 * 1024));
    let served = Arc::clone(&content);
    let slow = Arc::new(AtomicU64::new(0));
    let first_call = Arc::clone(&slow);
    let server = download_server(move |seen: &Seen, _| {
        if first_call.fetch_add(1, Ordering::SeqCst) > 0 {
            return ranged(Arc::clone(&served))(seen, 0);
        }
        // First try: half the file, then nothing more (the client cancels while waiting).
        let half = Bytes::copy_from_slice(&served[..1024 * 1024]);
        let stream = futures_util::stream::iter(vec![Ok::<_, std::io::Error>(half)])
            .chain(futures_util::stream::pending());
        (
            StatusCode::OK,
            [(header::CONTENT_LENGTH, served.len().to_string())],
            Body::from_stream(stream),
        )
            .into_response()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let part = dir.path().join("f.part");
    let url = FileUrl("https://1fichier.com/?abc".into());
    let c = client(&server);
    let ctl = TransferCtl::default();
    let watcher = {
        let ctl = ctl.clone();
        tokio::spawn(async move {
            while ctl.progress.load(Ordering::Relaxed) < 1024 * 1024 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            ctl.cancel.cancel();
        })
    };
    let e = c.download_file(&url, &part, &ctl).await.unwrap_err();
    watcher.await.unwrap();
    assert!(matches!(e, ApiError::Cancelled), "{e:?}");
    let kept = std::fs::read(&part).unwrap();
    assert_eq!(kept.len(), 1024 * 1024);
    assert!(kept[..] == content[..kept.len()]);

    let out = c
        .download_file(&url, &part, &TransferCtl::default())
        .await
        .unwrap();
    assert!(std::fs::read(&part).unwrap() == *content);
    assert_eq!(out.fetched, 1024 * 1024);
    assert_eq!(out.whirlpool, whirlpool_hex(&content));
}

#[tokio::test]
async fn a_local_write_error_stops_the_download_at_once() {
    let full = Path::new("/dev/full");
    if !full.exists() {
        return;
    }
    let content = Arc::new(data(1024 * 1024));
    let server = download_server(ranged(Arc::clone(&content))).await;
    let e = client(&server)
        .download_file(
            &FileUrl("https://1fichier.com/?abc".into()),
            full,
            &TransferCtl::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, ApiError::Local { .. }), "{e:?}");
    assert_eq!(
        server.calls_to("/v1/download/get_token.cgi"),
        1,
        "no retry on a local error"
    );
}

#[tokio::test]
async fn a_missing_file_is_not_retried() {
    let server = serve(|_| {
        |_: &Seen, _| {
            json(
                404,
                json!({"status":"KO","message":"Resource not found #469"}),
            )
        }
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let e = client(&server)
        .download_file(
            &FileUrl("https://1fichier.com/?gone".into()),
            &dir.path().join("p"),
            &TransferCtl::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, ApiError::NotFound { .. }), "{e:?}");
    assert_eq!(server.calls_to("/v1/download/get_token.cgi"), 1);
}
