//! One gate for every API call of the program: calls are spaced to the configured rate, and a
//! flood answer from the service closes the gate for everyone until the pause is over. A flood
//! also slows the pace itself (as rclone backs off to 5 s), and the pace comes back slowly with
//! successes: going back to the pace that was locked would only meet the lock again.
//!
//! Time is tokio's, so tests drive it with `tokio::time::pause` instead of the wall clock.

use super::PaceStatus;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::{Instant, sleep_until};

/// The slowest spacing a flood can push the pace to (unless the configured one is slower).
const SLOWEST: Duration = Duration::from_secs(5);
/// Each success takes back this share of the spacing a flood added.
const RECOVERY: u32 = 32;

/// What a call learns from the pacer when it may go: which flood "generation" it was sent in, so
/// several answers to calls that were all in flight when the lock started grow the pause once.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Permit {
    generation: u64,
}

#[derive(Debug)]
struct FloodState {
    /// Every call waits until then.
    until: Option<Instant>,
    /// The last flood pause; zero once a call has succeeded since.
    pause: Duration,
    /// Bumped at each new flood pause.
    generation: u64,
    /// The spacing between calls now: the configured one, or more after a flood.
    spacing: Duration,
}

#[derive(Debug)]
pub(crate) struct Pacer {
    interval: Duration,
    flood_wait: Duration,
    max_flood_wait: Duration,
    /// The earliest instant the next call may go. Held across the wait, so callers queue in turn.
    next: tokio::sync::Mutex<Instant>,
    flood: Mutex<FloodState>,
    status: Arc<watch::Sender<PaceStatus>>,
}

