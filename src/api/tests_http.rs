//! The client against a small throwaway HTTP server on loopback: headers on every call, retries,
//! flood pauses, the upload's exact framing and the download's resume. Real sockets, real files;
//! durations are tiny and never asserted.

use super::*;
use crate::checksum::whirlpool_hex;
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::json;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: Option<String>,
    headers: HeaderMap,
    /// What the router's layers put there (the body limit, for the multipart parser).
    extensions: axum::http::Extensions,
    body: Bytes,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

type Responder = dyn Fn(&Seen, usize) -> Response + Send + Sync;

#[derive(Clone)]
struct ServerState {
    seen: Arc<Mutex<Vec<Seen>>>,
    responder: Arc<Responder>,
}

struct Server {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
    fn calls_to(&self, path: &str) -> usize {
        self.seen().iter().filter(|s| s.path == path).count()
    }
    fn base(&self) -> String {
        format!("http://{}/v1", self.addr)
    }
}

async fn record(State(state): State<ServerState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let seen = Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers: parts.headers,
        extensions: parts.extensions,
        body,
    };
    let nth = {
        let mut all = state.seen.lock().unwrap();
        let nth = all.iter().filter(|s| s.path == seen.path).count();
        all.push(seen.clone());
        nth
    };
    (state.responder)(&seen, nth)
}

/// Serves `make(addr)` on 127.0.0.1:0; the responder gets each request and its rank on its path.
async fn serve<F>(make: impl FnOnce(SocketAddr) -> F) -> Server
where
    F: Fn(&Seen, usize) -> Response + Send + Sync + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let state = ServerState {
        seen: Arc::clone(&seen),
        responder: Arc::new(make(addr)),
    };
    let app = axum::Router::new()
        .fallback(record)
        .with_state(state)
        .layer(axum::extract::DefaultBodyLimit::disable());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Server { addr, seen }
}

fn json(status: u16, body: serde_json::Value) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn ok(body: serde_json::Value) -> Response {
    json(200, body)
}

const KEY: &str = "TestKey0123456789";

fn client(server: &Server) -> Client {
    let mut o = ClientOptions::new(server.base(), ApiKey::new(KEY));
    o.calls_per_second = 1000.0;
    o.retry_base = Duration::from_millis(1);
    o.flood_wait = Duration::from_millis(20);
    o.max_flood_wait = Duration::from_millis(80);
    o.max_retries = 3;
    Client::new(o).unwrap()
}

fn data(len: usize) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(7);
    (0..len).map(|_| rng.u8(..)).collect()
}

