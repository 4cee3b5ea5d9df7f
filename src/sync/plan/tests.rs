use super::*;
use crate::sync::tree::{LocalDir, LocalFile, RemoteDir};

fn k(path: &str) -> KeyPath {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn stamp(size: u64) -> Stamp {
    Stamp {
        size,
        mtime_ns: Some(1),
    }
}

/// A local tree from (path, size) with names taken as keys of `direction`.
fn local(direction: Direction, files: &[(&str, u64)], dirs: &[&str]) -> LocalTree {
    let mut t = LocalTree::default();
    let keyed = |p: &str| -> KeyPath { k(p).iter().map(|n| direction.local_key(n)).collect() };
    t.dirs.insert(
        Vec::new(),
        LocalDir {
            path: "/l".into(),
            names: Vec::new(),
        },
    );
    for d in dirs {
        t.dirs.insert(
            keyed(d),
            LocalDir {
                path: format!("/l/{d}").into(),
                names: k(d),
            },
        );
    }
    for (p, size) in files {
        t.files.insert(
            keyed(p),
            LocalFile {
                path: format!("/l/{p}").into(),
                names: k(p),
                stamp: stamp(*size),
            },
        );
    }
    t
}

fn rfile(name: &str, size: u64, sum: Option<&str>, url: &str, date: &str) -> RemoteFile {
    RemoteFile {
        url: FileUrl(url.into()),
        filename: name.into(),
        size,
        date: Some(date.into()),
        checksum: sum.map(str::to_string),
        content_type: None,
        cdn: false,
        pass: false,
    }
}

/// A remote tree from (service path, size, checksum, url).
fn remote(
    direction: Direction,
    files: &[(&str, u64, Option<&str>, &str)],
    dirs: &[&str],
) -> RemoteTree {
    let mut t = RemoteTree::empty(Some(FolderId(1)));
    let keyed = |p: &str| -> KeyPath { k(p).iter().map(|n| direction.remote_key(n)).collect() };
    for (i, d) in dirs.iter().enumerate() {
        t.dirs.insert(
            keyed(d),
            RemoteDir {
                id: FolderId(10 + i as u64),
                shown: k(d),
            },
        );
    }
    for (p, size, sum, url) in files {
        let names = k(p);
        let name = names.last().cloned().unwrap_or_default();
        t.files.entry(keyed(p)).or_default().push(RemoteEntry {
            file: rfile(&name, *size, *sum, url, "2026-01-01 10:00:00"),
            folder: FolderId(1),
            shown: names.iter().map(|n| direction.remote_shown(n)).collect(),
        });
    }
    t
}

fn hashes(pairs: &[(&str, Result<&str, &str>)]) -> HashMap<PathBuf, Result<String, String>> {
    pairs
        .iter()
        .map(|(p, r)| {
            (
                PathBuf::from(format!("/l/{p}")),
                r.map(str::to_string).map_err(str::to_string),
            )
        })
        .collect()
}

fn changes(plan: &Plan) -> Vec<(String, Change)> {
    plan.copies
        .iter()
        .map(|c| (c.shown.clone(), c.change))
        .collect()
}

#[test]
fn up_compares_name_then_size_then_content() {
    let d = Direction::Up;
    let l = local(
        d,
        &[
            ("new.txt", 5),
            ("bigger", 9),
            ("same", 4),
            ("edited", 4),
            ("nosum", 4),
            ("it's", 3),
        ],
        &["sub"],
    );
    let r = remote(
        d,
        &[
            ("bigger", 7, Some("aa"), "u1"),
            ("same", 4, Some("AB"), "u2"),
            ("edited", 4, Some("cd"), "u3"),
            ("nosum", 4, None, "u4"),
            ("it\u{FF07}s", 3, Some("ee"), "u5"),
            ("gone", 1, Some("ff"), "u6"),
        ],
        &[],
    );
    let h = hashes(&[("same", Ok("ab")), ("edited", Ok("00")), ("it's", Ok("ee"))]);
    let checks = content_checks(d, &l, &r, false);
    let mut checked: Vec<String> = checks
        .iter()
        .map(|(p, _)| p.display().to_string())
        .collect();
    checked.sort();
    assert_eq!(checked, ["/l/edited", "/l/it's", "/l/same"]);
    assert!(content_checks(d, &l, &r, true).is_empty());

    let plan = diff(d, &l, &r, DiffOptions::default(), &h);
    assert_eq!(
        changes(&plan),
        [
            ("bigger".to_string(), Change::Size { was: 7 }),
            ("edited".to_string(), Change::Content),
            ("new.txt".to_string(), Change::New),
        ]
    );
    assert_eq!((plan.unchanged, plan.unverified), (2, 1));
    assert_eq!(plan.make_dirs, [k("sub")]);
    assert!(plan.removals.is_empty(), "nothing deleted without --delete");

    let sized = diff(
        d,
        &l,
        &r,
        DiffOptions {
            size_only: true,
            delete: false,
        },
        &HashMap::new(),
    );
    assert_eq!(sized.copies.len(), 2, "edited passes on size alone");
    assert_eq!(sized.unchanged, 4);
}

#[test]
fn up_delete_removes_destination_only_files_extra_copies_and_folders() {
    let d = Direction::Up;
    let mut l = local(d, &[("keep", 4), ("a/x", 1)], &["a"]);
    let r = remote(
        d,
        &[
            ("keep", 4, Some("11"), "u1"),
            ("keep", 4, Some("22"), "u2"),
            ("old", 2, None, "u3"),
            ("gone/deep/f", 2, None, "u4"),
            ("held/f", 2, None, "u5"),
            ("a/x", 1, Some("33"), "u6"),
        ],
        &["a", "gone", "gone/deep", "held"],
    );
    // An unreadable local folder protects what the destination has under it.
    l.protected.insert(k("held"));
    let h = hashes(&[("keep", Ok("22")), ("a/x", Ok("33"))]);
    let plan = diff(
        d,
        &l,
        &r,
        DiffOptions {
            size_only: false,
            delete: true,
        },
        &h,
    );
    assert!(plan.copies.is_empty());
    let mut removed: Vec<&str> = plan.removals.iter().map(|r| r.shown.as_str()).collect();
    removed.sort();
    assert_eq!(removed, ["gone/deep/f", "keep (an extra copy)", "old"]);
    assert!(
        plan.removals
            .iter()
            .any(|r| r.target == Target::Remote(FileUrl("u1".into()))),
        "the copy that matches stays; the other goes"
    );
    let dirs: Vec<&str> = plan.dir_removals.iter().map(|d| d.shown.as_str()).collect();
    assert_eq!(dirs, ["gone/deep/", "gone/"], "deepest first; held/ stays");
}

#[test]
fn up_skips_empty_files_and_reports_unreadable_ones() {
    let d = Direction::Up;
    let l = local(d, &[("empty", 0), ("locked", 3)], &[]);
    let r = remote(d, &[("locked", 3, Some("aa"), "u1")], &[]);
    let h = hashes(&[("locked", Err("cannot read /l/locked: denied"))]);
    let plan = diff(d, &l, &r, DiffOptions::default(), &h);
    assert!(plan.copies.is_empty());
    assert_eq!(plan.skipped[0].path, "empty");
    assert_eq!(plan.failed[0].path, "locked");
}

#[test]
fn down_maps_hostile_names_and_picks_the_newest_of_a_clash() {
    let d = Direction::Down;
    let l = local(
        d,
        &[("same", 4), ("edited", 4), ("local-only", 1)],
        &["mine"],
    );
    let mut r = remote(
        d,
        &[
            ("..\u{FF0F}evil", 3, Some("aa"), "u1"),
            ("same", 4, Some("ab"), "u2"),
            ("edited", 4, Some("cd"), "u3"),
            ("a\u{FF0F}b", 2, None, "u4"),
            ("a_b", 2, None, "u5"),
        ],
        &["sub"],
    );
    // The second of the clashing pair is newer: it is the one restored.
    if let Some(copies) = r.files.get_mut(&k("a_b")) {
        copies[1].file.date = Some("2026-02-01 00:00:00".into());
    }
    let h = hashes(&[("same", Ok("AB")), ("edited", Ok("ff"))]);
    let plan = diff(
        d,
        &l,
        &r,
        DiffOptions {
            size_only: false,
            delete: true,
        },
        &h,
    );
    let mut got = changes(&plan);
    got.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        got,
        [
            (".._evil".to_string(), Change::New),
            ("a_b".to_string(), Change::New),
            ("edited".to_string(), Change::Content),
        ]
    );
    let ab = plan.copies.iter().find(|c| c.shown == "a_b").unwrap();
    assert_eq!(
        ab.from,
        CopyFrom::Remote(rfile("a_b", 2, None, "u5", "2026-02-01 00:00:00"))
    );
    assert!(plan.skipped.iter().any(|n| n.path == "a_b"));
    assert_eq!(plan.unchanged, 1);
    assert_eq!(plan.make_dirs, [k("sub")]);
    let removed: Vec<&str> = plan.removals.iter().map(|r| r.shown.as_str()).collect();
    assert_eq!(removed, ["local-only"]);
    assert_eq!(plan.dir_removals.len(), 1, "mine/ is only local");
}

#[test]
fn down_never_writes_over_a_folder_or_under_a_file() {
    let d = Direction::Down;
    let l = local(d, &[("x", 1)], &["y"]);
    let r = remote(
        d,
        &[("y", 1, None, "u1"), ("x/inner", 1, None, "u2")],
        &["x"],
    );
    let plan = diff(d, &l, &r, DiffOptions::default(), &HashMap::new());
    assert!(plan.copies.is_empty(), "{:?}", plan.copies);
    assert!(plan.make_dirs.is_empty());
    assert_eq!(
        plan.failed.len(),
        2,
        "the run does not end in success: {:?}",
        plan.failed
    );
}
