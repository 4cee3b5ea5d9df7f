//! Appends a download's chunks to its part file on a thread of its own: the network loop hands
//! over the chunk it received (no copy) and goes back to reading while the disk writes.
//!
//! Every `EARLY_SYNC` bytes it also starts an fdatasync on a second handle, on a short-lived thread
//! beside the writes: the disk then keeps up during the download, and the final sync, which
//! nothing can overlap, has little left (it took 0.3 s at the end of a 1 GiB download).

use bytes::Bytes;
use std::fs::File;
use std::io::{self, Write};
use tokio::sync::{mpsc, oneshot};

/// Chunks waiting for the disk; the loop waits only when the disk is this far behind.
const DEPTH: usize = 8;
/// Bytes written between two early syncs.
const EARLY_SYNC: u64 = 64 << 20;

enum Op {
    Append(Bytes),
    /// Empties the file (the server sent the whole file instead of the rest).
    Truncate(oneshot::Sender<io::Result<()>>),
}

/// The writing thread and the way to it. `finish` (or `abandon`) collects its outcome.
pub(crate) struct PartWriter {
    tx: mpsc::Sender<Op>,
    thread: std::thread::JoinHandle<io::Result<File>>,
}

/// Starts syncs of what was written so far, one at a time, without waiting for them.
#[derive(Default)]
struct EarlySync {
    unsynced: u64,
    running: Option<std::thread::JoinHandle<()>>,
}

impl EarlySync {
    fn wrote(&mut self, file: &File, n: usize) {
        self.unsynced += n as u64;
        if self.unsynced < EARLY_SYNC || self.running.as_ref().is_some_and(|t| !t.is_finished()) {
            return;
        }
        // Best effort: the final sync in `finish` reports errors.
        if let Ok(handle) = file.try_clone() {
            self.unsynced = 0;
            self.running = std::thread::Builder::new()
                .name("part-sync".into())
                .spawn(move || {
                    let _ = handle.sync_data();
                })
                .ok();
        }
    }
}

fn run(mut file: File, mut rx: mpsc::Receiver<Op>) -> io::Result<File> {
    let mut early = EarlySync::default();
    while let Some(op) = rx.blocking_recv() {
        match op {
            Op::Append(chunk) => {
                file.write_all(&chunk)?;
                early.wrote(&file, chunk.len());
            }
            Op::Truncate(done) => {
                let _ = done.send(file.set_len(0));
            }
        }
    }
    Ok(file)
}

impl PartWriter {
    /// Takes a file opened for appending.
    pub(crate) fn new(file: File) -> io::Result<Self> {
        let (tx, rx) = mpsc::channel(DEPTH);
        let thread = std::thread::Builder::new()
            .name("part-writer".into())
            .spawn(move || run(file, rx))?;
        Ok(PartWriter { tx, thread })
    }

    /// Queues a chunk. An error means the thread stopped on a write error: `finish` tells which.
    pub(crate) async fn append(&self, chunk: Bytes) -> Result<(), Stopped> {
        self.tx.send(Op::Append(chunk)).await.map_err(|_| Stopped)
    }

    /// Empties the file once what was queued before is written.
    pub(crate) async fn truncate(&self) -> io::Result<()> {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Op::Truncate(done)).await.is_err() {
            return Err(io::Error::other("the part file writer stopped"));
        }
        wait.await
            .unwrap_or_else(|_| Err(io::Error::other("the part file writer stopped")))
    }

    /// Writes what is queued, then syncs the data to disk when `sync`; the first write error if any.
    pub(crate) async fn finish(self, sync: bool) -> io::Result<()> {
        let PartWriter { tx, thread } = self;
        drop(tx);
        tokio::task::spawn_blocking(move || {
            let file = thread
                .join()
                .map_err(|_| io::Error::other("the part file writer panicked"))??;
            if sync {
                file.sync_data()?;
            }
            Ok(())
        })
        .await
        .map_err(io::Error::other)?
    }
}

/// The writing thread has stopped (a write failed); `finish` returns why.
#[derive(Debug)]
pub(crate) struct Stopped;

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn chunks_land_in_order_and_truncate_starts_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p");
        std::fs::write(&path, b"old").unwrap();
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        let w = PartWriter::new(file).unwrap();
        w.append(Bytes::from_static(b"-a")).await.unwrap();
        w.truncate().await.unwrap();
        for part in [&b"one "[..], b"two ", b"three"] {
            w.append(Bytes::copy_from_slice(part)).await.unwrap();
        }
        w.finish(true).await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"one two three");
    }

    #[test]
    fn an_early_sync_starts_every_64_mib_one_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let file = File::create(dir.path().join("p")).unwrap();
        let mut early = EarlySync::default();
        early.wrote(&file, (EARLY_SYNC - 1) as usize);
        assert!(early.running.is_none());
        early.wrote(&file, 1);
        let first = early.running.take().expect("a sync after 64 MiB");
        first.join().unwrap();
        assert_eq!(early.unsynced, 0);
        early.wrote(&file, EARLY_SYNC as usize);
        assert!(early.running.is_some());
    }

    #[tokio::test]
    async fn a_write_error_comes_back() {
        let full = std::path::Path::new("/dev/full");
        if !full.exists() {
            return;
        }
        let file = std::fs::OpenOptions::new().append(true).open(full).unwrap();
        let w = PartWriter::new(file).unwrap();
        // The thread stops at the first failed write; later appends see it stopped.
        let mut stopped = false;
        for _ in 0..(DEPTH * 4) {
            if w.append(Bytes::from(vec![0u8; 4096])).await.is_err() {
                stopped = true;
                break;
            }
        }
        let e = w.finish(false).await.unwrap_err();
        assert_eq!(e.raw_os_error(), Some(28), "ENOSPC: {e}");
        assert!(stopped);
    }
}
