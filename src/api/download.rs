//! Download into a `.part` file that survives interruptions: each attempt takes a fresh one-time
//! token and continues from the part's length with `Range`; the whirlpool covers the whole file,
//! prefix included, hashed on another thread while bytes flow.

use super::classify::{Failure, classify, error_code, retryable_status};
use super::http::{Endpoint, backoff, check_url, describe, read_body};
use super::types::loose;
use super::{ApiError, Client, DownloadOutcome, FileUrl, Result, TransferCtl};
use crate::checksum::HashPipe;
use bytes::{Bytes, BytesMut};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_RANGE, RANGE};
use serde::Deserialize;
use serde_json::json;
use std::io::{self, Read};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

const GET_TOKEN: Endpoint = Endpoint::read("download/get_token.cgi");
/// Bytes handed at once to the disk and to the hashing thread.
const CHUNK: usize = 512 * 1024;
/// Tries in a row without any progress before giving up.
const MAX_ATTEMPTS: u32 = 10;
/// A body that sends nothing for this long has stalled.
const STALL: Duration = Duration::from_secs(120);

#[derive(Deserialize)]
struct Token {
    #[serde(default, deserialize_with = "loose::opt_string")]
    url: Option<String>,
}

fn local(path: &Path, source: io::Error) -> ApiError {
    ApiError::Local {
        path: path.display().to_string(),
        source,
    }
}

/// `bytes <start>-<end>/<total>` or `bytes */<total>`: (start, total).
pub(crate) fn parse_content_range(value: &str) -> Option<(Option<u64>, Option<u64>)> {
    let rest = value.trim().strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let total = total.trim().parse().ok();
    let start = match range.trim() {
        "*" => None,
        r => Some(r.split_once('-')?.0.trim().parse().ok()?),
    };
    Some((start, total))
}

/// Why an attempt did not finish the file.
enum Miss {
    /// Worth another attempt (with a fresh token, from the new length).
    Retry { error: ApiError },
    /// Stop now.
    Fatal(ApiError),
}

/// The part file and everything that follows its length.
struct Part<'a> {
    path: &'a Path,
    file: tokio::fs::File,
    len: u64,
    hash: HashPipe,
    fetched: u64,
    /// Received, not yet written: small network reads gather here into large writes.
    pending: BytesMut,
}

impl Part<'_> {
    /// Takes a piece of the body; writes once a large chunk has gathered.
    async fn push(&mut self, bytes: &[u8], ctl: &TransferCtl) -> Result<()> {
        self.pending.extend_from_slice(bytes);
        if self.pending.len() >= CHUNK {
            self.flush_pending(ctl).await?;
        }
        Ok(())
    }

    /// Writes what has gathered, however little.
    async fn flush_pending(&mut self, ctl: &TransferCtl) -> Result<()> {
        let chunk = self.pending.split().freeze();
        self.pending.reserve(CHUNK);
        self.write(chunk, ctl).await
    }

    /// Appends a chunk: bandwidth, hash, disk, progress.
    async fn write(&mut self, chunk: Bytes, ctl: &TransferCtl) -> Result<()> {
        if chunk.is_empty() {
            return Ok(());
        }
        if let Some(b) = &ctl.bandwidth {
            b.take(chunk.len() as u64).await;
        }
        self.hash.update(chunk.clone()).await;
        self.file
            .write_all(&chunk)
            .await
            .map_err(|e| local(self.path, e))?;
        self.len += chunk.len() as u64;
        self.fetched += chunk.len() as u64;
        ctl.progress.store(self.len, Ordering::Relaxed);
        Ok(())
    }

    /// The server sent the whole file instead of the rest: start over.
    async fn truncate(&mut self, ctl: &TransferCtl) -> Result<()> {
        self.pending.clear();
        self.file
            .set_len(0)
            .await
            .map_err(|e| local(self.path, e))?;
        self.len = 0;
        self.hash = HashPipe::new();
        ctl.progress.store(0, Ordering::Relaxed);
        Ok(())
    }
}

/// Feeds the part's first `len` bytes to a new hashing pipe, read back from disk.
async fn hash_prefix(path: &Path, len: u64) -> Result<HashPipe> {
    let hash = HashPipe::new();
    if len == 0 {
        return Ok(hash);
    }
    let owned = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let mut file = std::fs::File::open(&owned)?.take(len);
        let mut left = len;
        while left > 0 {
            let mut buf = BytesMut::zeroed(CHUNK.min(left as usize));
            let n = file.read(&mut buf)?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the part file shrank while being read",
                ));
            }
            buf.truncate(n);
            left -= n as u64;
            hash.update_blocking(buf.freeze());
        }
        Ok(hash)
    })
    .await
    .map_err(|e| local(path, io::Error::other(e)))?
    .map_err(|e| local(path, e))
}

