//! One local file into a remote folder, verified: our whirlpool must match the service's, or the
//! bad copy is removed and the job fails. The service keeps no partial uploads, so an interrupted
//! upload starts again from zero; before sending again after an interruption (a crash included),
//! the folder is listed, and a copy with our name, size and whirlpool means the file already went.

use super::Changed;
use super::journal::Plan;
use super::listings::Claim;
use super::queue::Phase;
use super::worker::{JobCtx, Outcome, local_io};
use crate::api::{ApiError, FileUrl, FolderId, RemoteFile, UploadOutcome};
use crate::checksum::{same_checksum, whirlpool_file};
use crate::sanitize::to_service_name;
use std::io;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// A listing this fresh confirms a conflict that an older cached listing suggested.
const CONFIRM_AGE: Duration = Duration::from_secs(2);

/// What the file looked like; a different stamp after sending means it changed meanwhile.
#[derive(Debug, Clone, PartialEq)]
struct Stamp {
    size: u64,
    modified: Option<SystemTime>,
}

async fn stamp(local: &Path) -> Result<Stamp, String> {
    match tokio::fs::metadata(local).await {
        Ok(m) if m.is_dir() => Err(format!("{} is a folder, not a file", local.display())),
        Ok(m) => Ok(Stamp {
            size: m.len(),
            modified: m.modified().ok(),
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(gone(local)),
        Err(e) => Err(format!("cannot read {}: {e}", local.display())),
    }
}

fn gone(local: &Path) -> String {
    format!(
        "{} is gone (moved or deleted before it was sent)",
        local.display()
    )
}

pub(crate) async fn run(
    ctx: &mut JobCtx,
    local: &Path,
    folder: FolderId,
    remote_name: &str,
) -> Outcome {
    ctx.phase(Phase::Preparing);
    let first = match stamp(local).await {
        Ok(s) => s,
        Err(reason) => return Outcome::failed(reason),
    };
    if first.size == 0 {
        return Outcome::failed(format!(
            "{} is empty: 1fichier does not accept empty files",
            local.display()
        ));
    }

    let (name, replace, _guard) = match ctx.meta.plan.clone() {
        Some(Plan::Upload {
            remote_name,
            replace,
        }) => {
            let guard = ctx.shared.listings.hold_remote(folder, &remote_name);
            (remote_name, replace, guard)
        }
        _ => match resolve(ctx, folder, remote_name, &first).await {
            Ok(claim) => claim,
            Err(outcome) => return outcome,
        },
    };

    let max = ctx.settings().max_attempts.max(1);
    let mut ours: Option<String> = None;
    let mut attempt = 0;
    loop {
        attempt += 1;
        if ctx.meta.attempted {
            // An earlier try may have reached the service before it was cut off.
            ctx.phase(Phase::Preparing);
            match find_sent_copy(ctx, local, folder, &name, &replace, &mut ours).await {
                Ok(Some(file)) => return finish(ctx, folder, file, &replace).await,
                Ok(None) => {}
                Err(outcome) => return outcome,
            }
        }
        let before = match stamp(local).await {
            Ok(s) => s,
            Err(reason) => return Outcome::failed(reason),
        };
        if !ctx.meta.attempted {
            ctx.meta.plan = Some(Plan::Upload {
                remote_name: name.clone(),
                replace: replace.clone(),
            });
            ctx.meta.attempted = true;
            ctx.persist().await;
        }
        ctx.transferring(0, before.size);
        let sent = match ctx
            .cancellable(ctx.client().upload_file(local, folder, &name, &ctx.ctl))
            .await
        {
            Some(r) => r,
            None => return Outcome::Interrupted,
        };
        let after = stamp(local).await;
        match sent {
            Ok(out) => {
                ctx.phase(Phase::Finishing);
                if after.as_ref() != Ok(&before) {
                    let removed = remove_copy(ctx, folder, &out.file.url).await;
                    if attempt < max {
                        let why = format!(
                            "{} changed while it was sent{removed}; sending it again",
                            local.display()
                        );
                        if ctx.wait_before_retry(attempt + 1, &why).await {
                            continue;
                        }
                        return Outcome::Interrupted;
                    }
                    return Outcome::failed(format!(
                        "{} kept changing while it was sent ({attempt} tries){removed}",
                        local.display()
                    ));
                }
                if let Some(reason) = mismatch(&out, before.size) {
                    let removed = remove_copy(ctx, folder, &out.file.url).await;
                    return Outcome::failed(format!("{reason}{removed}; retry to send it again"));
                }
                let file = RemoteFile {
                    url: out.file.url.clone(),
                    filename: to_service_name(&name),
                    size: before.size,
                    date: None,
                    checksum: Some(out.local_whirlpool.clone()),
                    content_type: None,
                    cdn: false,
                    pass: false,
                };
                return finish(ctx, folder, file, &replace).await;
            }
            Err(e) => {
                if let Err(reason) = &after {
                    return Outcome::failed(reason.clone());
                }
                if matches!(e, ApiError::Cancelled) {
                    return Outcome::Interrupted;
                }
                let changed = after.as_ref() != Ok(&before);
                let local_gone =
                    local_io(&e).is_some_and(|io| io.kind() == io::ErrorKind::NotFound);
                if local_gone {
                    return Outcome::failed(gone(local));
                }
                if (e.is_transient() || changed) && attempt < max {
                    let why = if changed {
                        format!("{} changed while it was sent", local.display())
                    } else {
                        e.to_string()
                    };
                    if ctx.wait_before_retry(attempt + 1, &why).await {
                        continue;
                    }
                    return Outcome::Interrupted;
                }
                return Outcome::failed(upload_error(&e, folder));
            }
        }
    }
}

/// Decides the remote name once: free, skipped, renamed, replacing, or a question for the user.
async fn resolve(
    ctx: &JobCtx,
    folder: FolderId,
    remote_name: &str,
    stamp: &Stamp,
) -> Result<(String, Vec<FileUrl>, super::listings::Guard), Outcome> {
    let ttl = ctx.settings().listing_ttl;
    let listings = ctx.shared.listings.clone();
    let mut files = ctx
        .call("listing the destination folder", || {
            listings.files(ctx.client(), folder, ttl)
        })
        .await
        .map_err(|o| not_found_folder(o, folder))?;
    let wanted = to_service_name(remote_name);
    if files.iter().any(|f| f.filename == wanted) {
        // Confirm with a fresh listing: the cached one may predate a removal.
        files = ctx
            .call("listing the destination folder", || {
                listings.files(ctx.client(), folder, CONFIRM_AGE)
            })
            .await
            .map_err(|o| not_found_folder(o, folder))?;
    }
    match listings.claim_remote(folder, &files, remote_name, ctx.policy) {
        Claim::Take {
            dest,
            replace,
            guard,
            ..
        } => Ok((dest, replace, guard)),
        Claim::Skip => Err(Outcome::Skipped {
            reason: format!("already there: {remote_name} is in folder {folder}"),
            changed: Changed::Nothing,
        }),
        Claim::Ask { existing } => Err(Outcome::Ask {
            name: remote_name.to_owned(),
            existing,
            incoming: (
                stamp.size,
                stamp.modified.and_then(super::conflict::format_system_time),
            ),
        }),
        Claim::Refuse(reason) => Err(Outcome::failed(reason)),
    }
}

fn not_found_folder(outcome: Outcome, folder: FolderId) -> Outcome {
    match outcome {
        Outcome::Failed { reason } if reason.contains("not found") => Outcome::failed(format!(
            "the destination folder {folder} is no longer on 1fichier ({reason})"
        )),
        other => other,
    }
}

/// A copy of this upload already on the service: same name, size and whirlpool, and not one of
/// the copies it is meant to replace.
async fn find_sent_copy(
    ctx: &JobCtx,
    local: &Path,
    folder: FolderId,
    name: &str,
    replace: &[FileUrl],
    ours: &mut Option<String>,
) -> Result<Option<RemoteFile>, Outcome> {
    let listings = ctx.shared.listings.clone();
    let files = ctx
        .call("looking for an earlier copy", || {
            listings.files(ctx.client(), folder, Duration::ZERO)
        })
        .await
        .map_err(|o| not_found_folder(o, folder))?;
    let size = match stamp(local).await {
        Ok(s) => s.size,
        Err(reason) => return Err(Outcome::failed(reason)),
    };
    let wanted = to_service_name(name);
    let candidates: Vec<&RemoteFile> = files
        .iter()
        .filter(|f| {
            f.filename == wanted
                && f.size == size
                && !replace.contains(&f.url)
                && f.checksum.is_some()
        })
        .collect();
    if candidates.is_empty() {
        return Ok(None);
    }
    if ours.is_none() {
        let path = local.to_path_buf();
        let hashed = ctx
            .cancellable(tokio::task::spawn_blocking(move || whirlpool_file(&path)))
            .await;
        match hashed {
            None => return Err(Outcome::Interrupted),
            Some(Ok(Ok(h))) => *ours = Some(h),
            Some(Ok(Err(e))) => {
                return Err(Outcome::failed(format!(
                    "cannot read {}: {e}",
                    local.display()
                )));
            }
            Some(Err(e)) => {
                return Err(Outcome::failed(format!(
                    "hashing {} failed: {e}",
                    local.display()
                )));
            }
        }
    }
    let ours = ours.as_deref().unwrap_or_default();
    Ok(candidates
        .into_iter()
        .find(|f| {
            f.checksum
                .as_deref()
                .is_some_and(|c| same_checksum(c, ours))
        })
        .cloned())
}

/// Why the service's copy is not what we sent, if it is not.
fn mismatch(out: &UploadOutcome, size: u64) -> Option<String> {
    if out.file.size != 0 && out.file.size != size {
        return Some(format!(
            "1fichier received {} bytes of {size}",
            out.file.size
        ));
    }
    match &out.file.whirlpool {
        Some(theirs) if !same_checksum(theirs, &out.local_whirlpool) => {
            Some("1fichier's checksum of the upload differs from ours".to_owned())
        }
        Some(_) => None,
        None => {
            tracing::warn!(
                "1fichier gave no whirlpool for {}; size checked only",
                out.file.url
            );
            None
        }
    }
}

/// Removes a copy that must not stay; says so in words for the job's reason.
async fn remove_copy(ctx: &JobCtx, folder: FolderId, url: &FileUrl) -> String {
    let urls = [url.clone()];
    match ctx.client().file_rm(&urls).await {
        Ok(_) => {
            ctx.shared.listings.update(folder, None, &urls).await;
            " (that copy was removed)".to_owned()
        }
        Err(e) => format!(" (removing that copy failed too: {e}; remove {url} by hand)"),
    }
}

/// The new copy is verified: remove the copies it replaces, and note the change.
async fn finish(ctx: &JobCtx, folder: FolderId, file: RemoteFile, replace: &[FileUrl]) -> Outcome {
    ctx.phase(Phase::Finishing);
    let mut result = file.url.to_string();
    if !replace.is_empty() {
        match ctx.client().file_rm(replace).await {
            Ok(_) => {}
            Err(e) => {
                tracing::warn!("removing the replaced copies of {} failed: {e}", file.url);
                result = format!("{result} (the older copy could not be removed: {e})");
            }
        }
    }
    let bytes = file.size;
    ctx.shared
        .listings
        .update(folder, Some(file), replace)
        .await;
    Outcome::Done {
        result,
        bytes,
        changed: Changed::Remote(folder),
    }
}

fn upload_error(e: &ApiError, folder: FolderId) -> String {
    match e {
        ApiError::NotFound { .. } => {
            format!("the destination folder {folder} is no longer on 1fichier ({e})")
        }
        e => e.to_string(),
    }
}
