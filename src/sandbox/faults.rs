//! Fault injection (latency, bandwidth, dropped connections, 5xx, cut JSON, flood locks, slow
//! end.pl, damaged uploads, lost answers) and the counters tests read to check what a client did
//! (calls per endpoint, its densest second, bytes, bodies at once).

use axum::http::StatusCode;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Faults to inject, settable while the sandbox runs; each takes effect on the next request.
#[derive(Default)]
pub struct Faults {
    inner: Mutex<FaultState>,
}

#[derive(Default)]
struct FaultState {
    dice: Dice,
    latency: Duration,
    bandwidth: Option<u64>,
    cut_downloads: Option<(u64, u32)>,
    cut_uploads: Option<(u64, u32)>,
    error_rate: f64,
    garbage_rate: f64,
    locked_until: Option<Instant>,
    end_pending: u32,
    corrupt_uploads: u32,
    drop_upload_answers: u32,
}

/// The dice of the 5xx and cut-JSON rates, seeded: a test that sends its calls one after another
/// meets the same faults at every run, so it cannot pass or fail by luck.
struct Dice(fastrand::Rng);

impl Default for Dice {
    fn default() -> Self {
        // Any fixed seed does.
        Dice(fastrand::Rng::with_seed(0x1f1c_4e55))
    }
}

impl Faults {
    fn state(&self) -> MutexGuard<'_, FaultState> {
        // A panic elsewhere cannot leave these plain values half-written: keep going.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Added before every answer, API calls and bodies alike.
    pub fn set_latency(&self, d: Duration) {
        self.state().latency = d;
    }

    /// A cap on each download and upload body, in bytes a second; `None` lifts it.
    pub fn set_bandwidth(&self, bytes_per_sec: Option<u64>) {
        self.state().bandwidth = bytes_per_sec.filter(|b| *b > 0);
    }

    /// The next `times` download bodies drop their connection after `bytes` bytes.
    pub fn cut_downloads_after(&self, bytes: u64, times: u32) {
        self.state().cut_downloads = (times > 0).then_some((bytes, times));
    }

    /// The next `times` uploads drop their connection after `bytes` bytes of file received.
    pub fn cut_uploads_after(&self, bytes: u64, times: u32) {
        self.state().cut_uploads = (times > 0).then_some((bytes, times));
    }

    /// The share (0..1) of API calls answered with a 5xx (500, 502 or 503).
    pub fn set_error_rate(&self, share: f64) {
        self.state().error_rate = if share.is_finite() {
            share.clamp(0.0, 1.0)
        } else {
            0.0
        };
    }

    /// The share (0..1) of API calls whose JSON answer is cut in the middle (HTTP 200, as when a
    /// proxy drops the connection mid-answer). The call itself is carried out: a write happened.
    pub fn set_garbage_rate(&self, share: f64) {
        self.state().garbage_rate = if share.is_finite() {
            share.clamp(0.0, 1.0)
        } else {
            0.0
        };
    }

    /// Locks now: every API call answers `#374` for `d`.
    pub fn lock_flood(&self, d: Duration) {
        self.state().locked_until = Some(Instant::now() + d);
    }

    /// end.pl answers "still processing" (no links) this many times before answering for real.
    pub fn set_end_pending(&self, polls: u32) {
        self.state().end_pending = polls;
    }

    /// The next `times` uploads are stored with one byte changed, as a damaged disk would keep
    /// them: the service's whirlpool (of what it stored) no longer matches what was sent.
    pub fn corrupt_uploads(&self, times: u32) {
        self.state().corrupt_uploads = times;
    }

    /// The next `times` uploads are kept, then their connection drops instead of the answer:
    /// the client cannot tell whether the file arrived.
    pub fn drop_upload_answers(&self, times: u32) {
        self.state().drop_upload_answers = times;
    }

    /// Back to a healthy service, flood lock included.
    pub fn clear(&self) {
        *self.state() = FaultState::default();
    }

    pub(crate) fn latency(&self) -> Duration {
        self.state().latency
    }

    pub(crate) fn bandwidth(&self) -> Option<u64> {
        self.state().bandwidth
    }

