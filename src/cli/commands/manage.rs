//! `mkdir`, `rm`, `mv`, `cp` and `remote-upload`: commands that change the remote side.

use crate::api::{FileUrl, FolderId};
use crate::cli::args::{CpArgs, MkdirArgs, MvArgs, RemoteUploadArgs, RmArgs};
use crate::cli::output::{self, name};
use crate::cli::session::Session;
use crate::remote::{ResolveError, Target};
use anyhow::{Context, bail};
use std::time::Duration;

/// `/a/b/c` -> (`/a/b`, `c`); a trailing slash is ignored.
fn split_parent(path: &str) -> (&str, &str) {
    let trimmed = path.trim_end_matches('/');
    match trimmed.rfind('/') {
        Some(0) => ("/", &trimmed[1..]),
        Some(i) => (&trimmed[..i], &trimmed[i + 1..]),
        None => ("/", trimmed),
    }
}

pub async fn mkdir(session: &Session, args: &MkdirArgs) -> anyhow::Result<()> {
    if args.parents {
        session.remote.mkdir_p(&args.path).await?;
        return Ok(());
    }
    let (parent, leaf) = split_parent(&args.path);
    if leaf.is_empty() {
        bail!("give the new folder a name, e.g. /Documents/2024");
    }
    let parent_id = session.remote.resolve_folder(parent).await?;
    let listing = session.remote.folder(parent_id).await?;
    if listing.folders.iter().any(|f| f.name == leaf) {
        bail!("{} already exists", name(&args.path));
    }
    session.client.mkdir(parent_id, leaf).await?;
    session.remote.invalidate(parent_id);
    Ok(())
}

pub async fn rm(session: &Session, args: &RmArgs) -> anyhow::Result<()> {
    let mut files = Vec::new();
    let mut folders = Vec::new();
    for path in &args.paths {
        match session.remote.resolve(path).await? {
            Target::File(file) => files.push(file.url),
            Target::Folder { id, .. } if id == FolderId::ROOT => {
                bail!("the root folder cannot be removed")
            }
            Target::Folder { id, .. } if args.recursive => folders.push(id),
            Target::Folder { .. } => bail!(
                "{} is a folder: use rm -r to remove it and its contents",
                name(path)
            ),
        }
    }
    remove_files(session, &files).await?;
    for folder in folders {
        remove_tree(session, folder).await?;
    }
    Ok(())
}

/// The service takes many files per call; batches keep each request reasonable.
async fn remove_files(session: &Session, urls: &[FileUrl]) -> anyhow::Result<()> {
    for batch in urls.chunks(100) {
        session.client.file_rm(batch).await?;
    }
    Ok(())
}

/// Removes a folder's files and sub-folders, depth first, then the folder itself.
async fn remove_tree(session: &Session, root: FolderId) -> anyhow::Result<()> {
    // An explicit stack: folders can nest deeper than async recursion allows comfortably.
    let mut stack = vec![(root, false)];
    while let Some((id, emptied)) = stack.pop() {
        if emptied {
            session.client.folder_rm(id).await?;
            continue;
        }
        let contents = session.remote.refresh(id).await?;
        let urls: Vec<FileUrl> = contents.files.iter().map(|f| f.url.clone()).collect();
        remove_files(session, &urls).await?;
        stack.push((id, true));
        stack.extend(contents.folders.iter().map(|f| (f.id, false)));
    }
    Ok(())
}