#[tokio::test]
async fn every_call_carries_the_headers_and_bodies_of_the_contract() {
    let server = serve(|addr| {
        move |seen: &Seen, _| match seen.path.as_str() {
            "/v1/user/info.cgi" => ok(json!({"status":"OK","email":"a@b.c","offer":"1"})),
            "/v1/folder/ls.cgi" => ok(json!({"status":"OK","folder_id":seen.json()["folder_id"],"name":"n"})),
            "/v1/folder/mkdir.cgi" => ok(json!({"status":"OK","folder_id":"12","name":"x"})),
            "/v1/file/ls.cgi" => ok(json!({"status":"OK","count":1,"items":[{"url":"https://1fichier.com/?a","filename":"a","size":"5"}]})),
            "/v1/file/info.cgi" => ok(json!({"status":"OK","url":"https://1fichier.com/?a","filename":"a","size":5})),
            "/v1/file/rm.cgi" => ok(json!({"status":"OK","removed":2})),
            "/v1/file/mv.cgi" => ok(json!({"status":"OK","urls":["https://1fichier.com/?a"]})),
            "/v1/file/cp.cgi" => ok(json!({"status":"OK","copied":1,"urls":[{"from_url":"https://1fichier.com/?a","to_url":"https://1fichier.com/?b"}]})),
            "/v1/file/rename.cgi" => ok(json!({"status":"OK","renamed":1})),
            "/v1/download/get_token.cgi" => ok(json!({"status":"OK","url":format!("http://{addr}/dl/1")})),
            "/v1/upload/get_upload_server.cgi" => ok(json!({"url":addr.to_string(),"id":"abc"})),
            "/v1/remote/request.cgi" => ok(json!({"status":"OK","id":9})),
            "/v1/remote/ls.cgi" => ok(json!({"status":"OK","data":[{"id":9}]})),
            "/v1/remote/info.cgi" => ok(json!({"status":"OK","result":[{"url":"https://x"}]})),
            _ => ok(json!({"status":"OK"})),
        }
    })
    .await;
    let c = client(&server);
    let a = FileUrl("https://1fichier.com/?a".into());
    let b = FileUrl("https://1fichier.com/?b".into());

    assert_eq!(c.user_info().await.unwrap().offer, Some(Offer::Premium));
    assert_eq!(
        c.folder_ls(FolderId(3)).await.unwrap().folder_id,
        FolderId(3)
    );
    assert_eq!(c.mkdir(FolderId(3), "a/b").await.unwrap(), FolderId(12));
    c.folder_rm(FolderId(12)).await.unwrap();
    c.folder_mv(FolderId(12), FolderId(3), Some("new"))
        .await
        .unwrap();
    assert_eq!(c.file_ls(FolderId(3)).await.unwrap()[0].size, 5);
    assert_eq!(c.file_info(&a).await.unwrap().filename, "a");
    assert_eq!(c.file_rm(&[a.clone(), b.clone()]).await.unwrap(), 2);
    assert_eq!(
        c.file_mv(std::slice::from_ref(&a), FolderId(4))
            .await
            .unwrap(),
        vec![a.clone()]
    );
    assert_eq!(
        c.file_cp(std::slice::from_ref(&a), FolderId(4))
            .await
            .unwrap(),
        vec![(a.clone(), b.clone())]
    );
    assert_eq!(
        c.file_rename(&[(a.clone(), "it's".into())]).await.unwrap(),
        1
    );
    assert!(c.download_token(&a).await.unwrap().ends_with("/dl/1"));
    assert_eq!(c.upload_server().await.unwrap().1, "abc");
    assert_eq!(
        c.remote_request(&["https://x".into()], FolderId(3))
            .await
            .unwrap(),
        9
    );
    assert_eq!(c.remote_ls().await.unwrap()[0].id, 9);
    assert_eq!(
        c.remote_info(9).await.unwrap()[0].url.as_deref(),
        Some("https://x")
    );

    let seen = server.seen();
    assert_eq!(seen.len(), 16);
    for s in &seen {
        assert_eq!(
            s.header("content-type"),
            Some("application/json"),
            "{}",
            s.path
        );
        assert_eq!(
            s.header("authorization"),
            Some(&*format!("Bearer {KEY}")),
            "{}",
            s.path
        );
        assert!(
            s.header("user-agent").unwrap().starts_with("fichier-tui/"),
            "{}",
            s.path
        );
        if s.path.ends_with("get_upload_server.cgi") {
            assert_eq!(s.method, "GET");
        } else {
            assert_eq!(s.method, "POST", "{}", s.path);
            assert!(s.json().is_object(), "{} sent {:?}", s.path, s.body);
        }
    }
    let body = |path: &str| seen.iter().find(|s| s.path == path).unwrap().json();
    assert_eq!(body("/v1/user/info.cgi"), json!({}));
    assert_eq!(
        body("/v1/folder/mkdir.cgi"),
        json!({"name":"a\u{FF0F}b","folder_id":3})
    );
    assert_eq!(
        body("/v1/folder/mv.cgi"),
        json!({"folder_id":12,"destination_folder_id":3,"rename":"new"})
    );
    assert_eq!(
        body("/v1/file/rm.cgi"),
        json!({"files":[{"url":a.0},{"url":b.0}]})
    );
    assert_eq!(
        body("/v1/file/mv.cgi"),
        json!({"urls":[a.0],"destination_folder_id":4})
    );
    assert_eq!(body("/v1/file/cp.cgi"), json!({"urls":[a.0],"folder_id":4}));
    assert_eq!(
        body("/v1/file/rename.cgi"),
        json!({"urls":[{"url":a.0,"filename":"it\u{FF07}s"}],"pretty":1})
    );
    assert_eq!(
        body("/v1/download/get_token.cgi"),
        json!({"url":a.0,"single":1})
    );
    assert_eq!(
        body("/v1/remote/request.cgi"),
        json!({"urls":["https://x"],"folder_id":3})
    );
    assert_eq!(body("/v1/remote/info.cgi"), json!({"id":9}));
}

#[tokio::test]
async fn a_ko_with_http_200_is_an_error() {
    let server =
        serve(|_| |_: &Seen, _| ok(json!({"Status":"KO","Message":"Resource not found #469"})))
            .await;
    let e = client(&server)
        .file_info(&FileUrl("https://1fichier.com/?zz".into()))
        .await
        .unwrap_err();
    assert!(
        matches!(e, ApiError::NotFound { ref message } if message.contains("#469")),
        "{e:?}"
    );
    assert_eq!(server.calls_to("/v1/file/info.cgi"), 1);
}

#[tokio::test]
async fn a_flood_answer_pauses_then_retries() {
    let server = serve(|_| {
        |_: &Seen, nth| match nth {
            0 | 1 => json(
                403,
                json!({"message":"Flood detected: IP Locked #374","status":"KO"}),
            ),
            _ => ok(json!({"status":"OK","items":[]})),
        }
    })
    .await;
    let c = client(&server);
    let mut status = c.pace_status();
    let watcher = tokio::spawn(async move {
        let mut reasons = Vec::new();
        while status.changed().await.is_ok() {
            if let PaceStatus::Waiting { reason, .. } = &*status.borrow_and_update() {
                reasons.push(reason.clone());
            }
        }
        reasons
    });
    assert!(c.file_ls(FolderId::ROOT).await.unwrap().is_empty());
    assert_eq!(server.calls_to("/v1/file/ls.cgi"), 3);
    assert_eq!(*c.pace_status().borrow(), PaceStatus::Ready);
    drop(c);
    let reasons = watcher.await.unwrap();
    assert!(reasons.iter().any(|r| r == "flood lock"), "{reasons:?}");
}

