//! An in-memory 1fichier for the engine's tests: folders, files with their bytes, remote-upload
//! jobs, and faults to inject per call (drops, hangs, wrong checksums, a full disk).

use crate::api::{
    self, ApiError, DownloadOutcome, FileUrl, FolderId, FolderListing, PaceStatus, RemoteFile,
    RemoteJob, RemoteJobResult, SubFolder, TransferCtl, UploadOutcome, UploadedFile,
};
use crate::checksum::{whirlpool_file, whirlpool_hex};
use crate::sanitize::to_service_name;
use crate::transfer::service::{Call, Service};
use std::collections::{HashMap, VecDeque};
use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::watch;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UploadFault {
    /// The connection drops before the service keeps the file.
    Network,
    /// The service keeps the file, then the answer is lost.
    CommitThenNetwork,
    /// The service keeps the file, and the call never returns (kill -9 comes first).
    CommitThenHang,
    /// The call never returns and nothing is kept.
    Hang,
    /// The service's whirlpool differs from ours.
    WrongWhirlpool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DownloadFault {
    /// Writes this many bytes, then the connection drops.
    Drop(u64),
    /// Writes this many bytes, then the disk is full.
    DiskFull(u64),
    /// Writes this many bytes, then never returns.
    Hang(u64),
}

#[derive(Debug, Clone)]
pub struct FakeFile {
    pub url: String,
    pub folder: u64,
    pub name: String,
    pub data: Arc<Vec<u8>>,
}

#[derive(Default)]
pub struct State {
    pub folders: HashMap<u64, (u64, String)>,
    pub files: Vec<FakeFile>,
    next: u64,
    pub upload_faults: VecDeque<UploadFault>,
    pub download_faults: VecDeque<DownloadFault>,
    /// (remote name, attempt) in the order uploads began.
    pub upload_calls: Vec<String>,
    pub uploads_kept: usize,
    /// The part length each download call started from.
    pub download_offsets: Vec<u64>,
    pub running: usize,
    pub max_running: usize,
    pub removed: Vec<String>,
    pub file_ls_calls: usize,
    /// Remote jobs: id -> (urls, polls before it has run, results).
    pub remote: HashMap<u64, (Vec<String>, u32, Vec<RemoteJobResult>)>,
    pub remote_polls_needed: u32,
    pub remote_fail: Option<String>,
    pub remote_requests: usize,
}

pub struct Fake {
    state: Mutex<State>,
    pub pace: watch::Sender<PaceStatus>,
    /// Counts calls that reached a hang point.
    pub hung: watch::Sender<usize>,
}

struct Running<'a>(&'a Fake);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.state().running -= 1;
    }
}

impl Fake {
    pub fn new() -> Arc<Fake> {
        let mut state = State {
            next: 100,
            ..State::default()
        };
        state.folders.insert(0, (0, String::new()));
        Arc::new(Fake {
            state: Mutex::new(state),
            pace: watch::channel(PaceStatus::Ready).0,
            hung: watch::channel(0).0,
        })
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn mkdir_now(&self, parent: u64, name: &str) -> u64 {
        let mut s = self.state();
        s.next += 1;
        let id = s.next;
        s.folders.insert(id, (parent, to_service_name(name)));
        id
    }

    pub fn put(&self, folder: u64, name: &str, data: &[u8]) -> String {
        let mut s = self.state();
        s.next += 1;
        let url = format!("https://1fichier.com/?f{}", s.next);
        s.files.push(FakeFile {
            url: url.clone(),
            folder,
            name: to_service_name(name),
            data: Arc::new(data.to_vec()),
        });
        url
    }

    pub fn files_in(&self, folder: u64) -> Vec<FakeFile> {
        self.state()
            .files
            .iter()
            .filter(|f| f.folder == folder)
            .cloned()
            .collect()
    }

    pub fn listing(&self, folder: u64) -> Vec<RemoteFile> {
        self.files_in(folder)
            .into_iter()
            .map(|f| RemoteFile {
                url: FileUrl(f.url),
                filename: f.name,
                size: f.data.len() as u64,
                date: Some("2026-11-02 10:00:00".into()),
                checksum: Some(whirlpool_hex(&f.data)),
                content_type: None,
                cdn: false,
                pass: false,
            })
            .collect()
    }

    fn enter(&self) -> Running<'_> {
        let mut s = self.state();
        s.running += 1;
        s.max_running = s.max_running.max(s.running);
        Running(self)
    }

