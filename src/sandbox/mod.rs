//! An emulator of the 1fichier API over real HTTP on loopback, for the demo, tests and benchmarks.
//! It enforces what the service enforces (key, Content-Type, flood locks, name rules, exact upload
//! lengths), so a client that forgets a quirk fails here first; faults can be injected at will.
//!
//! Two listeners: the API (`/v1/...`), and a body node for uploads (`/upload.cgi`, `/end.pl`) and
//! downloads (`/dl/<token>`), whose connections a fault can drop mid-body.

mod api;
mod body;
mod conn;
mod download;
mod endpoints;
mod faults;
mod remote;
mod reply;
mod seed;
mod store;
mod throttle;
mod upload;
mod util;

pub use faults::{Faults, Stats};

use anyhow::Context as _;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use body::StoredBody;
use conn::{ConnKill, KillableListener};
use faults::StatsBook;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;
use store::Store;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The sandbox's API key: fake, and plainly so.
pub const TEST_KEY: &str = "SandboxFakeKeyNotReal0000000000";

/// How long `shutdown` lets running requests finish before cutting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// The one API key accepted.
    pub key: String,
    /// Where bodies are stored; `None` for a temporary directory removed with the sandbox.
    pub data_dir: Option<PathBuf>,
    /// Load the demo account.
    pub seed: bool,
    /// The API listener's address; the body node listens on the same IP, another port.
    pub listen: SocketAddr,
    /// More API calls than this within any second lock the "IP" for `flood_lock`; `None` = off.
    pub flood_limit: Option<u32>,
    pub flood_lock: Duration,
    /// `user/info.cgi` answers at most once per this, else `#38`.
    pub user_info_interval: Duration,
    pub email: String,
    /// The cold storage quota, in bytes.
    pub quota: u64,
}

const TIB: u64 = 1 << 40;

impl SandboxConfig {
    /// No flood detection, `user/info.cgi` unlimited, empty account.
    pub fn for_tests() -> Self {
        SandboxConfig {
            key: TEST_KEY.to_string(),
            data_dir: None,
            seed: false,
            listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            flood_limit: None,
            flood_lock: Duration::from_secs(10),
            user_info_interval: Duration::ZERO,
            email: "test@example.org".into(),
            quota: 20 * TIB,
        }
    }

    /// The demo account, with the service's limits (5 calls a second, `user/info` once a minute).
    pub fn demo() -> Self {
        SandboxConfig {
            seed: true,
            flood_limit: Some(5),
            flood_lock: Duration::from_secs(10),
            user_info_interval: Duration::from_secs(60),
            email: "demo@example.org".into(),
            ..Self::for_tests()
        }
    }
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self::for_tests()
    }
}

/// What the handlers share.
pub(crate) struct Shared {
    key: String,
    flood_limit: Option<u32>,
    flood_lock: Duration,
    user_info_interval: Duration,
    email: String,
    quota: u64,
    store: Mutex<Store>,
    faults: Faults,
    stats: Arc<StatsBook>,
    /// "127.0.0.1:PORT" of the body node, as get_upload_server.cgi gives it.
    files_host: String,
    bodies_dir: PathBuf,
    body_counter: AtomicU64,
    /// Raised at shutdown: running bodies stop.
    stop: Arc<AtomicBool>,
    http: OnceLock<reqwest::Client>,
}

impl Shared {
    /// The store; never held across an await.
    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A fresh path for a body on disk.
    fn new_body_path(&self) -> PathBuf {
        let n = self.body_counter.fetch_add(1, Ordering::Relaxed);
        self.bodies_dir.join(format!("body-{n:08}.bin"))
    }

    /// The client that remote uploads fetch with: no proxy, redirects only to allowed URLs.
    fn http(&self) -> Result<&reqwest::Client, reqwest::Error> {
        if let Some(client) = self.http.get() {
            return Ok(client);
        }
        // Only plain http is ever fetched, but reqwest wants a TLS setup: give it one with an
        // explicit provider rather than depend on a process-wide default.
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map(|b| {
            b.with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth()
        });
        let mut builder = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                if attempt.previous().len() > 5 || !remote::allowed(attempt.url()) {
                    attempt.stop()
                } else {
                    attempt.follow()
                }
            }));
        if let Ok(tls) = tls {
            builder = builder.tls_backend_preconfigured(tls);
        }
        let client = builder.build()?;
        Ok(self.http.get_or_init(|| client))
    }
}