#[tokio::test]
async fn flood_answers_end_in_a_flood_error_when_they_persist() {
    let server = serve(|_| {
        |_: &Seen, _| {
            json(
                403,
                json!({"message":"Flood detected: IP Locked #412","status":"KO"}),
            )
        }
    })
    .await;
    let e = client(&server).folder_ls(FolderId::ROOT).await.unwrap_err();
    assert!(matches!(e, ApiError::Flood { .. }), "{e:?}");
    assert!(e.is_transient());
    assert_eq!(server.calls_to("/v1/folder/ls.cgi"), 4);
}

#[tokio::test]
async fn server_errors_are_retried_then_reported() {
    let server = serve(|_| {
        |_: &Seen, _| (StatusCode::SERVICE_UNAVAILABLE, "<html>busy</html>").into_response()
    })
    .await;
    let e = client(&server).folder_ls(FolderId::ROOT).await.unwrap_err();
    assert!(
        matches!(
            e,
            ApiError::Server {
                status: 503,
                attempts: 4
            }
        ),
        "{e:?}"
    );
    assert_eq!(server.calls_to("/v1/folder/ls.cgi"), 4);
}

#[tokio::test]
async fn a_500_on_a_write_is_not_repeated() {
    let server =
        serve(|_| |_: &Seen, _| (StatusCode::INTERNAL_SERVER_ERROR, "oops").into_response()).await;
    let e = client(&server)
        .mkdir(FolderId::ROOT, "x")
        .await
        .unwrap_err();
    assert!(matches!(e, ApiError::Server { status: 500, .. }), "{e:?}");
    assert_eq!(server.calls_to("/v1/folder/mkdir.cgi"), 1);
}

#[tokio::test]
async fn auth_failures_are_never_retried_and_hide_the_key() {
    let server = serve(|_| {
        |_: &Seen, _| {
            json(
                401,
                json!({"message":"Not authenticated #247","status":"KO"}),
            )
        }
    })
    .await;
    let e = client(&server).user_info().await.unwrap_err();
    assert!(matches!(e, ApiError::Auth { .. }), "{e:?}");
    assert!(e.to_string().contains("FICHIER_API_KEY"));
    assert!(!format!("{e} {e:?}").contains(KEY));
    assert_eq!(server.calls_to("/v1/user/info.cgi"), 1);
}

#[tokio::test]
async fn account_flood_holds_user_info_for_a_minute() {
    let server =
        serve(|_| |_: &Seen, _| json(403, json!({"message":"Flood detected #38","status":"KO"})))
            .await;
    let c = client(&server);
    let e = c.user_info().await.unwrap_err();
    assert!(matches!(e, ApiError::Flood { .. }), "{e:?}");
    assert_eq!(e.retry_after(), Some(Duration::from_secs(60)));
    let again = c.clone().user_info().await.unwrap_err();
    assert!(matches!(again, ApiError::Flood { .. }), "{again:?}");
    assert!(
        again
            .retry_after()
            .is_some_and(|d| d <= Duration::from_secs(60))
    );
    assert_eq!(
        server.calls_to("/v1/user/info.cgi"),
        1,
        "the second call must not reach the service"
    );
    // Other calls are not held by it.
    c.folder_ls(FolderId::ROOT).await.unwrap_err();
    assert_eq!(server.calls_to("/v1/folder/ls.cgi"), 1);
}

#[tokio::test]
async fn malformed_answers_are_tried_again_at_most_twice() {
    let server = serve(|_| {
        |_: &Seen, _| (StatusCode::OK, r#"{"status":"OK","items":[{"url":"#).into_response()
    })
    .await;
    let c = client(&server);
    let e = c.file_ls(FolderId::ROOT).await.unwrap_err();
    assert!(matches!(e, ApiError::Protocol { .. }), "{e:?}");
    assert_eq!(server.calls_to("/v1/file/ls.cgi"), 3);
    let e = c
        .file_rm(&[FileUrl("https://1fichier.com/?a".into())])
        .await
        .unwrap_err();
    assert!(matches!(e, ApiError::Protocol { .. }), "{e:?}");
    assert_eq!(server.calls_to("/v1/file/rm.cgi"), 1);
}

#[tokio::test]
async fn connection_errors_are_retried_then_reported() {
    // A port nobody listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let mut o = ClientOptions::new(format!("http://{addr}/v1"), ApiKey::new(KEY));
    o.retry_base = Duration::from_millis(1);
    o.max_retries = 2;
    o.calls_per_second = 1000.0;
    let e = Client::new(o).unwrap().user_info().await.unwrap_err();
    assert!(matches!(e, ApiError::Network { .. }), "{e:?}");
    assert!(!format!("{e} {e:?}").contains(KEY));
}

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
    let framing = multipart::Framing::new(FolderId::ROOT, "f");
    let r = upload::produce(path, claimed, framing, TransferCtl::default(), &tx).await;
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
