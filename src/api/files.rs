//! File endpoints: listing, details, and the batch operations (remove, move, copy, rename).

use super::classify::get_ci;
use super::folders::service_name;
use super::http::Endpoint;
use super::types::loose;
use super::{ApiError, Client, FileUrl, FolderId, RemoteFile, Result};
use serde::Deserialize;
use serde_json::{Value, json};

const LS: Endpoint = Endpoint::read("file/ls.cgi");
const INFO: Endpoint = Endpoint::read("file/info.cgi");
const RM: Endpoint = Endpoint::write("file/rm.cgi");
const MV: Endpoint = Endpoint::write("file/mv.cgi");
const CP: Endpoint = Endpoint::write("file/cp.cgi");
const RENAME: Endpoint = Endpoint::write("file/rename.cgi");

#[derive(Deserialize)]
struct Items {
    #[serde(default, deserialize_with = "loose::list")]
    items: Vec<RemoteFile>,
}

#[derive(Deserialize)]
struct Counted {
    #[serde(default, deserialize_with = "loose::opt_u64")]
    removed: Option<u64>,
    #[serde(default, deserialize_with = "loose::opt_u64")]
    renamed: Option<u64>,
}

/// The `urls` list of a move or copy answer, read entry by entry: the files moved already, so an
/// odd entry must not turn the whole call into an error.
fn url_list(answer: &Value) -> &[Value] {
    answer
        .as_object()
        .and_then(|m| get_ci(m, "urls"))
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn url_field(entry: &Value, key: &str) -> Option<FileUrl> {
    entry.get(key)?.as_str().map(|s| FileUrl(s.to_string()))
}

impl Client {
    /// Every file of a folder in one call (no pagination). Names are as the service stores them.
    pub async fn file_ls(&self, folder: FolderId) -> Result<Vec<RemoteFile>> {
        let items: Items = self.call(LS, json!({ "folder_id": folder })).await?;
        Ok(items.items)
    }

    pub async fn file_info(&self, url: &FileUrl) -> Result<RemoteFile> {
        let mut answer = self.call_value(INFO, &json!({ "url": url })).await?;
        // The file is the one asked for, even when the answer does not repeat its URL.
        if let Some(map) = answer.as_object_mut() {
            map.entry("url").or_insert_with(|| json!(url));
        }
        serde_json::from_value(answer).map_err(|e| ApiError::Protocol {
            detail: format!("file/info.cgi: {e}"),
        })
    }

    /// Removes many files in one call; returns how many the service removed.
    pub async fn file_rm(&self, urls: &[FileUrl]) -> Result<u64> {
        if urls.is_empty() {
            return Ok(0);
        }
        let files: Vec<_> = urls.iter().map(|u| json!({ "url": u })).collect();
        let answer: Counted = self.call(RM, json!({ "files": files })).await?;
        Ok(answer.removed.unwrap_or(urls.len() as u64))
    }

    /// Moves files into `dest`; returns their URLs after the move (the same ones when the service
    /// does not list them). To move and rename, move first, then `file_rename` (`#312`).
    pub async fn file_mv(&self, urls: &[FileUrl], dest: FolderId) -> Result<Vec<FileUrl>> {
        if urls.is_empty() {
            return Ok(Vec::new());
        }
        let answer = self
            .call_value(MV, &json!({ "urls": urls, "destination_folder_id": dest }))
            .await?;
        let moved: Vec<FileUrl> = url_list(&answer)
            .iter()
            .filter_map(|v| v.as_str().map(|s| FileUrl(s.to_string())))
            .collect();
        Ok(if moved.is_empty() {
            urls.to_vec()
        } else {
            moved
        })
    }

    /// Copies files into `dest`; returns (from, to) pairs.
    pub async fn file_cp(
        &self,
        urls: &[FileUrl],
        dest: FolderId,
    ) -> Result<Vec<(FileUrl, FileUrl)>> {
        if urls.is_empty() {
            return Ok(Vec::new());
        }
        let answer = self
            .call_value(CP, &json!({ "urls": urls, "folder_id": dest }))
            .await?;
        Ok(url_list(&answer)
            .iter()
            .filter_map(|p| Some((url_field(p, "from_url")?, url_field(p, "to_url")?)))
            .collect())
    }

    /// Renames files (names as the user wrote them; mapped for the service here). The service
    /// refuses a rename to the current name: leave those out. Returns how many were renamed.
    pub async fn file_rename(&self, renames: &[(FileUrl, String)]) -> Result<u64> {
        if renames.is_empty() {
            return Ok(0);
        }
        let mut urls = Vec::with_capacity(renames.len());
        for (url, name) in renames {
            urls.push(json!({ "url": url, "filename": service_name(name, "file")? }));
        }
        let answer: Counted = self
            .call(RENAME, json!({ "urls": urls, "pretty": 1 }))
            .await?;
        Ok(answer.renamed.unwrap_or(renames.len() as u64))
    }
}
