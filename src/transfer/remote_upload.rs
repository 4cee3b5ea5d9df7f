//! Remote upload: ask the service to fetch URLs into a folder, then poll, slowly, until it says
//! how it went. The job's id is journaled as soon as the service gives it, so a restart polls
//! the same job instead of asking twice. The service's own words are the job's result.

use super::Changed;
use super::queue::Phase;
use super::worker::{JobCtx, Outcome};
use crate::api::{FolderId, RemoteJobResult};
use std::time::Instant;

pub(crate) async fn run(ctx: &mut JobCtx, urls: &[String], folder: FolderId) -> Outcome {
    ctx.phase(Phase::Preparing);
    if urls.is_empty() {
        return Outcome::failed("no URL to fetch");
    }
    let job = match ctx.meta.remote_job {
        Some(job) => job,
        None => {
            let job = match ctx
                .call("asking 1fichier to fetch the URL", || {
                    ctx.client().remote_request(urls, folder)
                })
                .await
            {
                Ok(job) => job,
                Err(outcome) => return outcome,
            };
            ctx.meta.remote_job = Some(job);
            ctx.persist().await;
            job
        }
    };
    let poll = ctx.settings().remote_poll;
    loop {
        ctx.phase(Phase::Waiting {
            reason: format!("1fichier is fetching (remote job {job})"),
            until: Some(Instant::now() + poll),
        });
        if ctx.cancellable(tokio::time::sleep(poll)).await.is_none() {
            return Outcome::Interrupted;
        }
        // One listing covers every remote job; ask for details only once this one has run.
        let jobs = match ctx
            .call("checking remote uploads", || ctx.client().remote_ls())
            .await
        {
            Ok(j) => j,
            Err(outcome) => return outcome,
        };
        if jobs.iter().any(|j| j.id == job && !j.has_run()) {
            continue;
        }
        let results = match ctx
            .call("reading the remote upload's result", || {
                ctx.client().remote_info(job)
            })
            .await
        {
            Ok(r) => r,
            Err(outcome) => return outcome,
        };
        if let Some(outcome) = judge(&results, folder) {
            return outcome;
        }
    }
}

/// A field's text, if it has any: the service may send empty strings for what a URL lacks.
fn text(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn link(r: &RemoteJobResult) -> Option<&str> {
    text(&r.download_link)
}

/// The job's outcome once every URL has a link or a message; `None` while some are pending.
pub(crate) fn judge(results: &[RemoteJobResult], folder: FolderId) -> Option<Outcome> {
    if results.is_empty()
        || results
            .iter()
            .any(|r| link(r).is_none() && text(&r.message).is_none())
    {
        return None;
    }
    let links: Vec<&str> = results.iter().filter_map(link).collect();
    let failures: Vec<String> = results
        .iter()
        .filter(|r| link(r).is_none())
        .map(|r| {
            let url = r.url.as_deref().unwrap_or("a URL");
            let why = text(&r.message)
                .or(text(&r.status))
                .unwrap_or("no reason given");
            format!("{url}: {why}")
        })
        .collect();
    if failures.is_empty() {
        return Some(Outcome::Done {
            result: links.join(" "),
            bytes: 0,
            changed: Changed::Remote(folder),
        });
    }
    let mut reason = format!("1fichier could not fetch {}", failures.join("; "));
    if !links.is_empty() {
        reason.push_str(&format!(
            " ({} other URL(s) fetched: {})",
            links.len(),
            links.join(" ")
        ));
    }
    Some(Outcome::Failed { reason })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(link: Option<&str>, message: Option<&str>) -> RemoteJobResult {
        RemoteJobResult {
            status: None,
            url: Some("https://e.x/f".into()),
            download_link: link.map(Into::into),
            message: message.map(Into::into),
        }
    }

    #[test]
    fn pending_until_every_url_has_an_answer() {
        assert!(judge(&[], FolderId(1)).is_none());
        assert!(
            judge(
                &[r(Some("https://1fichier.com/?a"), None), r(None, None)],
                FolderId(1)
            )
            .is_none()
        );
    }

    #[test]
    fn links_mean_done_and_messages_mean_failed() {
        match judge(&[r(Some("https://1fichier.com/?a"), None)], FolderId(1)) {
            Some(Outcome::Done {
                result, changed, ..
            }) => {
                assert_eq!(result, "https://1fichier.com/?a");
                assert_eq!(changed, Changed::Remote(FolderId(1)));
            }
            other => panic!("{other:?}"),
        }
        match judge(
            &[
                r(None, Some("404 Not Found")),
                r(Some("https://1fichier.com/?b"), None),
            ],
            FolderId(1),
        ) {
            Some(Outcome::Failed { reason }) => {
                assert!(reason.contains("https://e.x/f: 404 Not Found"), "{reason}");
                assert!(reason.contains("1 other URL(s) fetched"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn empty_strings_are_no_link_and_no_message() {
        // The sandbox, like the service, fills a failed URL's link with "".
        match judge(&[r(Some(""), Some("URL not allowed"))], FolderId(1)) {
            Some(Outcome::Failed { reason }) => {
                assert!(
                    reason.contains("https://e.x/f: URL not allowed"),
                    "{reason}"
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(judge(&[r(Some(" "), Some(""))], FolderId(1)).is_none());
    }
}
