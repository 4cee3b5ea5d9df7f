//! The API key stays secret: no Debug or error text holds it, a trace-level log of a whole
//! session (our events, reqwest's and hyper's) never shows it, and the client sends it only over
//! https, or plain http on loopback.

mod common;

use common::api::{client, client_with, ctl, local_file, options, sandbox};
use common::pattern;
use fichier_tui::api::{ApiError, ApiKey, Client, ClientOptions, FileUrl, FolderId};
use fichier_tui::sandbox::TEST_KEY;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// A log writer into memory.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

const WRONG_KEY: &str = "WrongKeyShouldNeverShow987";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_debug_or_error_text_holds_the_key() {
    let sb = sandbox().await;
    let o = options(&sb);
    assert!(!format!("{o:?}").contains(TEST_KEY));
    assert!(!format!("{:?} {}", o.key, o.key).contains(TEST_KEY));
    let c = Client::new(o).unwrap();
    assert!(!format!("{c:?}").contains(TEST_KEY));

    let wrong = client_with(&sb, |o| o.key = ApiKey::new(WRONG_KEY));
    let mut errors = vec![
        wrong.folder_ls(FolderId::ROOT).await.unwrap_err(),
        wrong.user_info().await.unwrap_err(),
        wrong
            .download_token(&FileUrl("https://1fichier.com/?abc".into()))
            .await
            .unwrap_err(),
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = local_file(dir.path(), "f", b"data");
    errors.push(
        wrong
            .upload_file(&path, FolderId::ROOT, "f", &ctl())
            .await
            .unwrap_err(),
    );
    for e in &errors {
        assert!(matches!(e, ApiError::Auth { .. }), "{e:?}");
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains(WRONG_KEY), "{shown}");
    }
    // A key that cannot go in a header is refused without being echoed.
    let bad = Client::new(ClientOptions::new(
        sb.api_url(),
        ApiKey::new("Bad\nKeyValue42"),
    ))
    .unwrap_err();
    assert!(!format!("{bad} {bad:?}").contains("KeyValue42"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trace_log_of_a_whole_session_never_shows_the_key() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    // Global, so the events of every thread (runtime workers, hashing and writing threads) and
    // reqwest's `log` records are caught.
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .try_init()
        .expect("the only subscriber of this test binary");

    let sb = sandbox().await;
    let c = client(&sb);
    let dir = tempfile::tempdir().unwrap();
    let body = pattern(300_000, 1);
    let path = local_file(dir.path(), "up.bin", &body);
    c.user_info().await.unwrap();
    let folder = c.mkdir(FolderId::ROOT, "logged").await.unwrap();
    c.folder_ls(FolderId::ROOT).await.unwrap();
    let up = c
        .upload_file(&path, folder, "up.bin", &ctl())
        .await
        .unwrap();
    c.file_ls(folder).await.unwrap();
    c.file_info(&up.file.url).await.unwrap();
    let part = dir.path().join("down.part");
    c.download_file(&up.file.url, &part, &ctl()).await.unwrap();
    let copies = c
        .file_cp(std::slice::from_ref(&up.file.url), folder)
        .await
        .unwrap();
    c.file_rename(&[(copies[0].1.clone(), "renamed".into())])
        .await
        .unwrap();
    c.file_rm(&[copies[0].1.clone()]).await.unwrap();
    let token = c.download_token(&up.file.url).await.unwrap();
    let job = c.remote_request(&[token], folder).await.unwrap();
    c.remote_ls().await.unwrap();
    c.remote_info(job).await.unwrap();
    // And the failures: a wrong key, a flood lock, a 5xx.
    let wrong = client_with(&sb, |o| o.key = ApiKey::new(WRONG_KEY));
    wrong.folder_ls(FolderId::ROOT).await.unwrap_err();
    sb.faults().lock_flood(std::time::Duration::from_millis(60));
    c.folder_ls(folder).await.unwrap();
    sb.faults().set_error_rate(1.0);
    c.folder_ls(folder).await.unwrap_err();
    sb.faults().clear();

    let log = buffer.text();
    assert!(
        log.contains("api call ok"),
        "the client's events are in the log"
    );
    assert!(log.contains("TRACE"), "trace-level events are in the log");
    assert!(log.contains("flood lock"), "so are the failures");
    assert!(!log.contains(TEST_KEY), "the key is in the log");
    assert!(!log.contains(WRONG_KEY), "the wrong key is in the log");
}

#[test]
fn the_key_goes_over_https_or_loopback_only() {
    let key = ApiKey::new("k");
    for refused in [
        "http://example.org/v1",
        "http://api.1fichier.com/v1",
        "http://192.168.1.10:8080/v1",
        "ftp://127.0.0.1/v1",
        "not a url",
    ] {
        let e = Client::new(ClientOptions::new(refused, key.clone())).unwrap_err();
        assert!(
            matches!(&e, ApiError::InsecureUrl { url } if url == refused),
            "{refused}: {e:?}"
        );
        assert!(e.to_string().contains("https"), "{e}");
    }
    for accepted in [
        "http://127.0.0.1:8080/v1",
        "http://[::1]:8080/v1",
        "http://localhost/v1",
        "https://api.1fichier.com/v1",
        "https://example.org/v1/",
    ] {
        let c = Client::new(ClientOptions::new(accepted, key.clone()))
            .unwrap_or_else(|e| panic!("{accepted}: {e}"));
        assert_eq!(c.base_url(), accepted.trim_end_matches('/'));
    }
}
