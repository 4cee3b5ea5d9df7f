//! `upload` and `download`: through the transfer engine, like the UI.

use crate::cli::args::{DownloadArgs, UploadArgs};
use crate::cli::session::Session;

pub async fn upload(_session: &Session, _args: &UploadArgs) -> anyhow::Result<bool> {
    anyhow::bail!("upload is not wired yet")
}

pub async fn download(_session: &Session, _args: &DownloadArgs) -> anyhow::Result<bool> {
    anyhow::bail!("download is not wired yet")
}
