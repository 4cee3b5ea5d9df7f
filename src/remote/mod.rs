//! The remote tree: a cache of folder listings, paths to folder ids, invalidation.
//! INTERFACE SKETCH (replaced by the implementation).

use crate::api::{ApiError, Client, FolderId, RemoteFile, SubFolder};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Ambiguous(String),
}

pub struct FolderContents {
    pub id: FolderId,
    pub name: String,
    pub folders: Vec<SubFolder>,
    pub files: Vec<RemoteFile>,
}

pub enum Target {
    Folder { id: FolderId, name: String },
    File(RemoteFile),
}

#[derive(Clone)]
pub struct RemoteFs {
    client: Client,
}

#[allow(unused_variables)]
impl RemoteFs {
    pub fn new(client: Client) -> Self {
        RemoteFs { client }
    }
    pub fn client(&self) -> &Client {
        &self.client
    }
    pub async fn folder(&self, id: FolderId) -> Result<Arc<FolderContents>, ApiError> {
        todo!()
    }
    pub async fn refresh(&self, id: FolderId) -> Result<Arc<FolderContents>, ApiError> {
        todo!()
    }
    pub fn invalidate(&self, id: FolderId) {
        todo!()
    }
    pub async fn resolve(&self, path: &str) -> Result<Target, ResolveError> {
        todo!()
    }
    pub async fn resolve_folder(&self, path: &str) -> Result<FolderId, ResolveError> {
        todo!()
    }
    pub async fn mkdir_p(&self, path: &str) -> Result<FolderId, ResolveError> {
        todo!()
    }
}
