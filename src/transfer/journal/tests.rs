//! The journal's files, its writer and the scheduler's shadow, on real files in temp dirs.

use super::disk::{self, Model, Stats, TEMP_NAME, log_name};
use super::writer::Delta;
use super::*;
use crate::api::FolderId;
use crate::transfer::queue::{Entry, Queue, Status};

/// A base of epoch 0 holding `jobs`, as a journal of an earlier run.
fn save(dir: &Path, next_id: u64, jobs: &[JobRecord]) -> io::Result<u64> {
    disk::write_base(dir, 0, &Model::from_records(next_id, jobs.to_vec()))
}

fn sample() -> Vec<JobRecord> {
    vec![
        JobRecord {
            id: JobId(1),
            kind: JobKind::Upload {
                local: "/tmp/a.txt".into(),
                folder: FolderId(7),
                remote_name: "a.txt".into(),
            },
            state: SavedState::Running,
            meta: Meta {
                plan: Some(Plan::Upload {
                    remote_name: "a (1).txt".into(),
                    replace: vec![],
                }),
                attempted: true,
                ..Meta::default()
            },
        },
        JobRecord {
            id: JobId(2),
            kind: JobKind::Download {
                url: FileUrl("https://1fichier.com/?x".into()),
                local: "/tmp/b.bin".into(),
                size: 10,
                checksum: Some("ab".into()),
            },
            state: SavedState::Done {
                result: "/tmp/b.bin".into(),
                bytes: 10,
            },
            meta: Meta {
                parent: Some(JobId(9)),
                ..Meta::default()
            },
        },
        JobRecord {
            id: JobId(5),
            kind: JobKind::RemoteUpload {
                urls: vec!["https://e.x/f".into()],
                folder: FolderId(0),
            },
            state: SavedState::Paused { done: 0, total: 0 },
            meta: Meta {
                remote_job: Some(44),
                answer: Some(ConflictPolicy::Rename),
                ..Meta::default()
            },
        },
    ]
}

#[test]
fn round_trip() {
    let dir = tempfile::tempdir().unwrap();
    save(dir.path(), 6, &sample()).unwrap();
    let loaded = load(dir.path()).unwrap();
    assert_eq!(loaded.jobs, sample());
    assert_eq!(loaded.next_id, 6);
    assert!(loaded.warning.is_none());
    assert!(!dir.path().join(TEMP_NAME).exists());
}

#[test]
fn missing_journal_is_an_empty_queue() {
    let dir = tempfile::tempdir().unwrap();
    let loaded = load(dir.path()).unwrap();
    assert!(loaded.jobs.is_empty());
    assert_eq!(loaded.next_id, 1);
}

#[test]
fn a_cut_write_leaves_the_old_journal() {
    let dir = tempfile::tempdir().unwrap();
    save(dir.path(), 6, &sample()).unwrap();
    // kill -9 in the middle of the next write: a partial temp file, the old journal intact.
    fs::write(
        dir.path().join(TEMP_NAME),
        b"{\"version\":2,\"next_id\":9,\"jo",
    )
    .unwrap();
    let loaded = load(dir.path()).unwrap();
    assert_eq!(loaded.jobs, sample());
    assert!(!dir.path().join(TEMP_NAME).exists());
}

#[test]
fn corrupt_journal_is_set_aside_not_dropped() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join(FILE_NAME), b"{not json").unwrap();
    let loaded = load(dir.path()).unwrap();
    assert!(loaded.jobs.is_empty());
    let warning = loaded.warning.expect("a warning");
    assert!(warning.contains("could not be read"), "{warning}");
    let aside: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("queue.json.corrupt-"))
        .collect();
    assert_eq!(aside.len(), 1);
    assert_eq!(fs::read(dir.path().join(&aside[0])).unwrap(), b"{not json");
    assert!(!dir.path().join(FILE_NAME).exists());
}

#[test]
fn unknown_version_is_set_aside_too() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join(FILE_NAME),
        br#"{"version":99,"next_id":1,"jobs":[]}"#,
    )
    .unwrap();
    assert!(load(dir.path()).unwrap().warning.is_some());
}

#[test]
fn running_jobs_come_back_queued() {
    let jobs = revive(sample());
    assert_eq!(jobs[0].state, SavedState::Queued);
    assert!(jobs[0].meta.attempted, "what was done is kept");
    assert!(matches!(jobs[1].state, SavedState::Done { .. }));
    assert!(matches!(jobs[2].state, SavedState::Paused { .. }));
}

