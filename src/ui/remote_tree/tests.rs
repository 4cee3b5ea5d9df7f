//! The tree's own tests: lazy loading, tickets, marks, filters.

use super::*;
use crate::api::{FolderListing, SubFolder};
use crate::ui::keymap::Nav;

pub(crate) fn file(name: &str, url: &str, size: u64) -> RemoteFile {
    RemoteFile {
        url: FileUrl(format!("https://1fichier.com/?{url}")),
        filename: name.into(),
        size,
        date: Some("2026-11-02 10:00:00".into()),
        checksum: None,
        content_type: None,
        cdn: false,
        pass: false,
    }
}

pub(crate) fn listing(id: u64, subs: &[(u64, &str)], files: Vec<RemoteFile>) -> RemoteListing {
    RemoteListing {
        folder: FolderListing {
            folder_id: FolderId(id),
            name: String::new(),
            sub_folders: subs
                .iter()
                .map(|(i, n)| SubFolder {
                    id: FolderId(*i),
                    name: n.to_string(),
                    create_date: Some("2026-11-20 08:00:00".into()),
                    pass: false,
                })
                .collect(),
        },
        files,
    }
}

pub(crate) fn ticket(e: Option<Effect>) -> u64 {
    match e {
        Some(Effect::ListRemote { ticket, .. }) => ticket,
        other => panic!("expected a listing request, got {other:?}"),
    }
}

fn labels(p: &RemotePane) -> Vec<String> {
    p.rows()
        .iter()
        .map(|r| {
            let pad = "  ".repeat(r.depth);
            match r.item {
                RowItem::Folder(id) => {
                    let n = p.node(id).unwrap();
                    let mark = if n.expanded { "v" } else { ">" };
                    let load = if n.is_loading() { " loading..." } else { "" };
                    format!(
                        "{pad}{mark} {}/{load}",
                        if id == FolderId::ROOT { "" } else { &n.name }
                    )
                }
                RowItem::File { folder, index } => {
                    format!("{pad}{}", p.file(folder, index).unwrap().filename)
                }
            }
        })
        .collect()
}

fn loaded_root() -> RemotePane {
    let mut p = RemotePane::new();
    let t = ticket(p.request(FolderId::ROOT));
    p.on_listed(
        FolderId::ROOT,
        t,
        Ok(listing(
            0,
            &[(2, "Photos"), (1, "Backups")],
            vec![file("notes.md", "n", 8)],
        )),
        20,
    );
    p
}

#[test]
fn expand_lazily_with_a_loading_mark_then_collapse() {
    let mut p = loaded_root();
    assert_eq!(
        labels(&p),
        ["v /", "  > Backups/", "  > Photos/", "  notes.md"]
    );
    p.nav(Nav::Down, 20);
    let t = ticket(p.open(20));
    assert_eq!(labels(&p)[1], "  v Backups/ loading...");
    assert_eq!(p.current_folder(), FolderId(1));
    p.on_listed(
        FolderId(1),
        t,
        Ok(listing(
            1,
            &[(3, "nas")],
            vec![file("a", "a", 1), file("a", "b", 2)],
        )),
        20,
    );
    assert_eq!(
        labels(&p),
        [
            "v /",
            "  v Backups/",
            "    > nas/",
            "    a",
            "    a",
            "  > Photos/",
            "  notes.md"
        ]
    );
    assert_eq!(p.path(FolderId(3)), "/Backups/nas");
    p.back(20);
    assert_eq!(
        labels(&p),
        ["v /", "  > Backups/", "  > Photos/", "  notes.md"]
    );
    // Opening again does not list again: the cache holds it.
    assert!(p.open(20).is_none());
    p.nav(Nav::Down, 20);
    p.nav(Nav::Down, 20);
    assert!(matches!(p.cursor_item(), Some(RowItem::File { .. })));
    assert_eq!(p.current_folder(), FolderId(1));
    p.back(20);
    assert_eq!(p.cursor_item(), Some(RowItem::Folder(FolderId(1))));
}

