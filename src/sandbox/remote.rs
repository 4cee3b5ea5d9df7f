//! Remote uploads: the service pulls URLs into a folder in the background. The sandbox only ever
//! fetches plain-http loopback URLs (127.0.0.0/8, ::1, localhost), so a test or the demo can
//! never make it reach out to the network; anything else gets "URL not allowed".

use super::api::Args;
use super::body::StoredBody;
use super::endpoints::folder_or_root;
use super::reply::Ko;
use super::{Shared, util};
use crate::checksum::HashPipe;
use reqwest::Url;
use serde_json::{Value, json};
use std::sync::Arc;
use tokio::io::{AsyncWriteExt, BufWriter};

pub(crate) struct RemoteJob {
    urls: Vec<String>,
    folder: u64,
    request_date: String,
    /// Set when the job has run, together with `result`.
    execution_date: Option<String>,
    result: Vec<Value>,
}

pub(crate) fn request(shared: &Arc<Shared>, args: &Args) -> Result<Value, Ko> {
    let urls: Vec<String> = args
        .strings("urls")?
        .into_iter()
        .map(str::to_string)
        .collect();
    let mut store = shared.store();
    let folder = store.existing_folder(args.int("folder_id")?.unwrap_or(0))?;
    let id = store.next_job;
    store.next_job += 1;
    store.jobs.insert(
        id,
        RemoteJob {
            urls: urls.clone(),
            folder,
            request_date: util::now_date(),
            execution_date: None,
            result: Vec::new(),
        },
    );
    drop(store);
    tokio::spawn(run(shared.clone(), id, urls, folder));
    Ok(json!({"status": "OK", "id": id}))
}

pub(crate) fn list(shared: &Shared) -> Result<Value, Ko> {
    let store = shared.store();
    let data: Vec<Value> = store
        .jobs
        .iter()
        .map(|(id, job)| {
            json!({
                "id": id,
                "request_date": job.request_date,
                "execution_date": job.execution_date.as_deref().unwrap_or(util::NEVER),
                "urls": job.urls.len(),
            })
        })
        .collect();
    Ok(json!({"status": "OK", "data": data}))
}

pub(crate) fn info(shared: &Shared, args: &Args) -> Result<Value, Ko> {
    let id = args.required_int("id")?;
    let store = shared.store();
    let job = u64::try_from(id)
        .ok()
        .and_then(|id| store.jobs.get(&id))
        .ok_or_else(Ko::not_found)?;
    Ok(json!({
        "status": "OK",
        "id": id,
        "folder_id": job.folder,
        "request_date": job.request_date,
        "execution_date": job.execution_date.as_deref().unwrap_or(util::NEVER),
        "result": job.result,
    }))
}

/// A job stored directly, already run (for the demo seed).
pub(crate) fn seeded_job(folder: u64, request_date: String, result: Vec<Value>) -> RemoteJob {
    RemoteJob {
        urls: result
            .iter()
            .filter_map(|r| r.get("url").and_then(Value::as_str).map(str::to_string))
            .collect(),
        folder,
        execution_date: Some(request_date.clone()),
        request_date,
        result,
    }
}

async fn run(shared: Arc<Shared>, id: u64, urls: Vec<String>, folder: u64) {
    let mut result = Vec::with_capacity(urls.len());
    for url in urls {
        let entry = match fetch(&shared, &url, folder).await {
            Ok(link) => json!({"status": "OK", "url": url, "download_link": link, "message": ""}),
            Err(message) => {
                json!({"status": "KO", "url": url, "download_link": "", "message": message})
            }
        };
        result.push(entry);
    }
    let mut store = shared.store();
    if let Some(job) = store.jobs.get_mut(&id) {
        job.result = result;
        job.execution_date = Some(util::now_date());
    }
}

