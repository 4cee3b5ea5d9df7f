//! `upload` and `download` end to end: the real binary against the sandbox over HTTP, killed with
//! SIGKILL in the middle of a queue and run again, a disk that fills up, conflicts, and a failed
//! job that does not stop the others.

mod common;

use common::{Home, TestSandbox, fichier, pattern};
use fichier_tui::checksum::whirlpool_hex;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A guard against a hung test, never an assertion on time.
const PATIENCE: Duration = Duration::from_secs(60);

/// Starts the binary with its output in files (so a full pipe never blocks it).
fn spawn(home: &Home, url: &str, args: &[&str], log: &Path) -> Child {
    let mut cmd = home.command(url);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).expect("a log file"));
    cmd.spawn().expect("the binary starts")
}

/// Waits until `f` says so, or fails the test once `PATIENCE` is gone.
fn until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !f() {
        assert!(Instant::now() < deadline, "stuck waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Enough of a whirlpool to tell bytes apart in a failed assertion.
fn short_hash(data: &[u8]) -> String {
    whirlpool_hex(data)[..16].to_string()
}

/// Every file under `root` as (path from root, bytes), sorted.
fn files_under(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).expect("a folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                todo.push(path);
            } else {
                let rel = path.strip_prefix(root).expect("inside").to_path_buf();
                out.push((rel, std::fs::read(&path).expect("readable")));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn an_upload_killed_mid_queue_resumes_and_sends_each_file_once() {
    let sb = TestSandbox::start();
    let home = Home::new();
    let dest = sb.sandbox.add_folder(0, "Dest");
    let src = home.path().join("photos");
    std::fs::create_dir(&src).unwrap();
    let mut expected = Vec::new();
    for i in 0..20u8 {
        let name = format!("img{i:02}.jpg");
        let data = pattern(48_000 + usize::from(i) * 500, i);
        std::fs::write(src.join(&name), &data).unwrap();
        expected.push((name, data));
    }
    // Slow bodies: the queue takes a couple of seconds, long enough to be killed in the middle.
    sb.sandbox.faults().set_bandwidth(Some(150_000));
    let log = home.path().join("first.log");
    let src_arg = src.display().to_string();
    // Rename on conflict: a second run that sent anything again would show as `name (1).jpg`.
    let args = ["upload", &src_arg, "/Dest", "--on-conflict", "rename"];
    let mut child = spawn(&home, &sb.url(), &args, &log);
    until("a third of the files", || {
        sb.sandbox.stats().uploads_completed >= 7
    });
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    // The sandbox notices the dead connections, or finishes what had all arrived.
    until("the bodies to settle", || {
        sb.sandbox.stats().bodies_in_flight == 0
    });
    let kept = sb.sandbox.stats().uploads_completed;
    assert!(kept < 20, "the run ended before the kill: {kept}");
    // What the service holds now needs no second sending; the rest goes again from zero.
    let photos = sb.sandbox.find_folder("/Dest/photos").expect("the folder");
    let there = sb.sandbox.list_names(photos).1;
    let missing: u64 = expected
        .iter()
        .filter(|(n, _)| !there.contains(n))
        .map(|(_, d)| d.len() as u64)
        .sum();
    sb.sandbox.reset_stats();

    sb.sandbox.faults().set_bandwidth(None);
    let out = fichier(&home, &sb.url(), &args);
    eprintln!(
        "killed after {kept} uploads; the second run said:\n{}",
        out.stderr
    );
    assert!(out.ok, "{}", out.stderr);
    assert!(
        out.stderr.contains("resuming") && out.stderr.contains("transfer(s)"),
        "{}",
        out.stderr
    );
    assert_eq!(sb.sandbox.list_names(dest).0, vec!["photos"], "made once");
    let mut got: Vec<(String, String)> = sb
        .sandbox
        .file_urls(photos)
        .into_iter()
        .map(|(name, url)| (name, short_hash(&sb.sandbox.file_body(&url).unwrap())))
        .collect();
    got.sort();
    let want: Vec<(String, String)> = expected
        .iter()
        .map(|(n, d)| (n.clone(), short_hash(d)))
        .collect();
    assert_eq!(got, want, "every file exactly once, with its bytes");
    let stats = sb.sandbox.stats();
    assert_eq!(
        stats.uploads_completed as usize,
        20 - there.len(),
        "the second run sent only what was missing"
    );
    assert_eq!(stats.upload_bytes_received, missing);
}

#[test]
fn a_download_killed_mid_queue_resumes_its_parts() {
    let sb = TestSandbox::start();
    let home = Home::new();
    let src = sb.sandbox.add_folder(0, "Src");
    let inner = sb.sandbox.add_folder(src, "inner");
    let mut expected = Vec::new();
    let mut total = 0u64;
    for i in 0..8u8 {
        let (folder, prefix) = if i % 2 == 0 {
            (src, PathBuf::from("Src"))
        } else {
            (inner, PathBuf::from("Src/inner"))
        };
        let name = format!("part{i}.bin");
        let data = pattern(400_000 + usize::from(i) * 1000, i);
        sb.sandbox.add_file(folder, &name, &data);
        total += data.len() as u64;
        expected.push((prefix.join(name), data));
    }
    expected.sort();
    sb.sandbox.faults().set_bandwidth(Some(600_000));
    let local = home.path().join("dl");
    let local_arg = local.display().to_string();
    let log = home.path().join("first.log");
    let mut child = spawn(&home, &sb.url(), &["download", "/Src", &local_arg], &log);
    until("a good part of the bytes", || {
        sb.sandbox.stats().download_bytes_served >= total * 2 / 5
    });
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    until("the bodies to settle", || {
        sb.sandbox.stats().bodies_in_flight == 0
    });
    let left = files_under(&local);
    let parts = left
        .iter()
        .filter(|(p, _)| p.to_string_lossy().ends_with(".part"))
        .count();
    assert!(parts > 0, "the kill left partial downloads");
    let on_disk: u64 = left.iter().map(|(_, d)| d.len() as u64).sum();
    let served_before = sb.sandbox.stats().download_bytes_served;
    sb.sandbox.reset_stats();

    sb.sandbox.faults().set_bandwidth(None);
    let out = fichier(&home, &sb.url(), &["download", "/Src", &local_arg]);
    eprintln!(
        "killed with {parts} parts; the second run said:\n{}",
        out.stderr
    );
    assert!(out.ok, "{}", out.stderr);
    assert!(out.stderr.contains("resuming"), "{}", out.stderr);
    let got = files_under(&local);
    let names: Vec<&PathBuf> = got.iter().map(|(p, _)| p).collect();
    let want: Vec<&PathBuf> = expected.iter().map(|(p, _)| p).collect();
    assert_eq!(names, want, "every file, and no .part left");
    for ((path, data), (_, want)) in got.iter().zip(&expected) {
        assert!(data == want, "{} differs", path.display());
    }
    // Whatever reached the disk before the kill is never fetched again.
    let served = sb.sandbox.stats().download_bytes_served;
    assert_eq!(served, total - on_disk, "the parts were not resumed");
    assert!(served_before + served < total * 3 / 2);
}

#[test]
fn a_failed_file_does_not_stop_the_queue_and_the_exit_says_so() {
    let sb = TestSandbox::start();
    let home = Home::new();
    sb.sandbox.add_folder(0, "In");
    let dir = home.path().join("mixed");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("a.txt"), pattern(3000, 1)).unwrap();
    std::fs::write(dir.join("empty.txt"), b"").unwrap();
    std::fs::write(dir.join("z.txt"), pattern(3000, 2)).unwrap();
    let out = fichier(
        &home,
        &sb.url(),
        &["upload", &dir.display().to_string(), "/In", "--jobs", "1"],
    );
    assert!(!out.ok, "a failed file makes a non-zero exit");
    assert!(
        out.stderr.contains("1fichier does not accept empty files"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("1 failed"), "{}", out.stderr);
    let mixed = sb.sandbox.find_folder("/In/mixed").unwrap();
    assert_eq!(sb.sandbox.list_names(mixed).1, vec!["a.txt", "z.txt"]);
}

#[test]
fn conflicts_follow_on_conflict() {
    let sb = TestSandbox::start();
    let home = Home::new();
    let folder = sb.sandbox.add_folder(0, "Docs");
    let old_url = sb.sandbox.add_file(folder, "report.pdf", b"old report");
    let file = home.path().join("report.pdf");
    let new = pattern(5000, 7);
    std::fs::write(&file, &new).unwrap();
    let path = file.display().to_string();

    let out = fichier(&home, &sb.url(), &["upload", &path, "/Docs"]);
    assert!(out.ok, "{}", out.stderr);
    assert!(out.stderr.contains("skipped"), "{}", out.stderr);
    assert_eq!(sb.sandbox.list_names(folder).1, vec!["report.pdf"]);

    let out = fichier(
        &home,
        &sb.url(),
        &["upload", &path, "/Docs", "--on-conflict", "rename"],
    );
    assert!(out.ok, "{}", out.stderr);
    assert_eq!(
        sb.sandbox.list_names(folder).1,
        vec!["report.pdf", "report (1).pdf"]
    );

    let out = fichier(
        &home,
        &sb.url(),
        &["upload", &path, "/Docs", "--on-conflict", "overwrite"],
    );
    assert!(out.ok, "{}", out.stderr);
    let files = sb.sandbox.file_urls(folder);
    let bodies: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(n, u)| (n.clone(), sb.sandbox.file_body(u).unwrap()))
        .collect();
    assert_eq!(bodies.len(), 2, "{:?}", sb.sandbox.list_names(folder));
    assert!(
        sb.sandbox.file_body(&old_url).is_none(),
        "the old copy went"
    );
    assert!(
        bodies.iter().any(|(n, b)| n == "report.pdf" && *b == new),
        "the new copy took its name"
    );

    // Downloads: the local copy is replaced only by a verified file.
    let local = home.path().join("back");
    std::fs::create_dir(&local).unwrap();
    std::fs::write(local.join("report.pdf"), b"mine").unwrap();
    let local_arg = local.display().to_string();
    let out = fichier(
        &home,
        &sb.url(),
        &["download", "/Docs/report.pdf", &local_arg],
    );
    assert!(out.ok, "{}", out.stderr);
    assert_eq!(std::fs::read(local.join("report.pdf")).unwrap(), b"mine");
    let out = fichier(
        &home,
        &sb.url(),
        &[
            "download",
            "/Docs/report.pdf",
            &local_arg,
            "--on-conflict",
            "rename",
        ],
    );
    assert!(out.ok, "{}", out.stderr);
    assert_eq!(std::fs::read(local.join("report (1).pdf")).unwrap(), new);
    let out = fichier(
        &home,
        &sb.url(),
        &[
            "download",
            "/Docs/report.pdf",
            &local_arg,
            "--on-conflict",
            "overwrite",
        ],
    );
    assert!(out.ok, "{}", out.stderr);
    assert_eq!(std::fs::read(local.join("report.pdf")).unwrap(), new);
    let names: Vec<PathBuf> = files_under(&local).into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        names,
        vec![PathBuf::from("report (1).pdf"), PathBuf::from("report.pdf")]
    );
}

/// Whether this machine lets an unprivileged process mount a tmpfs in a namespace of its own.
fn can_mount_tmpfs() -> bool {
    Command::new("unshare")
        .args(["-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn a_full_disk_fails_the_download_in_words_and_keeps_the_part() {
    if !can_mount_tmpfs() {
        eprintln!("skipped: `unshare -rm` cannot mount a small tmpfs on this machine");
        return;
    }
    let sb = TestSandbox::start();
    let home = Home::new();
    let src = sb.sandbox.add_folder(0, "Src");
    let small = pattern(20_000, 1);
    let big = pattern(3 << 20, 2);
    sb.sandbox.add_file(src, "a-small.txt", &small);
    sb.sandbox.add_file(src, "b-big.bin", &big);
    let mnt = home.path().join("mnt");
    let copy = home.path().join("copy");
    std::fs::create_dir(&mnt).unwrap();
    std::fs::create_dir(&copy).unwrap();
    // The binary writes into a 1 MiB tmpfs mounted for it alone; what it left there is copied
    // out before the mount goes away with the namespace.
    let script = r#"mount -t tmpfs -o size=1m tmpfs "$1" || exit 90
"$2" download /Src "$1" --jobs 1; rc=$?
cp -a "$1"/. "$3"/
exit $rc"#;
    let mut unshare = Command::new("unshare");
    unshare
        .args(["-rm", "sh", "-c", script, "sh"])
        .arg(&mnt)
        .arg(env!("CARGO_BIN_EXE_fichier-tui"))
        .arg(&copy)
        .env_remove("RCLONE_FICHIER_API_KEY")
        .env("NO_COLOR", "1")
        .envs(home.env(&sb.url()));
    let out = unshare.output().expect("unshare runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stderr}");
    assert_ne!(out.status.code(), Some(90), "the tmpfs was not mounted");
    assert!(
        !out.status.success(),
        "a failed download makes a non-zero exit"
    );
    assert!(stderr.contains("disk is full"), "{stderr}");
    assert_eq!(
        std::fs::read(copy.join("Src/a-small.txt")).unwrap(),
        small,
        "the file before it is whole"
    );
    assert!(!copy.join("Src/b-big.bin").exists());
    let part = std::fs::read(copy.join("Src/b-big.bin.part")).expect("the part is kept");
    assert!(!part.is_empty() && part.len() < big.len(), "{}", part.len());
    assert!(
        part[..] == big[..part.len()],
        "the part is the file's start"
    );

    // With room again (the same files, now on a roomy disk), the same command finishes the
    // download from its part.
    sb.sandbox.reset_stats();
    let copy_arg = copy.display().to_string();
    let out = fichier(&home, &sb.url(), &["download", "/Src", &copy_arg]);
    assert!(out.ok, "{}", out.stderr);
    assert!(std::fs::read(copy.join("Src/b-big.bin")).unwrap() == big);
    assert!(!copy.join("Src/b-big.bin.part").exists());
    assert_eq!(
        sb.sandbox.stats().download_bytes_served,
        (big.len() - part.len()) as u64,
        "only the missing end was fetched"
    );
}

#[test]
fn jobs_bound_the_transfers_at_once_and_json_reports_the_run() {
    let sb = TestSandbox::start();
    let home = Home::new();
    sb.sandbox.add_folder(0, "In");
    let dir = home.path().join("six");
    std::fs::create_dir(&dir).unwrap();
    let mut total = 0;
    for i in 0..6u8 {
        let data = pattern(40_000, i);
        total += data.len() as u64;
        std::fs::write(dir.join(format!("{i}.bin")), data).unwrap();
    }
    // Slow bodies overlap: the sandbox sees as many at once as the client allows.
    sb.sandbox.faults().set_bandwidth(Some(200_000));
    let dir_arg = dir.display().to_string();
    let out = fichier(
        &home,
        &sb.url(),
        &["upload", &dir_arg, "/In", "--jobs", "2", "--json"],
    );
    assert!(out.ok, "{}", out.stderr);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(report["files"], 6, "{report}");
    assert_eq!(report["bytes"], total, "{report}");
    assert_eq!(report["failed"].as_array().map(Vec::len), Some(0));
    assert_eq!(sb.sandbox.stats().max_bodies_at_once, 2);

    sb.sandbox.reset_stats();
    let local = home.path().join("back");
    let local_arg = local.display().to_string();
    let out = fichier(
        &home,
        &sb.url(),
        &["download", "/In/six", &local_arg, "--jobs", "3"],
    );
    assert!(out.ok, "{}", out.stderr);
    assert_eq!(sb.sandbox.stats().max_bodies_at_once, 3);
    let got = files_under(&local);
    assert_eq!(got.len(), 6);
    for (path, data) in got {
        let i: u8 = path
            .file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| s.parse().ok())
            .expect("a numbered file");
        assert!(data == pattern(40_000, i), "{}", path.display());
    }
}
