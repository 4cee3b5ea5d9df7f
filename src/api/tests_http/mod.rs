//! The client against a small throwaway HTTP server on loopback: headers on every call, retries,
//! flood pauses (here), the upload's exact framing (`upload`) and the download's resume
//! (`download`). Real sockets, real files; durations are tiny and never asserted.

mod download;
mod upload;

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
pub(super) struct Seen {
    pub(super) method: String,
    pub(super) path: String,
    pub(super) query: Option<String>,
    pub(super) headers: HeaderMap,
    /// What the router's layers put there (the body limit, for the multipart parser).
    pub(super) extensions: axum::http::Extensions,
    pub(super) body: Bytes,
}

impl Seen {
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub(super) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

type Responder = dyn Fn(&Seen, usize) -> Response + Send + Sync;

#[derive(Clone)]
struct ServerState {
    seen: Arc<Mutex<Vec<Seen>>>,
    responder: Arc<Responder>,
}

pub(super) struct Server {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    pub(super) fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
    pub(super) fn calls_to(&self, path: &str) -> usize {
        self.seen().iter().filter(|s| s.path == path).count()
    }
    pub(super) fn base(&self) -> String {
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
pub(super) async fn serve<F>(make: impl FnOnce(SocketAddr) -> F) -> Server
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

pub(super) fn json(status: u16, body: serde_json::Value) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

pub(super) fn ok(body: serde_json::Value) -> Response {
    json(200, body)
}

const KEY: &str = "TestKey0123456789";

pub(super) fn client(server: &Server) -> Client {
    let mut o = ClientOptions::new(server.base(), ApiKey::new(KEY));
    o.calls_per_second = 1000.0;
    o.retry_base = Duration::from_millis(1);
    o.flood_wait = Duration::from_millis(20);
    o.max_flood_wait = Duration::from_millis(80);
    o.max_retries = 3;
    Client::new(o).unwrap()
}

pub(super) fn data(len: usize) -> Vec<u8> {
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
