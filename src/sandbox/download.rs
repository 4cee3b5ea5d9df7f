//! Downloads: `download/get_token.cgi` hands out a URL on the body listener that lives five
//! minutes (one use with `single`), and GET on it streams the body from where it lives, honouring
//! `Range`, the bandwidth cap and cuts, in bounded memory.

use super::api::Args;
use super::body::{BodyKind, StoredBody};
use super::conn::ConnKill;
use super::reply::{Ko, html_page};
use super::throttle::Throttle;
use super::{Shared, util};
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use futures_util::stream;
use serde_json::{Value, json};
use std::io::{self, SeekFrom};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

const TOKEN_LIFE: Duration = Duration::from_secs(5 * 60);
const TOKEN_LEN: usize = 32;

pub(crate) struct Token {
    file_id: String,
    expires: Instant,
    single: bool,
    used: bool,
}

pub(crate) fn get_token(shared: &Shared, args: &Args) -> Result<Value, Ko> {
    let url = args.required_string("url")?;
    let single = args.flag("single");
    let mut store = shared.store();
    let file_id = store.file_by_url(url)?.id.clone();
    let now = Instant::now();
    store.tokens.retain(|_, t| t.expires > now);
    let token = util::random_alnum(&mut fastrand::Rng::new(), TOKEN_LEN);
    store.tokens.insert(
        token.clone(),
        Token {
            file_id,
            expires: now + TOKEN_LIFE,
            single,
            used: false,
        },
    );
    drop(store);
    shared.stats.update(|s| s.tokens_issued += 1);
    Ok(json!({"url": format!("http://{}/dl/{token}", shared.files_host), "status": "OK"}))
}

/// The body a token gives, using the token up when it is single-use and the request is a GET.
fn claim(
    shared: &Shared,
    token: &str,
    consume: bool,
) -> Result<(Arc<StoredBody>, String), StatusCode> {
    let mut store = shared.store();
    let t = store.tokens.get_mut(token).ok_or(StatusCode::NOT_FOUND)?;
    if t.expires <= Instant::now() || (t.single && t.used) {
        return Err(StatusCode::GONE);
    }
    if consume {
        t.used = true;
    }
    let file_id = t.file_id.clone();
    let file = store.file(&file_id).ok_or(StatusCode::NOT_FOUND)?;
    Ok((file.body.clone(), file.name.clone()))
}

/// What a `Range` header asks for, as `[start, end)`; `Err` when it cannot be satisfied.
/// A header that is not a single byte range is ignored, as HTTP allows.
fn parse_range(value: &str, len: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((first, last)) = spec.split_once('-') else {
        return Ok(None);
    };
    let (first, last) = (first.trim(), last.trim());
    let range = if first.is_empty() {
        let Ok(suffix) = last.parse::<u64>() else {
            return Ok(None);
        };
        (len.saturating_sub(suffix), len)
    } else {
        let Ok(start) = first.parse::<u64>() else {
            return Ok(None);
        };
        let end = if last.is_empty() {
            len
        } else {
            match last.parse::<u64>() {
                Ok(last) if last >= start => last.saturating_add(1).min(len),
                _ => return Ok(None),
            }
        };
        (start, end)
    };
    if range.0 >= range.1 {
        return Err(());
    }
    Ok(Some(range))
}

/// `Content-Disposition` with the name both as plain ASCII and exactly (RFC 8187).
fn disposition(name: &str) -> HeaderValue {
    let plain: String = name
        .chars()
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' => c,
            _ => '_',
        })
        .collect();
    let mut exact = String::with_capacity(name.len() * 3);
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            exact.push(b as char);
        } else {
            exact.push_str(&format!("%{b:02X}"));
        }
    }
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{plain}\"; filename*=UTF-8''{exact}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

