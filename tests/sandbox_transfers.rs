//! The sandbox's body node, spoken to with plain reqwest: uploads in three steps with their exact
//! Content-Length, end.pl, download tokens and ranges, and the faults that cut bodies.

use fichier_tui::checksum::whirlpool_hex;
use fichier_tui::sandbox::{Sandbox, SandboxConfig, TEST_KEY};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn start() -> Sandbox {
    Sandbox::start(SandboxConfig::for_tests()).await.unwrap()
}

async fn call(c: &reqwest::Client, sb: &Sandbox, endpoint: &str, body: Value) -> Value {
    c.post(format!("{}/{endpoint}", sb.api_url()))
        .bearer_auth(TEST_KEY)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Step 1: (host:port, id).
async fn upload_server(c: &reqwest::Client, sb: &Sandbox) -> (String, String) {
    let v: Value = c
        .get(format!("{}/upload/get_upload_server.cgi", sb.api_url()))
        .bearer_auth(TEST_KEY)
        .header("Content-Type", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let host = v["url"].as_str().unwrap().to_string();
    let id = v["id"].as_str().unwrap().to_string();
    assert!(!host.contains('/'), "a bare host: {host}");
    assert!(id.len() <= 10 && id.bytes().all(|b| b.is_ascii_alphanumeric()));
    (host, id)
}

/// Step 2 with a body of known length (reqwest then sends a Content-Length).
async fn post_file(
    c: &reqwest::Client,
    host: &str,
    id: &str,
    did: u64,
    name: &str,
    data: Vec<u8>,
) -> reqwest::Result<reqwest::Response> {
    let form = Form::new()
        .text("did", did.to_string())
        .part("file[]", Part::bytes(data).file_name(name.to_string()));
    c.post(format!("http://{host}/upload.cgi?id={id}"))
        .multipart(form)
        .send()
        .await
}

async fn end_json(c: &reqwest::Client, host: &str, id: &str) -> Value {
    c.get(format!("http://{host}/end.pl?xid={id}"))
        .header("JSON", "1")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Deterministic bytes that are not all alike.
fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[tokio::test]
async fn upload_in_three_steps() {
    let sb = start().await;
    let c = client();
    let folder = sb.add_folder(0, "in");
    let (host, id) = upload_server(&c, &sb).await;
    let body = data(300_000);
    let r = post_file(&c, &host, &id, folder, "日本語 report.pdf", body.clone())
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    assert_eq!(
        r.headers()["location"],
        format!("/end.pl?xid={id}").as_str()
    );

    let end = end_json(&c, &host, &id).await;
    assert_eq!(end["incoming"], 0);
    let links = end["links"].as_array().unwrap();
    assert_eq!(links.len(), 1);
    let link = &links[0];
    assert_eq!(link["filename"], "日本語 report.pdf");
    assert_eq!(link["size"], "300000");
    assert_eq!(link["whirlpool"], whirlpool_hex(&body));
    assert!(link["remove"].as_str().is_some_and(|r| !r.is_empty()));
    let url = link["download"].as_str().unwrap();
    assert_eq!(sb.file_body(url).unwrap(), body);
    assert_eq!(sb.list_names(folder).1, vec!["日本語 report.pdf"]);
    let stats = sb.stats();
    assert_eq!(stats.uploads_completed, 1);
    assert_eq!(stats.upload_bytes_received, 300_000);

    // Without the JSON header, a page for browsers.
    let page = c
        .get(format!("http://{host}/end.pl?xid={id}"))
        .send()
        .await
        .unwrap();
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.text().await.unwrap().contains(url));

    // An id serves one upload.
    let again = post_file(&c, &host, &id, folder, "b.txt", data(10))
        .await
        .unwrap();
    assert!(again.status().is_client_error());
    assert_eq!(sb.list_names(folder).1.len(), 1);
    let unknown = post_file(&c, &host, "nosuchid00", folder, "b.txt", data(10))
        .await
        .unwrap();
    assert!(unknown.status().is_client_error());
}

#[tokio::test]
async fn a_large_upload_streams_through() {
    let sb = start().await;
    let c = client();
    let (host, id) = upload_server(&c, &sb).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big");
    let body = data(24 << 20);
    std::fs::write(&path, &body).unwrap();
    let file = tokio::fs::File::open(&path).await.unwrap();
    let stream = tokio_util::io::ReaderStream::new(file);
    let part = Part::stream_with_length(reqwest::Body::wrap_stream(stream), body.len() as u64)
        .file_name("big.bin");
    let form = Form::new().text("did", "0").part("file[]", part);
    let r = c
        .post(format!("http://{host}/upload.cgi?id={id}"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let link = &end_json(&c, &host, &id).await["links"][0];
    assert_eq!(link["whirlpool"], whirlpool_hex(&body));
    assert_eq!(link["size"], (24u64 << 20).to_string());
}

#[tokio::test]
async fn uploads_refuse_what_the_service_refuses() {
    let sb = start().await;
    let c = client();

    // Chunked transfer encoding: a part of unknown length.
    let (host, id) = upload_server(&c, &sb).await;
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![Ok(data(1000)), Ok(data(1000))];
    let part = Part::stream(reqwest::Body::wrap_stream(futures_util::stream::iter(
        chunks,
    )))
    .file_name("chunked.bin");
    let form = Form::new().text("did", "0").part("file[]", part);
    let r = c
        .post(format!("http://{host}/upload.cgi?id={id}"))
        .multipart(form)
        .send()
        .await;
    match r {
        Ok(r) => assert_eq!(r.status(), StatusCode::LENGTH_REQUIRED),
        Err(e) => eprintln!("chunked upload failed as it should: {e}"),
    }

    // An empty file, a refused name.
    let (host, id) = upload_server(&c, &sb).await;
    let r = post_file(&c, &host, &id, 0, "empty.txt", Vec::new())
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    let (host, id) = upload_server(&c, &sb).await;
    let r = post_file(&c, &host, &id, 0, "a<b>.txt", data(5))
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    let (host, id) = upload_server(&c, &sb).await;
    let r = post_file(&c, &host, &id, 0, " lead.txt", data(5))
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    assert!(sb.list_names(0).1.is_empty());
    assert_eq!(sb.stats().uploads_completed, 0);

    // An unknown folder: the file silently lands in the root.
    let (host, id) = upload_server(&c, &sb).await;
    let r = post_file(&c, &host, &id, 987_654, "lost.txt", data(5))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    assert_eq!(sb.list_names(0).1, vec!["lost.txt"]);
}

#[tokio::test]
async fn a_cut_upload_leaves_nothing() {
    let sb = start().await;
    let c = client();
    let folder = sb.add_folder(0, "in");
    sb.faults().cut_uploads_after(50_000, 1);
    let (host, id) = upload_server(&c, &sb).await;
    let r = post_file(&c, &host, &id, folder, "cut.bin", data(2_000_000)).await;
    match r {
        Ok(r) => assert_ne!(r.status(), StatusCode::FOUND),
        Err(e) => eprintln!("cut upload failed as it should: {e}"),
    }
    assert!(sb.list_names(folder).1.is_empty());
    assert_eq!(sb.stats().uploads_completed, 0);
    let end = end_json(&c, &host, &id).await;
    assert!(end["links"].as_array().unwrap().is_empty());
    // The cut is used up: a fresh id gets through.
    let (host, id) = upload_server(&c, &sb).await;
    let r = post_file(&c, &host, &id, folder, "whole.bin", data(2_000_000))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    assert_eq!(sb.list_names(folder).1, vec!["whole.bin"]);
}

#[tokio::test]
async fn end_pl_can_keep_the_client_waiting() {
    let sb = start().await;
    let c = client();
    let (host, id) = upload_server(&c, &sb).await;
    let r = post_file(&c, &host, &id, 0, "slow.txt", data(100))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    sb.faults().set_end_pending(2);
    for _ in 0..2 {
        assert!(
            end_json(&c, &host, &id).await["links"]
                .as_array()
                .unwrap()
                .is_empty()
        );
    }
    assert_eq!(
        end_json(&c, &host, &id).await["links"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

async fn token(c: &reqwest::Client, sb: &Sandbox, url: &str, single: bool) -> String {
    let v = call(
        c,
        sb,
        "download/get_token.cgi",
        json!({"url": url, "single": u8::from(single)}),
    )
    .await;
    assert_eq!(v["status"], "OK");
    v["url"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn tokens_ranges_and_single_use() {
    let sb = start().await;
    let c = client();
    let body = data(200_000);
    let url = sb.add_file(0, "f.bin", &body);

    let dl = token(&c, &sb, &url, true).await;
    let r = c.get(&dl).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-length"], "200000");
    assert_eq!(r.bytes().await.unwrap(), body);
    let again = c.get(&dl).send().await.unwrap();
    assert!(matches!(again.status().as_u16(), 404 | 410));

    let dl = token(&c, &sb, &url, true).await;
    let r = c
        .get(&dl)
        .header("Range", "bytes=150000-")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.headers()["content-range"], "bytes 150000-199999/200000");
    assert_eq!(r.headers()["content-length"], "50000");
    assert_eq!(r.bytes().await.unwrap(), body[150_000..]);

    // Without `single`, a token serves until it expires.
    let dl = token(&c, &sb, &url, false).await;
    for _ in 0..2 {
        assert_eq!(
            c.get(&dl)
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap()
                .len(),
            200_000
        );
    }
    let unknown = dl.rsplit_once('/').unwrap().0.to_string() + "/nosuchtoken";
    assert_eq!(
        c.get(&unknown).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let none = call(
        &c,
        &sb,
        "download/get_token.cgi",
        json!({"url": "https://1fichier.com/?nope000000"}),
    )
    .await;
    assert_eq!(none["status"], "KO");

    let stats = sb.stats();
    assert_eq!(stats.tokens_issued, 3);
    assert_eq!(stats.download_bytes_served, 200_000 + 50_000 + 400_000);
}

#[tokio::test]
async fn a_cut_download_fails_and_the_next_one_resumes() {
    let sb = start().await;
    let c = client();
    let body = data(1_000_000);
    let url = sb.add_file(0, "f.bin", &body);
    sb.faults().cut_downloads_after(100_000, 1);

    let dl = token(&c, &sb, &url, true).await;
    let r = c.get(&dl).send().await.unwrap();
    assert_eq!(r.headers()["content-length"], "1000000");
    let mut got = Vec::new();
    let mut r = r;
    let failed = loop {
        match r.chunk().await {
            Ok(Some(chunk)) => got.extend_from_slice(&chunk),
            Ok(None) => break false,
            Err(_) => break true,
        }
    };
    assert!(
        failed,
        "the body must end in an error, got {} bytes",
        got.len()
    );
    assert!(got.len() <= 100_000);
    assert_eq!(got, body[..got.len()]);

    // Resume where it stopped, with a fresh token.
    let dl = token(&c, &sb, &url, true).await;
    let rest = c
        .get(&dl)
        .header("Range", format!("bytes={}-", got.len()))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    got.extend_from_slice(&rest);
    assert_eq!(whirlpool_hex(&got), whirlpool_hex(&body));
}

#[tokio::test]
async fn generated_bodies_download_like_any_other() {
    let mut config = SandboxConfig::demo();
    config.flood_limit = None;
    let sb = Sandbox::start(config).await.unwrap();
    let c = client();
    let photos = sb.find_folder("/Photos 2024").unwrap();
    let listed = call(&c, &sb, "file/ls.cgi", json!({"folder_id": photos})).await;
    let first = &listed["items"][0];
    let url = first["url"].as_str().unwrap();
    let size = first["size"].as_u64().unwrap();
    let dl = token(&c, &sb, url, true).await;
    let r = c
        .get(&dl)
        .header("Range", "bytes=1000-")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    let bytes = r.bytes().await.unwrap();
    assert_eq!(bytes.len() as u64, size - 1000);
    assert_eq!(bytes, sb.file_body(url).unwrap()[1000..]);
}

#[tokio::test]
async fn bandwidth_and_latency_keep_the_bytes_right() {
    let sb = start().await;
    let c = client();
    let body = data(60_000);
    let url = sb.add_file(0, "f.bin", &body);
    sb.faults().set_bandwidth(Some(400_000));
    sb.faults()
        .set_latency(std::time::Duration::from_millis(20));
    let dl = token(&c, &sb, &url, true).await;
    assert_eq!(
        c.get(&dl).send().await.unwrap().bytes().await.unwrap(),
        body
    );
    let (host, id) = upload_server(&c, &sb).await;
    let r = post_file(&c, &host, &id, 0, "up.bin", body.clone())
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let link = &end_json(&c, &host, &id).await["links"][0];
    assert_eq!(link["whirlpool"], whirlpool_hex(&body));
}
