//! The resolver against a small in-memory 1fichier on loopback (folder and file listings, mkdir,
//! file info), counting the calls that reach it.

use super::*;
use crate::api::{ApiKey, ClientOptions};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

#[derive(Default)]
struct Fake {
    /// id -> (name as stored, parent)
    folders: HashMap<u64, (String, u64)>,
    /// (folder, url, name as stored)
    files: Vec<(u64, String, String)>,
    next: u64,
    calls: HashMap<String, usize>,
}

type Shared = Arc<Mutex<Fake>>;

fn ko(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({"status":"KO","message":message}))).into_response()
}

async fn handle(State(fake): State<Shared>, req: Request) -> Response {
    let path = req.uri().path().trim_start_matches("/v1/").to_string();
    let body = axum::body::to_bytes(req.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut fake = fake.lock().unwrap();
    *fake.calls.entry(path.clone()).or_default() += 1;
    let folder = body["folder_id"].as_u64().unwrap_or(0);
    let exists = |f: &Fake, id: u64| id == 0 || f.folders.contains_key(&id);
    let answer = match path.as_str() {
        "folder/ls.cgi" if exists(&fake, folder) => {
            let subs: Vec<Value> = fake
                .folders
                .iter()
                .filter(|(_, (_, parent))| *parent == folder)
                .map(|(id, (name, _))| json!({"id": id, "name": name, "create_date": "2024-01-01 00:00:00", "pass": 0}))
                .collect();
            let name = fake.folders.get(&folder).map_or("", |(n, _)| n);
            // `sub_folders` is absent when empty, as the service does.
            let mut answer = json!({"status":"OK","folder_id": folder, "name": name});
            if !subs.is_empty() {
                answer["sub_folders"] = Value::Array(subs);
            }
            answer
        }
        "file/ls.cgi" if exists(&fake, folder) => {
            let items: Vec<Value> = fake
                .files
                .iter()
                .filter(|(f, _, _)| *f == folder)
                .map(|(_, url, name)| json!({"url": url, "filename": name, "size": "3", "checksum": "ab"}))
                .collect();
            json!({"Status":"OK","count": items.len(),"items": items})
        }
        "folder/mkdir.cgi" if exists(&fake, folder) => {
            fake.next += 1;
            let id = 100 + fake.next;
            let name = body["name"].as_str().unwrap_or_default().to_string();
            fake.folders.insert(id, (name.clone(), folder));
            json!({"status":"OK","folder_id": id, "name": name})
        }
        "file/info.cgi" => match fake
            .files
            .iter()
            .find(|(_, url, _)| Some(url.as_str()) == body["url"].as_str())
        {
            Some((_, url, name)) => json!({"status":"OK","url": url, "filename": name, "size": 3}),
            None => return ko(StatusCode::NOT_FOUND, "Resource not found #469"),
        },
        _ => return ko(StatusCode::NOT_FOUND, "Resource not found #469"),
    };
    axum::Json(answer).into_response()
}

struct Setup {
    fs: RemoteFs,
    fake: Shared,
}

impl Setup {
    fn calls(&self, endpoint: &str) -> usize {
        self.fake
            .lock()
            .unwrap()
            .calls
            .get(endpoint)
            .copied()
            .unwrap_or(0)
    }
    fn total_calls(&self) -> usize {
        self.fake.lock().unwrap().calls.values().sum()
    }
}

/// `/Documents/2024/report.pdf`, `/it's` (stored with a full-width quote), two `/dup.txt`, `/a.txt`.
async fn setup() -> Setup {
    let mut fake = Fake::default();
    fake.folders.insert(1, ("Documents".into(), 0));
    fake.folders.insert(2, ("2024".into(), 1));
    fake.folders.insert(3, ("it\u{FF07}s".into(), 0));
    fake.files.push((
        2,
        "https://1fichier.com/?report".into(),
        "report.pdf".into(),
    ));
    fake.files
        .push((0, "https://1fichier.com/?dup1".into(), "dup.txt".into()));
    fake.files
        .push((0, "https://1fichier.com/?dup2".into(), "dup.txt".into()));
    fake.files
        .push((0, "https://1fichier.com/?a".into(), "a.txt".into()));
    let fake: Shared = Arc::new(Mutex::new(fake));
    let app = axum::Router::new()
        .fallback(handle)
        .with_state(Arc::clone(&fake));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let mut options = ClientOptions::new(format!("http://{addr}/v1"), ApiKey::new("k"));
    options.calls_per_second = 1000.0;
    options.retry_base = std::time::Duration::from_millis(1);
    Setup {
        fs: RemoteFs::new(Client::new(options).unwrap()),
        fake,
    }
}

#[tokio::test]
async fn paths_resolve_and_a_second_resolve_costs_nothing() {
    let s = setup().await;
    assert_eq!(
        s.fs.resolve_folder("/Documents/2024").await.unwrap(),
        FolderId(2)
    );
    assert_eq!(s.calls("folder/ls.cgi"), 2, "root and Documents");
    let before = s.total_calls();
    assert_eq!(
        s.fs.resolve_folder("Documents/2024/").await.unwrap(),
        FolderId(2)
    );
    assert_eq!(
        s.fs.resolve("/Documents/2024").await.unwrap(),
        Target::Folder {
            id: FolderId(2),
            name: "2024".into()
        }
    );
    assert_eq!(
        s.total_calls(),
        before,
        "repeated resolves are served by the cache"
    );

    match s.fs.resolve("/Documents/2024/report.pdf").await.unwrap() {
        Target::File(f) => assert_eq!(f.url.as_str(), "https://1fichier.com/?report"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        s.fs.resolve("/").await.unwrap(),
        Target::Folder {
            id: FolderId::ROOT,
            name: "/".into()
        }
    );
    assert_eq!(
        s.fs.resolve_folder("/Documents/./2024/../2024")
            .await
            .unwrap(),
        FolderId(2)
    );
}

#[tokio::test]
async fn names_are_compared_as_the_user_wrote_them() {
    let s = setup().await;
    assert_eq!(s.fs.resolve_folder("/it's").await.unwrap(), FolderId(3));
}

#[tokio::test]
async fn two_files_of_one_name_are_an_error_listing_both() {
    let s = setup().await;
    let e = s.fs.resolve("/dup.txt").await.unwrap_err();
    assert!(
        matches!(e, ResolveError::Ambiguous { ref candidates, .. } if candidates.len() == 2),
        "{e:?}"
    );
    let text = e.to_string();
    assert!(
        text.contains("https://1fichier.com/?dup1") && text.contains("https://1fichier.com/?dup2"),
        "{text}"
    );
}

#[tokio::test]
async fn a_missing_name_is_named() {
    let s = setup().await;
    let e = s.fs.resolve("/Documents/nope/x.txt").await.unwrap_err();
    match &e {
        ResolveError::NotFound {
            missing, parent, ..
        } => {
            assert_eq!(missing, "nope");
            assert_eq!(parent, "/Documents");
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("`nope`"), "{e}");
    let e = s.fs.resolve_folder("/a.txt").await.unwrap_err();
    assert!(matches!(e, ResolveError::NotAFolder { .. }), "{e:?}");
    let e = s.fs.resolve("/a.txt/").await.unwrap_err();
    assert!(
        matches!(e, ResolveError::NotFound { .. }),
        "a trailing slash asks for a folder: {e:?}"
    );
}

#[tokio::test]
async fn urls_name_files() {
    let s = setup().await;
    match s.fs.resolve("https://1fichier.com/?a").await.unwrap() {
        Target::File(f) => assert_eq!(f.filename, "a.txt"),
        other => panic!("{other:?}"),
    }
    assert_eq!(s.calls("file/info.cgi"), 1);
    let e =
        s.fs.resolve("https://1fichier.com/?missing")
            .await
            .unwrap_err();
    assert!(
        matches!(e, ResolveError::Api(ApiError::NotFound { .. })),
        "{e:?}"
    );
}

#[tokio::test]
async fn mkdir_p_creates_what_is_missing_once() {
    let s = setup().await;
    let id = s.fs.mkdir_p("/Documents/2025/q1").await.unwrap();
    assert_eq!(s.calls("folder/mkdir.cgi"), 2);
    let before = s.total_calls();
    assert_eq!(s.fs.resolve_folder("/Documents/2025/q1").await.unwrap(), id);
    assert_eq!(s.fs.mkdir_p("/Documents/2025/q1").await.unwrap(), id);
    assert_eq!(s.total_calls(), before, "the new folders are in the cache");
    // And the service agrees once the cache is dropped.
    s.fs.invalidate_all();
    assert_eq!(s.fs.resolve_folder("/Documents/2025/q1").await.unwrap(), id);
    assert_eq!(s.fs.mkdir_p("/Documents/2024").await.unwrap(), FolderId(2));
    assert_eq!(s.calls("folder/mkdir.cgi"), 2);
    // Names the service refuses travel mapped.
    let odd = s.fs.mkdir_p("/a<b>").await.unwrap();
    assert_eq!(
        s.fake.lock().unwrap().folders[&odd.0].0,
        "a\u{FF1C}b\u{FF1E}"
    );
    assert_eq!(s.fs.resolve_folder("/a<b>").await.unwrap(), odd);
}

#[tokio::test]
async fn invalidate_and_refresh_list_again() {
    let s = setup().await;
    let root = s.fs.folder(FolderId::ROOT).await.unwrap();
    assert_eq!(root.files.len(), 3);
    assert_eq!(root.folders.len(), 2);
    s.fs.folder(FolderId::ROOT).await.unwrap();
    assert_eq!(s.calls("folder/ls.cgi"), 1);
    s.fs.invalidate(FolderId::ROOT);
    assert!(s.fs.peek(FolderId::ROOT).is_none());
    s.fs.folder(FolderId::ROOT).await.unwrap();
    assert_eq!(s.calls("folder/ls.cgi"), 2);
    s.fake
        .lock()
        .unwrap()
        .files
        .push((0, "https://1fichier.com/?new".into(), "new.txt".into()));
    let fresh = s.fs.refresh(FolderId::ROOT).await.unwrap();
    assert_eq!(s.calls("folder/ls.cgi"), 3);
    assert_eq!(fresh.files.len(), 4);
    assert_eq!(s.fs.peek(FolderId::ROOT).unwrap().files.len(), 4);
}

#[tokio::test]
async fn concurrent_callers_share_one_listing() {
    let s = setup().await;
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let fs = s.fs.clone();
        tasks.push(tokio::spawn(async move {
            fs.folder(FolderId(1)).await.map(|c| c.folders.len())
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), 1);
    }
    assert_eq!(s.calls("folder/ls.cgi"), 1);
    assert_eq!(s.calls("file/ls.cgi"), 1);
}

#[tokio::test]
async fn an_unknown_folder_id_is_an_error() {
    let s = setup().await;
    let e = s.fs.folder(FolderId(999)).await.unwrap_err();
    assert!(matches!(e, ApiError::NotFound { .. }), "{e:?}");
    assert!(s.fs.peek(FolderId(999)).is_none());
}
