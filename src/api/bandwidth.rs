//! A token bucket shared by every transfer (`--bwlimit`): bytes move only as fast as the cap lets
//! them, whatever the number of transfers, and the cap can change while they run.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// At most this much may move at once after a quiet moment, in seconds of the rate.
const BURST_SECONDS: f64 = 0.25;

#[derive(Debug)]
struct Bucket {
    /// Bytes that may move now; negative only while a taker sleeps off its debt.
    available: f64,
    last: Instant,
}

/// A shared cap on bytes per second across transfers; `None` (or 0) means no cap.
#[derive(Debug)]
pub struct Bandwidth {
    /// Bytes per second; 0 means no cap.
    rate: AtomicU64,
    /// Held across the sleep, so takers queue in turn and share the rate fairly.
    bucket: tokio::sync::Mutex<Bucket>,
}

impl Bandwidth {
    pub fn new(bytes_per_second: Option<u64>) -> Self {
        let rate = bytes_per_second.unwrap_or(0);
        Bandwidth {
            rate: AtomicU64::new(rate),
            bucket: tokio::sync::Mutex::new(Bucket {
                available: burst(rate),
                last: Instant::now(),
            }),
        }
    }

    /// Changes the cap while transfers run.
    pub fn set_rate(&self, bytes_per_second: Option<u64>) {
        self.rate
            .store(bytes_per_second.unwrap_or(0), Ordering::Relaxed);
    }

    /// The cap now, if any.
    pub fn rate(&self) -> Option<u64> {
        Some(self.rate.load(Ordering::Relaxed)).filter(|r| *r > 0)
    }

    /// A good size for the pieces a transfer moves at a time under this cap: small enough that
    /// progress moves several times a second, never larger than `max`.
    pub fn chunk_size(&self, max: usize) -> usize {
        match self.rate() {
            Some(rate) => (rate / 4).clamp(16 * 1024, max as u64) as usize,
            None => max,
        }
    }

    /// Waits until `n` more bytes may move.
    pub async fn take(&self, n: u64) {
        let Some(rate) = self.rate() else { return };
        let wait = {
            let mut bucket = self.bucket.lock().await;
            let now = Instant::now();
            let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
            bucket.available = (bucket.available + elapsed * rate as f64).min(burst(rate));
            bucket.last = now;
            bucket.available -= n as f64;
            if bucket.available >= 0.0 {
                return;
            }
            let wait = Duration::from_secs_f64(-bucket.available / rate as f64);
            // Sleep with the lock held: the next taker starts once this debt is paid.
            tokio::time::sleep(wait).await;
            // The sleep paid the debt.
            bucket.available = 0.0;
            bucket.last = Instant::now();
            wait
        };
        tracing::trace!(
            bytes = n,
            waited_ms = wait.as_millis() as u64,
            "bandwidth cap"
        );
    }
}

fn burst(rate: u64) -> f64 {
    rate as f64 * BURST_SECONDS
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test(start_paused = true)]
    async fn no_cap_never_waits() {
        let b = Bandwidth::new(None);
        let start = Instant::now();
        b.take(10 << 30).await;
        assert_eq!(Instant::now(), start);
        let zero = Bandwidth::new(Some(0));
        zero.take(10 << 30).await;
        assert_eq!(Instant::now(), start);
    }

    #[tokio::test(start_paused = true)]
    async fn a_cap_spreads_bytes_over_time() {
        let b = Bandwidth::new(Some(1000));
        let start = Instant::now();
        // The burst (250 bytes) goes at once, then 1000 bytes a second.
        b.take(250).await;
        assert_eq!(Instant::now(), start);
        for _ in 0..10 {
            b.take(100).await;
        }
        assert_eq!(Instant::now() - start, Duration::from_secs(1));
        b.take(2000).await;
        assert_eq!(Instant::now() - start, Duration::from_secs(3));
    }

    #[tokio::test(start_paused = true)]
    async fn transfers_share_the_cap() {
        let b = Arc::new(Bandwidth::new(Some(1000)));
        b.take(250).await; // drain the burst
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let b = Arc::clone(&b);
            tasks.push(tokio::spawn(async move {
                for _ in 0..5 {
                    b.take(100).await;
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        // 4 x 5 x 100 bytes at 1000 B/s: two seconds, not half a second.
        assert_eq!(Instant::now() - start, Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn the_cap_can_change_while_running() {
        let b = Bandwidth::new(Some(1000));
        b.take(250).await;
        let start = Instant::now();
        b.take(1000).await;
        assert_eq!(Instant::now() - start, Duration::from_secs(1));
        b.set_rate(Some(4000));
        b.take(4000).await;
        assert_eq!(Instant::now() - start, Duration::from_secs(2));
        b.set_rate(None);
        b.take(1 << 40).await;
        assert_eq!(Instant::now() - start, Duration::from_secs(2));
        assert_eq!(b.chunk_size(1 << 20), 1 << 20);
        b.set_rate(Some(100_000));
        assert_eq!(b.chunk_size(1 << 20), 25_000);
    }
}