    /// Never returns: the call is in flight when the test kills the engine.
    async fn hang(&self) {
        self.hung.send_modify(|n| *n += 1);
        std::future::pending::<()>().await
    }

    fn network() -> ApiError {
        ApiError::Network {
            detail: "connection reset by peer".into(),
        }
    }

    async fn upload(
        &self,
        path: &Path,
        folder: FolderId,
        remote_name: &str,
        ctl: &TransferCtl,
    ) -> api::Result<UploadOutcome> {
        let _running = self.enter();
        let fault = {
            let mut s = self.state();
            s.upload_calls.push(remote_name.to_owned());
            if !s.folders.contains_key(&folder.0) {
                return Err(ApiError::NotFound {
                    message: "folder #469".into(),
                });
            }
            s.upload_faults.pop_front()
        };
        // Let other transfers overlap, as real ones do.
        tokio::time::sleep(Duration::from_millis(3)).await;
        let data = tokio::fs::read(path)
            .await
            .map_err(|source| ApiError::Local {
                path: path.display().to_string(),
                source,
            })?;
        if fault == Some(UploadFault::Hang) {
            self.hang().await;
        }
        ctl.progress.store(data.len() as u64, Ordering::Relaxed);
        if fault == Some(UploadFault::Network) {
            return Err(Fake::network());
        }
        let url = self.put(folder.0, remote_name, &data);
        self.state().uploads_kept += 1;
        match fault {
            Some(UploadFault::CommitThenNetwork) => return Err(Fake::network()),
            Some(UploadFault::CommitThenHang) => self.hang().await,
            _ => {}
        }
        let ours = whirlpool_hex(&data);
        let theirs = if fault == Some(UploadFault::WrongWhirlpool) {
            whirlpool_hex(b"something else")
        } else {
            ours.clone()
        };
        Ok(UploadOutcome {
            file: UploadedFile {
                url: FileUrl(url),
                filename: to_service_name(remote_name),
                size: data.len() as u64,
                whirlpool: Some(theirs),
            },
            local_whirlpool: ours,
        })
    }

    async fn download(
        &self,
        url: &FileUrl,
        part: &Path,
        ctl: &TransferCtl,
    ) -> api::Result<DownloadOutcome> {
        let _running = self.enter();
        let local = |source: io::Error| ApiError::Local {
            path: part.display().to_string(),
            source,
        };
        let (data, fault) = {
            let mut s = self.state();
            let Some(file) = s.files.iter().find(|f| f.url == url.0).cloned() else {
                return Err(ApiError::NotFound {
                    message: "file #469".into(),
                });
            };
            (file.data, s.download_faults.pop_front())
        };
        let have = std::fs::metadata(part).map(|m| m.len()).unwrap_or(0);
        self.state().download_offsets.push(have);
        tokio::time::sleep(Duration::from_millis(2)).await;
        let start = (have as usize).min(data.len());
        let limit = match fault {
            Some(DownloadFault::Drop(n) | DownloadFault::DiskFull(n) | DownloadFault::Hang(n)) => {
                (start + n as usize).min(data.len())
            }
            None => data.len(),
        };
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(part)
            .map_err(local)?;
        f.write_all(&data[start..limit]).map_err(local)?;
        f.sync_all().map_err(local)?;
        ctl.progress
            .store((limit - start) as u64, Ordering::Relaxed);
        match fault {
            Some(DownloadFault::Drop(_)) => return Err(Fake::network()),
            Some(DownloadFault::DiskFull(_)) => {
                return Err(local(io::Error::from(io::ErrorKind::StorageFull)));
            }
            Some(DownloadFault::Hang(_)) => self.hang().await,
            None => {}
        }
        let size = std::fs::metadata(part).map_err(local)?.len();
        let whirlpool = whirlpool_file(part).map_err(local)?;
        Ok(DownloadOutcome {
            size,
            whirlpool,
            fetched: (limit - start) as u64,
        })
    }
}

