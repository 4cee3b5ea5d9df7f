//! `fichier-tui sync`, end to end: the real binary against the sandbox over HTTP, real files in
//! temporary folders, bodies and checksums compared, API calls counted in the sandbox.

mod common;

use common::{Home, TestSandbox, fichier, local_tree, pattern};
use fichier_tui::api::{ApiKey, Client, ClientOptions, FolderId};
use fichier_tui::sandbox::TEST_KEY;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// Runs `sync ARGS --json`; returns whether it succeeded, its report, and what it said on stderr.
fn sync(home: &Home, sb: &TestSandbox, args: &[&str]) -> (bool, Value, String) {
    let mut all: Vec<&str> = vec!["sync"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = fichier(home, &sb.url(), &all);
    let report = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON ({e}): {}\n{}", out.stdout, out.stderr));
    (out.ok, report, out.stderr)
}

fn client(sb: &TestSandbox) -> Client {
    let mut o = ClientOptions::new(sb.url(), ApiKey::new(TEST_KEY));
    o.calls_per_second = 50.0;
    Client::new(o).expect("a client")
}

/// Every file under a remote folder: path from that folder -> the bodies of its copies.
fn remote_tree(sb: &TestSandbox, path: &str) -> BTreeMap<String, Vec<Vec<u8>>> {
    let mut out = BTreeMap::new();
    let Some(root) = sb.sandbox.find_folder(path) else {
        return out;
    };
    let c = client(sb);
    let mut todo = vec![(FolderId(root), String::new())];
    while let Some((id, prefix)) = todo.pop() {
        let (listing, files) = sb.block_on(async {
            (
                c.folder_ls(id).await.expect("folder/ls"),
                c.file_ls(id).await.expect("file/ls"),
            )
        });
        for f in files {
            let body = sb.sandbox.file_body(f.url.as_str()).expect("a body");
            out.entry(format!("{prefix}{}", f.filename))
                .or_insert_with(Vec::new)
                .push(body);
        }
        for sub in listing.sub_folders {
            todo.push((sub.id, format!("{prefix}{}/", sub.name)));
        }
    }
    out
}

/// The remote tree with one copy per name, in the service's form of the local names.
fn as_uploaded(local: &BTreeMap<String, Vec<u8>>) -> BTreeMap<String, Vec<Vec<u8>>> {
    local
        .iter()
        .map(|(p, b)| {
            let mapped: Vec<String> = p
                .split('/')
                .map(fichier_tui::sanitize::to_service_name)
                .collect();
            (mapped.join("/"), vec![b.clone()])
        })
        .collect()
}

fn write(root: &Path, rel: &str, body: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("a parent")).expect("folders");
    std::fs::write(p, body).expect("written");
}

/// A small backup source: nested folders, a name 1fichier refuses, sizes across a few KiB.
fn source_tree(root: &Path) {
    write(root, "top.bin", &pattern(20_000, 1));
    write(root, "docs/it's <1>.txt", b"names the service refuses");
    write(root, "docs/deep/a.bin", &pattern(5_000, 2));
    write(root, "docs/deep/b.bin", &pattern(7_000, 3));
    write(root, " leading space.txt", b"leading");
    std::fs::create_dir_all(root.join("empty-folder")).expect("a folder");
}

