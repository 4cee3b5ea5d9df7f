//! The path resolver (`RemoteFs`) against the sandbox: paths as users type them, the errors that
//! name what is missing or ambiguous, `mkdir -p`, and the listing cache, whose worth is counted in
//! the sandbox's calls per endpoint.

mod common;

use common::api::{calls, client, listings, sandbox};
use fichier_tui::api::FolderId;
use fichier_tui::remote::{RemoteFs, ResolveError, Target};
use fichier_tui::sandbox::Sandbox;
use fichier_tui::sanitize::to_service_name;

/// /Documents/2024/{report.pdf, dup.txt, dup.txt}, /Documents/notes.txt, /Music,
/// /say "hi" (stored with the service's look-alikes).
struct Tree {
    docs: u64,
    year: u64,
    music: u64,
    quoted: u64,
    report: String,
    dups: [String; 2],
}

fn tree(sb: &Sandbox) -> Tree {
    let docs = sb.add_folder(0, "Documents");
    let music = sb.add_folder(0, "Music");
    let quoted = sb.add_folder(0, &to_service_name("say \"hi\""));
    let year = sb.add_folder(docs, "2024");
    sb.add_file(docs, "notes.txt", b"notes");
    let report = sb.add_file(year, "report.pdf", b"%PDF");
    let dups = [
        sb.add_file(year, "dup.txt", b"one"),
        sb.add_file(year, "dup.txt", b"two"),
    ];
    Tree {
        docs,
        year,
        music,
        quoted,
        report,
        dups,
    }
}

