//! Upload in three steps: ask for an upload node (a paced API call), stream the file to it as
//! multipart with an exact Content-Length while another thread hashes it, then ask the node for
//! the file's link. Retrying a failed upload is the caller's job.

use super::classify::{classify, excerpt};
use super::folders::service_name;
use super::http::{Endpoint, check_url, describe, read_body};
use super::multipart::Framing;
use super::types::loose;
use super::{
    ApiError, Client, FileUrl, FolderId, Progress, Result, TransferCtl, UploadOutcome, UploadedFile,
};
use crate::checksum::HashPipe;
use bytes::{Bytes, BytesMut};
use futures_util::Stream;
use reqwest::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use serde::Deserialize;
use serde_json::{Value, json};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

const UPLOAD_SERVER: Endpoint = Endpoint::get("upload/get_upload_server.cgi");
/// The service refuses files over 300 GB.
pub(crate) const MAX_UPLOAD: u64 = 300_000_000_000;
/// Bytes read from disk at a time: large enough to keep the hashing thread and the socket busy.
const CHUNK: usize = 256 * 1024;
/// Chunks read ahead of the socket.
const READ_AHEAD: usize = 2;
/// An upload that moves no byte for this long has stalled.
const STALL: Duration = Duration::from_secs(300);
/// How long a folder seen to exist is trusted to still exist.
const FOLDER_TRUST: Duration = Duration::from_secs(30);
/// How many times to ask end.pl for the link while the node is still processing.
const END_POLLS: u32 = 20;
const END_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Deserialize)]
struct UploadServer {
    #[serde(default, deserialize_with = "loose::opt_string")]
    url: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_string")]
    id: Option<String>,
}

#[derive(Deserialize)]
struct EndLink {
    #[serde(default, deserialize_with = "loose::opt_string")]
    download: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_string")]
    filename: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_u64")]
    size: Option<u64>,
    #[serde(default, deserialize_with = "loose::opt_string")]
    whirlpool: Option<String>,
}

#[derive(Deserialize)]
struct EndAnswer {
    #[serde(default, deserialize_with = "loose::list")]
    links: Vec<Value>,
}

/// The service's upload id: 1 to 10 ASCII letters and digits.
pub(crate) fn valid_upload_id(id: &str) -> bool {
    (1..=10).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// `<scheme>://<host>` for a bare `host[:port]` from the service; anything else (a scheme, a path,
/// credentials) is refused.
pub(crate) fn upload_base(scheme: &str, host: &str) -> Result<String> {
    let bad = || ApiError::Protocol {
        detail: format!(
            "the upload server `{}` is not a bare host name",
            excerpt(host.as_bytes())
        ),
    };
    if host.is_empty()
        || host
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "/\\?#@%".contains(c))
    {
        return Err(bad());
    }
    let base = format!("{scheme}://{host}");
    let url = check_url(&base)?;
    if url.path() != "/"
        || url.query().is_some()
        || !url.username().is_empty()
        || url.host_str().is_none()
    {
        return Err(bad());
    }
    Ok(base)
}

/// Stops a task when its owner goes away (cancelled or failed upload).
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The request body: what the reader task sends, counted into the progress as it goes out.
struct BodyStream {
    rx: mpsc::Receiver<io::Result<(Bytes, bool)>>,
    progress: Progress,
}