/// Whether the sandbox may fetch this URL: plain http to this machine only.
pub(crate) fn allowed(url: &Url) -> bool {
    if url.scheme() != "http" {
        return false;
    }
    let Some(host) = url.host_str() else {
        return false;
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

/// Fetches one URL into `folder`; the file URL, or the words the job reports.
async fn fetch(shared: &Shared, raw: &str, folder: u64) -> Result<String, String> {
    let url = Url::parse(raw.trim()).map_err(|_| "Invalid URL".to_string())?;
    if !allowed(&url) {
        return Err("URL not allowed".into());
    }
    let client = shared.http().map_err(|e| format!("Internal error: {e}"))?;
    let mut response = client
        .get(url.clone())
        .send()
        .await
        .map_err(|e| format!("Download failed: {e}"))?;
    if !response.status().is_success() {
        return Err(format!(
            "Download failed: HTTP {}",
            response.status().as_u16()
        ));
    }
    let name = remote_name(&url, response.headers());
    let path = shared.new_body_path();
    let written = async {
        let file = tokio::fs::File::create(&path)
            .await
            .map_err(|e| e.to_string())?;
        let mut out = BufWriter::new(file);
        let hash = HashPipe::new();
        let mut size = 0u64;
        while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
            out.write_all(&chunk).await.map_err(|e| e.to_string())?;
            size += chunk.len() as u64;
            hash.update(chunk).await;
        }
        out.flush().await.map_err(|e| e.to_string())?;
        Ok::<_, String>((size, hash.finish().await))
    }
    .await;
    let (size, checksum) = match written {
        Ok((0, _)) => {
            let _ = std::fs::remove_file(&path);
            return Err("Empty file".into());
        }
        Ok(done) => done,
        Err(e) => {
            let _ = std::fs::remove_file(&path);
            return Err(format!("Download failed: {e}"));
        }
    };
    let body = StoredBody::disk(path, size, checksum);
    let mut store = shared.store();
    // The folder may have gone while the job ran: the file lands in the root then.
    let folder = folder_or_root(&store, Some(folder));
    let id = store
        .insert_file(folder, &name, body, util::now_date())
        .ok_or_else(|| "Storage error".to_string())?;
    Ok(store.file(&id).map(|f| f.url()).unwrap_or_default())
}

/// The name the service gives a pulled file: the server's `filename`, else the URL's last
/// segment, with the characters it refuses replaced by look-alikes.
fn remote_name(url: &Url, headers: &reqwest::header::HeaderMap) -> String {
    let from_header = headers
        .get(reqwest::header::CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(';')
                .find_map(|p| p.trim().strip_prefix("filename="))
        })
        .map(|n| n.trim_matches('"').to_string());
    let from_path = url
        .path_segments()
        .and_then(|mut s| s.next_back())
        .map(util::percent_decode);
    let name = from_header
        .or(from_path)
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "index.html".into());
    let mut name = crate::sanitize::to_service_name(&name);
    while name.len() > 255 {
        name.pop();
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_http() {
        let ok = |s: &str| allowed(&Url::parse(s).unwrap());
        assert!(ok("http://127.0.0.1:8080/a"));
        assert!(ok("http://127.5.6.7/a"));
        assert!(ok("http://[::1]:9/a"));
        assert!(ok("http://localhost/a"));
        assert!(!ok("https://127.0.0.1/a"));
        assert!(!ok("http://example.com/a"));
        assert!(!ok("http://10.0.0.1/a"));
        assert!(!ok("http://localhost.example.com/a"));
        assert!(!ok("ftp://127.0.0.1/a"));
    }

    #[test]
    fn names_of_pulled_files() {
        let url = Url::parse("http://127.0.0.1/dir/my%20file%24.txt").unwrap();
        let headers = reqwest::header::HeaderMap::new();
        assert_eq!(remote_name(&url, &headers), "my file\u{FF04}.txt");
        let root = Url::parse("http://127.0.0.1/").unwrap();
        assert_eq!(remote_name(&root, &headers), "index.html");
    }
}
