//! File bodies through the client against the sandbox: a large round trip whose three checksums
//! (the local file's, the stored body's, the downloaded file's) must agree, and the local
//! failures an upload or a download can meet: an empty file, a file that shrinks while it is sent,
//! a disk that fills up.

mod common;

use common::api::{calls, client, ctl, local_file, sandbox, write_random};
use common::pattern;
use fichier_tui::api::{ApiError, Bandwidth, FileUrl, FolderId, TransferCtl};
use fichier_tui::checksum::{whirlpool_file, whirlpool_hex};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// The whirlpool of a file, on a blocking thread.
async fn hash_file(path: std::path::PathBuf) -> String {
    tokio::task::spawn_blocking(move || whirlpool_file(&path).expect("hashing"))
        .await
        .expect("the hashing task")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_256_mib_round_trip_keeps_every_byte() {
    const SIZE: u64 = 256 << 20;
    let sb = sandbox().await;
    let folder = sb.add_folder(0, "big");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.bin");
    {
        let path = path.clone();
        tokio::task::spawn_blocking(move || write_random(&path, SIZE, 11))
            .await
            .unwrap();
    }
    let c = client(&sb);

    // Whirlpool is the slow part: our own hash of the local file runs beside the upload.
    let up_ctl = ctl();
    let (local, up) = tokio::join!(
        hash_file(path.clone()),
        c.upload_file(&path, FolderId(folder), "big.bin", &up_ctl)
    );
    let up = up.unwrap();
    assert_eq!(
        up.local_whirlpool, local,
        "the client's hash of what it sent"
    );
    assert_eq!(
        up.file.whirlpool.as_deref(),
        Some(local.as_str()),
        "end.pl's"
    );
    assert_eq!(up.file.size, SIZE);
    assert_eq!(sb.stats().upload_bytes_received, SIZE);

    let part = dir.path().join("big.part");
    let down = c.download_file(&up.file.url, &part, &ctl()).await.unwrap();
    assert_eq!(down.size, SIZE);
    assert_eq!(down.fetched, SIZE);
    assert_eq!(
        down.whirlpool, local,
        "the client's hash of what it received"
    );
    assert_eq!(sb.stats().download_bytes_served, SIZE);

    // The downloaded file and the stored body, read again from disk, side by side (the first is
    // polled first, so its thread starts before the second blocks this one).
    let stored =
        async { tokio::task::block_in_place(|| sb.stored_whirlpool(up.file.url.as_str())) };
    let (on_disk, stored) = tokio::join!(hash_file(part), stored);
    assert_eq!(stored.as_deref(), Some(local.as_str()), "the stored body");
    assert_eq!(on_disk, local, "the downloaded file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_file_is_refused_before_any_call() {
    let sb = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let path = local_file(dir.path(), "empty.txt", b"");
    let e = client(&sb)
        .upload_file(&path, FolderId::ROOT, "empty.txt", &ctl())
        .await
        .unwrap_err();
    let ApiError::Invalid(message) = &e else {
        panic!("{e:?}");
    };
    assert!(message.contains("empty.txt"), "{message}");
    assert!(message.contains("empty files"), "{message}");
    assert_eq!(sb.stats().api_calls, 0);
    assert_eq!(sb.stats().upload_bytes_received, 0);

    // A path that is not there, or not a file, is refused as clearly.
    let e = client(&sb)
        .upload_file(&dir.path().join("nope"), FolderId::ROOT, "n", &ctl())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ApiError::Local { path, source } if path.ends_with("nope") && source.kind() == std::io::ErrorKind::NotFound),
        "{e:?}"
    );
    let e = client(&sb)
        .upload_file(dir.path(), FolderId::ROOT, "d", &ctl())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ApiError::Invalid(m) if m.contains("not a regular file")),
        "{e:?}"
    );
    assert_eq!(sb.stats().api_calls, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_shrinks_during_its_upload_fails_clearly() {
    let sb = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let size = 2 << 20;
    let path = local_file(dir.path(), "shrinks.bin", &pattern(size, 12));
    // The client's own cap keeps the reading slow, so the file changes halfway through.
    let ctl = TransferCtl {
        bandwidth: Some(Arc::new(Bandwidth::new(Some(1 << 20)))),
        ..TransferCtl::default()
    };
    let shrink = {
        let (path, progress) = (path.clone(), ctl.progress.clone());
        tokio::spawn(async move {
            while progress.load(Ordering::Relaxed) < 256 << 10 {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
            file.set_len(1000).unwrap();
            progress.load(Ordering::Relaxed)
        })
    };
    let e = client(&sb)
        .upload_file(&path, FolderId::ROOT, "shrinks.bin", &ctl)
        .await
        .unwrap_err();
    let at = shrink.await.unwrap();
    assert!(at < size as u64, "the file shrank mid-upload");
    let ApiError::Local { path: p, source } = &e else {
        panic!("{e:?}");
    };
    assert!(p.ends_with("shrinks.bin"), "{p}");
    assert!(
        source
            .to_string()
            .contains("changed while it was being uploaded"),
        "{source}"
    );
    assert!(
        e.to_string().contains("fewer than the 2097152 bytes"),
        "{e}"
    );
    // Nothing landed anywhere.
    assert!(sb.list_names(0).1.is_empty());
    assert_eq!(sb.stats().uploads_completed, 0);
    assert!(sb.stats().upload_bytes_received < size as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_grows_during_its_upload_fails_clearly() {
    let sb = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let size = 1 << 20;
    let path = local_file(dir.path(), "grows.bin", &pattern(size, 15));
    let ctl = TransferCtl {
        bandwidth: Some(Arc::new(Bandwidth::new(Some(1 << 20)))),
        ..TransferCtl::default()
    };
    let grow = {
        let (path, progress) = (path.clone(), ctl.progress.clone());
        tokio::spawn(async move {
            while progress.load(Ordering::Relaxed) < 256 << 10 {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            let mut file = std::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .unwrap();
            std::io::Write::write_all(&mut file, b"more").unwrap();
        })
    };
    let e = client(&sb)
        .upload_file(&path, FolderId::ROOT, "grows.bin", &ctl)
        .await
        .unwrap_err();
    grow.await.unwrap();
    assert!(
        matches!(&e, ApiError::Local { .. })
            && e.to_string().contains("more bytes than the 1048576 bytes"),
        "{e:?}"
    );
    assert!(sb.list_names(0).1.is_empty());
    assert_eq!(sb.stats().uploads_completed, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_stops_the_download() {
    let full = std::path::Path::new("/dev/full");
    if !full.exists() {
        eprintln!("no /dev/full here: skipped");
        return;
    }
    let sb = sandbox().await;
    let size: u64 = 32 << 20;
    let file = FileUrl(sb.add_file(0, "big.bin", &pattern(size as usize, 13)));
    let dir = tempfile::tempdir().unwrap();
    let part = dir.path().join("big.bin.part");
    std::os::unix::fs::symlink(full, &part).unwrap();
    let e = client(&sb)
        .download_file(&file, &part, &ctl())
        .await
        .unwrap_err();
    let ApiError::Local { path, source } = &e else {
        panic!("{e:?}");
    };
    assert!(path.ends_with("big.bin.part"), "{path}");
    assert_eq!(source.raw_os_error(), Some(28), "ENOSPC: {source}");
    // One attempt, not ten: a full disk is not a network hiccup.
    assert_eq!(calls(&sb, "download/get_token.cgi"), 1);
    // The connection was dropped: the sandbox stopped sending long before the end.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let served = sb.stats().download_bytes_served;
    assert!(served < size / 2, "{served} of {size} bytes were sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_download_keeps_its_part_and_resumes() {
    let sb = sandbox().await;
    let body = pattern(3 << 20, 14);
    let file = FileUrl(sb.add_file(0, "c.bin", &body));
    sb.faults().set_bandwidth(Some(2 << 20));
    let dir = tempfile::tempdir().unwrap();
    let part = dir.path().join("c.part");
    let c = client(&sb);
    let ctl = ctl();
    let cancel = {
        let (ctl, part) = (ctl.clone(), part.clone());
        tokio::spawn(async move {
            // Cancel once some bytes are on disk.
            while std::fs::metadata(&part).map_or(0, |m| m.len()) < 200_000 {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            ctl.cancel.cancel();
        })
    };
    let e = c.download_file(&file, &part, &ctl).await.unwrap_err();
    cancel.await.unwrap();
    assert!(matches!(e, ApiError::Cancelled), "{e:?}");
    let kept = std::fs::read(&part).unwrap();
    assert!(kept.len() >= 200_000 && kept.len() < body.len());
    assert_eq!(
        kept,
        body[..kept.len()],
        "what was kept is the file's start"
    );

    sb.faults().set_bandwidth(None);
    let out = c.download_file(&file, &part, &self::ctl()).await.unwrap();
    assert_eq!(out.fetched, (body.len() - kept.len()) as u64);
    assert_eq!(out.whirlpool, whirlpool_hex(&body));
    assert_eq!(std::fs::read(&part).unwrap(), body);
}
