//! The sandbox's API listener, spoken to with plain reqwest (not the project's client): the
//! service's refusals, flood locks, and the folder and file endpoints with their quirks.

use fichier_tui::checksum::whirlpool_hex;
use fichier_tui::sandbox::{Sandbox, SandboxConfig, TEST_KEY};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

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

/// A well-formed call; returns the HTTP status and the JSON body.
async fn call(
    c: &reqwest::Client,
    sb: &Sandbox,
    endpoint: &str,
    body: Value,
) -> (StatusCode, Value) {
    let response = c
        .post(format!("{}/{endpoint}", sb.api_url()))
        .bearer_auth(TEST_KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text:?}"));
    (status, value)
}

fn is_ko(v: &Value, code: &str) -> bool {
    v["status"] == "KO" && v["message"].as_str().is_some_and(|m| m.ends_with(code))
}

#[tokio::test]
async fn the_key_is_required_and_checked() {
    let sb = start().await;
    let c = client();
    let url = format!("{}/folder/ls.cgi", sb.api_url());
    let none = c.post(&url).json(&json!({})).send().await.unwrap();
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    let body: Value = none.json().await.unwrap();
    assert_eq!(
        body,
        json!({"status": "KO", "message": "Not authenticated #247"})
    );

    let wrong = c
        .post(&url)
        .bearer_auth("NotTheKey")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    assert!(is_ko(&wrong.json().await.unwrap(), "#93"));

    let (status, body) = call(&c, &sb, "folder/ls.cgi", json!({"folder_id": 0})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "OK");
    assert_eq!(sb.stats().api_calls, 3);
    assert_eq!(sb.stats().by_endpoint["folder/ls.cgi"], 3);
}

#[tokio::test]
async fn content_type_method_and_json_are_enforced() {
    let sb = start().await;
    let c = client();
    let url = format!("{}/folder/ls.cgi", sb.api_url());
    // A JSON body without the header is refused.
    let r = c
        .post(&url)
        .bearer_auth(TEST_KEY)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "KO");
    // A charset is fine.
    let r = c
        .post(&url)
        .bearer_auth(TEST_KEY)
        .header("Content-Type", "application/json; charset=utf-8")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // The GET needs the header too.
    let upload = format!("{}/upload/get_upload_server.cgi", sb.api_url());
    let r = c.get(&upload).bearer_auth(TEST_KEY).send().await.unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "KO");
    let r = c
        .get(&upload)
        .bearer_auth(TEST_KEY)
        .header("Content-Type", "application/json")
        .send()
        .await
        .unwrap();
    let server: Value = r.json().await.unwrap();
    assert!(server["url"].as_str().unwrap().starts_with("127.0.0.1:"));
    // Wrong method, malformed JSON, no body at all.
    let r = c
        .get(&url)
        .bearer_auth(TEST_KEY)
        .header("Content-Type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "KO");
    for bad in ["{", "", "[]"] {
        let r = c
            .post(&url)
            .bearer_auth(TEST_KEY)
            .header("Content-Type", "application/json")
            .body(bad)
            .send()
            .await
            .unwrap();
        assert_eq!(r.json::<Value>().await.unwrap()["status"], "KO", "{bad:?}");
    }
    // Unknown fields are ignored; pretty asks for indented JSON.
    let r = c
        .post(&url)
        .bearer_auth(TEST_KEY)
        .json(&json!({"folder_id": 0, "pretty": 1, "whatever": [1, 2]}))
        .send()
        .await
        .unwrap();
    let text = r.text().await.unwrap();
    assert!(text.contains("\n  "), "{text}");
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap()["status"],
        "OK"
    );
}

#[tokio::test]
async fn a_burst_locks_the_ip_then_clear_unlocks() {
    let mut config = SandboxConfig::for_tests();
    config.flood_limit = Some(3);
    config.flood_lock = Duration::from_secs(600);
    let sb = Sandbox::start(config).await.unwrap();
    let c = client();
    let mut answers = Vec::new();
    for _ in 0..6 {
        answers.push(call(&c, &sb, "folder/ls.cgi", json!({})).await);
    }
    assert!(
        answers[..3]
            .iter()
            .all(|(s, v)| *s == StatusCode::OK && v["status"] == "OK")
    );
    for (status, body) in &answers[3..] {
        assert_eq!(*status, StatusCode::FORBIDDEN);
        assert_eq!(
            *body,
            json!({"message": "Flood detected: IP Locked #374", "status": "KO"})
        );
    }
    let stats = sb.stats();
    assert_eq!(stats.flood_locks, 1);
    assert!(stats.max_calls_in_one_second >= 4);
    assert_eq!(stats.api_calls, 6);
    sb.faults().clear();
    // The window still holds the burst: wait it out before calling again.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, _) = call(&c, &sb, "folder/ls.cgi", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    sb.reset_stats();
    assert_eq!(sb.stats().api_calls, 0);
}

