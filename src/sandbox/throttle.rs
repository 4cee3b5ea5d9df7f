//! The bandwidth cap on one body (download or upload): after each chunk, wait until the bytes so
//! far fit the rate since the body started.

use std::time::Duration;
use tokio::time::Instant;

pub(crate) struct Throttle {
    rate: Option<u64>,
    start: Instant,
    bytes: u64,
}

/// Chunks for bodies without a cap.
pub(crate) const FULL_CHUNK: usize = 64 * 1024;

impl Throttle {
    pub fn new(rate: Option<u64>) -> Self {
        Throttle {
            rate,
            start: Instant::now(),
            bytes: 0,
        }
    }

    /// How much to send at once: about a twentieth of a second's worth under a cap, so the
    /// flow looks smooth to a progress bar.
    pub fn chunk(&self) -> usize {
        match self.rate {
            None => FULL_CHUNK,
            Some(rate) => usize::try_from(rate / 20)
                .unwrap_or(FULL_CHUNK)
                .clamp(512, FULL_CHUNK),
        }
    }

    /// Accounts for `n` bytes and waits as long as the cap requires.
    pub async fn pace(&mut self, n: usize) {
        self.bytes += n as u64;
        if let Some(due) = self.due() {
            tokio::time::sleep_until(self.start + due).await;
        }
    }

    /// When, after the start, the bytes so far may have gone.
    fn due(&self) -> Option<Duration> {
        let rate = self.rate?;
        Some(Duration::from_secs_f64(self.bytes as f64 / rate as f64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_sets_the_pace() {
        let mut t = Throttle::new(Some(1000));
        assert_eq!(t.chunk(), 512);
        t.bytes = 2500;
        assert_eq!(t.due(), Some(Duration::from_millis(2500)));
        let fast = Throttle::new(Some(100 << 20));
        assert_eq!(fast.chunk(), FULL_CHUNK);
        let free = Throttle::new(None);
        assert_eq!(free.due(), None);
        assert_eq!(free.chunk(), FULL_CHUNK);
    }
}
