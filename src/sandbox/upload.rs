//! Uploads in the service's three steps: `get_upload_server.cgi` hands out a node and an id,
//! `POST /upload.cgi?id=` takes a multipart body with an exact Content-Length (streamed to disk
//! while hashing, never held in memory), and `GET /end.pl?xid=` tells what became of it.

use super::Shared;
use super::body::StoredBody;
use super::conn::ConnKill;
use super::endpoints::folder_or_root;
use super::reply::{html_page, json_reply};
use super::throttle::Throttle;
use super::util::{self, ID_LEN, html_escape};
use crate::checksum::HashPipe;
use axum::extract::multipart::Field;
use axum::extract::{ConnectInfo, FromRequest, Multipart, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::io::{AsyncWriteExt, BufWriter};

/// The service refuses files over 300 GB; the multipart framing gets a little room on top.
const MAX_UPLOAD: u64 = 300_000_000_000 + (1 << 20);

/// What became of an upload id.
pub(crate) enum UploadSlot {
    Waiting,
    Receiving,
    /// The `links` end.pl reports, one per file.
    Done(Vec<Value>),
    Failed,
}

pub(crate) fn get_upload_server(shared: &Shared) -> Value {
    let id = util::random_alnum(&mut fastrand::Rng::new(), ID_LEN);
    shared
        .store()
        .uploads
        .insert(id.clone(), UploadSlot::Waiting);
    json!({"url": shared.files_host, "id": id})
}

/// A refusal from the upload node, answered as an HTML page, as a web server sends it.
struct Refusal(StatusCode, &'static str);

fn refuse(status: StatusCode, why: &'static str) -> Refusal {
    Refusal(status, why)
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        html_page(
            self.0,
            "Upload refused",
            &format!("<p>{}</p>", html_escape(self.1)),
        )
    }
}

/// A received file on disk, deleted unless `keep` is called: an upload either lands whole or
/// leaves nothing behind.
struct Landing {
    path: PathBuf,
    kept: bool,
}

impl Landing {
    fn keep(mut self) -> PathBuf {
        self.kept = true;
        std::mem::take(&mut self.path)
    }
}

impl Drop for Landing {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

struct Received {
    name: String,
    landing: Landing,
    size: u64,
    checksum: String,
}

pub(crate) async fn upload_cgi(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnKill>,
    Query(query): Query<HashMap<String, String>>,
    request: Request,
) -> Response {
    let latency = shared.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let id = query.get("id").cloned().unwrap_or_default();
    let length = match exact_length(request.headers()) {
        Ok(length) => length,
        Err(refusal) => return refusal.into_response(),
    };
    {
        let mut store = shared.store();
        match store.uploads.get_mut(&id) {
            Some(slot @ UploadSlot::Waiting) => *slot = UploadSlot::Receiving,
            Some(_) => {
                return refuse(StatusCode::FORBIDDEN, "This upload id was already used")
                    .into_response();
            }
            None => return refuse(StatusCode::FORBIDDEN, "Unknown upload id").into_response(),
        }
        if store.used_bytes().saturating_add(length) > shared.quota {
            store.uploads.insert(id, UploadSlot::Failed);
            return refuse(StatusCode::FORBIDDEN, "Storage quota exceeded").into_response();
        }
    }
    let _body = shared.stats.body();
    match receive(&shared, &conn, request).await {
        Ok((files, did)) => {
            commit(&shared, &id, files, did);
            if shared.faults.take_drop_upload_answer() {
                // Kept, but the answer never reaches the client.
                conn.kill();
                return refuse(StatusCode::BAD_GATEWAY, "Connection dropped").into_response();
            }
            let mut response = (
                StatusCode::FOUND,
                [(header::CONTENT_TYPE, "text/html")],
                "<html><body>Upload done</body></html>",
            )
                .into_response();
            if let Ok(location) = HeaderValue::from_str(&format!("/end.pl?xid={id}")) {
                response.headers_mut().insert(header::LOCATION, location);
            }
            response
        }
        Err(refusal) => {
            shared.store().uploads.insert(id, UploadSlot::Failed);
            refusal.into_response()
        }
    }
}

/// The body's exact length: the service wants a Content-Length, never chunked encoding.
fn exact_length(headers: &HeaderMap) -> Result<u64, Refusal> {
    if headers.contains_key(header::TRANSFER_ENCODING) {
        return Err(refuse(
            StatusCode::LENGTH_REQUIRED,
            "Chunked uploads are not accepted: send a Content-Length",
        ));
    }
    let length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .ok_or_else(|| refuse(StatusCode::LENGTH_REQUIRED, "Content-Length required"))?;
    if length > MAX_UPLOAD {
        return Err(refuse(StatusCode::PAYLOAD_TOO_LARGE, "File too large"));
    }
    Ok(length)
}

/// Reads the multipart body: the files of `file[]` parts and the `did` field, in any order.
async fn receive(
    shared: &Arc<Shared>,
    conn: &ConnKill,
    request: Request,
) -> Result<(Vec<Received>, Option<u64>), Refusal> {
    let mut multipart = Multipart::from_request(request, &()).await.map_err(|_| {
        refuse(
            StatusCode::BAD_REQUEST,
            "A multipart/form-data body is expected",
        )
    })?;
    let mut cut = Cut(shared.faults.take_upload_cut());
    let mut corrupt = shared.faults.take_corrupt_upload();
    let mut throttle = Throttle::new(shared.faults.bandwidth());
    let mut files = Vec::new();
    let mut did = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => {
                return Err(refuse(
                    StatusCode::BAD_REQUEST,
                    "Malformed or interrupted body",
                ));
            }
        };
        match field.name() {
            Some("did") => {
                let text = field
                    .text()
                    .await
                    .map_err(|_| refuse(StatusCode::BAD_REQUEST, "Malformed body"))?;
                did = text.trim().parse::<u64>().ok();
            }
            Some("file[]") => {
                files.push(
                    receive_file(shared, conn, field, &mut cut, &mut throttle, &mut corrupt)
                        .await?,
                );
            }
            _ => {
                let mut field = field;
                while let Ok(Some(_)) = field.chunk().await {}
            }
        }
    }
    if files.is_empty() {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "No file[] part in the body",
        ));
    }
    Ok((files, did))
}