pub(crate) async fn serve(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnKill>,
    Path(token): Path<String>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let latency = shared.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let (body, name) = match claim(&shared, &token, method == Method::GET) {
        Ok(found) => found,
        Err(status) => {
            return html_page(
                status,
                "Not available",
                "<p>This link is not valid (any more).</p>",
            );
        }
    };
    let len = body.len;
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(|v| parse_range(v, len))
        .unwrap_or(Ok(None));
    let (status, start, end) = match range {
        Ok(None) => (StatusCode::OK, 0, len),
        Ok(Some((start, end))) => (StatusCode::PARTIAL_CONTENT, start, end),
        Err(()) => {
            let mut response = html_page(StatusCode::RANGE_NOT_SATISFIABLE, "Range", "");
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return response;
        }
    };
    let file = match &body.kind {
        BodyKind::Disk(path) => match open_at(path, start).await {
            Ok(file) => Some(file),
            Err(e) => {
                tracing::warn!("sandbox: cannot read {}: {e}", path.display());
                return html_page(StatusCode::INTERNAL_SERVER_ERROR, "Error", "");
            }
        },
        _ => None,
    };
    let outflow = Outflow {
        _counted: shared.stats.body(),
        cut_left: shared.faults.take_download_cut(),
        throttle: Throttle::new(shared.faults.bandwidth()),
        shared,
        body: body.clone(),
        file,
        pos: start,
        end,
        conn,
    };
    let stream = stream::unfold(Some(outflow), |state| async move {
        let mut out = state?;
        match out.next_chunk().await? {
            Ok(chunk) => Some((Ok(chunk), Some(out))),
            Err(e) => Some((Err(e), None)),
        }
    });
    let mut response = Response::new(Body::from_stream(stream));
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(end - start));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(util::content_type(&name)),
    );
    h.insert(header::CONTENT_DISPOSITION, disposition(&name));
    if status == StatusCode::PARTIAL_CONTENT
        && let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{}/{len}", end - 1))
    {
        h.insert(header::CONTENT_RANGE, v);
    }
    response
}

async fn open_at(path: &std::path::Path, start: u64) -> io::Result<tokio::fs::File> {
    let mut file = tokio::fs::File::open(path).await?;
    file.seek(SeekFrom::Start(start)).await?;
    Ok(file)
}

/// A body on its way out, one chunk at a time.
struct Outflow {
    shared: Arc<Shared>,
    body: Arc<StoredBody>,
    file: Option<tokio::fs::File>,
    pos: u64,
    end: u64,
    cut_left: Option<u64>,
    throttle: Throttle,
    conn: ConnKill,
    /// In flight until the stream is dropped.
    _counted: super::faults::BodyGuard,
}

impl Outflow {
    async fn next_chunk(&mut self) -> Option<io::Result<Bytes>> {
        if self.pos >= self.end {
            return None;
        }
        if self.shared.stop.load(Ordering::Relaxed) {
            self.conn.kill();
            return Some(Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "the sandbox is stopping",
            )));
        }
        if self.cut_left == Some(0) {
            // Dropping the connection mid-body is the point: the client must see it fail, after
            // exactly the bytes before the cut. The body waits while hyper sends what it holds;
            // the connection drops at hyper's next flush.
            self.conn.kill_after_flush();
            std::future::pending::<()>().await;
        }
        let mut n = (self.end - self.pos).min(self.throttle.chunk() as u64);
        if let Some(left) = self.cut_left {
            n = n.min(left);
        }
        let mut buf = vec![0u8; n as usize];
        match &mut self.file {
            Some(file) => {
                if let Err(e) = file.read_exact(&mut buf).await {
                    return Some(Err(e));
                }
            }
            None => self.body.read_in_memory(self.pos, &mut buf),
        }
        self.pos += n;
        if let Some(left) = &mut self.cut_left {
            *left -= n;
        }
        self.shared.stats.update(|s| s.download_bytes_served += n);
        self.throttle.pace(buf.len()).await;
        Some(Ok(Bytes::from(buf)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=10-", 100), Ok(Some((10, 100))));
        assert_eq!(parse_range("bytes=10-19", 100), Ok(Some((10, 20))));
        assert_eq!(parse_range("bytes=90-200", 100), Ok(Some((90, 100))));
        assert_eq!(parse_range("bytes=-5", 100), Ok(Some((95, 100))));
        assert_eq!(parse_range("bytes=100-", 100), Err(()));
        assert_eq!(parse_range("bytes=0-1,5-6", 100), Ok(None));
        assert_eq!(parse_range("items=1-", 100), Ok(None));
        assert_eq!(parse_range("bytes=x-", 100), Ok(None));
    }

    #[test]
    fn disposition_is_ascii() {
        let v = disposition("日本\"a\x1b.txt");
        let s = v.to_str().unwrap();
        assert!(s.contains("filename=\"___a_.txt\""), "{s}");
        assert!(
            s.contains("filename*=UTF-8''%E6%97%A5%E6%9C%AC%22a%1B.txt"),
            "{s}"
        );
    }
}
