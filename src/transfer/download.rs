//! One remote file to a local path, never half-written: bytes go to `<dest>.part` (the client
//! resumes it after any drop), the whole part is checked against the listing's size and whirlpool,
//! and only then renamed into place. A mismatch removes the part and downloads once more from
//! zero (a resumed prefix may be what was wrong); a second mismatch fails the job.

use super::journal::Plan;
use super::listings::Claim;
use super::paths::{download_destination, occupied, part_path, sync_parent};
use super::queue::Phase;
use super::worker::{JobCtx, Outcome, is_disk_full, local_io};
use super::{Changed, conflict};
use crate::api::{ApiError, DownloadOutcome, FileUrl};
use crate::checksum::{same_checksum, whirlpool_file};
use std::io;
use std::path::{Path, PathBuf};

pub(crate) async fn run(
    ctx: &mut JobCtx,
    url: &FileUrl,
    local: &Path,
    size: u64,
    checksum: Option<&str>,
) -> Outcome {
    ctx.phase(Phase::Preparing);
    let (dest, overwrite, _guard) = match ctx.meta.plan.clone() {
        Some(Plan::Download { dest, overwrite }) => {
            let guard = ctx.shared.listings.hold_local(&dest);
            (dest, overwrite, guard)
        }
        _ => {
            let Some(dest) = download_destination(local) else {
                return Outcome::failed(format!("{} is not a file path", local.display()));
            };
            match ctx.shared.listings.claim_local(&dest, ctx.policy) {
                Claim::Take {
                    dest: chosen,
                    overwrite,
                    guard,
                    ..
                } => {
                    ctx.meta.plan = Some(Plan::Download {
                        dest: chosen.clone(),
                        overwrite,
                    });
                    if chosen != dest || overwrite {
                        // A decision a restart could not make again the same way: keep it now.
                        ctx.persist().await;
                    } else {
                        ctx.persist_later();
                    }
                    (chosen, overwrite, guard)
                }
                Claim::Skip => {
                    return Outcome::Skipped {
                        reason: format!("already there: {}", dest.display()),
                        changed: Changed::Nothing,
                    };
                }
                Claim::Ask { existing } => {
                    let name = dest
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    return Outcome::Ask {
                        name,
                        existing,
                        incoming: (size, None),
                    };
                }
                Claim::Refuse(reason) => return Outcome::failed(reason),
            }
        }
    };
    let part = part_path(&dest);

    if ctx.meta.finalizing {
        // Stopped while renaming a verified part into place: finish that, or see it was done.
        if occupied(&part) {
            return finalize(ctx, &part, &dest, overwrite, size).await;
        }
        if occupied(&dest) {
            return done(&dest, size);
        }
        ctx.meta.finalizing = false;
    }

    let max = ctx.settings().max_attempts.max(1);
    let mut attempt = 0;
    let mut restarted_from_zero = false;
    loop {
        attempt += 1;
        let have = match prepare_part(&part, size) {
            Ok(n) => n,
            Err(e) => return Outcome::failed(format!("cannot use {}: {e}", part.display())),
        };
        let got = if size > 0 && have == size {
            // Complete already (stopped before it was checked): check it without the network.
            ctx.phase(Phase::Finishing);
            hash_part(ctx, &part, have, checksum.is_some()).await
        } else {
            ctx.transferring(have, size);
            match ctx
                .cancellable(ctx.client().download_file(url, &part, &ctx.ctl))
                .await
            {
                Some(r) => r,
                None => return Outcome::Interrupted,
            }
        };
        match got {
            Ok(out) => {
                ctx.phase(Phase::Finishing);
                let Some(why) = mismatch(&out, size, checksum) else {
                    break;
                };
                let _ = std::fs::remove_file(&part);
                if restarted_from_zero {
                    return Outcome::failed(format!(
                        "{why}, twice; the partial file was removed (1fichier's copy may be damaged)"
                    ));
                }
                restarted_from_zero = true;
                tracing::warn!("{url}: {why}; downloading it again from the start");
                ctx.phase(Phase::Waiting {
                    reason: format!("{why}; downloading again from the start"),
                    until: None,
                });
            }
            Err(ApiError::Cancelled) => return Outcome::Interrupted,
            Err(e) => {
                if let Some(io) = local_io(&e) {
                    if is_disk_full(io) {
                        return Outcome::failed(format!(
                            "the disk is full ({}): free some space and retry; the partial download is kept",
                            part.display()
                        ));
                    }
                    return Outcome::failed(e.to_string());
                }
                if let ApiError::NotFound { .. } = e {
                    return Outcome::failed(format!("the file is no longer on 1fichier ({e})"));
                }
                if e.is_transient() && attempt < max {
                    if ctx.wait_before_retry(attempt + 1, &e.to_string()).await {
                        continue;
                    }
                    return Outcome::Interrupted;
                }
                return Outcome::failed(e.to_string());
            }
        }
    }
    ctx.meta.finalizing = true;
    ctx.persist().await;
    finalize(ctx, &part, &dest, overwrite, size).await
}

