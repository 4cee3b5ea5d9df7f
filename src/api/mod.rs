//! The 1fichier API client: one method per endpoint, all calls through one pacer, retries with
//! backoff, typed answers, errors a user can act on. Knows nothing of the UI or the queue.
//!
//! Files: `http` (one call: pacing, retries, classification in `classify`), `pacer`, `bandwidth`,
//! then one file per group of endpoints (`account`, `folders`, `files`, `upload` with `multipart`,
//! `download`, `remote_upload`).

mod account;
mod bandwidth;
mod classify;
mod download;
pub mod error;
mod files;
mod folders;
mod http;
mod multipart;
mod pacer;
mod part_writer;
mod remote_upload;
#[cfg(test)]
mod tests_http;
pub mod types;
mod upload;

pub use bandwidth::Bandwidth;
pub use error::{ApiError, Result};
pub use types::*;

use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

/// The API key. It alone grants full access to the account: Debug and Display print `***`.
#[derive(Clone)]
pub struct ApiKey(SecretString);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(SecretString::from(key.into()))
    }
    /// The key itself, for the Authorization header and nothing else.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// The default API base URL, `/v1` included.
pub const DEFAULT_API_URL: &str = "https://api.1fichier.com/v1";

/// How the client talks to the service.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub base_url: String,
    pub key: ApiKey,
    /// API calls per second across the whole program (file bodies are not paced). Must be more
    /// than 0; `f64::INFINITY` turns spacing off (tests against a local server).
    pub calls_per_second: f64,
    /// First pause after a flood answer (`#374`, `#412`); it grows on each new flood answer.
    pub flood_wait: Duration,
    /// The longest pause after a flood answer.
    pub max_flood_wait: Duration,
    /// Retries after the first try for 5xx, 429 and network errors before giving up; also the
    /// number of flood pauses one call sits through before it reports `ApiError::Flood`.
    pub max_retries: u32,
    /// First pause between retries; doubles each time, with jitter.
    pub retry_base: Duration,
}

impl ClientOptions {
    pub fn new(base_url: impl Into<String>, key: ApiKey) -> Self {
        ClientOptions {
            base_url: base_url.into(),
            key,
            calls_per_second: 2.0,
            flood_wait: Duration::from_secs(30),
            max_flood_wait: Duration::from_secs(300),
            max_retries: 6,
            retry_base: Duration::from_millis(500),
        }
    }
}

/// What the pacer is doing, for a status line ("waiting: flood lock, next try in 0:24").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaceStatus {
    Ready,
    Waiting { until: Instant, reason: String },
}

/// Bytes moved so far by one transfer; the owner samples it to draw progress.
pub type Progress = Arc<AtomicU64>;

/// Per-transfer controls: the progress counter the owner samples, an optional shared bandwidth
/// cap, and cancellation.
#[derive(Clone, Default)]
pub struct TransferCtl {
    pub progress: Progress,
    pub bandwidth: Option<Arc<Bandwidth>>,
    pub cancel: tokio_util::sync::CancellationToken,
}

/// An upload that the service confirmed, with our own whirlpool of the bytes we sent.
#[derive(Debug, Clone)]
pub struct UploadOutcome {
    pub file: UploadedFile,
    pub local_whirlpool: String,
}

/// A finished download into a `.part` file (not yet renamed).
#[derive(Debug, Clone)]
pub struct DownloadOutcome {
    /// The part file's final length.
    pub size: u64,
    /// Whirlpool of the whole part file, prefix from an earlier attempt included.
    pub whirlpool: String,
    /// Bytes fetched over the network by this call (less than `size` after a resume).
    pub fetched: u64,
}

/// The 1fichier client. Cheap to clone; every clone shares one pacer.
#[derive(Clone)]
pub struct Client {
    inner: Arc<http::Inner>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Refuses a base URL that is not https, unless it is loopback.
    pub fn new(options: ClientOptions) -> Result<Self> {
        Ok(Client {
            inner: Arc::new(http::Inner::new(options)?),
        })
    }

    /// The API base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.base
    }

    /// Follows the pacer: `Waiting` while a flood lock holds every API call.
    pub fn pace_status(&self) -> tokio::sync::watch::Receiver<PaceStatus> {
        self.inner.pacer.subscribe()
    }
}