impl Pacer {
    /// `calls_per_second` must be positive; infinity means no spacing.
    pub(crate) fn new(
        calls_per_second: f64,
        flood_wait: Duration,
        max_flood_wait: Duration,
    ) -> Self {
        let interval = if calls_per_second.is_finite() && calls_per_second > 0.0 {
            Duration::from_secs_f64(1.0 / calls_per_second)
        } else {
            Duration::ZERO
        };
        Pacer {
            interval,
            flood_wait,
            max_flood_wait: max_flood_wait.max(flood_wait),
            next: tokio::sync::Mutex::new(Instant::now()),
            flood: Mutex::new(FloodState {
                until: None,
                pause: Duration::ZERO,
                generation: 0,
                spacing: interval,
            }),
            status: Arc::new(watch::Sender::new(PaceStatus::Ready)),
        }
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<PaceStatus> {
        self.status.subscribe()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, FloodState> {
        self.flood.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for this call's turn: after the previous call's slot and after any flood pause.
    pub(crate) async fn acquire(&self) -> Permit {
        let mut next = self.next.lock().await;
        loop {
            let gate = self.state().until;
            let at = gate.map_or(*next, |g| g.max(*next));
            if at <= Instant::now() {
                break;
            }
            // A flood answer may arrive while we sleep and push the gate further: look again.
            sleep_until(at).await;
        }
        let (generation, spacing) = {
            let f = self.state();
            (f.generation, f.spacing)
        };
        *next = Instant::now() + spacing;
        self.clear_status_if_passed();
        Permit { generation }
    }

    /// A flood answer (`#374`, `#412`): closes the gate for every call. The first answer of a
    /// generation sets or doubles the pause; answers to calls sent before it only wait.
    /// Returns how long the gate stays closed from now.
    pub(crate) fn flood(&self, permit: Permit, reason: &str) -> Duration {
        let now = Instant::now();
        let until = {
            let mut f = self.state();
            if permit.generation == f.generation {
                f.pause = if f.pause.is_zero() {
                    self.flood_wait
                } else {
                    (f.pause * 2).min(self.max_flood_wait)
                };
                f.generation += 1;
                // The pace that met the lock is too fast: halve it (spacing off stays off).
                f.spacing = (f.spacing * 2).min(SLOWEST.max(self.interval));
                let until = now + f.pause;
                f.until = Some(f.until.map_or(until, |u| u.max(until)));
            }
            f.until.unwrap_or(now)
        };
        self.announce(until, reason);
        until.saturating_duration_since(now)
    }

    /// Closes the gate for `pause` without touching the flood pause's growth (`#223`: the account
    /// is locked for minutes).
    pub(crate) fn hold(&self, pause: Duration, reason: &str) {
        let until = Instant::now() + pause;
        let until = {
            let mut f = self.state();
            f.generation += 1;
            let merged = f.until.map_or(until, |u| u.max(until));
            f.until = Some(merged);
            merged
        };
        self.announce(until, reason);
    }

    /// A call went through: the next flood answer starts again from the first pause, and the
    /// pace takes back a little of what floods slowed it by.
    pub(crate) fn success(&self, permit: Permit) {
        let mut f = self.state();
        if permit.generation == f.generation {
            f.pause = Duration::ZERO;
            let extra = f.spacing.saturating_sub(self.interval);
            f.spacing = if extra < Duration::from_millis(1) {
                self.interval
            } else {
                f.spacing - extra / RECOVERY
            };
        }
    }

    /// The spacing between calls now (for tests and logs).
    #[cfg(test)]
    pub(crate) fn current_spacing(&self) -> Duration {
        self.state().spacing
    }

    /// The pause a new flood answer would start with now (for tests and logs).
    #[cfg(test)]
    pub(crate) fn current_pause(&self) -> Duration {
        self.state().pause
    }

    fn announce(&self, until: Instant, reason: &str) {
        let waiting = PaceStatus::Waiting {
            until: until.into_std(),
            reason: reason.to_string(),
        };
        self.status.send_if_modified(|s| {
            if *s == waiting {
                return false;
            }
            *s = waiting;
            true
        });
        // Nobody may call for a while: a small task puts the status back to Ready on time.
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            let status = Arc::clone(&self.status);
            let until_std = until.into_std();
            handle.spawn(async move {
                sleep_until(until).await;
                status.send_if_modified(|s| match s {
                    PaceStatus::Waiting { until: u, .. } if *u <= until_std => {
                        *s = PaceStatus::Ready;
                        true
                    }
                    _ => false,
                });
            });
        }
    }

    fn clear_status_if_passed(&self) {
        let now = Instant::now().into_std();
        self.status.send_if_modified(|s| match s {
            PaceStatus::Waiting { until, .. } if *until <= now => {
                *s = PaceStatus::Ready;
                true
            }
            _ => false,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pacer(cps: f64) -> Pacer {
        Pacer::new(cps, Duration::from_secs(30), Duration::from_secs(300))
    }

    #[tokio::test(start_paused = true)]
    async fn calls_are_spaced_by_the_rate() {
        let p = pacer(2.0);
        let start = Instant::now();
        let mut at = Vec::new();
        for _ in 0..5 {
            p.acquire().await;
            at.push(Instant::now() - start);
        }
        let expected: Vec<Duration> = (0..5).map(|i| Duration::from_millis(500 * i)).collect();
        assert_eq!(at, expected);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_share_one_gate() {
        let p = Arc::new(pacer(1.0));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let p = Arc::clone(&p);
            tasks.push(tokio::spawn(async move {
                p.acquire().await;
                Instant::now() - start
            }));
        }
        let mut at = Vec::new();
        for t in tasks {
            at.push(t.await.unwrap());
        }
        at.sort();
        assert_eq!(at, (0..4).map(Duration::from_secs).collect::<Vec<_>>());
    }

    #[tokio::test(start_paused = true)]
    async fn flood_pauses_everyone_and_grows_until_a_success() {
        let p = pacer(1000.0);
        let permit = p.acquire().await;
        let rx = p.subscribe();
        let start = Instant::now();
        assert_eq!(p.flood(permit, "flood lock"), Duration::from_secs(30));
        assert!(
            matches!(&*rx.borrow(), PaceStatus::Waiting { reason, .. } if reason == "flood lock")
        );

        let permit = p.acquire().await;
        assert_eq!(Instant::now() - start, Duration::from_secs(30));
        assert_eq!(*rx.borrow(), PaceStatus::Ready);
        assert_eq!(p.flood(permit, "flood lock"), Duration::from_secs(60));
        let permit = p.acquire().await;
        assert_eq!(p.flood(permit, "flood lock"), Duration::from_secs(120));
        let permit = p.acquire().await;
        assert_eq!(p.flood(permit, "flood lock"), Duration::from_secs(240));
        let permit = p.acquire().await;
        assert_eq!(
            p.flood(permit, "flood lock"),
            Duration::from_secs(300),
            "capped"
        );

        let permit = p.acquire().await;
        p.success(permit);
        assert_eq!(p.current_pause(), Duration::ZERO);
        let permit = p.acquire().await;
        assert_eq!(
            p.flood(permit, "flood lock"),
            Duration::from_secs(30),
            "reset by the success"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn answers_to_calls_already_in_flight_grow_the_pause_once() {
        let p = pacer(1000.0);
        let a = p.acquire().await;
        let b = p.acquire().await;
        assert_eq!(p.flood(a, "flood lock"), Duration::from_secs(30));
        // b was sent before the lock: it waits for the same pause, it does not double it.
        let left = p.flood(b, "flood lock");
        assert!(left <= Duration::from_secs(30));
        assert_eq!(p.current_pause(), Duration::from_secs(30));
        // A success of a call sent before the lock does not reset the pause either.
        p.success(b);
        assert_eq!(p.current_pause(), Duration::from_secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn a_flood_slows_the_pace_and_successes_bring_it_back() {
        let p = Pacer::new(2.0, Duration::from_secs(1), Duration::from_secs(8));
        let permit = p.acquire().await;
        p.flood(permit, "flood lock");
        assert_eq!(p.current_spacing(), Duration::from_secs(1));
        // After the pause, calls are a second apart, not half a second.
        let a = p.acquire().await;
        let t = Instant::now();
        p.success(a);
        let b = p.acquire().await;
        assert_eq!(Instant::now() - t, Duration::from_secs(1));
        // The pace comes back a little with each success.
        assert_eq!(
            p.current_spacing(),
            Duration::from_secs(1) - Duration::from_millis(500) / RECOVERY
        );
        p.success(b);
        for _ in 0..400 {
            p.success(Permit { generation: 1 });
        }
        assert_eq!(p.current_spacing(), Duration::from_millis(500));
        // Floods in a row slow it to 5 s at most.
        for _ in 0..10 {
            let permit = p.acquire().await;
            p.flood(permit, "flood lock");
        }
        assert_eq!(p.current_spacing(), SLOWEST);
        // Spacing turned off stays off.
        let free = pacer(f64::INFINITY);
        let permit = free.acquire().await;
        free.flood(permit, "flood lock");
        assert_eq!(free.current_spacing(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn status_goes_back_to_ready_without_further_calls() {
        let p = pacer(1000.0);
        let mut rx = p.subscribe();
        let permit = p.acquire().await;
        p.flood(permit, "flood lock");
        rx.changed().await.unwrap();
        assert!(matches!(
            *rx.borrow_and_update(),
            PaceStatus::Waiting { .. }
        ));
        rx.changed().await.unwrap();
        assert_eq!(*rx.borrow(), PaceStatus::Ready);
    }

    #[tokio::test(start_paused = true)]
    async fn hold_closes_the_gate_without_growing_the_pause() {
        let p = pacer(1000.0);
        let start = Instant::now();
        p.hold(Duration::from_secs(300), "account locked");
        p.acquire().await;
        assert_eq!(Instant::now() - start, Duration::from_secs(300));
        assert_eq!(p.current_pause(), Duration::ZERO);
    }
}
