//! The calls the engine makes to 1fichier, as a trait: `Client` is the one implementation the
//! program uses; tests of the engine's own logic (ordering, journal, recovery) can put an
//! in-memory service behind it without any HTTP.

use crate::api::{
    self, Bandwidth, Client, DownloadOutcome, FileUrl, FolderId, FolderListing, PaceStatus,
    RemoteFile, RemoteJob, RemoteJobResult, TransferCtl, UploadOutcome,
};
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use tokio::sync::watch;

/// A boxed call to the service.
pub type Call<'a, T> = Pin<Box<dyn Future<Output = api::Result<T>> + Send + 'a>>;

/// What the engine needs of the service. See `crate::api::Client` for what each call does.
pub trait Service: Send + Sync + 'static {
    fn upload_file<'a>(
        &'a self,
        path: &'a Path,
        folder: FolderId,
        remote_name: &'a str,
        ctl: &'a TransferCtl,
    ) -> Call<'a, UploadOutcome>;
    fn download_file<'a>(
        &'a self,
        url: &'a FileUrl,
        part: &'a Path,
        ctl: &'a TransferCtl,
    ) -> Call<'a, DownloadOutcome>;
    fn file_ls(&self, folder: FolderId) -> Call<'_, Vec<RemoteFile>>;
    fn folder_ls(&self, folder: FolderId) -> Call<'_, FolderListing>;
    fn mkdir<'a>(&'a self, parent: FolderId, name: &'a str) -> Call<'a, FolderId>;
    fn file_rm<'a>(&'a self, urls: &'a [FileUrl]) -> Call<'a, u64>;
    fn remote_request<'a>(&'a self, urls: &'a [String], folder: FolderId) -> Call<'a, u64>;
    fn remote_ls(&self) -> Call<'_, Vec<RemoteJob>>;
    fn remote_info(&self, job: u64) -> Call<'_, Vec<RemoteJobResult>>;
    /// Follows the pacer, to show a flood lock as the jobs' waiting state.
    fn pace_status(&self) -> watch::Receiver<PaceStatus>;
    /// The shared bandwidth cap handed to every transfer; `None` when the service takes none.
    fn bandwidth(&self, bytes_per_second: Option<u64>) -> Option<Arc<Bandwidth>> {
        Some(Arc::new(Bandwidth::new(bytes_per_second)))
    }
}

impl Service for Client {
    fn upload_file<'a>(
        &'a self,
        path: &'a Path,
        folder: FolderId,
        remote_name: &'a str,
        ctl: &'a TransferCtl,
    ) -> Call<'a, UploadOutcome> {
        Box::pin(Client::upload_file(self, path, folder, remote_name, ctl))
    }
    fn download_file<'a>(
        &'a self,
        url: &'a FileUrl,
        part: &'a Path,
        ctl: &'a TransferCtl,
    ) -> Call<'a, DownloadOutcome> {
        Box::pin(Client::download_file(self, url, part, ctl))
    }
    fn file_ls(&self, folder: FolderId) -> Call<'_, Vec<RemoteFile>> {
        Box::pin(Client::file_ls(self, folder))
    }
    fn folder_ls(&self, folder: FolderId) -> Call<'_, FolderListing> {
        Box::pin(Client::folder_ls(self, folder))
    }
    fn mkdir<'a>(&'a self, parent: FolderId, name: &'a str) -> Call<'a, FolderId> {
        Box::pin(Client::mkdir(self, parent, name))
    }
    fn file_rm<'a>(&'a self, urls: &'a [FileUrl]) -> Call<'a, u64> {
        Box::pin(Client::file_rm(self, urls))
    }
    fn remote_request<'a>(&'a self, urls: &'a [String], folder: FolderId) -> Call<'a, u64> {
        Box::pin(Client::remote_request(self, urls, folder))
    }
    fn remote_ls(&self) -> Call<'_, Vec<RemoteJob>> {
        Box::pin(Client::remote_ls(self))
    }
    fn remote_info(&self, job: u64) -> Call<'_, Vec<RemoteJobResult>> {
        Box::pin(Client::remote_info(self, job))
    }
    fn pace_status(&self) -> watch::Receiver<PaceStatus> {
        Client::pace_status(self)
    }
}