/// The length of a usable part file: a link in its place or a part longer than the file is
/// removed (the download starts from zero), anything else is continued.
fn prepare_part(part: &Path, size: u64) -> io::Result<u64> {
    match std::fs::symlink_metadata(part) {
        Ok(m) if m.file_type().is_symlink() || m.is_dir() => {
            if m.is_dir() {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "a folder has the part file's name",
                ));
            }
            std::fs::remove_file(part)?;
            Ok(0)
        }
        Ok(m) if size > 0 && m.len() > size => {
            std::fs::remove_file(part)?;
            Ok(0)
        }
        Ok(m) => Ok(m.len()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(e),
    }
}

async fn hash_part(
    ctx: &JobCtx,
    part: &Path,
    size: u64,
    needed: bool,
) -> crate::api::Result<DownloadOutcome> {
    if !needed {
        return Ok(DownloadOutcome {
            size,
            whirlpool: String::new(),
            fetched: 0,
        });
    }
    let path = part.to_path_buf();
    let hashed = ctx
        .cancellable(tokio::task::spawn_blocking(move || whirlpool_file(&path)))
        .await;
    let local_err = |source: io::Error| ApiError::Local {
        path: part.display().to_string(),
        source,
    };
    match hashed {
        None => Err(ApiError::Cancelled),
        Some(Ok(Ok(whirlpool))) => Ok(DownloadOutcome {
            size,
            whirlpool,
            fetched: 0,
        }),
        Some(Ok(Err(e))) => Err(local_err(e)),
        Some(Err(e)) => Err(local_err(io::Error::other(e))),
    }
}

/// Why the part is not the file, if it is not.
fn mismatch(out: &DownloadOutcome, size: u64, checksum: Option<&str>) -> Option<String> {
    if size > 0 && out.size != size {
        return Some(format!(
            "the download has {} bytes, 1fichier lists {size}",
            out.size
        ));
    }
    match checksum {
        Some(expected) if !same_checksum(expected, &out.whirlpool) => {
            Some("the downloaded bytes do not match 1fichier's checksum".to_owned())
        }
        _ => None,
    }
}

/// Renames the verified part into place. Without overwrite, a file that appeared at the
/// destination meanwhile is kept and the download takes the next free name.
async fn finalize(ctx: &JobCtx, part: &Path, dest: &Path, overwrite: bool, size: u64) -> Outcome {
    ctx.phase(Phase::Finishing);
    let mut target = dest.to_path_buf();
    if !overwrite
        && occupied(&target)
        && let (Some(dir), Some(name)) = (dest.parent(), dest.file_name())
    {
        let free = conflict::first_free(&name.to_string_lossy(), |c| occupied(&dir.join(c)));
        target = dir.join(free);
    }
    if let Err(e) = std::fs::rename(part, &target) {
        return Outcome::failed(format!(
            "cannot move {} into place: {e}; the verified download is kept as {}",
            target.display(),
            part.display()
        ));
    }
    sync_parent(&target);
    done(&target, size)
}

fn done(dest: &Path, size: u64) -> Outcome {
    let dir = dest
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    Outcome::Done {
        result: dest.display().to_string(),
        bytes: size,
        changed: Changed::Local(dir),
    }
}
