//! Folder endpoints: listing, creating, removing and moving folders.

use super::http::Endpoint;
use super::types::loose;
use super::{ApiError, Client, FolderId, FolderListing, Result};
use crate::sanitize::to_service_name;
use serde::Deserialize;
use serde_json::json;
use tokio::time::Instant;

const LS: Endpoint = Endpoint::read("folder/ls.cgi");
const MKDIR: Endpoint = Endpoint::write("folder/mkdir.cgi");
const RM: Endpoint = Endpoint::write("folder/rm.cgi");
const MV: Endpoint = Endpoint::write("folder/mv.cgi");

#[derive(Deserialize)]
struct Created {
    #[serde(default, deserialize_with = "loose::opt_u64")]
    folder_id: Option<u64>,
}

/// A name as the service accepts it, or a clear refusal.
pub(crate) fn service_name(name: &str, what: &str) -> Result<String> {
    if name.is_empty() {
        return Err(ApiError::Invalid(format!("a {what} name cannot be empty")));
    }
    Ok(to_service_name(name))
}

impl Client {
    /// A folder's name and sub-folders (its files come from `file_ls`). Names are as the service
    /// stores them: map them back with `sanitize::from_service_name`.
    pub async fn folder_ls(&self, folder: FolderId) -> Result<FolderListing> {
        let listing = self.call(LS, json!({ "folder_id": folder })).await;
        let mut seen = self.inner.seen_folders();
        match &listing {
            Ok(_) => {
                seen.insert(folder, Instant::now());
            }
            Err(_) => {
                seen.remove(&folder);
            }
        }
        listing
    }

    /// Creates `name` (the user's name; mapped for the service here) in `parent`.
    pub async fn mkdir(&self, parent: FolderId, name: &str) -> Result<FolderId> {
        let name = service_name(name, "folder")?;
        let created: Created = self
            .call(MKDIR, json!({ "name": name, "folder_id": parent }))
            .await?;
        created
            .folder_id
            .map(FolderId)
            .ok_or_else(|| ApiError::Protocol {
                detail: "folder/mkdir.cgi did not say the new folder's id".into(),
            })
    }

    /// Removes an empty folder; the service refuses a non-empty one.
    pub async fn folder_rm(&self, folder: FolderId) -> Result<()> {
        if folder == FolderId::ROOT {
            return Err(ApiError::Invalid(
                "the root folder cannot be removed".into(),
            ));
        }
        self.inner.seen_folders().remove(&folder);
        self.call_value(RM, &json!({ "folder_id": folder }))
            .await
            .map(drop)
    }

    /// Moves `folder` into `dest`, renaming it on the way when `rename` is given (the user's name;
    /// mapped for the service here).
    pub async fn folder_mv(
        &self,
        folder: FolderId,
        dest: FolderId,
        rename: Option<&str>,
    ) -> Result<()> {
        let mut body = json!({ "folder_id": folder, "destination_folder_id": dest });
        if let Some(name) = rename {
            body["rename"] = json!(service_name(name, "folder")?);
        }
        self.call_value(MV, &body).await.map(drop)
    }
}