/// A running sandbox. Dropping it stops it too; `shutdown` waits for the listeners to close.
pub struct Sandbox {
    shared: Arc<Shared>,
    api_addr: SocketAddr,
    stop_tx: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    _tempdir: Option<tempfile::TempDir>,
}

/// The address to give clients: a wildcard listener is reached on loopback.
fn reachable(addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        let ip = match addr.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        };
        SocketAddr::new(ip, addr.port())
    } else {
        addr
    }
}

fn files_router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/upload.cgi", post(upload::upload_cgi))
        .route("/end.pl", get(upload::end_pl))
        .route("/dl/{token}", get(download::serve))
        .layer(DefaultBodyLimit::disable())
        .with_state(shared)
}

impl Sandbox {
    pub async fn start(config: SandboxConfig) -> anyhow::Result<Sandbox> {
        let (data_dir, tempdir) = match &config.data_dir {
            Some(dir) => (dir.clone(), None),
            None => {
                let tmp = tempfile::Builder::new()
                    .prefix("fichier-sandbox-")
                    .tempdir()
                    .context("creating the sandbox's temporary directory")?;
                (tmp.path().to_path_buf(), Some(tmp))
            }
        };
        let bodies_dir = data_dir.join("bodies");
        std::fs::create_dir_all(&bodies_dir)
            .with_context(|| format!("creating {}", bodies_dir.display()))?;
        let api_listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("listening on {}", config.listen))?;
        let files_listener = TcpListener::bind(SocketAddr::new(config.listen.ip(), 0))
            .await
            .context("listening for upload and download bodies")?;
        let api_addr = reachable(api_listener.local_addr()?);
        let files_addr = reachable(files_listener.local_addr()?);

        let rng = if config.seed {
            fastrand::Rng::with_seed(0x1f1c_4e12)
        } else {
            fastrand::Rng::new()
        };
        let mut store = Store::new(rng);
        if config.seed {
            seed::load(&mut store);
        }
        let stop = Arc::new(AtomicBool::new(false));
        body::spawn_checksums(store.bodies(), stop.clone());
        let shared = Arc::new(Shared {
            key: config.key,
            flood_limit: config.flood_limit,
            flood_lock: config.flood_lock,
            user_info_interval: config.user_info_interval,
            email: config.email,
            quota: config.quota,
            store: Mutex::new(store),
            faults: Faults::default(),
            stats: Arc::default(),
            files_host: files_addr.to_string(),
            bodies_dir,
            body_counter: AtomicU64::new(0),
            stop: stop.clone(),
            http: OnceLock::new(),
        });

