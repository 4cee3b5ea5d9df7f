//! The 1fichier API client: one method per endpoint, all calls through one pacer, retries with
//! backoff, typed answers, errors a user can act on. Knows nothing of the UI or the queue.
//!
//! INTERFACE SKETCH (filled in by the client's implementation; other layers rely on these names).

pub mod error;
pub mod types;

pub use error::{ApiError, Result};
pub use types::*;

use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::path::Path;
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
    /// API calls per second across the whole program (file bodies are not paced).
    pub calls_per_second: f64,
    /// First pause after a flood answer (`#374`, `#412`); it grows on each new flood answer.
    pub flood_wait: Duration,
    /// The longest pause after a flood answer.
    pub max_flood_wait: Duration,
    /// Tries for 5xx, 429 and network errors before giving up.
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

/// A shared cap on bytes per second across transfers (`--bwlimit`); `None` rate means no cap.
#[derive(Debug)]
pub struct Bandwidth {
    _private: (),
}

impl Bandwidth {
    pub fn new(_bytes_per_second: Option<u64>) -> Self {
        todo!()
    }
    /// Changes the cap while transfers run.
    pub fn set_rate(&self, _bytes_per_second: Option<u64>) {
        todo!()
    }
    /// Waits until `n` more bytes may move.
    pub async fn take(&self, _n: u64) {
        todo!()
    }
}

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
    _private: Arc<()>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client").finish_non_exhaustive()
    }
}

#[allow(unused_variables)]
impl Client {
    /// Refuses a base URL that is not https, unless it is loopback.
    pub fn new(options: ClientOptions) -> Result<Self> {
        todo!()
    }
    pub fn base_url(&self) -> &str {
        todo!()
    }
    /// Follows the pacer: `Waiting` while a flood lock or a backoff holds every API call.
    pub fn pace_status(&self) -> tokio::sync::watch::Receiver<PaceStatus> {
        todo!()
    }

    // Account
    pub async fn user_info(&self) -> Result<AccountInfo> {
        todo!()
    }

    // Folders
    pub async fn folder_ls(&self, folder: FolderId) -> Result<FolderListing> {
        todo!()
    }
    pub async fn mkdir(&self, parent: FolderId, name: &str) -> Result<FolderId> {
        todo!()
    }
    pub async fn folder_rm(&self, folder: FolderId) -> Result<()> {
        todo!()
    }
    pub async fn folder_mv(
        &self,
        folder: FolderId,
        dest: FolderId,
        rename: Option<&str>,
    ) -> Result<()> {
        todo!()
    }

    // Files
    pub async fn file_ls(&self, folder: FolderId) -> Result<Vec<RemoteFile>> {
        todo!()
    }
    pub async fn file_info(&self, url: &FileUrl) -> Result<RemoteFile> {
        todo!()
    }
    /// Removes many files in one call; returns how many the service removed.
    pub async fn file_rm(&self, urls: &[FileUrl]) -> Result<u64> {
        todo!()
    }
    /// Moves files into `dest`; returns their URLs after the move.
    pub async fn file_mv(&self, urls: &[FileUrl], dest: FolderId) -> Result<Vec<FileUrl>> {
        todo!()
    }
    /// Copies files into `dest`; returns (from, to) pairs.
    pub async fn file_cp(
        &self,
        urls: &[FileUrl],
        dest: FolderId,
    ) -> Result<Vec<(FileUrl, FileUrl)>> {
        todo!()
    }
    /// Renames files (names as the user wrote them; mapped for the service here).
    pub async fn file_rename(&self, renames: &[(FileUrl, String)]) -> Result<u64> {
        todo!()
    }

    // Transfers
    /// Uploads one local file into `folder` as `remote_name`, streaming it from disk and hashing it
    /// on another thread; checks that `folder` exists first.
    pub async fn upload_file(
        &self,
        path: &Path,
        folder: FolderId,
        remote_name: &str,
        ctl: &TransferCtl,
    ) -> Result<UploadOutcome> {
        todo!()
    }
    /// A one-time download URL for a file.
    pub async fn download_token(&self, url: &FileUrl) -> Result<String> {
        todo!()
    }
    /// Downloads `url` into `part`, continuing from the part's current length with `Range` and a
    /// fresh token on each attempt, retrying drops a bounded number of times.
    pub async fn download_file(
        &self,
        url: &FileUrl,
        part: &Path,
        ctl: &TransferCtl,
    ) -> Result<DownloadOutcome> {
        todo!()
    }

    // Remote upload
    pub async fn remote_request(&self, urls: &[String], folder: FolderId) -> Result<u64> {
        todo!()
    }
    pub async fn remote_ls(&self) -> Result<Vec<RemoteJob>> {
        todo!()
    }
    pub async fn remote_info(&self, job: u64) -> Result<Vec<RemoteJobResult>> {
        todo!()
    }
}