impl Stream for BodyStream {
    type Item = io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.rx.poll_recv(cx) {
            Poll::Ready(Some(Ok((bytes, is_file)))) => {
                if is_file {
                    self.progress
                        .fetch_add(bytes.len() as u64, Ordering::Relaxed);
                }
                Poll::Ready(Some(Ok(bytes)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

fn local(path: &Path, source: io::Error) -> ApiError {
    ApiError::Local {
        path: path.display().to_string(),
        source,
    }
}

fn changed(path: &Path, size: u64, got: &str) -> ApiError {
    local(
        path,
        io::Error::other(format!(
            "the file changed while it was being uploaded ({got} than the {size} bytes it had at start)"
        )),
    )
}

/// Reads until `buf` is full or the file ends; the count read.
fn fill(file: &mut std::fs::File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Reads the file, feeds the hashing thread and the body. `Ok(None)` when the body went away (the
/// request ended early); an error when the file could not be read or changed size.
pub(crate) async fn produce(
    path: PathBuf,
    size: u64,
    framing: Framing,
    ctl: TransferCtl,
    tx: &mpsc::Sender<io::Result<(Bytes, bool)>>,
) -> Result<Option<String>> {
    if tx.send(Ok((framing.head.clone(), false))).await.is_err() {
        return Ok(None);
    }
    let mut file = Some(std::fs::File::open(&path).map_err(|e| local(&path, e))?);
    let hash = HashPipe::new();
    let mut sent = 0u64;
    while sent < size {
        let max = ctl
            .bandwidth
            .as_ref()
            .map_or(CHUNK, |b| b.chunk_size(CHUNK));
        let want = max.min((size - sent) as usize);
        let last = sent + want as u64 == size;
        let Some(mut f) = file.take() else { break };
        let read = tokio::task::spawn_blocking(move || {
            let mut buf = BytesMut::zeroed(want);
            let n = fill(&mut f, &mut buf)?;
            buf.truncate(n);
            // At the expected end, one more byte means the file grew.
            let grew = last && n == want && fill(&mut f, &mut [0u8; 1])? > 0;
            Ok::<_, io::Error>((f, buf.freeze(), grew))
        })
        .await
        .map_err(|e| local(&path, io::Error::other(e)))?;
        let (f, chunk, grew) = read.map_err(|e| local(&path, e))?;
        file = Some(f);
        if chunk.len() < want {
            return Err(changed(
                &path,
                size,
                &format!("{} bytes, fewer", sent + chunk.len() as u64),
            ));
        }
        if grew {
            return Err(changed(&path, size, "more bytes"));
        }
        sent += chunk.len() as u64;
        if let Some(b) = &ctl.bandwidth {
            b.take(chunk.len() as u64).await;
        }
        hash.update(chunk.clone()).await;
        if tx.send(Ok((chunk, true))).await.is_err() {
            return Ok(None);
        }
    }
    if tx.send(Ok((framing.tail.clone(), false))).await.is_err() {
        return Ok(None);
    }
    Ok(Some(hash.finish().await))
}

/// Resolves when `progress` has not moved for `limit`.
async fn stalled(progress: &Progress, limit: Duration) {
    let step = (limit / 10).max(Duration::from_millis(10));
    let mut last = progress.load(Ordering::Relaxed);
    let mut quiet = Duration::ZERO;
    loop {
        tokio::time::sleep(step).await;
        let now = progress.load(Ordering::Relaxed);
        if now == last {
            quiet += step;
            if quiet >= limit {
                return;
            }
        } else {
            last = now;
            quiet = Duration::ZERO;
        }
    }
}

impl Client {
    /// Uploads one local file into `folder` as `remote_name` (the user's name; mapped for the
    /// service here), streaming it from disk and hashing it on another thread; checks that
    /// `folder` exists first. `ctl.progress` counts the file's bytes sent.
    pub async fn upload_file(
        &self,
        path: &Path,
        folder: FolderId,
        remote_name: &str,
        ctl: &TransferCtl,
    ) -> Result<UploadOutcome> {
        let meta = tokio::fs::metadata(path)
            .await
            .map_err(|e| local(path, e))?;
        if !meta.is_file() {
            return Err(ApiError::Invalid(format!(
                "{}: not a regular file",
                path.display()
            )));
        }
        let size = meta.len();
        if size == 0 {
            return Err(ApiError::Invalid(format!(
                "{}: 1fichier does not accept empty files",
                path.display()
            )));
        }
        if size > MAX_UPLOAD {
            return Err(ApiError::Invalid(format!(
                "{}: 1fichier does not accept files over 300 GB",
                path.display()
            )));
        }
        let name = service_name(remote_name, "file")?;
        if folder != FolderId::ROOT {
            self.check_folder(folder).await?;
        }
        if ctl.cancel.is_cancelled() {
            return Err(ApiError::Cancelled);
        }
        let (base, id) = self.upload_server().await?;
        ctl.progress.store(0, Ordering::Relaxed);
        let local_whirlpool = self
            .send_file(&base, &id, path, size, folder, &name, ctl)
            .await?;
        let file = self.upload_end(&base, &id, ctl).await?;
        if file.size != size {
            return Err(ApiError::Protocol {
                detail: format!(
                    "the service received {} bytes of the {size} sent",
                    file.size
                ),
            });
        }
        Ok(UploadOutcome {
            file,
            local_whirlpool,
        })
    }

    /// An unknown `did` silently lands the file in the root: make sure the folder is there.
    /// A folder seen within `FOLDER_TRUST` is taken as still there: one listing per folder per
    /// 30 s is what the service asks for.
    async fn check_folder(&self, folder: FolderId) -> Result<()> {
        let seen = self.inner.seen_folders().get(&folder).copied();
        if seen.is_some_and(|at| at.elapsed() < FOLDER_TRUST) {
            return Ok(());
        }
        let gone = |detail: String| ApiError::NotFound {
            message: format!("destination folder {folder} ({detail})"),
        };
        match self.folder_ls(folder).await {
            Ok(l) if l.folder_id == folder || l.folder_id == FolderId::ROOT => Ok(()),
            Ok(l) => Err(gone(format!(
                "the service listed folder {} instead",
                l.folder_id
            ))),
            Err(ApiError::NotFound { message } | ApiError::Service { message }) => {
                Err(gone(message))
            }
            Err(e) => Err(e),
        }
    }

    /// Step 1: an upload node and id, validated.
    pub(crate) async fn upload_server(&self) -> Result<(String, String)> {
        let server: UploadServer = self.call(UPLOAD_SERVER, json!({})).await?;
        let (Some(host), Some(id)) = (server.url, server.id) else {
            return Err(ApiError::Protocol {
                detail: "get_upload_server.cgi did not give a url and an id".into(),
            });
        };
        if !valid_upload_id(&id) {
            return Err(ApiError::Protocol {
                detail: "the upload id is not 1-10 letters and digits".into(),
            });
        }
        Ok((upload_base(self.inner.scheme, host.trim())?, id))
    }

    /// Step 2: the multipart body, streamed with an exact Content-Length. Returns our whirlpool.
    #[allow(clippy::too_many_arguments)]
    async fn send_file(
        &self,
        base: &str,
        id: &str,
        path: &Path,
        size: u64,
        folder: FolderId,
        name: &str,
        ctl: &TransferCtl,
    ) -> Result<String> {
        let framing = Framing::new(folder, name);
        let length = framing.content_length(size);
        let content_type = framing.content_type();
        let (tx, rx) = mpsc::channel(READ_AHEAD);
        let producer = {
            let (path, ctl) = (path.to_path_buf(), ctl.clone());
            AbortOnDrop(tokio::spawn(async move {
                let result = produce(path, size, framing, ctl, &tx).await;
                if let Err(e) = &result {
                    // Make the request fail rather than wait for bytes that will not come.
                    let _ = tx.send(Err(io::Error::other(e.to_string()))).await;
                }
                result
            }))
        };
        let body = BodyStream {
            rx,
            progress: ctl.progress.clone(),
        };
        let request = self
            .inner
            .http
            .post(format!("{base}/upload.cgi?id={id}"))
            .header(CONTENT_TYPE, content_type)
            .header(CONTENT_LENGTH, length)
            .header(AUTHORIZATION, self.inner.auth.clone())
            .body(reqwest::Body::wrap_stream(body))
            .send();
        let started = tokio::time::Instant::now();
        let answer = tokio::select! {
            r = request => r,
            _ = ctl.cancel.cancelled() => return Err(ApiError::Cancelled),
            _ = stalled(&ctl.progress, STALL) => {
                return Err(ApiError::Network { detail: format!("the upload stalled for {} s", STALL.as_secs()) });
            }
        };
        tracing::debug!(
            bytes = size,
            ms = started.elapsed().as_millis() as u64,
            status = answer.as_ref().map(|r| r.status().as_u16()).ok(),
            "upload.cgi"
        );
        let mut producer = producer;
        match answer {
            Ok(resp) => {
                let status = resp.status().as_u16();
                if !(200..400).contains(&status) {
                    let body = read_body(resp, 64 * 1024).await.unwrap_or_default();
                    return Err(match classify(status, &body, None) {
                        Err(f) => f.into_error(),
                        Ok(_) => ApiError::Server {
                            status,
                            attempts: 1,
                        },
                    });
                }
                match (&mut producer.0).await {
                    Ok(Ok(Some(digest))) => Ok(digest),
                    Ok(Ok(None)) => Err(ApiError::Protocol {
                        detail: "the upload server answered before receiving the whole file".into(),
                    }),
                    Ok(Err(e)) => Err(e),
                    Err(e) => Err(local(path, io::Error::other(e))),
                }
            }
            Err(e) => {
                // A local failure made the request fail: report it rather than the symptom.
                let reason = tokio::time::timeout(Duration::from_secs(5), &mut producer.0).await;
                match reason {
                    Ok(Ok(Err(local_error))) => Err(local_error),
                    _ => Err(ApiError::Network {
                        detail: describe(&e),
                    }),
                }
            }
        }
    }

    /// Step 3: the link of the uploaded file, asking again while the node is still processing.
    async fn upload_end(&self, base: &str, id: &str, ctl: &TransferCtl) -> Result<UploadedFile> {
        let url = format!("{base}/end.pl?xid={id}");
        let mut last = String::from("no answer");
        for poll in 0..END_POLLS {
            if poll > 0 {
                let pause = Duration::from_millis(250 << poll.min(3));
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = ctl.cancel.cancelled() => return Err(ApiError::Cancelled),
                }
            }
            let sent = self
                .inner
                .http
                .get(&url)
                .header("JSON", "1")
                .header(CONTENT_TYPE, "application/json")
                .header(AUTHORIZATION, self.inner.auth.clone())
                .timeout(END_TIMEOUT)
                .send()
                .await;
            let resp = match sent {
                Ok(r) => r,
                Err(e) => {
                    last = describe(&e);
                    continue;
                }
            };
            let status = resp.status().as_u16();
            let body = match read_body(resp, 1 << 20).await {
                Ok(b) => b,
                Err(detail) => {
                    last = detail;
                    continue;
                }
            };
            tracing::debug!(status, poll, "end.pl");
            let answer = match classify(status, &body, None) {
                Ok(v) => v,
                // Still processing: an HTML page, or a server hiccup.
                Err(super::classify::Failure::Protocol { detail }) => {
                    last = detail;
                    continue;
                }
                Err(super::classify::Failure::Retry { status, .. }) => {
                    last = format!("HTTP {status}");
                    continue;
                }
                Err(f) => return Err(f.into_error()),
            };
            let links = serde_json::from_value::<EndAnswer>(answer)
                .map(|a| a.links)
                .unwrap_or_default();
            match links.len() {
                0 => last = "no link yet".into(),
                1 => return parse_link(&links[0]),
                n => {
                    return Err(ApiError::Protocol {
                        detail: format!("end.pl listed {n} files for one upload"),
                    });
                }
            }
        }
        Err(ApiError::Protocol {
            detail: format!(
                "the service did not confirm the upload after {END_POLLS} tries ({last})"
            ),
        })
    }
}

fn parse_link(link: &Value) -> Result<UploadedFile> {
    let link: EndLink = serde_json::from_value(link.clone()).map_err(|e| ApiError::Protocol {
        detail: format!("end.pl: {e}"),
    })?;
    let Some(download) = link.download.filter(|d| !d.is_empty()) else {
        return Err(ApiError::Protocol {
            detail: "end.pl gave no download link".into(),
        });
    };
    Ok(UploadedFile {
        url: FileUrl(download),
        filename: link.filename.unwrap_or_default(),
        size: link.size.unwrap_or(0),
        whirlpool: link.whirlpool.filter(|w| !w.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_ids_are_short_and_alphanumeric() {
        assert!(valid_upload_id("a1B2c3"));
        assert!(valid_upload_id("0123456789"));
        for bad in ["", "01234567890", "abc-d", "ab cd", "é", "a/b", "../x"] {
            assert!(!valid_upload_id(bad), "{bad}");
        }
    }

    #[test]
    fn upload_hosts_are_bare() {
        assert_eq!(
            upload_base("https", "up2.1fichier.com").unwrap(),
            "https://up2.1fichier.com"
        );
        assert_eq!(
            upload_base("http", "127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            upload_base("http", "[::1]:8080").unwrap(),
            "http://[::1]:8080"
        );
        for bad in [
            "https://up.1fichier.com",
            "up.1fichier.com/x",
            "up.1fichier.com?a=b",
            "user@up.1fichier.com",
            "up.1fichier.com#f",
            "",
            "up 1fichier.com",
            "up.1fichier.com:notaport",
        ] {
            assert!(upload_base("https", bad).is_err(), "{bad}");
        }
        // An http API on loopback must not send the key in clear to another machine.
        assert!(matches!(
            upload_base("http", "up.1fichier.com"),
            Err(ApiError::InsecureUrl { .. })
        ));
    }

    #[test]
    fn end_links_parse_loosely() {
        let f = parse_link(&json!({"download":"https://1fichier.com/?abc","filename":"a.txt","remove":"x","size":"12","whirlpool":"AB"}))
            .unwrap();
        assert_eq!(f.url.as_str(), "https://1fichier.com/?abc");
        assert_eq!(f.size, 12);
        assert_eq!(f.whirlpool.as_deref(), Some("AB"));
        assert!(parse_link(&json!({"filename":"a"})).is_err());
    }
}
