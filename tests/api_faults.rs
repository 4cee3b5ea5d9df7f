//! The client facing each fault the sandbox can inject: refused keys, flood locks, 5xx storms,
//! cut JSON, unknown folders, latency, bandwidth caps, dropped bodies and a slow end.pl. Each test
//! checks the error's variant and words, and counts the calls the sandbox received: a client
//! that retries what must not be retried, or gives up too soon, fails here.

mod common;

use common::api::{calls, client, client_with, ctl, local_file, sandbox};
use common::pattern;
use fichier_tui::api::{ApiError, ApiKey, Bandwidth, FileUrl, FolderId, TransferCtl};
use fichier_tui::checksum::whirlpool_hex;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_is_reported_once_and_never_retried() {
    let sb = sandbox().await;
    let wrong = "WrongKeyAbc123456789";
    let c = client_with(&sb, |o| o.key = ApiKey::new(wrong));
    let e = c.folder_ls(FolderId::ROOT).await.unwrap_err();
    assert!(
        matches!(&e, ApiError::Auth { message } if message.ends_with("#93")),
        "{e:?}"
    );
    assert!(!e.is_transient());
    let text = e.to_string();
    assert!(
        text.contains("FICHIER_API_KEY"),
        "says how to set a key: {text}"
    );
    assert!(!text.contains(wrong) && !format!("{e:?}").contains(wrong));
    assert_eq!(sb.stats().api_calls, 1, "no retry");

    // An upload with a wrong key stops at the first step: no byte is sent.
    let dir = tempfile::tempdir().unwrap();
    let path = local_file(dir.path(), "f.bin", &pattern(10_000, 1));
    let e = c
        .upload_file(&path, FolderId::ROOT, "f.bin", &ctl())
        .await
        .unwrap_err();
    assert!(matches!(e, ApiError::Auth { .. }), "{e:?}");
    assert_eq!(sb.stats().upload_bytes_received, 0);
    assert_eq!(sb.stats().api_calls, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_key_is_an_auth_error() {
    let sb = sandbox().await;
    let c = client_with(&sb, |o| o.key = ApiKey::new(""));
    let e = c.file_ls(FolderId::ROOT).await.unwrap_err();
    assert!(
        matches!(&e, ApiError::Auth { message } if message.ends_with("#247")),
        "{e:?}"
    );
    assert!(e.to_string().contains("FICHIER_API_KEY"));
    assert_eq!(sb.stats().api_calls, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_lock_that_lasts_ends_in_a_flood_error_after_bounded_pauses() {
    let sb = sandbox().await;
    let c = client_with(&sb, |o| {
        o.flood_wait = Duration::from_millis(10);
        o.max_flood_wait = Duration::from_millis(40);
        o.max_retries = 3;
    });
    sb.faults().lock_flood(Duration::from_secs(60));
    let e = c.folder_ls(FolderId::ROOT).await.unwrap_err();
    assert!(
        matches!(&e, ApiError::Flood { message, .. } if message.ends_with("#374")),
        "{e:?}"
    );
    assert!(e.is_transient());
    assert!(e.to_string().contains("rate limiting"), "{e}");
    assert_eq!(sb.stats().api_calls, 4, "the first try and three pauses");

    // Once the lock is lifted, calls go through again.
    sb.faults().clear();
    c.folder_ls(FolderId::ROOT).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_of_5xx_ends_in_a_server_error_after_the_retries() {
    let sb = sandbox().await;
    let c = client(&sb);
    sb.faults().set_error_rate(1.0);
    let e = c.file_ls(FolderId::ROOT).await.unwrap_err();
    assert!(
        matches!(e, ApiError::Server { status, attempts: 4 } if (500..600).contains(&status)),
        "{e:?}"
    );
    assert!(e.to_string().contains("after 4 tries"), "{e}");
    assert_eq!(
        sb.stats().api_calls,
        4,
        "one try and max_retries = 3 retries"
    );

    // A write is repeated only when the status says the service did not act (502, 503): never
    // more than the retries allow, and no folder appears.
    sb.reset_stats();
    let e = c.mkdir(FolderId::ROOT, "x").await.unwrap_err();
    assert!(matches!(e, ApiError::Server { .. }), "{e:?}");
    let tries = sb.stats().api_calls;
    assert!((1..=4).contains(&tries), "{tries}");
    assert!(sb.list_names(0).0.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_third_of_calls_failing_is_ridden_out() {
    let sb = sandbox().await;
    let folder = sb.add_folder(0, "f");
    let file = FileUrl(sb.add_file(folder, "a", b"abc"));
    let c = client_with(&sb, |o| o.max_retries = 10);
    sb.faults().set_error_rate(0.3);
    for _ in 0..10 {
        assert_eq!(
            c.folder_ls(FolderId::ROOT).await.unwrap().sub_folders.len(),
            1
        );
        assert_eq!(c.file_ls(FolderId(folder)).await.unwrap().len(), 1);
        assert_eq!(c.file_info(&file).await.unwrap().size, 3);
    }
    assert!(sb.stats().api_calls > 30, "some calls were retried");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cut_json_is_a_protocol_error_after_a_bounded_number_of_tries() {
    let sb = sandbox().await;
    let c = client(&sb);
    sb.faults().set_garbage_rate(1.0);
    let e = c.folder_ls(FolderId::ROOT).await.unwrap_err();
    let ApiError::Protocol { detail } = &e else {
        panic!("{e:?}");
    };
    assert!(detail.contains("folder/ls.cgi"), "{detail}");
    assert!(detail.contains("expected JSON"), "{detail}");
    assert!(e.to_string().contains("does not understand"), "{e}");
    assert_eq!(sb.stats().api_calls, 3, "a read is tried three times");

    // A write is not repeated: the service may have acted (here it did).
    sb.reset_stats();
    let e = c.mkdir(FolderId::ROOT, "made").await.unwrap_err();
    assert!(matches!(e, ApiError::Protocol { .. }), "{e:?}");
    assert_eq!(sb.stats().api_calls, 1);

    // Some cut answers among good ones: reads get through.
    sb.faults().set_garbage_rate(0.2);
    sb.reset_stats();
    for _ in 0..10 {
        let root = c.folder_ls(FolderId::ROOT).await.unwrap();
        assert_eq!(root.sub_folders[0].name, "made");
    }
    assert!(
        sb.stats().api_calls > 10,
        "some answers were cut and asked again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_to_an_unknown_folder_is_refused_before_sending() {
    let sb = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let path = local_file(dir.path(), "f.bin", &pattern(5000, 2));
    let c = client(&sb);
    let e = c
        .upload_file(&path, FolderId(4242), "f.bin", &ctl())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ApiError::NotFound { message } if message.contains("4242")),
        "{e:?}"
    );
    // The sandbox would have put it in the root: nothing was sent, nothing landed.
    assert_eq!(calls(&sb, "upload/get_upload_server.cgi"), 0);
    assert_eq!(sb.stats().upload_bytes_received, 0);
    assert!(sb.list_names(0).1.is_empty());

    // A folder removed through the client is checked again before the next upload.
    let folder = c.mkdir(FolderId::ROOT, "gone").await.unwrap();
    c.upload_file(&path, folder, "first.bin", &ctl())
        .await
        .unwrap();
    c.file_rm(&[FileUrl(c.file_ls(folder).await.unwrap()[0].url.0.clone())])
        .await
        .unwrap();
    c.folder_rm(folder).await.unwrap();
    let e = c
        .upload_file(&path, folder, "second.bin", &ctl())
        .await
        .unwrap_err();
    assert!(matches!(e, ApiError::NotFound { .. }), "{e:?}");
    assert!(sb.list_names(0).1.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_slows_calls_without_failing_them() {
    let sb = sandbox().await;
    let body = pattern(300_000, 3);
    let file = FileUrl(sb.add_file(0, "l.bin", &body));
    sb.faults().set_latency(Duration::from_millis(60));
    let c = client(&sb);
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(c.file_ls(FolderId::ROOT).await.unwrap().len(), 1);
    let part = dir.path().join("l.part");
    let out = c.download_file(&file, &part, &ctl()).await.unwrap();
    assert_eq!(out.whirlpool, whirlpool_hex(&body));
    let path = local_file(dir.path(), "up.bin", &body);
    let up = c
        .upload_file(&path, FolderId::ROOT, "up.bin", &ctl())
        .await
        .unwrap();
    assert_eq!(sb.file_body(up.file.url.as_str()).unwrap(), body);
    // No call timed out and was sent again.
    assert_eq!(sb.stats().api_calls, 3);
}

/// Samples `progress` until `done`; the distinct values seen strictly between 0 and `end`.
fn sample_progress(
    progress: Arc<AtomicU64>,
    done: Arc<AtomicBool>,
    end: u64,
) -> tokio::task::JoinHandle<usize> {
    tokio::spawn(async move {
        let mut seen = std::collections::BTreeSet::new();
        while !done.load(Ordering::Relaxed) {
            let p = progress.load(Ordering::Relaxed);
            if p > 0 && p < end {
                seen.insert(p);
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        seen.len()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bandwidth_cap_streams_bodies_intact() {
    let sb = sandbox().await;
    let body = pattern(400_000, 4);
    let file = FileUrl(sb.add_file(0, "b.bin", &body));
    let dir = tempfile::tempdir().unwrap();
    let c = client(&sb);

    // The sandbox's cap: the download arrives in many pieces and whole.
    sb.faults().set_bandwidth(Some(1 << 20));
    let ctl = ctl();
    let done = Arc::new(AtomicBool::new(false));
    let sampler = sample_progress(ctl.progress.clone(), done.clone(), body.len() as u64);
    let part = dir.path().join("b.part");
    let out = c.download_file(&file, &part, &ctl).await.unwrap();
    done.store(true, Ordering::Relaxed);
    assert!(sampler.await.unwrap() >= 2, "progress moved in steps");
    assert_eq!(std::fs::read(&part).unwrap(), body);
    assert_eq!(out.whirlpool, whirlpool_hex(&body));

    // The client's own cap on an upload: the same bytes land.
    sb.faults().set_bandwidth(None);
    let path = local_file(dir.path(), "up.bin", &body);
    let ctl = TransferCtl {
        bandwidth: Some(Arc::new(Bandwidth::new(Some(512 << 10)))),
        ..TransferCtl::default()
    };
    let done = Arc::new(AtomicBool::new(false));
    let sampler = sample_progress(ctl.progress.clone(), done.clone(), body.len() as u64);
    let up = c
        .upload_file(&path, FolderId::ROOT, "up.bin", &ctl)
        .await
        .unwrap();
    done.store(true, Ordering::Relaxed);
    assert!(sampler.await.unwrap() >= 2, "progress moved in steps");
    assert_eq!(up.local_whirlpool, whirlpool_hex(&body));
    assert_eq!(sb.file_body(up.file.url.as_str()).unwrap(), body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_download_resumes_with_fresh_tokens() {
    let sb = sandbox().await;
    let body = pattern(1_000_000, 5);
    let file = FileUrl(sb.add_file(0, "d.bin", &body));
    sb.faults().cut_downloads_after(300_000, 2);
    let dir = tempfile::tempdir().unwrap();
    let part = dir.path().join("d.part");
    let out = client(&sb)
        .download_file(&file, &part, &ctl())
        .await
        .unwrap();
    assert_eq!(std::fs::read(&part).unwrap(), body);
    assert_eq!(out.whirlpool, whirlpool_hex(&body));
    assert_eq!(sb.stats().tokens_issued, 3, "one token per attempt");
    // Each attempt went on from where the last stopped: far less than three whole bodies.
    assert!(sb.stats().download_bytes_served < 2 * body.len() as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_upload_fails_as_transient_and_leaves_nothing() {
    let sb = sandbox().await;
    let body = pattern(800_000, 6);
    let dir = tempfile::tempdir().unwrap();
    let path = local_file(dir.path(), "u.bin", &body);
    let c = client(&sb);
    sb.faults().cut_uploads_after(200_000, 1);
    let e = c
        .upload_file(&path, FolderId::ROOT, "u.bin", &ctl())
        .await
        .unwrap_err();
    assert!(e.is_transient(), "the caller may try again: {e:?}");
    assert!(sb.list_names(0).1.is_empty());
    // The next try goes through.
    let up = c
        .upload_file(&path, FolderId::ROOT, "u.bin", &ctl())
        .await
        .unwrap();
    assert_eq!(sb.file_body(up.file.url.as_str()).unwrap(), body);
    assert_eq!(sb.list_names(0).1, ["u.bin"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_end_pl_is_asked_again() {
    let sb = sandbox().await;
    let body = pattern(1000, 7);
    let dir = tempfile::tempdir().unwrap();
    let path = local_file(dir.path(), "e.bin", &body);
    sb.faults().set_end_pending(1);
    let up = client(&sb)
        .upload_file(&path, FolderId::ROOT, "e.bin", &ctl())
        .await
        .unwrap();
    assert_eq!(
        up.file.whirlpool.as_deref(),
        Some(whirlpool_hex(&body).as_str())
    );
    assert_eq!(sb.stats().uploads_completed, 1);
}
