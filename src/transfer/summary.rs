//! The counts a subcommand reports at the end: files done and their bytes, skipped, failed with
//! reasons, for the jobs it queued and the file jobs its folder jobs became.

use super::queue::{Queue, Status};
use super::{FailedJob, JobId, JobKind, Summary};
use std::collections::HashSet;

/// Counts of the jobs in `scope` (these ids and the file jobs their folder jobs became), or of
/// the whole queue.
pub(crate) fn summarize(queue: &Queue, scope: Option<&[JobId]>) -> Summary {
    let included: Option<HashSet<JobId>> = scope.map(|ids| {
        let mut set: HashSet<JobId> = ids.iter().copied().collect();
        loop {
            let before = set.len();
            for e in queue.iter() {
                if e.meta.parent.is_some_and(|p| set.contains(&p)) {
                    set.insert(e.id);
                }
            }
            if set.len() == before {
                break set;
            }
        }
    });
    let mut s = Summary::default();
    for e in queue
        .iter()
        .filter(|e| included.as_ref().is_none_or(|set| set.contains(&e.id)))
    {
        let folder_job = matches!(
            e.kind,
            JobKind::UploadDir { .. } | JobKind::DownloadDir { .. }
        );
        match &e.status {
            Status::Done { bytes, .. } if !folder_job => {
                s.done += 1;
                s.bytes += bytes;
            }
            Status::Done { .. } => {}
            Status::Skipped { .. } => s.skipped += 1,
            Status::Failed { reason } => s.failed.push(FailedJob {
                id: e.id,
                name: super::queue::display_name(&e.kind),
                reason: reason.clone(),
            }),
            Status::Cancelled => s.cancelled += 1,
            Status::Paused => s.paused += 1,
            Status::Queued | Status::Running | Status::Asking(_) => s.pending += 1,
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::FolderId;
    use crate::transfer::journal;
    use crate::transfer::queue::Entry;

    #[test]
    fn summary_counts_a_folder_job_through_its_files() {
        let mut q = Queue::default();
        let up = |n: u64| JobKind::Upload {
            local: format!("/l/{n}").into(),
            folder: FolderId(1),
            remote_name: format!("{n}"),
        };
        q.push(Entry::new(
            JobId(1),
            JobKind::UploadDir {
                local: "/l".into(),
                parent: FolderId(0),
            },
            Default::default(),
        ));
        q.push(Entry::new(JobId(9), up(9), Default::default()));
        let child = || journal::Meta {
            parent: Some(JobId(1)),
            ..Default::default()
        };
        q.insert_after(
            JobId(1),
            vec![
                Entry::new(JobId(2), up(2), child()),
                Entry::new(JobId(3), up(3), child()),
                Entry::new(JobId(4), up(4), child()),
            ],
        );
        q.get_mut(JobId(1)).unwrap().status = Status::Done {
            result: "3 files".into(),
            bytes: 0,
        };
        q.get_mut(JobId(2)).unwrap().status = Status::Done {
            result: "u".into(),
            bytes: 10,
        };
        q.get_mut(JobId(3)).unwrap().status = Status::Skipped {
            reason: "already there".into(),
        };
        q.get_mut(JobId(4)).unwrap().status = Status::Failed {
            reason: "gone".into(),
        };
        q.get_mut(JobId(9)).unwrap().status = Status::Done {
            result: "v".into(),
            bytes: 5,
        };
        let s = summarize(&q, Some(&[JobId(1)]));
        assert_eq!((s.done, s.skipped, s.bytes, s.pending), (1, 1, 10, 0));
        assert_eq!(s.failed.len(), 1);
        assert_eq!(
            (s.failed[0].id, s.failed[0].reason.as_str()),
            (JobId(4), "gone")
        );
        let all = summarize(&q, None);
        assert_eq!((all.done, all.bytes), (2, 15));
    }
}