pub async fn mv(session: &Session, args: &MvArgs) -> anyhow::Result<()> {
    let (sources, dest) = args.paths.split_at(args.paths.len() - 1);
    let dest = &dest[0];
    let dest_target = match session.remote.resolve(dest).await {
        Ok(target) => Some(target),
        Err(ResolveError::NotFound { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    match dest_target {
        Some(Target::Folder { id, .. }) => move_into(session, sources, id).await,
        Some(Target::File(_)) => {
            bail!("{} is a file: the destination must be a folder", name(dest))
        }
        None if sources.len() == 1 => rename(session, &sources[0], dest).await,
        None => bail!(
            "{} is not a folder (create it first with mkdir)",
            name(dest)
        ),
    }
}

async fn move_into(session: &Session, sources: &[String], dest: FolderId) -> anyhow::Result<()> {
    let mut files = Vec::new();
    for source in sources {
        match session.remote.resolve(source).await? {
            Target::File(file) => files.push(file.url),
            Target::Folder { id, .. } => {
                if id == dest {
                    bail!("cannot move {} into itself", name(source));
                }
                session.client.folder_mv(id, dest, None).await?;
            }
        }
    }
    if !files.is_empty() {
        session.client.file_mv(&files, dest).await?;
    }
    Ok(())
}

/// One source to a path that does not exist: move to its parent if needed, then rename. The
/// service refuses a move combined with a rename (#312), so they are two calls.
async fn rename(session: &Session, source: &str, dest: &str) -> anyhow::Result<()> {
    let (dest_parent, new_name) = split_parent(dest);
    if new_name.is_empty() {
        bail!("give a new name, e.g. /Documents/report-2024.pdf");
    }
    let parent_id = session
        .remote
        .resolve_folder(dest_parent)
        .await
        .with_context(|| {
            format!(
                "the destination folder {} does not exist",
                name(dest_parent)
            )
        })?;
    match session.remote.resolve(source).await? {
        Target::File(file) => {
            let (src_parent, _) = split_parent(source);
            let mut url = file.url.clone();
            let same_folder =
                session.remote.resolve_folder(src_parent).await.ok() == Some(parent_id);
            if !same_folder {
                url = session
                    .client
                    .file_mv(&[url], parent_id)
                    .await?
                    .into_iter()
                    .next()
                    .unwrap_or(file.url);
            }
            if file.filename != new_name {
                session
                    .client
                    .file_rename(&[(url, new_name.to_string())])
                    .await?;
            }
        }
        Target::Folder { id, name: old } => {
            let rename = (old != new_name).then_some(new_name);
            session.client.folder_mv(id, parent_id, rename).await?;
        }
    }
    Ok(())
}

pub async fn cp(session: &Session, args: &CpArgs) -> anyhow::Result<()> {
    let (sources, dest) = args.paths.split_at(args.paths.len() - 1);
    let dest_id = session.remote.resolve_folder(&dest[0]).await?;
    let mut files = Vec::new();
    for source in sources {
        match session.remote.resolve(source).await? {
            Target::File(file) => files.push(file.url),
            Target::Folder { .. } => bail!(
                "{} is a folder: cp copies files (the service has no folder copy)",
                name(source)
            ),
        }
    }
    for batch in files.chunks(100) {
        session.client.file_cp(batch, dest_id).await?;
    }
    Ok(())
}

pub async fn remote_upload(session: &Session, args: &RemoteUploadArgs) -> anyhow::Result<()> {
    let folder = session.remote.resolve_folder(&args.to).await?;
    let job = session.client.remote_request(&args.urls, folder).await?;
    if !args.wait {
        if args.json.json {
            return output::json(&serde_json::json!({ "id": job }));
        }
        println!(
            "remote upload job {job} queued: 1fichier will fetch {} URL(s)",
            args.urls.len()
        );
        return Ok(());
    }
    // The service runs jobs in its own time: poll slowly, as the contract asks.
    let poll = if session.is_demo() || crate::config::is_loopback_url(session.client.base_url()) {
        Duration::from_millis(500)
    } else {
        Duration::from_secs(30)
    };
    loop {
        let results = session.client.remote_info(job).await?;
        if !results.is_empty() {
            if args.json.json {
                return output::json(&results);
            }
            let mut failed = 0;
            for r in &results {
                let url = r.url.as_deref().unwrap_or("?");
                match (&r.download_link, &r.message) {
                    (Some(link), _) => println!("{}\t{}", name(url), link),
                    (None, message) => {
                        failed += 1;
                        println!(
                            "{}\tfailed: {}",
                            name(url),
                            name(message.as_deref().unwrap_or("no reason given"))
                        );
                    }
                }
            }
            if failed > 0 {
                bail!("{failed} of {} URL(s) could not be fetched", results.len());
            }
            return Ok(());
        }
        tokio::time::sleep(poll).await;
    }
}

#[cfg(test)]
mod tests {
    use super::split_parent;

    #[test]
    fn paths_split_into_parent_and_name() {
        assert_eq!(split_parent("/a/b/c"), ("/a/b", "c"));
        assert_eq!(split_parent("/a"), ("/", "a"));
        assert_eq!(split_parent("a"), ("/", "a"));
        assert_eq!(split_parent("/a/b/"), ("/a", "b"));
    }
}