impl Client {
    /// A one-time download URL for a file.
    pub async fn download_token(&self, url: &FileUrl) -> Result<String> {
        let token: Token = self
            .call(GET_TOKEN, json!({ "url": url, "single": 1 }))
            .await?;
        token
            .url
            .filter(|u| !u.is_empty())
            .ok_or_else(|| ApiError::Protocol {
                detail: "download/get_token.cgi gave no URL".into(),
            })
    }

    /// Downloads `url` into `part`, continuing from the part's current length with `Range` and a
    /// fresh token on each attempt, retrying drops a bounded number of times. `ctl.progress` counts
    /// the whole file (it starts at the part's length). The part is flushed and synced, not renamed.
    pub async fn download_file(
        &self,
        url: &FileUrl,
        part: &Path,
        ctl: &TransferCtl,
    ) -> Result<DownloadOutcome> {
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(part)
            .await
            .map_err(|e| local(part, e))?;
        file.set_max_buf_size(CHUNK);
        let len = file.metadata().await.map_err(|e| local(part, e))?.len();
        let hash = hash_prefix(part, len).await?;
        ctl.progress.store(len, Ordering::Relaxed);
        let mut part_file = Part {
            path: part,
            file,
            len,
            hash,
            fetched: 0,
            pending: BytesMut::with_capacity(CHUNK),
        };

        let mut misses = 0u32;
        loop {
            if ctl.cancel.is_cancelled() {
                return self.stop(part_file).await;
            }
            let before = part_file.len;
            let outcome = tokio::select! {
                o = self.attempt(url, &mut part_file, ctl) => Some(o),
                _ = ctl.cancel.cancelled() => None,
            };
            let Some(outcome) = outcome else {
                return self.stop(part_file).await;
            };
            match outcome {
                Ok(()) => break,
                Err(Miss::Fatal(e)) => {
                    let _ = part_file.file.flush().await;
                    return Err(e);
                }
                Err(Miss::Retry { error }) => {
                    if part_file.len > before {
                        misses = 0;
                    }
                    misses += 1;
                    tracing::debug!(miss = misses, len = part_file.len, error = %error, "download attempt failed");
                    if misses >= MAX_ATTEMPTS {
                        let _ = part_file.file.flush().await;
                        return Err(match error {
                            ApiError::Server { status, .. } => ApiError::Server {
                                status,
                                attempts: misses,
                            },
                            other => other,
                        });
                    }
                    let pause = backoff(self.inner.retry_base, misses);
                    let cancelled = tokio::select! {
                        _ = tokio::time::sleep(pause) => false,
                        _ = ctl.cancel.cancelled() => true,
                    };
                    if cancelled {
                        return self.stop(part_file).await;
                    }
                }
            }
        }
        let Part {
            path,
            mut file,
            len,
            hash,
            fetched,
            ..
        } = part_file;
        file.flush().await.map_err(|e| local(path, e))?;
        // The disk catches up while the hashing thread does: neither waits for the other.
        let (synced, whirlpool) = tokio::join!(file.sync_data(), hash.finish());
        synced.map_err(|e| local(path, e))?;
        Ok(DownloadOutcome {
            size: len,
            whirlpool,
            fetched,
        })
    }

    /// Cancelled: what arrived stays in the part file for a later resume (the hash is dropped: a
    /// resume hashes the part again).
    async fn stop(&self, mut part: Part<'_>) -> Result<DownloadOutcome> {
        if !part.pending.is_empty() {
            let pending = part.pending.split();
            part.file
                .write_all(&pending)
                .await
                .map_err(|e| local(part.path, e))?;
        }
        part.file.flush().await.map_err(|e| local(part.path, e))?;
        Err(ApiError::Cancelled)
    }

