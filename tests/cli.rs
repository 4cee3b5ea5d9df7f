//! The scripting subcommands, end to end: the real binary against the sandbox over HTTP.

mod common;

use common::{Home, TestSandbox, fichier, pattern};
use fichier_tui::sandbox::TEST_KEY;

#[test]
fn info_shows_the_account() {
    let sb = TestSandbox::start();
    let home = Home::new();
    sb.sandbox.add_file(0, "a.bin", &pattern(3000, 1));
    let out = fichier(&home, &sb.url(), &["info"]);
    assert!(out.ok, "{}", out.stderr);
    assert!(out.stdout.contains("Premium"), "{}", out.stdout);
    assert!(out.stdout.contains("storage"), "{}", out.stdout);
    let out = fichier(&home, &sb.url(), &["info", "--json"]);
    assert!(out.ok, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(v["cold_storage"], 3000);
}

#[test]
fn ls_lists_folders_then_files_and_sanitizes_names() {
    let sb = TestSandbox::start();
    let home = Home::new();
    let docs = sb.sandbox.add_folder(0, "Documents");
    let y = sb.sandbox.add_folder(docs, "2024");
    let url = sb.sandbox.add_file(y, "report.pdf", &pattern(1500, 2));
    sb.sandbox.add_file(y, "\x1b[31mred\x1b[0m.txt", b"red");

    let out = fichier(&home, &sb.url(), &["ls", "/"]);
    assert!(out.ok, "{}", out.stderr);
    assert!(out.stdout.contains("Documents/"), "{}", out.stdout);

    let out = fichier(&home, &sb.url(), &["ls", "-l", "/Documents/2024"]);
    assert!(out.ok, "{}", out.stderr);
    assert!(out.stdout.contains("report.pdf"), "{}", out.stdout);
    assert!(out.stdout.contains(&url), "{}", out.stdout);
    assert!(out.stdout.contains("?[31mred?[0m.txt"), "{}", out.stdout);
    assert!(
        !out.stdout.contains('\x1b'),
        "an escape reached the terminal"
    );

    let out = fichier(&home, &sb.url(), &["ls", "--json", "/Documents/2024"]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    let names: Vec<_> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["filename"].as_str().unwrap().to_string())
        .collect();
    assert!(
        names.contains(&"\x1b[31mred\x1b[0m.txt".to_string()),
        "json keeps names exact"
    );

    let out = fichier(&home, &sb.url(), &["ls", "/Nope/2024"]);
    assert!(!out.ok);
    assert!(out.stderr.contains("Nope"), "{}", out.stderr);
}

#[test]
fn mkdir_mv_cp_rm_change_the_remote_side() {
    let sb = TestSandbox::start();
    let home = Home::new();
    let s = &sb.sandbox;
    let url = s.add_file(0, "a.txt", b"alpha");

    assert!(fichier(&home, &sb.url(), &["mkdir", "/Archive"]).ok);
    let out = fichier(&home, &sb.url(), &["mkdir", "/Deep/er/est"]);
    assert!(!out.ok, "mkdir without -p needs the parent");
    let out = fichier(&home, &sb.url(), &["mkdir", "-p", "/Deep/er/est"]);
    assert!(out.ok, "{}", out.stderr);
    assert!(s.find_folder("/Deep/er/est").is_some());

    let out = fichier(&home, &sb.url(), &["cp", "/a.txt", "/Archive"]);
    assert!(out.ok, "{}", out.stderr);
    let archive = s.find_folder("/Archive").unwrap();
    assert_eq!(s.list_names(archive).1, vec!["a.txt".to_string()]);

    let out = fichier(&home, &sb.url(), &["mv", "/a.txt", "/b.txt"]);
    assert!(out.ok, "{}", out.stderr);
    assert_eq!(s.list_names(0).1, vec!["b.txt".to_string()]);
    assert_eq!(
        s.file_body(&url).as_deref(),
        Some(&b"alpha"[..]),
        "a rename keeps the file"
    );

    let out = fichier(&home, &sb.url(), &["mv", "/b.txt", "/Deep"]);
    assert!(out.ok, "{}", out.stderr);
    assert!(s.list_names(0).1.is_empty());
    let deep = s.find_folder("/Deep").unwrap();
    assert_eq!(s.list_names(deep).1, vec!["b.txt".to_string()]);

    let out = fichier(&home, &sb.url(), &["rm", "/Deep"]);
    assert!(!out.ok, "a folder needs -r");
    assert!(out.stderr.contains("-r"), "{}", out.stderr);
    let out = fichier(&home, &sb.url(), &["rm", "-r", "/Deep"]);
    assert!(out.ok, "{}", out.stderr);
    assert!(s.find_folder("/Deep").is_none());

    let out = fichier(&home, &sb.url(), &["rm", "/Archive/a.txt"]);
    assert!(out.ok, "{}", out.stderr);
    assert!(s.list_names(archive).1.is_empty());
}

#[test]
fn two_files_of_one_name_are_ambiguous_and_both_urls_are_listed() {
    let sb = TestSandbox::start();
    let home = Home::new();
    let u1 = sb.sandbox.add_file(0, "twin.txt", b"one");
    let u2 = sb.sandbox.add_file(0, "twin.txt", b"two");
    let out = fichier(&home, &sb.url(), &["rm", "/twin.txt"]);
    assert!(!out.ok);
    assert!(
        out.stderr.contains(&u1) && out.stderr.contains(&u2),
        "{}",
        out.stderr
    );
    // Naming one by its URL works.
    let out = fichier(&home, &sb.url(), &["rm", &u1]);
    assert!(out.ok, "{}", out.stderr);
    assert_eq!(sb.sandbox.list_names(0).1.len(), 1);
}

#[test]
fn links_print_share_and_direct_urls() {
    let sb = TestSandbox::start();
    let home = Home::new();
    let folder = sb.sandbox.add_folder(0, "Share");
    let u1 = sb.sandbox.add_file(folder, "one.txt", b"1");
    let u2 = sb.sandbox.add_file(folder, "two.txt", b"22");
    let out = fichier(&home, &sb.url(), &["links", "/Share"]);
    assert!(out.ok, "{}", out.stderr);
    assert!(
        out.stdout.contains(&u1) && out.stdout.contains(&u2),
        "{}",
        out.stdout
    );
    let out = fichier(
        &home,
        &sb.url(),
        &["links", "--direct", "--json", "/Share/two.txt"],
    );
    assert!(out.ok, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    let direct = v[0]["direct"].as_str().expect("a direct url");
    let body = sb.block_on(async { reqwest::get(direct).await.ok()?.bytes().await.ok() });
    assert_eq!(
        body.as_deref(),
        Some(&b"22"[..]),
        "the direct URL serves the file"
    );
}

#[test]
fn remote_upload_fetches_a_url_into_a_folder() {
    let sb = TestSandbox::start();
    let home = Home::new();
    let source = sb.sandbox.add_file(0, "source.bin", &pattern(5000, 3));
    let inbox = sb.sandbox.add_folder(0, "Inbox");
    // A loopback URL that serves the bytes: a one-time download link of the sandbox itself.
    let out = fichier(&home, &sb.url(), &["links", "--direct", "--json", &source]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    let direct = v[0]["direct"].as_str().expect("direct").to_string();
    let out = fichier(
        &home,
        &sb.url(),
        &["remote-upload", &direct, "--to", "/Inbox", "--wait"],
    );
    assert!(out.ok, "{} {}", out.stdout, out.stderr);
    assert_eq!(sb.sandbox.list_names(inbox).1.len(), 1, "{}", out.stdout);
}

#[test]
fn without_a_key_it_says_how_to_get_one() {
    let sb = TestSandbox::start();
    let home = Home::new();
    let mut cmd = home.command(&sb.url());
    cmd.env_remove("FICHIER_API_KEY").arg("info");
    let out = common::run(cmd);
    assert!(!out.ok);
    assert!(
        out.stderr.contains("FICHIER_API_KEY") && out.stderr.contains("--demo"),
        "{}",
        out.stderr
    );
    assert_eq!(
        out.stderr.lines().count(),
        1,
        "one clear line: {}",
        out.stderr
    );
}

#[test]
fn a_wrong_key_is_refused_without_being_printed() {
    let sb = TestSandbox::start();
    let home = Home::new();
    let wrong = "WrongKeyWrongKeyWrongKey1234";
    let mut cmd = home.command(&sb.url());
    cmd.env("FICHIER_API_KEY", wrong)
        .env("FICHIER_TUI_LOG", "trace")
        .arg("info");
    let out = common::run(cmd);
    assert!(!out.ok);
    assert!(out.stderr.contains("API key was refused"), "{}", out.stderr);
    assert!(!out.stderr.contains(wrong) && !out.stdout.contains(wrong));
    let log = std::fs::read_to_string(home.state_dir().join("fichier-tui.log")).unwrap_or_default();
    assert!(!log.contains(wrong), "the key reached the log");
    assert!(!log.contains(TEST_KEY));
}

#[test]
fn a_config_file_others_can_read_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let sb = TestSandbox::start();
    let home = Home::new();
    let config = home.path().join("my.toml");
    std::fs::write(&config, format!("api_key = \"{TEST_KEY}\"\n")).unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut cmd = home.command(&sb.url());
    cmd.env_remove("FICHIER_API_KEY")
        .args(["--config", config.to_str().unwrap(), "info"]);
    let out = common::run(cmd);
    assert!(!out.ok);
    assert!(out.stderr.contains("chmod 600"), "{}", out.stderr);
    assert!(!out.stderr.contains(TEST_KEY));

    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut cmd = home.command(&sb.url());
    cmd.env_remove("FICHIER_API_KEY")
        .args(["--config", config.to_str().unwrap(), "info"]);
    let out = common::run(cmd);
    assert!(out.ok, "{}", out.stderr);
}

#[test]
fn plain_http_is_refused_off_loopback() {
    let home = Home::new();
    let out = fichier(&home, "http://example.org/v1", &["info"]);
    assert!(!out.ok);
    assert!(out.stderr.contains("https"), "{}", out.stderr);
}