#[test]
fn a_stale_listing_is_dropped() {
    let mut p = loaded_root();
    let old = ticket(p.request(FolderId(1)));
    let new = ticket(p.refresh(FolderId(1)).or_else(|| p.request(FolderId(1))));
    p.on_listed(
        FolderId(1),
        new,
        Ok(listing(1, &[], vec![file("new", "n2", 1)])),
        20,
    );
    p.on_listed(
        FolderId(1),
        old,
        Ok(listing(1, &[], vec![file("old", "o", 1)])),
        20,
    );
    assert_eq!(p.node(FolderId(1)).unwrap().files[0].filename, "new");
}

#[test]
fn marks_follow_urls_and_resolve_paths() {
    let mut p = loaded_root();
    p.invert_marks();
    assert_eq!(
        p.marked(),
        (1, 8),
        "files only: a folder's mark would take everything in it"
    );
    p.nav(Nav::Down, 20); // Backups
    p.toggle_mark(20);
    let sel = p.selection();
    assert_eq!(sel.len(), 2);
    assert!(matches!(&sel[0], Picked::Folder { name, .. } if name == "Backups"));
    assert!(matches!(&sel[1], Picked::File { file, .. } if file.filename == "notes.md"));
    assert_eq!(
        p.resolve_known("/Backups/x/y"),
        (FolderId(1), vec!["x".to_string(), "y".to_string()])
    );
    assert_eq!(p.resolve_known("/"), (FolderId::ROOT, vec![]));
    // A reload without the file drops its mark.
    let t = ticket(p.request(FolderId::ROOT));
    p.on_listed(
        FolderId::ROOT,
        t,
        Ok(listing(0, &[(1, "Backups")], vec![])),
        20,
    );
    assert_eq!(p.marked(), (1, 0));
}

#[test]
fn filter_keeps_ancestors_of_matches() {
    let mut p = loaded_root();
    p.filter = Some(Filter {
        input: crate::ui::input::TextInput::new("NOTE"),
        typing: true,
    });
    p.refilter(20);
    assert_eq!(labels(&p), ["v /", "  notes.md"]);
    assert_eq!(p.list.cursor, 1);
}

#[test]
fn refresh_lists_open_folders_now_and_closed_ones_when_opened() {
    let mut p = loaded_root();
    assert!(matches!(
        p.refresh(FolderId::ROOT),
        Some(Effect::ListRemote { .. })
    ));
    let t = ticket(
        p.refresh(FolderId::ROOT)
            .or_else(|| p.request(FolderId::ROOT)),
    );
    p.on_listed(
        FolderId::ROOT,
        t,
        Ok(listing(0, &[(1, "Backups")], vec![])),
        20,
    );
    // Backups was never opened: nothing to list now, and opening it lists it.
    assert!(p.refresh(FolderId(1)).is_none());
    p.nav(Nav::Down, 20);
    let t = ticket(p.open(20));
    p.on_listed(
        FolderId(1),
        t,
        Ok(listing(1, &[], vec![file("a", "a", 1)])),
        20,
    );
    p.back(20);
    // Closed and changed: stale, listed again on the next open, old rows kept meanwhile.
    assert!(p.refresh(FolderId(1)).is_none());
    assert_eq!(p.node(FolderId(1)).unwrap().load, Load::NotLoaded);
    ticket(p.open(20));
    assert_eq!(labels(&p)[2], "    a");
    assert!(p.refresh(FolderId(99)).is_none(), "unknown folders wait");
}

#[test]
fn a_failed_listing_is_marked_and_retried_on_open() {
    let mut p = loaded_root();
    p.nav(Nav::Down, 20);
    let t = ticket(p.open(20));
    let err = p.on_listed(FolderId(1), t, Err("cannot reach 1fichier".into()), 20);
    assert_eq!(err.as_deref(), Some("/Backups: cannot reach 1fichier"));
    assert!(matches!(p.node(FolderId(1)).unwrap().load, Load::Failed(_)));
    p.back(20);
    assert!(p.open(20).is_some(), "opening again retries");
}