    /// Where this download body must be cut, if a cut is pending.
    pub(crate) fn take_download_cut(&self) -> Option<u64> {
        take_cut(&mut self.state().cut_downloads)
    }

    pub(crate) fn take_upload_cut(&self) -> Option<u64> {
        take_cut(&mut self.state().cut_uploads)
    }

    /// The 5xx this call gets, if the dice say so.
    pub(crate) fn roll_error(&self) -> Option<StatusCode> {
        let mut state = self.state();
        let rate = state.error_rate;
        if rate <= 0.0 || state.dice.0.f64() >= rate {
            return None;
        }
        Some(match state.dice.0.u8(0..3) {
            0 => StatusCode::BAD_GATEWAY,
            1 => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        })
    }

    /// Whether this call's answer must be cut, if the dice say so.
    pub(crate) fn roll_garbage(&self) -> bool {
        let mut state = self.state();
        let rate = state.garbage_rate;
        rate > 0.0 && state.dice.0.f64() < rate
    }

    pub(crate) fn locked(&self, now: Instant) -> bool {
        self.state().locked_until.is_some_and(|until| now < until)
    }

    pub(crate) fn lock_until(&self, until: Instant) {
        self.state().locked_until = Some(until);
    }

    /// Whether this upload must be stored damaged.
    pub(crate) fn take_corrupt_upload(&self) -> bool {
        take_count(&mut self.state().corrupt_uploads)
    }

    /// Whether this upload's answer must be lost.
    pub(crate) fn take_drop_upload_answer(&self) -> bool {
        take_count(&mut self.state().drop_upload_answers)
    }

    /// Whether this end.pl poll must still answer "processing".
    pub(crate) fn take_end_pending(&self) -> bool {
        take_count(&mut self.state().end_pending)
    }
}

fn take_count(left: &mut u32) -> bool {
    if *left == 0 {
        return false;
    }
    *left -= 1;
    true
}

fn take_cut(slot: &mut Option<(u64, u32)>) -> Option<u64> {
    let (bytes, times) = (*slot)?;
    *slot = (times > 1).then_some((bytes, times - 1));
    Some(bytes)
}

/// A snapshot of the sandbox's counters (also served as JSON at GET /sandbox/stats).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Stats {
    /// Calls to /v1/* that reached the handlers, refused ones included.
    pub api_calls: u64,
    /// Calls per endpoint, e.g. "file/ls.cgi".
    pub by_endpoint: BTreeMap<String, u64>,
    /// The most API calls seen within one second (sliding window): the client's pace.
    pub max_calls_in_one_second: u32,
    /// Flood locks triggered by the pace of calls (not by `Faults::lock_flood`).
    pub flood_locks: u64,
    pub download_bytes_served: u64,
    pub upload_bytes_received: u64,
    pub uploads_completed: u64,
    pub tokens_issued: u64,
    /// API calls answered with a 5xx by `Faults::set_error_rate`.
    pub injected_errors: u64,
    /// The most upload and download bodies in flight at once: the client's concurrency.
    pub max_bodies_at_once: u64,
    /// Upload and download bodies in flight now (not reset).
    pub bodies_in_flight: u64,
}

const WINDOW: Duration = Duration::from_secs(1);

/// The counters and the sliding windows of recent calls.
#[derive(Default)]
pub(crate) struct StatsBook {
    inner: Mutex<Book>,
}

#[derive(Default)]
struct Book {
    stats: Stats,
    /// Bodies in flight now.
    bodies: u64,
    /// Recent calls, for flood detection; never reset.
    flood_window: VecDeque<Instant>,
    /// Recent calls since the last reset, for `max_calls_in_one_second`.
    stats_window: VecDeque<Instant>,
}

fn slide(window: &mut VecDeque<Instant>, now: Instant) -> u32 {
    window.push_back(now);
    while window
        .front()
        .is_some_and(|t| now.duration_since(*t) >= WINDOW)
    {
        window.pop_front();
    }
    u32::try_from(window.len()).unwrap_or(u32::MAX)
}