fn folder_id(target: Target) -> u64 {
    match target {
        Target::Folder { id, .. } => id.0,
        other => panic!("not a folder: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paths_resolve_to_folders_and_files() {
    let sb = sandbox().await;
    let t = tree(&sb);
    let fs = RemoteFs::new(client(&sb));

    for root in ["/", "", "//", "/Documents/.."] {
        let target = fs.resolve(root).await.unwrap();
        assert_eq!(
            target,
            Target::Folder {
                id: FolderId::ROOT,
                name: "/".into()
            },
            "{root:?}"
        );
    }
    assert_eq!(sb.stats().api_calls, 0, "the root costs no call");

    assert_eq!(folder_id(fs.resolve("/Documents").await.unwrap()), t.docs);
    assert_eq!(
        folder_id(fs.resolve("Documents/2024").await.unwrap()),
        t.year
    );
    assert_eq!(
        folder_id(fs.resolve("/Documents/2024/").await.unwrap()),
        t.year
    );
    assert_eq!(folder_id(fs.resolve("/Music/").await.unwrap()), t.music);
    // The user's name, refused characters and all, finds the folder the service stores.
    assert_eq!(
        folder_id(fs.resolve("/say \"hi\"").await.unwrap()),
        t.quoted
    );

    match fs.resolve("/Documents/2024/report.pdf").await.unwrap() {
        Target::File(f) => {
            assert_eq!(f.url.as_str(), t.report);
            assert_eq!(f.size, 4);
        }
        other => panic!("{other:?}"),
    }
    // A trailing slash asks for a folder: a file of that name does not answer it.
    let e = fs.resolve("/Documents/2024/report.pdf/").await.unwrap_err();
    assert!(matches!(e, ResolveError::NotFound { .. }), "{e:?}");
    assert_eq!(
        fs.resolve_folder("/Documents/2024").await.unwrap().0,
        t.year
    );
    let e = fs.resolve_folder("/Documents/notes.txt").await.unwrap_err();
    assert!(matches!(e, ResolveError::NotAFolder { .. }), "{e:?}");
    assert!(e.to_string().contains("is a file"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_component_is_named() {
    let sb = sandbox().await;
    tree(&sb);
    let fs = RemoteFs::new(client(&sb));
    let e = fs.resolve("/Documents/Taxes/2023/a.pdf").await.unwrap_err();
    let ResolveError::NotFound {
        missing, parent, ..
    } = &e
    else {
        panic!("{e:?}");
    };
    assert_eq!(missing, "Taxes");
    assert_eq!(parent, "/Documents");
    assert_eq!(
        e.to_string(),
        "not found on 1fichier: no `Taxes` in /Documents"
    );
    let e = fs.resolve("/Documents/2024/missing.txt").await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "not found on 1fichier: no `missing.txt` in /Documents/2024"
    );
    let e = fs.resolve("/Nothing").await.unwrap_err();
    assert_eq!(e.to_string(), "not found on 1fichier: no `Nothing` in /");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_files_of_one_name_are_ambiguous_and_urls_pick_one() {
    let sb = sandbox().await;
    let t = tree(&sb);
    let fs = RemoteFs::new(client(&sb));
    let e = fs.resolve("/Documents/2024/dup.txt").await.unwrap_err();
    let ResolveError::Ambiguous { candidates, .. } = &e else {
        panic!("{e:?}");
    };
    assert_eq!(candidates, &t.dups.to_vec());
    let text = e.to_string();
    assert!(
        text.contains(&t.dups[0]) && text.contains(&t.dups[1]),
        "{text}"
    );
    assert!(text.contains("use a file's URL"), "{text}");

    // A file named by its URL: one file/info.cgi call, no listing.
    let before = listings(&sb);
    match fs.resolve(&t.dups[1]).await.unwrap() {
        Target::File(f) => {
            assert_eq!(f.url.as_str(), t.dups[1]);
            assert_eq!(f.size, 3);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(listings(&sb), before);
    assert_eq!(calls(&sb, "file/info.cgi"), 1);
    let e = fs
        .resolve("https://1fichier.com/?nosuchfile")
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            ResolveError::Api(fichier_tui::api::ApiError::NotFound { .. })
        ),
        "{e:?}"
    );
    let e = fs.resolve_folder(&t.dups[0]).await.unwrap_err();
    assert!(matches!(e, ResolveError::NotAFolder { .. }), "{e:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mkdir_p_creates_only_what_is_missing() {
    let sb = sandbox().await;
    let t = tree(&sb);
    let fs = RemoteFs::new(client(&sb));
    let id = fs.mkdir_p("/Documents/2024/Q1/week 2").await.unwrap();
    assert_eq!(sb.find_folder("/Documents/2024/Q1/week 2"), Some(id.0));
    assert_eq!(calls(&sb, "folder/mkdir.cgi"), 2);
    // Again: nothing to create, nothing to list.
    let (mkdirs, lists) = (calls(&sb, "folder/mkdir.cgi"), listings(&sb));
    assert_eq!(fs.mkdir_p("Documents/2024/Q1/week 2/").await.unwrap(), id);
    assert_eq!(fs.resolve_folder("/Documents/2024/Q1").await.unwrap().0, {
        sb.find_folder("/Documents/2024/Q1").unwrap()
    });
    assert_eq!(calls(&sb, "folder/mkdir.cgi"), mkdirs);
    assert_eq!(listings(&sb), lists, "new folders are cached as made");
    // A name with refused characters is made with look-alikes and found by the user's name.
    let odd = fs.mkdir_p("/Music/AC\\DC <live>").await.unwrap();
    assert_eq!(
        folder_id(fs.resolve("/Music/AC\\DC <live>/").await.unwrap()),
        odd.0
    );
    let (subs, _) = sb.list_names(t.music);
    assert_eq!(subs, [to_service_name("AC\\DC <live>")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_resolves_cost_no_further_listings() {
    let sb = sandbox().await;
    let t = tree(&sb);
    let fs = RemoteFs::new(client(&sb));
    fs.resolve("/Documents/2024/report.pdf").await.unwrap();
    // Root, Documents and 2024: each listed once (folders and files).
    assert_eq!(calls(&sb, "folder/ls.cgi"), 3);
    assert_eq!(calls(&sb, "file/ls.cgi"), 3);
    for path in [
        "/Documents/2024/report.pdf",
        "/Documents",
        "/Documents/2024/",
        "Documents/notes.txt",
        "/Music",
    ] {
        fs.resolve(path).await.unwrap();
    }
    assert!(fs.resolve("/Documents/2024/dup.txt").await.is_err());
    assert!(fs.resolve("/Documents/none").await.is_err());
    assert_eq!(listings(&sb), 6, "all from the cache");

    // Many callers at once on a cold cache share the listings.
    let cold = RemoteFs::new(client(&sb));
    sb.reset_stats();
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let fs = cold.clone();
        tasks.push(tokio::spawn(async move {
            fs.resolve("/Documents/2024/report.pdf").await
        }));
    }
    for task in tasks {
        assert!(matches!(task.await.unwrap().unwrap(), Target::File(_)));
    }
    assert_eq!(calls(&sb, "folder/ls.cgi"), 3);
    assert_eq!(calls(&sb, "file/ls.cgi"), 3);

    // A folder changed behind the cache is seen once it is invalidated.
    sb.add_file(t.year, "late.txt", b"late");
    assert!(fs.resolve("/Documents/2024/late.txt").await.is_err());
    fs.invalidate(FolderId(t.year));
    assert!(matches!(
        fs.resolve("/Documents/2024/late.txt").await.unwrap(),
        Target::File(_)
    ));
    assert_eq!(listings(&sb), 6 + 2, "only 2024 was listed again");
}
