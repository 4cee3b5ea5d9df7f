//! Whirlpool checksums, the ones 1fichier keeps for each file.
//!
//! Whirlpool is far slower than a loopback copy, so transfers hash on a thread of their own while
//! bytes flow (`HashPipe`) instead of in the copy loop. The implementation is our own
//! (`whirlpool/`): on CPUs with AVX-512 VBMI and GFNI it runs at about 930 MB/s of CPU time on the
//! project's machine, 2.9x `rhash --whirlpool` and 3.8x the RustCrypto crate; elsewhere a scalar
//! version runs at about rhash's speed (see benches/README.md).

use bytes::Bytes;
use std::io::{self, Read};
use std::path::Path;
use tokio::sync::mpsc;
mod whirlpool;

pub use whirlpool::Whirlpool;

/// Chunks waiting for the hashing thread; enough to ride out a burst, small enough to bound memory.
const PIPE_DEPTH: usize = 16;

/// The whirlpool of a byte slice, lowercase hex.
pub fn whirlpool_hex(data: &[u8]) -> String {
    let mut hasher = Whirlpool::new();
    hasher.update(data);
    hex::encode(hasher.finalize())
}

/// The whirlpool of a file's whole content, read in large blocks.
pub fn whirlpool_file(path: &Path) -> io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Whirlpool::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Two checksums match when their hex digits match, whatever their case.
pub fn same_checksum(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// Hashes the chunks sent to it on a dedicated thread; `finish` returns the hex digest.
pub struct HashPipe {
    tx: mpsc::Sender<Bytes>,
    thread: std::thread::JoinHandle<String>,
}

impl HashPipe {
    pub fn new() -> Self {
        let (tx, mut rx) = mpsc::channel::<Bytes>(PIPE_DEPTH);
        let thread = std::thread::Builder::new()
            .name("whirlpool".into())
            .spawn(move || {
                let mut hasher = Whirlpool::new();
                while let Some(chunk) = rx.blocking_recv() {
                    hasher.update(&chunk);
                }
                hex::encode(hasher.finalize())
            })
            .expect("spawning the hashing thread");
        HashPipe { tx, thread }
    }

    /// Hands a chunk to the hashing thread, waiting only when it is `PIPE_DEPTH` chunks behind.
    pub async fn update(&self, chunk: Bytes) {
        // The thread only stops when `tx` is dropped, so a send cannot fail while `self` lives.
        let _ = self.tx.send(chunk).await;
    }

    /// Same as `update`, for code outside the async runtime.
    pub fn update_blocking(&self, chunk: Bytes) {
        let _ = self.tx.blocking_send(chunk);
    }

    /// Waits for the thread to hash what it was sent and returns the digest.
    pub async fn finish(self) -> String {
        let HashPipe { tx, thread } = self;
        drop(tx);
        tokio::task::spawn_blocking(move || thread.join().unwrap_or_default())
            .await
            .unwrap_or_default()
    }
}

impl Default for HashPipe {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The ISO/NESSIE test vector for the empty string and for "abc".
    const EMPTY: &str = "19fa61d75522a4669b44e39c1d2e1726c530232130d407f89afee0964997f7a73e83be698b288febcf88e3e03c4f0757ea8964e59b63d93708b138cc42a66eb3";
    const ABC: &str = "4e2448a4c6f486bb16b6562c73b4020bf3043e3a731bce721ae1b303d97e6d4c7181eebdb6c57e277d0e34957114cbd6c797fc9d95d8b582d225292076d4eef5";

    #[test]
    fn known_vectors() {
        assert_eq!(whirlpool_hex(b""), EMPTY);
        assert_eq!(whirlpool_hex(b"abc"), ABC);
        assert!(same_checksum(ABC, &ABC.to_uppercase()));
    }

    #[tokio::test]
    async fn pipe_hashes_chunks_in_order() {
        let pipe = HashPipe::new();
        pipe.update(Bytes::from_static(b"a")).await;
        pipe.update(Bytes::from_static(b"bc")).await;
        assert_eq!(pipe.finish().await, ABC);
    }

    #[test]
    fn matches_the_rustcrypto_crate_at_every_block_boundary() {
        use ::whirlpool::Digest;
        let data: Vec<u8> = (0..5000u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        for len in [
            0, 1, 31, 32, 33, 63, 64, 65, 95, 96, 97, 127, 128, 129, 1000, 5000,
        ] {
            let expected = hex::encode(::whirlpool::Whirlpool::digest(&data[..len]));
            assert_eq!(whirlpool_hex(&data[..len]), expected, "length {len}");
            // Fed in uneven pieces, the digest is the same.
            let mut h = Whirlpool::new();
            for piece in data[..len].chunks(7) {
                h.update(piece);
            }
            assert_eq!(
                hex::encode(h.finalize()),
                expected,
                "length {len} in pieces"
            );
        }
    }

    #[test]
    fn file_hash_matches_slice_hash() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        assert_eq!(whirlpool_file(&path).unwrap(), whirlpool_hex(&data));
    }
}
