//! Fixtures for the API client's tests: a sandbox on the test's own runtime, clients with short
//! pauses (fast paces unless pacing is the subject), counters and files.

use fichier_tui::api::{ApiKey, Client, ClientOptions, TransferCtl};
use fichier_tui::sandbox::{Sandbox, SandboxConfig, TEST_KEY};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A sandbox with the test settings (no flood detection, `user/info` unlimited).
pub async fn sandbox() -> Sandbox {
    sandbox_with(SandboxConfig::for_tests()).await
}

pub async fn sandbox_with(config: SandboxConfig) -> Sandbox {
    // reqwest is built without a default TLS provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Sandbox::start(config).await.expect("the sandbox starts")
}

/// Options for the sandbox with its key: a fast pace and short pauses, so a test that is not
/// about pacing spends no time waiting.
pub fn options(sb: &Sandbox) -> ClientOptions {
    let mut o = ClientOptions::new(sb.api_url(), ApiKey::new(TEST_KEY));
    o.calls_per_second = 1000.0;
    o.flood_wait = Duration::from_millis(50);
    o.max_flood_wait = Duration::from_millis(400);
    o.max_retries = 3;
    o.retry_base = Duration::from_millis(2);
    o
}

pub fn client(sb: &Sandbox) -> Client {
    Client::new(options(sb)).expect("a client")
}

pub fn client_with(sb: &Sandbox, change: impl FnOnce(&mut ClientOptions)) -> Client {
    let mut o = options(sb);
    change(&mut o);
    Client::new(o).expect("a client")
}

/// Calls the sandbox received on one endpoint, refused ones included.
pub fn calls(sb: &Sandbox, endpoint: &str) -> u64 {
    sb.stats().by_endpoint.get(endpoint).copied().unwrap_or(0)
}

/// Every listing call (folders and files) the sandbox received.
pub fn listings(sb: &Sandbox) -> u64 {
    calls(sb, "folder/ls.cgi") + calls(sb, "file/ls.cgi")
}

pub fn ctl() -> TransferCtl {
    TransferCtl::default()
}

/// Writes `len` pseudo-random bytes (a function of `seed`) to `path` a MiB at a time, never
/// holding the whole file. Eight bytes per step of splitmix64: cheap next to the hashing.
pub fn write_random(path: &Path, len: u64, seed: u64) {
    const BLOCK: usize = 1 << 20;
    let mut file = std::fs::File::create(path).expect("create");
    let mut state = seed;
    let mut block = vec![0u8; BLOCK];
    let mut left = len;
    while left > 0 {
        for word in block.chunks_exact_mut(8) {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            word.copy_from_slice(&(z ^ (z >> 31)).to_le_bytes());
        }
        let n = left.min(BLOCK as u64) as usize;
        file.write_all(&block[..n]).expect("write");
        left -= n as u64;
    }
}

/// A small local file with this content.
pub fn local_file(dir: &Path, name: &str, content: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write");
    path
}