#[test]
fn writer_publishes_generations() {
    let dir = tempfile::tempdir().unwrap();
    let lock = Lock::acquire(dir.path()).unwrap();
    let writer = Writer::spawn(dir.path().to_path_buf(), lock, 0, 1, vec![], |_| {}).unwrap();
    let mut written = writer.written.clone();
    for generation in 1..=5 {
        writer.send(Delta {
            generation,
            next_id: 9,
            upserts: sample(),
            ..Delta::default()
        });
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async { written.wait_for(|g| *g >= 5).await.unwrap() });
    assert_eq!(load(dir.path()).unwrap().jobs, sample());
}

#[cfg(unix)]
#[test]
fn a_second_engine_on_the_same_queue_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let first = Lock::acquire(dir.path()).unwrap();
    let err = Lock::acquire(dir.path()).unwrap_err();
    assert!(
        err.to_string().contains("in use by another fichier-tui"),
        "{err}"
    );
    drop(first);
    Lock::acquire(dir.path()).unwrap();
}

fn many(n: u64) -> Vec<JobRecord> {
    (1..=n)
        .map(|i| JobRecord {
            id: JobId(i),
            kind: JobKind::Upload {
                local: format!("/data/photos/img-{i:05}.jpg").into(),
                folder: FolderId(3),
                remote_name: format!("img-{i:05}.jpg"),
            },
            state: SavedState::Queued,
            meta: Meta::default(),
        })
        .collect()
}

/// The journal of `dir` opened as `Engine::start` opens it: loaded, revived, its writer started.
fn open(dir: &Path) -> (Writer, Vec<JobRecord>) {
    let lock = Lock::acquire(dir).unwrap();
    let loaded = load(dir).unwrap();
    let jobs = revive(loaded.jobs);
    let writer = Writer::spawn(
        dir.to_path_buf(),
        lock,
        loaded.epoch,
        loaded.next_id,
        jobs.clone(),
        |_| {},
    )
    .unwrap();
    (writer, jobs)
}

/// Sends `delta` and waits until it is on disk; what the writer wrote so far.
fn write(writer: &Writer, delta: Delta) -> Stats {
    let generation = delta.generation;
    writer.send(delta);
    let mut written = writer.written.clone();
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async { written.wait_for(|g| *g >= generation).await.unwrap() });
    *writer.stats.lock().unwrap()
}

