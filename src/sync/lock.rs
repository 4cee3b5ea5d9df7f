//! One run per pair at a time: an advisory lock on `sync.lock` in the pair's state folder, held
//! for the whole run (dry runs included) and released when the process ends, however it ends.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

const LOCK_NAME: &str = "sync.lock";

#[derive(Debug)]
pub struct PairLock {
    _file: File,
}

/// Why the lock could not be had.
#[derive(Debug)]
pub enum LockError {
    /// Another run holds it; its process id when it wrote one.
    Busy(Option<u32>),
    Io(io::Error),
}

impl PairLock {
    pub fn acquire(dir: &Path) -> Result<PairLock, LockError> {
        std::fs::create_dir_all(dir).map_err(LockError::Io)?;
        let path = dir.join(LOCK_NAME);
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(LockError::Io)?;
        #[cfg(unix)]
        {
            use rustix::fs::{FlockOperation, flock};
            match flock(&file, FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => {}
                Err(e) if e == rustix::io::Errno::WOULDBLOCK => {
                    let pid = std::fs::read_to_string(&path)
                        .ok()
                        .and_then(|t| t.trim().parse().ok());
                    return Err(LockError::Busy(pid));
                }
                // A filesystem without locks: go on, unprotected, and say so in the log.
                Err(e) => tracing::warn!(
                    "cannot lock {}: {e}; two runs of this pair could overlap",
                    path.display()
                ),
            }
        }
        file.set_len(0).map_err(LockError::Io)?;
        write!(file, "{}", std::process::id()).map_err(LockError::Io)?;
        Ok(PairLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let first = PairLock::acquire(dir.path()).unwrap();
        match PairLock::acquire(dir.path()) {
            Err(LockError::Busy(pid)) => assert_eq!(pid, Some(std::process::id())),
            other => panic!("{other:?}"),
        }
        drop(first);
        PairLock::acquire(dir.path()).unwrap();
    }
}