        let (stop_tx, stop_rx) = watch::channel(false);
        let until_stopped = |mut rx: watch::Receiver<bool>| async move {
            // Resolves on `send(true)` and when the sender is dropped with the sandbox.
            let _ = rx.wait_for(|stopped| *stopped).await;
        };
        let api = axum::serve(api_listener, api::router(shared.clone()))
            .with_graceful_shutdown(until_stopped(stop_rx.clone()));
        let files = axum::serve(
            KillableListener(files_listener),
            files_router(shared.clone()).into_make_service_with_connect_info::<ConnKill>(),
        )
        .with_graceful_shutdown(until_stopped(stop_rx));
        let tasks = vec![
            tokio::spawn(async move {
                if let Err(e) = api.await {
                    tracing::warn!("sandbox API listener: {e}");
                }
            }),
            tokio::spawn(async move {
                if let Err(e) = files.await {
                    tracing::warn!("sandbox body listener: {e}");
                }
            }),
        ];
        Ok(Sandbox {
            shared,
            api_addr,
            stop_tx,
            tasks,
            _tempdir: tempdir,
        })
    }

    /// "http://127.0.0.1:PORT/v1"
    pub fn api_url(&self) -> String {
        format!("http://{}/v1", self.api_addr)
    }

    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    pub fn stats(&self) -> Stats {
        self.shared.stats.snapshot()
    }

    pub fn reset_stats(&self) {
        self.shared.stats.reset();
    }

    /// A folder, with no check on its name (hostile names welcome). Panics if `parent` does not
    /// exist: this is for test setup.
    pub fn add_folder(&self, parent: u64, name: &str) -> u64 {
        self.shared
            .store()
            .insert_folder(parent, name, util::now_date())
            .unwrap_or_else(|| panic!("sandbox: no folder {parent}"))
    }

    /// A file with this content, stored on disk; returns its URL. No check on its name. Panics
    /// if `folder` does not exist or the disk fails: this is for test setup.
    pub fn add_file(&self, folder: u64, name: &str, body: &[u8]) -> String {
        let path = self.shared.new_body_path();
        if let Err(e) = std::fs::write(&path, body) {
            panic!("sandbox: writing {}: {e}", path.display());
        }
        let stored = StoredBody::disk(
            path,
            body.len() as u64,
            crate::checksum::whirlpool_hex(body),
        );
        let mut store = self.shared.store();
        let id = store
            .insert_file(folder, name, stored, util::now_date())
            .unwrap_or_else(|| panic!("sandbox: no folder {folder}"));
        store.file(&id).map(|f| f.url()).unwrap_or_default()
    }

    /// The content of the file at `url`, to check what an upload stored.
    pub fn file_body(&self, url: &str) -> Option<Vec<u8>> {
        let body = self.shared.store().file_by_url(url).ok()?.body.clone();
        body.read_all().ok()
    }

    /// The whirlpool of the bytes stored for `url`, hashed again from disk (not the checksum kept
    /// since the upload), in bounded memory: to check what a large upload stored. Blocking.
    pub fn stored_whirlpool(&self, url: &str) -> Option<String> {
        let body = self.shared.store().file_by_url(url).ok()?.body.clone();
        body::hash_body(&body, &AtomicBool::new(false))
    }

    /// The names of a folder's sub folders and files, in the service's order.
    pub fn list_names(&self, folder: u64) -> (Vec<String>, Vec<String>) {
        self.shared.store().list_names(folder)
    }

    /// A folder's files as (name, URL), in the service's order.
    pub fn file_urls(&self, folder: u64) -> Vec<(String, String)> {
        self.shared
            .store()
            .files_in(folder)
            .map(|f| (f.name.clone(), f.url()))
            .collect()
    }

    /// The id of the folder at a path of names, such as "/a/b"; "/" is the root.
    pub fn find_folder(&self, path: &str) -> Option<u64> {
        self.shared.store().find_folder(path)
    }

    /// Stops both listeners, letting requests in flight end for a moment before cutting them.
    pub async fn shutdown(mut self) {
        let _ = self.stop_tx.send(true);
        let tasks = std::mem::take(&mut self.tasks);
        let grace = tokio::time::sleep(SHUTDOWN_GRACE);
        tokio::pin!(grace);
        for mut task in tasks {
            tokio::select! {
                _ = &mut task => {}
                _ = &mut grace => {
                    self.shared.stop.store(true, Ordering::Relaxed);
                    task.abort();
                }
            }
        }
        self.shared.stop.store(true, Ordering::Relaxed);
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.stop_tx.send(true);
        self.shared.stop.store(true, Ordering::Relaxed);
    }
}

/// `fichier-tui sandbox`: runs a sandbox, prints where it listens and its key, and stops on
/// Ctrl-C or SIGTERM.
pub async fn serve_until_ctrl_c(config: SandboxConfig) -> anyhow::Result<()> {
    let sandbox = Sandbox::start(config.clone()).await?;
    println!("fichier-tui sandbox: an emulator of the 1fichier API (nothing here is real)");
    println!("API URL: {}", sandbox.api_url());
    println!("API key: {}", config.key);
    if let Some(dir) = &config.data_dir {
        println!("Bodies:  {}", dir.display());
    }
    println!("Press Ctrl-C to stop.");
    wait_for_signal().await;
    sandbox.shutdown().await;
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