fn delta(generation: u64, next_id: u64, upserts: Vec<JobRecord>) -> Delta {
    Delta {
        generation,
        next_id,
        upserts,
        ..Delta::default()
    }
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn one_change_in_a_big_queue_is_one_line_and_the_base_stays() {
    let dir = tempfile::tempdir().unwrap();
    save(dir.path(), 1001, &many(1000)).unwrap();
    let (writer, mut jobs) = open(dir.path());
    let opened = write(&writer, delta(1, 1001, vec![]));
    assert_eq!(opened.bases, 1, "a start writes a fresh base");
    assert_eq!(opened.log_bytes, 0);
    let base = fs::read(dir.path().join(FILE_NAME)).unwrap();

    jobs[499].state = SavedState::Done {
        result: "https://1fichier.com/?abc".into(),
        bytes: 1234,
    };
    let after = write(&writer, delta(2, 1001, vec![jobs[499].clone()]));
    assert_eq!(after.bases, 1, "no new base for one change");
    assert_eq!(fs::read(dir.path().join(FILE_NAME)).unwrap(), base);
    assert_eq!(
        disk::log_lines(dir.path()),
        2,
        "the job's line and a commit"
    );
    assert!(
        after.log_bytes < 400,
        "{} bytes for one job",
        after.log_bytes
    );
    assert!(
        (base.len() as u64) > 100 * after.log_bytes,
        "the base ({} bytes) is what a change cost before",
        base.len()
    );
    drop(writer);
    assert_eq!(read_jobs(dir.path()), jobs);
    let loaded = load(dir.path()).unwrap();
    assert_eq!(loaded.jobs, jobs);
    assert_eq!(loaded.epoch, 1);
}

#[test]
fn removals_order_and_next_id_come_back_from_the_log() {
    let dir = tempfile::tempdir().unwrap();
    save(dir.path(), 6, &sample()).unwrap();
    let (writer, jobs) = open(dir.path());
    write(
        &writer,
        Delta {
            generation: 1,
            next_id: 12,
            removed: vec![JobId(2)],
            order: Some(vec![JobId(5), JobId(1)]),
            ..Delta::default()
        },
    );
    drop(writer);
    let want = vec![jobs[2].clone(), jobs[0].clone()];
    let loaded = load(dir.path()).unwrap();
    assert_eq!(loaded.jobs, want);
    assert_eq!(loaded.next_id, 12);
    // The next start folds the log into a new base and lets the old log go.
    let (writer, _) = open(dir.path());
    let stats = write(&writer, delta(1, 12, vec![]));
    assert_eq!(stats.bases, 1);
    drop(writer);
    assert_eq!(
        file_names(dir.path()),
        vec![FILE_NAME.to_string(), "queue.lock".into()]
    );
    assert_eq!(load(dir.path()).unwrap().jobs, want);
}

#[test]
fn a_torn_or_uncommitted_tail_is_ignored_and_the_next_start_compacts() {
    let dir = tempfile::tempdir().unwrap();
    save(dir.path(), 6, &sample()).unwrap();
    let (writer, mut jobs) = open(dir.path());
    jobs[0].state = SavedState::Cancelled;
    write(&writer, delta(1, 6, vec![jobs[0].clone()]));
    drop(writer);
    // kill -9 in the middle of the next write: whole lines without their commit, then a cut one.
    let log = dir.path().join(log_name(1));
    let mut changed = jobs[1].clone();
    changed.state = SavedState::Queued;
    let mut tail = serde_json::to_vec(&serde_json::json!({ "job": changed })).unwrap();
    tail.extend_from_slice(b"\n{\"remove\":[5]}\n{\"commit\":");
    OpenOptions::new()
        .append(true)
        .open(&log)
        .unwrap()
        .write_all(&tail)
        .unwrap();
    assert_eq!(load(dir.path()).unwrap().jobs, jobs);

    let (writer, reopened) = open(dir.path());
    assert_eq!(reopened, jobs);
    let stats = write(&writer, delta(1, 6, vec![]));
    assert_eq!(stats.bases, 1);
    assert!(!log.exists(), "the torn log is never appended to");
    jobs[2].state = SavedState::Queued;
    write(&writer, delta(2, 6, vec![jobs[2].clone()]));
    drop(writer);
    let loaded = load(dir.path()).unwrap();
    assert_eq!(loaded.epoch, 2);
    assert_eq!(loaded.jobs, jobs);
}

#[test]
fn a_crash_between_the_steps_of_a_compaction_loads_the_right_state() {
    let dir = tempfile::tempdir().unwrap();
    let mut jobs = sample();
    // The new base (epoch 3) is in place; the old log (epoch 2) was not removed yet, and the new
    // one not created: the old log's lines are already in the base, or older than it.
    disk::write_base(dir.path(), 3, &Model::from_records(6, jobs.clone())).unwrap();
    let mut stale = jobs[0].clone();
    stale.state = SavedState::Failed {
        reason: "old".into(),
    };
    let line = serde_json::json!({ "job": stale });
    fs::write(
        dir.path().join(log_name(2)),
        format!("{line}\n{{\"commit\":1}}\n"),
    )
    .unwrap();
    let loaded = load(dir.path()).unwrap();
    assert_eq!(loaded.jobs, jobs);
    assert_eq!(loaded.epoch, 3);

    // And the base's own log, when there is one, is replayed.
    jobs[1].state = SavedState::Cancelled;
    let line = serde_json::json!({ "job": jobs[1] });
    fs::write(
        dir.path().join(log_name(3)),
        format!("{line}\n{{\"commit\":1}}\n"),
    )
    .unwrap();
    assert_eq!(load(dir.path()).unwrap().jobs, jobs);

    let (writer, _) = open(dir.path());
    write(&writer, delta(1, 6, vec![]));
    drop(writer);
    assert_eq!(
        file_names(dir.path()),
        vec![FILE_NAME.to_string(), "queue.lock".into()],
        "stale logs are removed"
    );
    assert_eq!(load(dir.path()).unwrap().jobs, revive(jobs));
}

#[test]
fn the_log_is_compacted_once_it_outgrows_the_base() {
    let dir = tempfile::tempdir().unwrap();
    save(dir.path(), 6, &sample()).unwrap();
    let (writer, mut jobs) = open(dir.path());
    let mut stats = Stats::default();
    for i in 1..=100 {
        jobs[2].state = SavedState::Paused {
            done: i,
            total: 100,
        };
        stats = write(&writer, delta(i, 6, vec![jobs[2].clone()]));
    }
    assert!(stats.bases > 2, "{stats:?}");
    assert!(stats.bases < 50, "{stats:?}");
    drop(writer);
    let logs: Vec<String> = file_names(dir.path())
        .into_iter()
        .filter(|n| n.ends_with(".log"))
        .collect();
    assert!(logs.len() <= 1, "{logs:?}");
    assert_eq!(load(dir.path()).unwrap().jobs, jobs);
}

#[test]
fn a_journal_of_the_first_format_still_loads() {
    let dir = tempfile::tempdir().unwrap();
    let text = serde_json::json!({ "version": 1, "next_id": 6, "jobs": sample() });
    fs::write(dir.path().join(FILE_NAME), text.to_string()).unwrap();
    let loaded = load(dir.path()).unwrap();
    assert_eq!(loaded.jobs, sample());
    assert_eq!(loaded.epoch, 0);
    assert!(loaded.warning.is_none());
}

#[test]
fn the_logs_of_an_unreadable_base_are_set_aside_with_it() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join(FILE_NAME), b"{not json").unwrap();
    fs::write(dir.path().join(log_name(4)), b"{\"commit\":1}\n").unwrap();
    let loaded = load(dir.path()).unwrap();
    assert!(loaded.warning.is_some());
    let names = file_names(dir.path());
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.iter().all(|n| n.contains(".corrupt-")), "{names:?}");
}