    /// One attempt: a fresh token, a GET from the part's length, the body appended.
    async fn attempt(
        &self,
        url: &FileUrl,
        part: &mut Part<'_>,
        ctl: &TransferCtl,
    ) -> Result<(), Miss> {
        let token = self.download_token(url).await.map_err(|e| {
            if e.is_transient() {
                Miss::Retry { error: e }
            } else {
                Miss::Fatal(e)
            }
        })?;
        let target = check_url(&token).map_err(Miss::Fatal)?;
        let mut request = self.inner.http.get(target);
        if part.len > 0 {
            request = request.header(RANGE, format!("bytes={}-", part.len));
        }
        let resp = request.send().await.map_err(|e| Miss::Retry {
            error: ApiError::Network {
                detail: describe(&e),
            },
        })?;
        let status = resp.status();
        tracing::debug!(status = status.as_u16(), from = part.len, "download");
        let content_range = resp
            .headers()
            .get(CONTENT_RANGE)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_content_range);
        let total = match status {
            StatusCode::PARTIAL_CONTENT => {
                let Some((Some(start), total)) = content_range else {
                    return Err(Miss::Fatal(ApiError::Protocol {
                        detail: "a partial answer without a valid Content-Range".into(),
                    }));
                };
                if start != part.len {
                    return Err(Miss::Fatal(ApiError::Protocol {
                        detail: format!(
                            "asked for bytes from {}, the server sent from {start}",
                            part.len
                        ),
                    }));
                }
                total
            }
            StatusCode::OK => {
                if part.len > 0 {
                    tracing::debug!(len = part.len, "the server ignored Range: starting over");
                    part.truncate(ctl).await.map_err(Miss::Fatal)?;
                }
                resp.content_length()
            }
            StatusCode::RANGE_NOT_SATISFIABLE => {
                if content_range.and_then(|(_, total)| total) == Some(part.len) {
                    return Ok(()); // the part already holds the whole file
                }
                part.truncate(ctl).await.map_err(Miss::Fatal)?;
                return Err(Miss::Retry {
                    error: ApiError::Protocol {
                        detail: "the part file did not match the remote file".into(),
                    },
                });
            }
            s => return Err(refusal(s.as_u16(), resp).await),
        };
        self.stream_body(resp, part, ctl).await?;
        match total {
            Some(t) if part.len < t => Err(Miss::Retry {
                error: ApiError::Network {
                    detail: format!("the connection ended at {} of {t} bytes", part.len),
                },
            }),
            Some(t) if part.len > t => Err(Miss::Fatal(ApiError::Protocol {
                detail: format!("received {} bytes of a {t}-byte file", part.len),
            })),
            _ => Ok(()),
        }
    }

    /// Appends the body until it ends or drops. Reads that come back to back gather into large
    /// writes; when the network makes us wait, what has gathered is written meanwhile, so progress
    /// and the part file never lag behind a slow link.
    async fn stream_body(
        &self,
        mut resp: reqwest::Response,
        part: &mut Part<'_>,
        ctl: &TransferCtl,
    ) -> Result<(), Miss> {
        loop {
            let next = {
                let chunk = resp.chunk();
                tokio::pin!(chunk);
                // Polled once: is there more right now?
                let now = tokio::select! {
                    biased;
                    r = &mut chunk => Some(r),
                    _ = std::future::ready(()) => None,
                };
                match now {
                    Some(r) => Ok(r),
                    None => {
                        if !part.pending.is_empty() {
                            part.flush_pending(ctl).await.map_err(Miss::Fatal)?;
                        }
                        tokio::time::timeout(STALL, chunk).await
                    }
                }
            };
            let dropped = match next {
                Ok(Ok(Some(bytes))) => {
                    part.push(&bytes, ctl).await.map_err(Miss::Fatal)?;
                    continue;
                }
                Ok(Ok(None)) => None,
                Ok(Err(e)) => Some(describe(&e)),
                Err(_) => Some(format!("no data for {} s", STALL.as_secs())),
            };
            // Keep what arrived, whatever happens next.
            part.flush_pending(ctl).await.map_err(Miss::Fatal)?;
            return match dropped {
                None => Ok(()),
                Some(detail) => Err(Miss::Retry {
                    error: ApiError::Network { detail },
                }),
            };
        }
    }
}

/// A download server's refusal: a KO body says why; 5xx and 429 are worth another attempt, and so
/// are 401/403 without a known code (a token that expired).
async fn refusal(status: u16, resp: reqwest::Response) -> Miss {
    let body = read_body(resp, 64 * 1024).await.unwrap_or_default();
    let coded = error_code(&String::from_utf8_lossy(&body)).is_some();
    match classify(status, &body, None) {
        Err(Failure::Fatal(e)) if matches!(status, 401 | 403) && !coded => Miss::Retry { error: e },
        Err(Failure::Fatal(e)) => Miss::Fatal(e),
        Err(f) if retryable_status(status) || matches!(f, Failure::Flood { .. }) => Miss::Retry {
            error: f.into_error(),
        },
        Err(f) => Miss::Fatal(f.into_error()),
        Ok(_) => Miss::Fatal(ApiError::Service {
            message: format!("the download server answered HTTP {status}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges() {
        assert_eq!(
            parse_content_range("bytes 100-199/200"),
            Some((Some(100), Some(200)))
        );
        assert_eq!(parse_content_range("bytes 0-0/*"), Some((Some(0), None)));
        assert_eq!(
            parse_content_range("bytes */1234"),
            Some((None, Some(1234)))
        );
        assert_eq!(parse_content_range("items 1-2/3"), None);
        assert_eq!(parse_content_range("bytes x-2/3"), None);
    }
}
