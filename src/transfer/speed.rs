//! A transfer's speed, smoothed over a few seconds so the number a user reads does not jump at
//! every sample, and the time left that follows from it.
//!
//! During the first window the speed is the plain average since the start (an average of a few
//! samples is steadier than an EMA seeded with zero); after that, an exponential moving average
//! whose weight follows the real time between samples, so irregular ticks do not skew it.

use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub(crate) struct SpeedMeter {
    window: f64,
    rate: f64,
    first: Option<(Instant, u64)>,
    last: Option<(Instant, u64)>,
}

impl SpeedMeter {
    pub fn new(window: Duration) -> Self {
        SpeedMeter {
            window: window.as_secs_f64().max(0.001),
            rate: 0.0,
            first: None,
            last: None,
        }
    }

    /// Records that `bytes` had moved in total at `now`.
    pub fn sample(&mut self, now: Instant, bytes: u64) {
        let (Some((t0, b0)), Some((t1, b1))) = (self.first, self.last) else {
            self.first = Some((now, bytes));
            self.last = Some((now, bytes));
            return;
        };
        if bytes < b1 {
            // A new attempt started from zero: measure it afresh.
            *self = SpeedMeter::new(Duration::from_secs_f64(self.window));
            self.sample(now, bytes);
            return;
        }
        let dt = now.saturating_duration_since(t1).as_secs_f64();
        if dt <= 0.0 {
            return;
        }
        let since_start = now.saturating_duration_since(t0).as_secs_f64();
        if since_start <= self.window {
            self.rate = (bytes - b0) as f64 / since_start;
        } else {
            let instant = (bytes - b1) as f64 / dt;
            let alpha = 1.0 - (-dt / self.window).exp();
            self.rate += alpha * (instant - self.rate);
        }
        self.last = Some((now, bytes));
    }

    /// Bytes per second.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// Time left for `remaining` bytes at the current speed; unknown while nothing moves.
    pub fn eta(&self, remaining: u64) -> Option<Duration> {
        if self.rate < 1.0 {
            return None;
        }
        Duration::try_from_secs_f64(remaining as f64 / self.rate).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(
        m: &mut SpeedMeter,
        start: Instant,
        from_ms: u64,
        to_ms: u64,
        rate: f64,
        base: u64,
    ) -> u64 {
        let mut bytes = base;
        for ms in (from_ms..=to_ms).step_by(100) {
            bytes = base + ((ms - from_ms) as f64 / 1000.0 * rate) as u64;
            m.sample(start + Duration::from_millis(ms), bytes);
        }
        bytes
    }

    #[test]
    fn steady_rate_is_measured_from_the_first_samples() {
        let t = Instant::now();
        let mut m = SpeedMeter::new(Duration::from_secs(3));
        feed(&mut m, t, 0, 1000, 1_000_000.0, 0);
        assert!((m.rate() - 1_000_000.0).abs() < 1_000.0, "{}", m.rate());
        let eta = m.eta(5_000_000).unwrap();
        assert!((eta.as_secs_f64() - 5.0).abs() < 0.01, "{eta:?}");
    }

    #[test]
    fn a_change_of_speed_is_followed_within_a_few_windows() {
        let t = Instant::now();
        let mut m = SpeedMeter::new(Duration::from_secs(3));
        let b = feed(&mut m, t, 0, 10_000, 1_000_000.0, 0);
        let _ = feed(&mut m, t, 10_000, 13_000, 4_000_000.0, b);
        // One window after the change the average has moved most of the way, not all of it.
        assert!(
            m.rate() > 2_500_000.0 && m.rate() < 4_000_000.0,
            "{}",
            m.rate()
        );
        let b = feed(&mut m, t, 10_000, 25_000, 4_000_000.0, b);
        let _ = b;
        assert!((m.rate() - 4_000_000.0).abs() < 100_000.0, "{}", m.rate());
    }

    #[test]
    fn a_stall_decays_and_eta_becomes_unknown() {
        let t = Instant::now();
        let mut m = SpeedMeter::new(Duration::from_secs(2));
        let b = feed(&mut m, t, 0, 5_000, 1_000_000.0, 0);
        for ms in (5_100..=60_000).step_by(100) {
            m.sample(t + Duration::from_millis(ms), b);
        }
        assert!(m.rate() < 1.0, "{}", m.rate());
        assert_eq!(m.eta(10), None);
    }

    #[test]
    fn a_restart_from_zero_starts_a_new_measure() {
        let t = Instant::now();
        let mut m = SpeedMeter::new(Duration::from_secs(3));
        feed(&mut m, t, 0, 5_000, 8_000_000.0, 0);
        feed(&mut m, t, 5_000, 6_000, 1_000_000.0, 0);
        assert!((m.rate() - 1_000_000.0).abs() < 1_000.0, "{}", m.rate());
    }

    #[test]
    fn no_eta_before_any_speed() {
        let m = SpeedMeter::new(Duration::from_secs(3));
        assert_eq!(m.eta(100), None);
        assert_eq!(m.rate(), 0.0);
    }
}