#[test]
fn a_second_sync_reads_nothing_and_only_lists() {
    let sb = TestSandbox::start();
    let home = Home::new();
    let src = tempfile::tempdir().expect("tmp");
    source_tree(src.path());
    let local = local_tree(src.path());

    let (ok, r, err) = sync(
        &home,
        &sb,
        &[&src.path().display().to_string(), "1f:/Backups/nas"],
    );
    assert!(ok, "{err}\n{r}");
    assert_eq!(r["sent"], 5, "{r}");
    assert_eq!(r["new"], 5);
    assert_eq!(remote_tree(&sb, "/Backups/nas"), as_uploaded(&local));
    assert!(
        sb.sandbox
            .find_folder("/Backups/nas/empty-folder")
            .is_some(),
        "folders are mirrored"
    );

    // Unchanged: listing calls only, no body read, nothing sent.
    sb.sandbox.reset_stats();
    let (ok, r, err) = sync(
        &home,
        &sb,
        &[&src.path().display().to_string(), "1f:/Backups/nas"],
    );
    assert!(ok, "{err}\n{r}");
    assert_eq!(
        (r["sent"].as_u64(), r["unchanged"].as_u64()),
        (Some(0), Some(5)),
        "{r}"
    );
    assert_eq!(r["hashes"]["bytes_hashed"], 0, "{r}");
    assert_eq!(r["hashes"]["files_hashed"], 0, "{r}");
    assert_eq!(r["hashes"]["cache_hits"], 5, "{r}");
    let stats = sb.sandbox.stats();
    let endpoints: Vec<&String> = stats.by_endpoint.keys().collect();
    assert!(
        endpoints
            .iter()
            .all(|e| *e == "folder/ls.cgi" || *e == "file/ls.cgi"),
        "only listings: {:?}",
        stats.by_endpoint
    );
    assert_eq!(stats.uploads_completed, 0);
    // Each folder listed once: /, /Backups (to find the pair's folder), nas, docs, docs/deep,
    // empty-folder.
    let calls = |e: &str| stats.by_endpoint.get(e).copied().unwrap_or(0);
    assert_eq!(
        (calls("folder/ls.cgi"), calls("file/ls.cgi")),
        (6, 6),
        "{:?}",
        stats.by_endpoint
    );

    // The cache is what decides: a file rewritten with other bytes of the same size, its
    // modification time put back, is taken as unchanged. Its body was not read.
    let a = src.path().join("docs/deep/a.bin");
    let mtime = std::fs::metadata(&a)
        .expect("meta")
        .modified()
        .expect("mtime");
    std::fs::write(&a, pattern(5_000, 99)).expect("rewritten");
    std::fs::File::options()
        .write(true)
        .open(&a)
        .expect("open")
        .set_modified(mtime)
        .expect("mtime set");
    let (ok, r, _) = sync(
        &home,
        &sb,
        &[&src.path().display().to_string(), "1f:/Backups/nas"],
    );
    assert!(ok);
    assert_eq!(
        (r["sent"].as_u64(), r["hashes"]["bytes_hashed"].as_u64()),
        (Some(0), Some(0)),
        "{r}"
    );
}

#[test]
fn a_changed_file_is_sent_again_and_its_old_copy_removed() {
    let sb = TestSandbox::start();
    let home = Home::new();
    let src = tempfile::tempdir().expect("tmp");
    source_tree(src.path());
    let src_arg = src.path().display().to_string();
    assert!(sync(&home, &sb, &[&src_arg, "1f:/B"]).0);
    let folder = sb.sandbox.find_folder("/B/docs/deep").expect("made");
    let c = client(&sb);
    let old = sb.block_on(c.file_ls(FolderId(folder))).expect("ls");

    // Same size, other content (and a newer time); and one of another size.
    std::thread::sleep(Duration::from_millis(20));
    write(src.path(), "docs/deep/a.bin", &pattern(5_000, 42));
    write(src.path(), "top.bin", &pattern(21_000, 43));
    sb.sandbox.reset_stats();
    let (ok, r, err) = sync(&home, &sb, &[&src_arg, "1f:/B"]);
    assert!(ok, "{err}\n{r}");
    assert_eq!(
        (r["sent"].as_u64(), r["changed"].as_u64()),
        (Some(2), Some(2)),
        "{r}"
    );
    let copies = &r["plan"]["copy"];
    assert!(copies.to_string().contains("content"), "{copies}");
    assert_eq!(
        r["hashes"]["files_hashed"], 1,
        "only the same-size candidate is read: {r}"
    );
    assert_eq!(
        remote_tree(&sb, "/B"),
        as_uploaded(&local_tree(src.path())),
        "one copy each, new bytes"
    );
    let now = sb.block_on(c.file_ls(FolderId(folder))).expect("ls");
    let old_a = old
        .iter()
        .find(|f| f.filename == "a.bin")
        .expect("a.bin was there");
    assert!(
        now.iter().all(|f| f.url != old_a.url),
        "the old copy is gone"
    );
    assert_eq!(
        sb.sandbox.stats().by_endpoint.get("file/rm.cgi"),
        Some(&2),
        "one removal per replaced file"
    );
}