impl StatsBook {
    fn book(&self) -> MutexGuard<'_, Book> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts an API call; returns how many calls the last second holds, this one included.
    pub fn record_call(&self, endpoint: &str, now: Instant) -> u32 {
        let mut book = self.book();
        let Book {
            stats,
            flood_window,
            stats_window,
            ..
        } = &mut *book;
        stats.api_calls += 1;
        *stats.by_endpoint.entry(endpoint.to_string()).or_default() += 1;
        let dense = slide(stats_window, now);
        stats.max_calls_in_one_second = stats.max_calls_in_one_second.max(dense);
        slide(flood_window, now)
    }

    pub fn update(&self, f: impl FnOnce(&mut Stats)) {
        f(&mut self.book().stats);
    }

    /// Counts a body in flight until the guard is dropped.
    pub fn body(self: &Arc<Self>) -> BodyGuard {
        let mut book = self.book();
        book.bodies += 1;
        book.stats.max_bodies_at_once = book.stats.max_bodies_at_once.max(book.bodies);
        BodyGuard(self.clone())
    }

    pub fn snapshot(&self) -> Stats {
        let book = self.book();
        Stats {
            bodies_in_flight: book.bodies,
            ..book.stats.clone()
        }
    }

    pub fn reset(&self) {
        let mut book = self.book();
        book.stats = Stats::default();
        book.stats_window.clear();
    }
}

/// A body in flight, for `Stats::max_bodies_at_once`.
pub(crate) struct BodyGuard(Arc<StatsBook>);

impl Drop for BodyGuard {
    fn drop(&mut self) {
        let mut book = self.0.book();
        book.bodies = book.bodies.saturating_sub(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_slides() {
        let book = StatsBook::default();
        let t0 = Instant::now();
        assert_eq!(book.record_call("a", t0), 1);
        assert_eq!(book.record_call("a", t0 + Duration::from_millis(400)), 2);
        assert_eq!(book.record_call("b", t0 + Duration::from_millis(900)), 3);
        // t0 leaves the window at t0 + 1 s.
        assert_eq!(book.record_call("b", t0 + Duration::from_millis(1000)), 3);
        assert_eq!(book.record_call("b", t0 + Duration::from_millis(2500)), 1);
        let stats = book.snapshot();
        assert_eq!(stats.api_calls, 5);
        assert_eq!(stats.by_endpoint["b"], 3);
        assert_eq!(stats.max_calls_in_one_second, 3);
        book.reset();
        assert_eq!(book.snapshot().api_calls, 0);
        // The flood window survives a reset of the counters.
        assert_eq!(book.record_call("c", t0 + Duration::from_millis(2600)), 2);
        assert_eq!(book.snapshot().max_calls_in_one_second, 1);
    }

    #[test]
    fn cuts_are_used_up() {
        let faults = Faults::default();
        faults.cut_downloads_after(10, 2);
        assert_eq!(faults.take_download_cut(), Some(10));
        assert_eq!(faults.take_download_cut(), Some(10));
        assert_eq!(faults.take_download_cut(), None);
        assert_eq!(faults.take_upload_cut(), None);
    }

    #[test]
    fn bodies_at_once_and_counted_faults() {
        let book = Arc::new(StatsBook::default());
        let a = book.body();
        let b = book.body();
        drop(a);
        let _c = book.body();
        drop(b);
        assert_eq!(book.snapshot().max_bodies_at_once, 2);
        assert_eq!(book.snapshot().bodies_in_flight, 1);
        let faults = Faults::default();
        faults.corrupt_uploads(1);
        faults.drop_upload_answers(2);
        assert!(faults.take_corrupt_upload());
        assert!(!faults.take_corrupt_upload());
        assert!(faults.take_drop_upload_answer());
        assert!(faults.take_drop_upload_answer());
        assert!(!faults.take_drop_upload_answer());
    }

    #[test]
    fn error_rate_extremes() {
        let faults = Faults::default();
        assert!(faults.roll_error().is_none());
        faults.set_error_rate(1.0);
        assert!(faults.roll_error().is_some_and(|s| s.is_server_error()));
        faults.clear();
        assert!(faults.roll_error().is_none());
        assert!(!faults.roll_garbage());
        faults.set_garbage_rate(1.0);
        assert!(faults.roll_garbage());
        faults.set_garbage_rate(f64::NAN);
        assert!(!faults.roll_garbage());
    }
}
