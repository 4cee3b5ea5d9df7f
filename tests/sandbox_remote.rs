//! Remote uploads: the sandbox pulls a URL served by a tiny server of the test on loopback, and
//! refuses anything that is not plain http to this machine.

use axum::Router;
use axum::routing::get;
use fichier_tui::checksum::whirlpool_hex;
use fichier_tui::sandbox::{Sandbox, SandboxConfig, TEST_KEY};
use serde_json::{Value, json};
use std::time::Duration;

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy().build().unwrap()
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

fn content() -> Vec<u8> {
    (0..150_000u32).map(|i| (i % 199) as u8).collect()
}

/// Serves `content()` at /files/pulled%20file.bin and a redirect to the outside world.
async fn origin() -> String {
    let app = Router::new()
        .route(
            "/files/{name}",
            get(|| async {
                // Slow enough for the test to see the job before it has run.
                tokio::time::sleep(Duration::from_millis(300)).await;
                content()
            }),
        )
        .route(
            "/away",
            get(|| async {
                (
                    axum::http::StatusCode::FOUND,
                    [("location", "http://192.0.2.1/evil.bin")],
                )
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn pulls_loopback_urls_only() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await.unwrap();
    let c = client();
    let origin = origin().await;
    let folder = sb.add_folder(0, "pulled");
    let urls = [
        format!("{origin}/files/pulled%20file.bin"),
        "https://example.com/file.bin".to_string(),
        "http://10.1.2.3/file.bin".to_string(),
        format!("{origin}/away"),
    ];
    let job = call(
        &c,
        &sb,
        "remote/request.cgi",
        json!({"urls": urls, "folder_id": folder}),
    )
    .await;
    assert_eq!(job["status"], "OK");
    let id = job["id"].as_u64().unwrap();
    let waiting = call(&c, &sb, "remote/ls.cgi", json!({})).await;
    assert_eq!(waiting["data"][0]["execution_date"], "1970-01-01 00:00:00");
    let waiting = call(&c, &sb, "remote/info.cgi", json!({"id": id})).await;
    assert_eq!(waiting["result"], json!([]));

    let mut info = Value::Null;
    for _ in 0..500 {
        info = call(&c, &sb, "remote/info.cgi", json!({"id": id})).await;
        if info["result"].as_array().is_some_and(|r| !r.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let result = info["result"].as_array().expect("the job ran");
    assert_eq!(result.len(), 4);
    assert_eq!(result[0]["status"], "OK");
    let link = result[0]["download_link"].as_str().unwrap();
    assert_eq!(sb.file_body(link).unwrap(), content());
    assert_eq!(sb.list_names(folder).1, vec!["pulled file.bin"]);
    for refused in &result[1..3] {
        assert_eq!(refused["message"], "URL not allowed");
        assert_eq!(refused["download_link"], "");
    }
    assert_ne!(result[3]["status"], "OK", "a redirect out is not followed");

    let listed = call(&c, &sb, "file/ls.cgi", json!({"folder_id": folder})).await;
    assert_eq!(listed["items"][0]["checksum"], whirlpool_hex(&content()));

    let jobs = call(&c, &sb, "remote/ls.cgi", json!({})).await;
    let data = jobs["data"].as_array().unwrap();
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["id"], id);
    assert_ne!(data[0]["execution_date"], "1970-01-01 00:00:00");
    let unknown = call(&c, &sb, "remote/info.cgi", json!({"id": 999})).await;
    assert_eq!(unknown["status"], "KO");
}