#[test]
fn a_dry_run_changes_nothing_on_either_side() {
    let sb = TestSandbox::start();
    let home = Home::new();
    let src = tempfile::tempdir().expect("tmp");
    source_tree(src.path());
    let src_arg = src.path().display().to_string();
    assert!(sync(&home, &sb, &[&src_arg, "1f:/B"]).0);
    write(src.path(), "docs/new.txt", b"new");
    write(src.path(), "top.bin", &pattern(100, 1));
    std::fs::remove_file(src.path().join("docs/deep/b.bin")).expect("removed");
    let before_remote = remote_tree(&sb, "/B");
    let before_local = local_tree(src.path());
    sb.sandbox.reset_stats();

    let out = fichier(
        &home,
        &sb.url(),
        &["sync", "--dry-run", "--delete", &src_arg, "1f:/B"],
    );
    assert!(out.ok, "{}", out.stderr);
    assert!(
        out.stdout.contains("new      docs/new.txt"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("changed  top.bin (size"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("delete   docs/deep/b.bin"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("1 new, 1 changed, 1 to delete"),
        "{}",
        out.stdout
    );
    let (ok, r, _) = sync(
        &home,
        &sb,
        &["--dry-run", "--delete", &src_arg, "1f:/Elsewhere"],
    );
    assert!(ok);
    assert_eq!(
        r["new"], 5,
        "a destination that does not exist yet: everything is new: {r}"
    );

    assert_eq!(remote_tree(&sb, "/B"), before_remote);
    assert_eq!(local_tree(src.path()), before_local);
    assert!(
        sb.sandbox.find_folder("/Elsewhere").is_none(),
        "not even a folder made"
    );
    let stats = sb.sandbox.stats();
    assert!(
        stats
            .by_endpoint
            .keys()
            .all(|e| e == "folder/ls.cgi" || e == "file/ls.cgi"),
        "{:?}",
        stats.by_endpoint
    );
}

#[test]
fn delete_is_capped_unless_forced_and_leaves_excluded_files() {
    let sb = TestSandbox::start();
    let home = Home::new();
    let src = tempfile::tempdir().expect("tmp");
    write(src.path(), "keep.txt", b"keep");
    let b = sb.sandbox.add_folder(0, "B");
    for i in 0..3 {
        sb.sandbox.add_file(b, &format!("stale{i}.txt"), b"stale");
    }
    sb.sandbox.add_file(b, "cache.tmp", b"excluded");
    let old_dir = sb.sandbox.add_folder(b, "old");
    sb.sandbox.add_file(old_dir, "x", b"x");
    let src_arg = src.path().display().to_string();
    let ex = ["--exclude", "*.tmp"];

    // Four files only on the destination, a cap of 3: the copy goes, the deletions do not.
    let mut args = vec![src_arg.as_str(), "1f:/B", "--delete", "--max-delete", "3"];
    args.extend_from_slice(&ex);
    let (ok, r, _) = sync(&home, &sb, &args);
    assert!(!ok, "refused deletions fail the run: {r}");
    assert_eq!(
        (
            r["sent"].as_u64(),
            r["deleted"].as_u64(),
            r["to_delete"].as_u64()
        ),
        (Some(1), Some(0), Some(4))
    );
    assert!(
        r["delete_refused"]
            .as_str()
            .is_some_and(|s| s.contains("--force")),
        "{r}"
    );
    assert_eq!(
        sb.sandbox.list_names(b).1.len(),
        5,
        "keep.txt came, nothing went"
    );

    args.push("--force");
    let (ok, r, err) = sync(&home, &sb, &args);
    assert!(ok, "{err}\n{r}");
    assert_eq!(r["deleted"], 4, "{r}");
    let (folders, mut files) = sb.sandbox.list_names(b);
    files.sort();
    assert_eq!(files, ["cache.tmp", "keep.txt"], "the excluded file stays");
    assert!(
        folders.is_empty(),
        "the emptied folder goes too: {folders:?}"
    );
    assert_eq!(r["excluded"], 1);
}

#[test]
fn a_killed_run_resumes_to_the_same_result_without_duplicates() {
    let sb = TestSandbox::start();
    let home = Home::new();
    let src = tempfile::tempdir().expect("tmp");
    for i in 0..6 {
        write(
            src.path(),
            &format!("d{}/f{i}.bin", i % 2),
            &pattern(150_000, i as u8),
        );
    }
    let src_arg = src.path().display().to_string();
    sb.sandbox.faults().set_bandwidth(Some(600_000));

    let mut child = home
        .command(&sb.url())
        .args(["sync", &src_arg, "1f:/B", "-j", "1"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawned");
    let deadline = Instant::now() + Duration::from_secs(60);
    while sb.sandbox.stats().uploads_completed < 2 {
        assert!(Instant::now() < deadline, "the first run never got going");
        assert!(
            child.try_wait().expect("alive?").is_none(),
            "finished before it was killed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("killed");
    let _ = child.wait();
    let sent_before = sb.sandbox.stats().uploads_completed;
    assert!(sent_before < 6, "killed half way");
    sb.sandbox.faults().set_bandwidth(None);

    let (ok, r, err) = sync(&home, &sb, &[&src_arg, "1f:/B"]);
    assert!(ok, "{err}\n{r}");
    assert!(
        r["resumed"].as_u64().is_some_and(|n| n > 0),
        "the journal's jobs went first: {r}"
    );
    assert_eq!(
        remote_tree(&sb, "/B"),
        as_uploaded(&local_tree(src.path())),
        "each file once, whole"
    );
    let total = sb.sandbox.stats().uploads_completed;
    assert!(
        total <= 6 + 1,
        "at most the one cut short is sent twice: {total}"
    );

    let (ok, r, _) = sync(&home, &sb, &[&src_arg, "1f:/B"]);
    assert!(ok);
    assert_eq!(r["sent"], 0, "{r}");
}

#[test]
fn a_restore_of_hostile_names_stays_inside_and_round_trips_names() {
    let sb = TestSandbox::start();
    let home = Home::new();
    let top = sb.sandbox.add_folder(0, "Hostile");
    sb.sandbox.add_file(top, "..\u{FF0F}..\u{FF0F}escape", b"1");
    sb.sandbox.add_file(top, "a/b", b"2");
    sb.sandbox.add_file(top, "\x1b[31mred", b"3");
    sb.sandbox.add_file(top, "..", b"4");
    sb.sandbox
        .add_file(top, "it\u{FF07}s \u{FF1C}ok\u{FF1E}", b"5");
    let dots = sb.sandbox.add_folder(top, "..\u{FF0F}up");
    sb.sandbox.add_file(dots, "inner", b"6");
    let out_dir = tempfile::tempdir().expect("tmp");
    let dest = out_dir.path().join("restore");
    let dest_arg = dest.display().to_string();

    let out = fichier(&home, &sb.url(), &["sync", "1f:/Hostile", &dest_arg]);
    assert!(out.ok, "{}\n{}", out.stdout, out.stderr);
    assert!(
        !out.stdout.contains('\x1b') && !out.stderr.contains('\x1b'),
        "no escape reaches the terminal"
    );
    let got = local_tree(&dest);
    let names: Vec<&str> = got.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            ".._.._escape",
            ".._up/inner",
            "_",
            "_[31mred",
            "a_b",
            "it's <ok>"
        ],
        "every name made safe, inside the folder"
    );
    assert_eq!(
        got["it's <ok>"], b"5",
        "look-alikes come back as the user's characters"
    );
    let outside: Vec<_> = std::fs::read_dir(out_dir.path())
        .expect("readable")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        outside.len(),
        1,
        "nothing landed beside the destination: {outside:?}"
    );

    let (ok, r, _) = sync(&home, &sb, &["1f:/Hostile", &dest_arg]);
    assert!(ok);
    assert_eq!(
        (r["sent"].as_u64(), r["unchanged"].as_u64()),
        (Some(0), Some(6)),
        "{r}"
    );
    assert_eq!(
        r["hashes"]["bytes_hashed"], 0,
        "the downloads were remembered: {r}"
    );

    // Up and down again: names the service refuses come back as they were written.
    let src = tempfile::tempdir().expect("tmp");
    write(src.path(), " it's $5 `q` <a>.txt", b"round");
    assert!(
        sync(
            &home,
            &sb,
            &[&src.path().display().to_string(), "1f:/Round"]
        )
        .0
    );
    let back = out_dir.path().join("back");
    assert!(sync(&home, &sb, &["1f:/Round", &back.display().to_string()]).0);
    assert_eq!(local_tree(&back), local_tree(src.path()));
}

#[test]
fn two_runs_of_one_pair_never_overlap() {
    let sb = TestSandbox::start();
    let home = Home::new();
    let src = tempfile::tempdir().expect("tmp");
    write(src.path(), "big.bin", &pattern(1_000_000, 7));
    let src_arg = src.path().display().to_string();
    sb.sandbox.faults().set_bandwidth(Some(400_000));
    let mut first = home
        .command(&sb.url())
        .args(["sync", &src_arg, "1f:/B"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawned");
    let deadline = Instant::now() + Duration::from_secs(60);
    while sb.sandbox.stats().upload_bytes_received == 0 {
        assert!(
            Instant::now() < deadline,
            "the first run never started sending"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = fichier(&home, &sb.url(), &["sync", &src_arg, "1f:/B"]);
    assert!(!out.ok, "the second run must stop");
    assert!(out.stderr.contains("is running"), "{}", out.stderr);
    // Another pair is not held up.
    let other = fichier(&home, &sb.url(), &["sync", "--dry-run", &src_arg, "1f:/C"]);
    assert!(other.ok, "{}", other.stderr);
    assert!(first.wait().expect("waited").success());
    assert_eq!(sb.sandbox.stats().uploads_completed, 1);
}

#[test]
fn excludes_from_a_file_and_the_command_line() {
    let sb = TestSandbox::start();
    let home = Home::new();
    let src = tempfile::tempdir().expect("tmp");
    write(src.path(), "keep/a.txt", b"a");
    write(src.path(), "keep/a.o", b"o");
    write(src.path(), "build/out.bin", b"b");
    write(src.path(), "logs/2024/x.gz", b"g");
    write(src.path(), "logs/x.txt", b"t");
    let list = src.path().join("../excludes.txt");
    std::fs::write(&list, "# build products\n*.o\n/build/\n").expect("written");
    let (ok, r, err) = sync(
        &home,
        &sb,
        &[
            &src.path().display().to_string(),
            "1f:/B",
            "--exclude-from",
            &list.display().to_string(),
            "--exclude",
            "logs/**/*.gz",
        ],
    );
    assert!(ok, "{err}\n{r}");
    let names: Vec<String> = remote_tree(&sb, "/B").into_keys().collect();
    assert_eq!(names, ["keep/a.txt", "logs/x.txt"]);
    assert_eq!(r["excluded"], 3, "{r}");
}

#[test]
fn bad_arguments_say_what_is_wrong() {
    let sb = TestSandbox::start();
    let home = Home::new();
    let out = fichier(&home, &sb.url(), &["sync", "/a", "/b"]);
    assert!(!out.ok);
    assert!(out.stderr.contains("1f:"), "{}", out.stderr);
    let out = fichier(&home, &sb.url(), &["sync", "1f:/Nope", "/tmp/x-never"]);
    assert!(!out.ok);
    assert!(out.stderr.contains("does not exist"), "{}", out.stderr);
    let out = fichier(&home, &sb.url(), &["sync", "--help"]);
    assert!(out.stdout.contains("1f:/Backups/nas"), "{}", out.stdout);
}

#[test]
fn size_only_reads_no_file_and_trusts_equal_sizes() {
    let sb = TestSandbox::start();
    let home = Home::new();
    let src = tempfile::tempdir().expect("tmp");
    write(src.path(), "a.bin", &pattern(4_000, 1));
    let src_arg = src.path().display().to_string();
    assert!(sync(&home, &sb, &[&src_arg, "1f:/B", "--size-only"]).0);
    std::thread::sleep(Duration::from_millis(20));
    write(src.path(), "a.bin", &pattern(4_000, 2));
    let (ok, r, _) = sync(&home, &sb, &[&src_arg, "1f:/B", "--size-only"]);
    assert!(ok);
    assert_eq!(
        (r["sent"].as_u64(), r["hashes"]["files_hashed"].as_u64()),
        (Some(0), Some(0)),
        "{r}"
    );
    // Without it, the content decides.
    let (ok, r, _) = sync(&home, &sb, &[&src_arg, "1f:/B"]);
    assert!(ok);
    assert_eq!(r["sent"], 1, "{r}");
    assert_eq!(remote_tree(&sb, "/B")["a.bin"], [pattern(4_000, 2)]);
}

#[cfg(unix)]
#[test]
fn a_restore_never_writes_through_a_link_in_the_destination() {
    let sb = TestSandbox::start();
    let home = Home::new();
    let top = sb.sandbox.add_folder(0, "R");
    let sub = sb.sandbox.add_folder(top, "sub");
    sb.sandbox.add_file(sub, "f.txt", b"payload");
    sb.sandbox.add_file(top, "ok.txt", b"fine");
    let dest = tempfile::tempdir().expect("tmp");
    let elsewhere = tempfile::tempdir().expect("tmp");
    std::os::unix::fs::symlink(elsewhere.path(), dest.path().join("sub")).expect("a link");

    let (ok, r, _) = sync(&home, &sb, &["1f:/R", &dest.path().display().to_string()]);
    assert!(!ok, "the folder could not be made: the run fails: {r}");
    assert!(r["failed"].to_string().contains("sub"), "{r}");
    assert_eq!(
        std::fs::read_dir(elsewhere.path())
            .expect("readable")
            .count(),
        0,
        "nothing written through the link"
    );
    assert_eq!(
        std::fs::read(dest.path().join("ok.txt")).expect("the rest came"),
        b"fine"
    );
}
