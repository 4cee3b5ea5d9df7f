//! The pacer against the sandbox's flood detection: bursts from several tasks at once keep to the
//! client's pace (the sandbox measures the densest second), flood locks are waited out by every
//! task together with the reason shown, and `user/info.cgi`'s own limit is never hammered.

mod common;

use common::api::{calls, client_with, sandbox_with};
use fichier_tui::api::{ApiError, Client, FolderId, PaceStatus};
use fichier_tui::sandbox::SandboxConfig;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// `n` calls spread over `tasks` tasks started at once; every result.
async fn burst(c: &Client, tasks: usize, n: usize) -> Vec<Result<(), ApiError>> {
    let mut handles = Vec::new();
    for t in 0..tasks {
        let c = c.clone();
        let share = n / tasks + usize::from(t < n % tasks);
        handles.push(tokio::spawn(async move {
            let mut out = Vec::new();
            for i in 0..share {
                // Reads of different kinds: all of them share the one pacer.
                let r = if (t + i) % 2 == 0 {
                    c.folder_ls(FolderId::ROOT).await.map(drop)
                } else {
                    c.file_ls(FolderId::ROOT).await.map(drop)
                };
                out.push(r);
            }
            out
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await.expect("a task"));
    }
    all
}

/// Every status the pacer announces, in order, until the returned handle is dropped.
fn watch_statuses(c: &Client) -> Arc<Mutex<Vec<PaceStatus>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut rx = c.pace_status();
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        while rx.changed().await.is_ok() {
            let s = rx.borrow_and_update().clone();
            log.lock().unwrap().push(s);
        }
    });
    seen
}

fn waited_for(seen: &Mutex<Vec<PaceStatus>>, reason: &str) -> bool {
    seen.lock()
        .unwrap()
        .iter()
        .any(|s| matches!(s, PaceStatus::Waiting { reason: r, .. } if r == reason))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_from_many_tasks_keeps_to_the_pace() {
    // The client's pace rounded up is the sandbox's limit: at the limit, never above it.
    let sb = sandbox_with(SandboxConfig {
        flood_limit: Some(16),
        flood_lock: Duration::from_secs(10),
        ..SandboxConfig::for_tests()
    })
    .await;
    let c = client_with(&sb, |o| o.calls_per_second = 15.5);
    let results = burst(&c, 5, 50).await;
    assert_eq!(results.len(), 50);
    for r in &results {
        assert!(r.is_ok(), "{r:?}");
    }
    let stats = sb.stats();
    assert_eq!(stats.flood_locks, 0);
    assert_eq!(stats.api_calls, 50, "no call was refused and retried");
    assert!(
        stats.max_calls_in_one_second <= 16,
        "{} calls in one second",
        stats.max_calls_in_one_second
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_lock_is_waited_out_by_every_task() {
    let sb = sandbox_with(SandboxConfig::for_tests()).await;
    let c = client_with(&sb, |o| {
        o.calls_per_second = 200.0;
        o.flood_wait = Duration::from_millis(100);
        o.max_flood_wait = Duration::from_millis(800);
        o.max_retries = 6;
    });
    let seen = watch_statuses(&c);
    // Some calls go through, then the service locks the IP while the rest are on their way.
    let first = burst(&c, 5, 10).await;
    assert!(first.iter().all(Result::is_ok));
    sb.faults().lock_flood(Duration::from_millis(500));
    let rest = burst(&c, 5, 40).await;
    for r in &rest {
        assert!(r.is_ok(), "{r:?}");
    }
    assert!(
        waited_for(&seen, "flood lock"),
        "{:?}",
        seen.lock().unwrap()
    );
    let refused = sb.stats().api_calls - 50;
    // The tasks wait together: a handful of calls meet the lock, not one per task per pause.
    assert!((1..=10).contains(&refused), "{refused} calls were refused");
    // The status goes back to Ready by itself once the pause is over.
    let mut rx = c.pace_status();
    let ready = tokio::time::timeout(
        Duration::from_secs(10),
        rx.wait_for(|s| *s == PaceStatus::Ready),
    )
    .await
    .map(|r| r.is_ok());
    assert_eq!(ready, Ok(true), "the status went back to Ready");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pace_above_the_limit_meets_locks_slows_down_and_ends() {
    let sb = sandbox_with(SandboxConfig {
        flood_limit: Some(10),
        flood_lock: Duration::from_millis(200),
        ..SandboxConfig::for_tests()
    })
    .await;
    let c = client_with(&sb, |o| {
        o.calls_per_second = 40.0;
        o.flood_wait = Duration::from_millis(200);
        o.max_flood_wait = Duration::from_secs(2);
        o.max_retries = 6;
    });
    let seen = watch_statuses(&c);
    let started = std::time::Instant::now();
    let results = burst(&c, 5, 30).await;
    for r in &results {
        assert!(r.is_ok(), "{r:?}");
    }
    let stats = sb.stats();
    eprintln!(
        "locks {} calls {} max/s {} in {:?}",
        stats.flood_locks,
        stats.api_calls,
        stats.max_calls_in_one_second,
        started.elapsed()
    );
    assert!(stats.flood_locks >= 1, "the pace was above the limit");
    assert!(waited_for(&seen, "flood lock"));
    // Each lock slows the pace: it does not go back to the pace that met the lock.
    assert!(stats.flood_locks <= 4, "{} locks", stats.flood_locks);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_info_is_never_hammered() {
    let sb = sandbox_with(SandboxConfig {
        user_info_interval: Duration::from_secs(60),
        ..SandboxConfig::for_tests()
    })
    .await;
    let c = client_with(&sb, |o| o.calls_per_second = 1000.0);
    let info = c.user_info().await.unwrap();
    assert!(info.email.is_some());
    // Within the interval: the sandbox says #38, or the client holds the call back.
    let e = c.user_info().await.unwrap_err();
    assert!(matches!(e, ApiError::Flood { wait: Some(_), .. }), "{e:?}");
    let after_two = calls(&sb, "user/info.cgi");
    assert!(after_two <= 2, "{after_two}");
    // From now on the client knows: no call at all, however many ask, at once or in turn.
    let mut handles = Vec::new();
    for _ in 0..5 {
        let c = c.clone();
        handles.push(tokio::spawn(async move { c.user_info().await }));
    }
    for h in handles {
        let e = h.await.unwrap().unwrap_err();
        assert!(e.retry_after().is_some(), "{e:?}");
    }
    assert_eq!(calls(&sb, "user/info.cgi"), after_two);
    // Other calls are not held back by the account's limit.
    c.folder_ls(FolderId::ROOT).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_info_asked_by_many_at_once_costs_one_call() {
    let sb = sandbox_with(SandboxConfig {
        user_info_interval: Duration::from_secs(60),
        ..SandboxConfig::for_tests()
    })
    .await;
    let c = client_with(&sb, |o| o.calls_per_second = 1000.0);
    // A call takes a while, as on the real network: the others ask while the first is out.
    sb.faults().set_latency(Duration::from_millis(150));
    let mut handles = Vec::new();
    for _ in 0..6 {
        let c = c.clone();
        handles.push(tokio::spawn(async move { c.user_info().await }));
    }
    for h in handles {
        let info = h.await.unwrap().unwrap();
        assert_eq!(info.email.as_deref(), Some("test@example.org"));
    }
    // The first call's answer is everyone's: one call, and no #38 to wait out.
    assert_eq!(calls(&sb, "user/info.cgi"), 1);
}