#[tokio::test]
async fn injected_locks_and_server_errors() {
    let sb = start().await;
    let c = client();
    sb.faults().lock_flood(Duration::from_secs(600));
    let (status, body) = call(&c, &sb, "user/info.cgi", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(is_ko(&body, "#374"));
    assert_eq!(
        sb.stats().flood_locks,
        0,
        "an injected lock is not the pace's doing"
    );
    sb.faults().clear();
    sb.faults().set_error_rate(1.0);
    for _ in 0..5 {
        let r = c
            .post(format!("{}/folder/ls.cgi", sb.api_url()))
            .bearer_auth(TEST_KEY)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_server_error());
        let text = r.text().await.unwrap();
        assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    }
    sb.faults().set_error_rate(0.0);
    assert_eq!(
        call(&c, &sb, "folder/ls.cgi", json!({})).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn user_info_is_limited_and_counts_storage() {
    let mut config = SandboxConfig::for_tests();
    config.user_info_interval = Duration::from_secs(600);
    config.quota = 1 << 40;
    let sb = Sandbox::start(config).await.unwrap();
    sb.add_file(0, "a", &[1u8; 1000]);
    sb.add_file(0, "b", &[2u8; 234]);
    let c = client();
    let (status, info) = call(&c, &sb, "user/info.cgi", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(info["status"], "OK");
    assert_eq!(info["email"], "test@example.org");
    assert_eq!(info["offer"], 1);
    assert_eq!(info["cold_storage"], 1234);
    assert_eq!(info["hot_storage"], 0);
    assert_eq!(info["available_cold_storage"], 1u64 << 40);
    assert_eq!(info["upload_forbidden"], "0");
    assert_eq!(info["overquota"], 0);
    let end = info["subscription_end"].as_str().unwrap();
    assert_eq!(end.len(), "YYYY-MM-DD HH:MM:SS".len());
    let (status, again) = call(&c, &sb, "user/info.cgi", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(is_ko(&again, "#38"));
    assert_eq!(sb.stats().flood_locks, 0);
    // Other calls are not affected.
    assert_eq!(
        call(&c, &sb, "folder/ls.cgi", json!({})).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn folders_follow_the_service_rules() {
    let sb = start().await;
    let c = client();
    let (_, root) = call(&c, &sb, "folder/ls.cgi", json!({"folder_id": 0})).await;
    assert!(
        root.get("sub_folders").is_none(),
        "absent when empty: {root}"
    );
    let (_, made) = call(
        &c,
        &sb,
        "folder/mkdir.cgi",
        json!({"name": "Docs", "folder_id": 0}),
    )
    .await;
    assert_eq!(made["status"], "OK");
    assert_eq!(made["name"], "Docs");
    let docs = made["folder_id"].as_u64().unwrap();
    assert_eq!(sb.find_folder("/Docs"), Some(docs));
    let (status, dup) = call(
        &c,
        &sb,
        "folder/mkdir.cgi",
        json!({"name": "Docs", "folder_id": 0}),
    )
    .await;
    assert_eq!(
        (status, dup["status"].as_str()),
        (StatusCode::FORBIDDEN, Some("KO"))
    );
    for bad in [
        "a/b",
        "x\"y",
        " lead",
        "<>",
        "$HOME",
        "back\\slash",
        "tick`",
    ] {
        let (_, r) = call(
            &c,
            &sb,
            "folder/mkdir.cgi",
            json!({"name": bad, "folder_id": 0}),
        )
        .await;
        assert_eq!(r["status"], "KO", "{bad}");
    }
    let (status, missing) = call(
        &c,
        &sb,
        "folder/mkdir.cgi",
        json!({"name": "x", "folder_id": 999}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(is_ko(&missing, "#469"));
    let (_, sub) = call(
        &c,
        &sb,
        "folder/mkdir.cgi",
        json!({"name": "2024", "folder_id": docs}),
    )
    .await;
    let sub_id = sub["folder_id"].as_u64().unwrap();
    let (_, listed) = call(&c, &sb, "folder/ls.cgi", json!({"folder_id": docs})).await;
    assert_eq!(listed["name"], "Docs");
    let subs = listed["sub_folders"].as_array().unwrap();
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0]["id"], sub_id);
    assert_eq!(subs[0]["name"], "2024");
    assert_eq!(subs[0]["create_date"].as_str().unwrap().len(), 19);

    let (_, r) = call(&c, &sb, "folder/rm.cgi", json!({"folder_id": docs})).await;
    assert_eq!(r["status"], "KO", "not empty");
    let (_, r) = call(&c, &sb, "folder/rm.cgi", json!({"folder_id": 0})).await;
    assert_eq!(r["status"], "KO", "root");
    let (_, r) = call(
        &c,
        &sb,
        "folder/mv.cgi",
        json!({"folder_id": docs, "destination_folder_id": sub_id}),
    )
    .await;
    assert_eq!(r["status"], "KO", "into itself");
    let (_, r) = call(
        &c,
        &sb,
        "folder/mv.cgi",
        json!({"folder_id": sub_id, "destination_folder_id": 0, "rename": "Year 2024"}),
    )
    .await;
    assert_eq!(r["status"], "OK");
    assert_eq!(sb.find_folder("/Year 2024"), Some(sub_id));
    let (_, r) = call(&c, &sb, "folder/rm.cgi", json!({"folder_id": docs})).await;
    assert_eq!(r["status"], "OK");
    assert_eq!(sb.list_names(0).0, vec!["Year 2024".to_string()]);

    // With "files": 1 the folder's files come along.
    let url = sb.add_file(sub_id, "f.txt", b"hello");
    let (_, listed) = call(
        &c,
        &sb,
        "folder/ls.cgi",
        json!({"folder_id": sub_id, "files": 1}),
    )
    .await;
    assert_eq!(listed["files"][0]["url"], url.as_str());
}

#[tokio::test]
async fn file_listing_and_info() {
    let sb = start().await;
    let c = client();
    let folder = sb.add_folder(0, "f");
    let (_, empty) = call(&c, &sb, "file/ls.cgi", json!({"folder_id": folder})).await;
    assert_eq!(empty["status"], "OK");
    assert!(empty.get("items").is_none(), "absent when empty: {empty}");
    let a = sb.add_file(folder, "same.txt", b"first");
    let b = sb.add_file(folder, "same.txt", b"second one");
    sb.add_file(0, "elsewhere.bin", b"x");
    assert_ne!(a, b);
    let id = a.strip_prefix("https://1fichier.com/?").unwrap();
    assert_eq!(id.len(), 10);
    assert!(
        id.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    );

    let (_, listed) = call(&c, &sb, "file/ls.cgi", json!({"folder_id": folder})).await;
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(listed["count"], 2);
    assert_eq!(items[0]["url"], a.as_str());
    assert_eq!(items[0]["filename"], "same.txt");
    assert_eq!(items[0]["size"], 5);
    assert_eq!(items[1]["size"], 10);
    assert_eq!(items[0]["checksum"], whirlpool_hex(b"first"));
    assert_eq!(items[0]["content-type"], "text/plain");
    assert_eq!(items[0]["cdn"], 0);
    assert_eq!(items[0]["pass"], 0);
    let date = items[0]["date"].as_str().unwrap();
    assert!(date.len() == 19 && date.as_bytes()[10] == b' ', "{date}");

    let (_, all) = call(&c, &sb, "file/ls.cgi", json!({"folder_id": -1})).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 3);

    let (_, info) = call(&c, &sb, "file/info.cgi", json!({"url": b})).await;
    assert_eq!(info["filename"], "same.txt");
    assert_eq!(info["checksum"], whirlpool_hex(b"second one"));
    let (status, unknown) = call(
        &c,
        &sb,
        "file/info.cgi",
        json!({"url": "https://1fichier.com/?zzzzzzzzzz"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(is_ko(&unknown, "#469"));
    let (status, _) = call(&c, &sb, "file/ls.cgi", json!({"folder_id": 4242})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn moving_copying_renaming_removing() {
    let sb = start().await;
    let c = client();
    let dest = sb.add_folder(0, "dest");
    let a = sb.add_file(0, "a.txt", b"aaa");
    let b = sb.add_file(0, "b.txt", b"bbb");

    // Move with rename into another folder: #312, nothing moves.
    let (_, r) = call(
        &c,
        &sb,
        "file/mv.cgi",
        json!({"urls": [a], "destination_folder_id": dest, "rename": "new.txt"}),
    )
    .await;
    assert!(is_ko(&r, "#312"), "{r}");
    assert!(sb.list_names(dest).1.is_empty());
    // Rename with more than one file: refused.
    let (_, r) = call(
        &c,
        &sb,
        "file/mv.cgi",
        json!({"urls": [a, b], "destination_folder_id": 0, "rename": "x.txt"}),
    )
    .await;
    assert_eq!(r["status"], "KO");
    // Rename in place through mv, then to the same name: refused.
    let (_, r) = call(
        &c,
        &sb,
        "file/mv.cgi",
        json!({"urls": [a], "destination_folder_id": 0, "rename": "a2.txt"}),
    )
    .await;
    assert_eq!(r["status"], "OK", "{r}");
    let (_, r) = call(
        &c,
        &sb,
        "file/mv.cgi",
        json!({"urls": [a], "destination_folder_id": 0, "rename": "a2.txt"}),
    )
    .await;
    assert!(is_ko(&r, "#312"));
    // Move both.
    let (_, r) = call(
        &c,
        &sb,
        "file/mv.cgi",
        json!({"urls": [a, b], "destination_folder_id": dest}),
    )
    .await;
    assert_eq!(r["status"], "OK");
    assert_eq!(r["urls"].as_array().unwrap().len(), 2);
    assert_eq!(sb.list_names(dest).1, vec!["a2.txt", "b.txt"]);
    assert!(sb.list_names(0).1.is_empty());

    // Copy: new URLs, same bytes.
    let (_, r) = call(
        &c,
        &sb,
        "file/cp.cgi",
        json!({"urls": [a, b], "folder_id": 0}),
    )
    .await;
    assert_eq!(r["copied"], 2);
    let pairs = r["urls"].as_array().unwrap();
    assert_eq!(pairs[0]["from_url"], a.as_str());
    let copy = pairs[0]["to_url"].as_str().unwrap().to_string();
    assert_ne!(copy, a);
    assert_eq!(sb.file_body(&copy).unwrap(), b"aaa");
    let (_, r) = call(
        &c,
        &sb,
        "file/cp.cgi",
        json!({"urls": [a], "folder_id": 0, "rename": "c.txt"}),
    )
    .await;
    assert_eq!(r["copied"], 1);
    assert_eq!(sb.list_names(0).1, vec!["a2.txt", "b.txt", "c.txt"]);

    // Rename: refused characters refuse the call; the same name alone gives #312.
    let (_, r) = call(
        &c,
        &sb,
        "file/rename.cgi",
        json!({"urls": [{"url": copy, "filename": "a/b"}]}),
    )
    .await;
    assert_eq!(r["status"], "KO");
    let (_, r) = call(
        &c,
        &sb,
        "file/rename.cgi",
        json!({"urls": [{"url": copy, "filename": "a2.txt"}]}),
    )
    .await;
    assert!(is_ko(&r, "#312"));
    let (_, r) = call(
        &c,
        &sb,
        "file/rename.cgi",
        json!({"urls": [{"url": copy, "filename": "renamed.txt"}], "pretty": 1}),
    )
    .await;
    assert_eq!(r["renamed"], 1);
    assert_eq!(
        r["urls"][0],
        json!({"url": copy, "old_filename": "a2.txt", "new_filename": "renamed.txt"})
    );

    // Remove several at once; an unknown URL alone is #469.
    let (_, r) = call(
        &c,
        &sb,
        "file/rm.cgi",
        json!({"files": [{"url": a}, {"url": copy}]}),
    )
    .await;
    assert_eq!(r["removed"], 2);
    assert!(sb.file_body(&a).is_none());
    assert_eq!(sb.file_body(&b).unwrap(), b"bbb");
    let (status, r) = call(&c, &sb, "file/rm.cgi", json!({"files": [{"url": a}]})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(is_ko(&r, "#469"));
}

#[tokio::test]
async fn hostile_names_come_back_exactly() {
    let mut config = SandboxConfig::demo();
    config.flood_limit = None;
    let sb = Sandbox::start(config).await.unwrap();
    let c = client();
    let strange = sb.find_folder("/Strange names").unwrap();
    let (_, listed) = call(&c, &sb, "file/ls.cgi", json!({"folder_id": strange})).await;
    let names: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["filename"].as_str().unwrap())
        .collect();
    for expected in [
        "../../etc/passwd",
        "/abs",
        "\x1b[31mred\x1b[0m.txt",
        "\x1b]0;pwned\x07title.txt",
        "invoice\u{202E}fdp.exe",
        "日本語のファイル.txt",
        "🎉 party 🎉.png",
        " leading space.txt",
        "c1 csi\u{9b}31m.txt",
    ] {
        assert!(names.contains(&expected), "{expected:?} missing");
    }
    assert!(names.iter().any(|n| n.len() == 255));
    assert_eq!(names.iter().filter(|n| **n == "same name.txt").count(), 3);
    let (_, sub) = call(&c, &sb, "folder/ls.cgi", json!({"folder_id": strange})).await;
    let subs: Vec<&str> = sub["sub_folders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(subs.contains(&"../.."));

    let big = sb.find_folder("/Big folder").unwrap();
    let (_, listed) = call(&c, &sb, "file/ls.cgi", json!({"folder_id": big})).await;
    assert_eq!(listed["count"], 10_000);
    assert_eq!(listed["items"].as_array().unwrap().len(), 10_000);

    // A name put in by a test keeps every byte through the API as well.
    let url = sb.add_file(0, "\x1b[2Jgone\r.txt", b"x");
    let (_, info) = call(&c, &sb, "file/info.cgi", json!({"url": url})).await;
    assert_eq!(info["filename"], "\x1b[2Jgone\r.txt");
}