impl Service for Fake {
    fn upload_file<'a>(
        &'a self,
        path: &'a Path,
        folder: FolderId,
        remote_name: &'a str,
        ctl: &'a TransferCtl,
    ) -> Call<'a, UploadOutcome> {
        Box::pin(self.upload(path, folder, remote_name, ctl))
    }
    fn download_file<'a>(
        &'a self,
        url: &'a FileUrl,
        part: &'a Path,
        ctl: &'a TransferCtl,
    ) -> Call<'a, DownloadOutcome> {
        Box::pin(self.download(url, part, ctl))
    }
    fn file_ls(&self, folder: FolderId) -> Call<'_, Vec<RemoteFile>> {
        Box::pin(async move {
            self.state().file_ls_calls += 1;
            if !self.state().folders.contains_key(&folder.0) {
                return Err(ApiError::NotFound {
                    message: "folder #469".into(),
                });
            }
            Ok(self.listing(folder.0))
        })
    }
    fn folder_ls(&self, folder: FolderId) -> Call<'_, FolderListing> {
        Box::pin(async move {
            let s = self.state();
            let Some((_, name)) = s.folders.get(&folder.0) else {
                return Err(ApiError::NotFound {
                    message: "folder #469".into(),
                });
            };
            let mut sub_folders: Vec<SubFolder> = s
                .folders
                .iter()
                .filter(|(id, (parent, _))| *parent == folder.0 && **id != 0)
                .map(|(id, (_, name))| SubFolder {
                    id: FolderId(*id),
                    name: name.clone(),
                    create_date: None,
                    pass: false,
                })
                .collect();
            sub_folders.sort_by_key(|s| s.id);
            Ok(FolderListing {
                folder_id: folder,
                name: name.clone(),
                sub_folders,
            })
        })
    }
    fn mkdir<'a>(&'a self, parent: FolderId, name: &'a str) -> Call<'a, FolderId> {
        Box::pin(async move { Ok(FolderId(self.mkdir_now(parent.0, name))) })
    }
    fn file_rm<'a>(&'a self, urls: &'a [FileUrl]) -> Call<'a, u64> {
        Box::pin(async move {
            let mut s = self.state();
            let before = s.files.len();
            s.files.retain(|f| !urls.iter().any(|u| u.0 == f.url));
            s.removed.extend(urls.iter().map(|u| u.0.clone()));
            Ok((before - s.files.len()) as u64)
        })
    }
    fn remote_request<'a>(&'a self, urls: &'a [String], _folder: FolderId) -> Call<'a, u64> {
        Box::pin(async move {
            let mut s = self.state();
            s.remote_requests += 1;
            s.next += 1;
            let id = s.next;
            let results = urls
                .iter()
                .map(|u| RemoteJobResult {
                    status: None,
                    url: Some(u.clone()),
                    download_link: s
                        .remote_fail
                        .is_none()
                        .then(|| format!("https://1fichier.com/?r{id}")),
                    message: s.remote_fail.clone(),
                })
                .collect();
            let polls = s.remote_polls_needed;
            s.remote.insert(id, (urls.to_vec(), polls, results));
            Ok(id)
        })
    }
    fn remote_ls(&self) -> Call<'_, Vec<RemoteJob>> {
        Box::pin(async move {
            let mut s = self.state();
            let mut out = Vec::new();
            for (id, (_, polls, _)) in s.remote.iter_mut() {
                let ran = *polls == 0;
                *polls = polls.saturating_sub(1);
                out.push(RemoteJob {
                    id: *id,
                    request_date: None,
                    execution_date: Some(
                        if ran {
                            "2026-11-02 10:00:00"
                        } else {
                            "1970-01-01 00:00:00"
                        }
                        .into(),
                    ),
                });
            }
            Ok(out)
        })
    }
    fn remote_info(&self, job: u64) -> Call<'_, Vec<RemoteJobResult>> {
        Box::pin(async move {
            let s = self.state();
            match s.remote.get(&job) {
                Some((_, 0, results)) => Ok(results.clone()),
                Some(_) => Ok(Vec::new()),
                None => Err(ApiError::NotFound {
                    message: "job #469".into(),
                }),
            }
        })
    }
    fn pace_status(&self) -> watch::Receiver<PaceStatus> {
        self.pace.subscribe()
    }
    fn bandwidth(&self, _: Option<u64>) -> Option<Arc<crate::api::Bandwidth>> {
        None
    }
}