/// The upload cut still pending for this body, in bytes of file content.
struct Cut(Option<u64>);

async fn receive_file(
    shared: &Arc<Shared>,
    conn: &ConnKill,
    mut field: Field<'_>,
    cut: &mut Cut,
    throttle: &mut Throttle,
    corrupt: &mut bool,
) -> Result<Received, Refusal> {
    let name = field
        .file_name()
        .map(str::to_string)
        .ok_or_else(|| refuse(StatusCode::BAD_REQUEST, "The file[] part has no file name"))?;
    if let Some(problem) = util::name_problem(&name) {
        return Err(refuse(StatusCode::FORBIDDEN, problem));
    }
    let landing = Landing {
        path: shared.new_body_path(),
        kept: false,
    };
    let file = tokio::fs::File::create(&landing.path)
        .await
        .map_err(|_| refuse(StatusCode::INTERNAL_SERVER_ERROR, "Storage error"))?;
    let mut out = BufWriter::with_capacity(256 * 1024, file);
    let hash = HashPipe::new();
    let mut size = 0u64;
    loop {
        let chunk = match field.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(_) => return Err(refuse(StatusCode::BAD_REQUEST, "Interrupted body")),
        };
        let chunk = if std::mem::take(corrupt) && !chunk.is_empty() {
            // Stored damaged: the checksum below is of what is kept, as the service's would be.
            let mut damaged = chunk.to_vec();
            damaged[0] ^= 0xFF;
            axum::body::Bytes::from(damaged)
        } else {
            chunk
        };
        let cut_now = cut.0.is_some_and(|at| size + chunk.len() as u64 > at);
        if cut_now || shared.stop.load(Ordering::Relaxed) {
            // The connection drops mid-body, as on a flaky network; nothing is kept.
            cut.0 = None;
            conn.kill();
            return Err(refuse(StatusCode::BAD_REQUEST, "Connection dropped"));
        }
        out.write_all(&chunk)
            .await
            .map_err(|_| refuse(StatusCode::INTERNAL_SERVER_ERROR, "Storage error"))?;
        size += chunk.len() as u64;
        shared
            .stats
            .update(|s| s.upload_bytes_received += chunk.len() as u64);
        let n = chunk.len();
        hash.update(chunk).await;
        throttle.pace(n).await;
    }
    out.flush()
        .await
        .map_err(|_| refuse(StatusCode::INTERNAL_SERVER_ERROR, "Storage error"))?;
    if size == 0 {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "Empty files cannot be uploaded",
        ));
    }
    let checksum = hash.finish().await;
    Ok(Received {
        name,
        landing,
        size,
        checksum,
    })
}