#[test]
fn the_shadow_sends_what_changed_and_the_journal_follows_the_queue() {
    let up = |n: u64| {
        Entry::new(
            JobId(n),
            JobKind::Upload {
                local: format!("/l/{n}").into(),
                folder: FolderId(0),
                remote_name: format!("f{n}"),
            },
            Meta::default(),
        )
    };
    let mut queue = Queue::default();
    for n in 1..=5 {
        queue.push(up(n));
    }
    let mut shadow = Shadow::new(&queue);
    let mut model = Model::from_records(6, queue.records());
    let mut step = |queue: &Queue, generation: u64| {
        let delta = shadow.diff(queue, generation, 10);
        let sent = delta.clone();
        delta.apply(&mut model, &mut Default::default());
        assert_eq!(model.clone().into_records(), queue.records());
        sent
    };

    let d = step(&queue, 1);
    assert!(d.upserts.is_empty() && d.removed.is_empty() && d.order.is_none());

    queue.get_mut(JobId(3)).unwrap().status = Status::Running;
    let d = step(&queue, 2);
    assert_eq!(d.upserts.len(), 1);
    assert_eq!(d.upserts[0].id, JobId(3));

    queue.push(up(6));
    let d = step(&queue, 3);
    assert_eq!(d.upserts.len(), 1);
    assert!(d.order.is_none(), "added at the end: no order line");

    queue.get_mut(JobId(1)).unwrap().status = Status::Done {
        result: "x".into(),
        bytes: 1,
    };
    step(&queue, 4);
    queue.clear_finished();
    let d = step(&queue, 5);
    assert_eq!(d.removed, vec![JobId(1)]);
    assert!(d.upserts.is_empty());
    assert!(d.order.is_none(), "a removal alone needs no order line");

    queue.move_up(JobId(4));
    let d = step(&queue, 6);
    assert!(d.upserts.is_empty());
    assert_eq!(
        d.order,
        Some(vec![JobId(2), JobId(4), JobId(3), JobId(5), JobId(6)])
    );

    queue.insert_after(JobId(2), vec![up(7)]);
    let d = step(&queue, 7);
    assert_eq!(d.upserts.len(), 1);
    assert!(d.order.is_some());
}

#[test]
fn a_log_left_without_its_base_never_counts() {
    let dir = tempfile::tempdir().unwrap();
    // queue.json was removed by hand; the log of what would be the next epoch stayed.
    let line = serde_json::json!({ "job": sample()[0] });
    fs::write(
        dir.path().join(log_name(1)),
        format!("{line}\n{{\"commit\":1}}\n"),
    )
    .unwrap();
    let (writer, jobs) = open(dir.path());
    assert!(jobs.is_empty());
    write(&writer, delta(1, 1, vec![]));
    drop(writer);
    assert!(load(dir.path()).unwrap().jobs.is_empty());
}