/// Files land in `did`, or in the root when `did` names no folder (the service's quirk).
fn commit(shared: &Shared, id: &str, files: Vec<Received>, did: Option<u64>) {
    let count = files.len() as u64;
    let mut store = shared.store();
    let folder = folder_or_root(&store, did);
    let date = util::now_date();
    let mut links = Vec::with_capacity(files.len());
    for received in files {
        let body = StoredBody::disk(
            received.landing.keep(),
            received.size,
            received.checksum.clone(),
        );
        let Some(file_id) = store.insert_file(folder, &received.name, body, date.clone()) else {
            continue;
        };
        let url = store.file(&file_id).map(|f| f.url()).unwrap_or_default();
        let remove = util::random_alnum(store.rng(), 16);
        links.push(json!({
            "download": url,
            "filename": received.name,
            "remove": remove,
            "size": received.size.to_string(),
            "whirlpool": received.checksum,
        }));
    }
    store
        .uploads
        .insert(id.to_string(), UploadSlot::Done(links));
    drop(store);
    shared.stats.update(|s| s.uploads_completed += count);
}

pub(crate) async fn end_pl(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let latency = shared.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let wants_json = headers
        .get("JSON")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() == "1");
    let xid = query.get("xid").map(String::as_str).unwrap_or_default();
    let (incoming, links) = {
        let store = shared.store();
        match store.uploads.get(xid) {
            None => {
                return if wants_json {
                    json_reply(
                        StatusCode::NOT_FOUND,
                        &json!({"status": "KO", "message": "Upload not found #469"}),
                        false,
                    )
                } else {
                    refuse(StatusCode::NOT_FOUND, "Upload not found").into_response()
                };
            }
            Some(UploadSlot::Receiving) => (1, Vec::new()),
            Some(UploadSlot::Waiting | UploadSlot::Failed) => (0, Vec::new()),
            Some(UploadSlot::Done(links)) => (0, links.clone()),
        }
    };
    let links = if !links.is_empty() && shared.faults.take_end_pending() {
        Vec::new()
    } else {
        links
    };
    if wants_json {
        return json_reply(
            StatusCode::OK,
            &json!({"incoming": incoming, "links": links}),
            false,
        );
    }
    end_page(&links)
}

/// What a browser sees after an upload.
fn end_page(links: &[Value]) -> Response {
    if links.is_empty() {
        return html_page(
            StatusCode::OK,
            "Upload",
            "<p>Your upload is being processed.</p>",
        );
    }
    let mut rows = String::new();
    for link in links {
        let field = |k: &str| html_escape(link.get(k).and_then(Value::as_str).unwrap_or_default());
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td><a href=\"{url}\">{url}</a></td></tr>\n",
            field("filename"),
            field("size"),
            url = field("download"),
        ));
    }
    html_page(
        StatusCode::OK,
        "Upload done",
        &format!("<h1>Upload done</h1>\n<table>\n{rows}</table>"),
    )
}
