//! What the user names on the command line: two endpoints, one of them on 1fichier. A remote path
//! is written with the `1f:` prefix (`1f:/Backups/nas`); anything else is a local path (write
//! `./1f:x` for a local folder whose name starts with `1f:`). The pair also gets a stable id, so
//! its lock, journal and hash cache live in a state folder of its own.

use crate::checksum::whirlpool_hex;
use std::path::{Component, Path, PathBuf};
use thiserror::Error;

/// The prefix that marks a remote path.
pub const REMOTE_PREFIX: &str = "1f:";

/// Which way files go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Local folder to 1fichier (a backup).
    Up,
    /// 1fichier to a local folder (a restore).
    Down,
}

/// One side as written by the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Local(PathBuf),
    /// A remote folder path, normalised: `/`, `/Backups/nas`.
    Remote(String),
}

impl Endpoint {
    pub fn parse(text: &str) -> Endpoint {
        match text.strip_prefix(REMOTE_PREFIX) {
            Some(rest) => Endpoint::Remote(normalize_remote(rest)),
            None => Endpoint::Local(PathBuf::from(text)),
        }
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SpecError {
    #[error(
        "both sides are local: write the 1fichier side with the {REMOTE_PREFIX} prefix, e.g. {REMOTE_PREFIX}/Backups/nas"
    )]
    BothLocal,
    #[error(
        "both sides are on 1fichier: sync copies between a local folder and 1fichier, one of them local"
    )]
    BothRemote,
    #[error("{0} is not a usable local path")]
    BadLocal(String),
}

/// A sync pair: the local folder, the remote folder, and which way files go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    /// Absolute, with `.` and `..` resolved by name (not through links).
    pub local: PathBuf,
    /// Normalised remote path.
    pub remote: String,
    pub direction: Direction,
}

impl Pair {
    /// The pair from SRC and DEST as typed.
    pub fn from_args(src: &str, dest: &str) -> Result<Pair, SpecError> {
        let (local, remote, direction) = match (Endpoint::parse(src), Endpoint::parse(dest)) {
            (Endpoint::Local(l), Endpoint::Remote(r)) => (l, r, Direction::Up),
            (Endpoint::Remote(r), Endpoint::Local(l)) => (l, r, Direction::Down),
            (Endpoint::Local(_), Endpoint::Local(_)) => return Err(SpecError::BothLocal),
            (Endpoint::Remote(_), Endpoint::Remote(_)) => return Err(SpecError::BothRemote),
        };
        let local =
            absolute(&local).ok_or_else(|| SpecError::BadLocal(local.display().to_string()))?;
        Ok(Pair {
            local,
            remote,
            direction,
        })
    }

    /// A short id for the pair against one service, for its state folder: the same pair written
    /// differently (`./data` or `/srv/data`) gets the same id.
    pub fn id(&self, api_url: &str) -> String {
        let dir = match self.direction {
            Direction::Up => "up",
            Direction::Down => "down",
        };
        let text = format!(
            "{dir}\n{}\n{}\n{}",
            self.local.display(),
            self.remote,
            api_url.trim_end_matches('/')
        );
        whirlpool_hex(text.as_bytes())[..16].to_string()
    }

    /// The source as the user reads it (`/srv/data` or `1f:/Backups/nas`).
    pub fn source(&self) -> String {
        match self.direction {
            Direction::Up => self.local.display().to_string(),
            Direction::Down => format!("{REMOTE_PREFIX}{}", self.remote),
        }
    }

    pub fn destination(&self) -> String {
        match self.direction {
            Direction::Up => format!("{REMOTE_PREFIX}{}", self.remote),
            Direction::Down => self.local.display().to_string(),
        }
    }
}

/// `Backups//nas/./x/..` -> `/Backups/nas`.
fn normalize_remote(path: &str) -> String {
    let mut names: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                names.pop();
            }
            name => names.push(name),
        }
    }
    format!("/{}", names.join("/"))
}

/// The absolute path, `.` and `..` resolved by name.
fn absolute(path: &Path) -> Option<PathBuf> {
    if path.as_os_str().is_empty() {
        return None;
    }
    let abs = std::path::absolute(path).ok()?;
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefix_marks_the_remote_side() {
        let p = Pair::from_args("/srv/data", "1f:/Backups/nas").unwrap();
        assert_eq!(p.direction, Direction::Up);
        assert_eq!(p.local, PathBuf::from("/srv/data"));
        assert_eq!(p.remote, "/Backups/nas");
        assert_eq!(p.destination(), "1f:/Backups/nas");

        let p = Pair::from_args("1f:Backups//nas/", "/tmp/x/../restore").unwrap();
        assert_eq!(p.direction, Direction::Down);
        assert_eq!(p.remote, "/Backups/nas");
        assert_eq!(p.local, PathBuf::from("/tmp/restore"));
        assert_eq!(p.source(), "1f:/Backups/nas");

        assert_eq!(Endpoint::parse("1f:"), Endpoint::Remote("/".into()));
        assert_eq!(
            Endpoint::parse("./1f:odd"),
            Endpoint::Local(PathBuf::from("./1f:odd"))
        );
        assert_eq!(Pair::from_args("a", "b"), Err(SpecError::BothLocal));
        assert_eq!(
            Pair::from_args("1f:/a", "1f:/b"),
            Err(SpecError::BothRemote)
        );
    }

    #[test]
    fn the_id_is_stable_and_per_pair() {
        let a = Pair::from_args("/srv/data", "1f:/B").unwrap();
        let b = Pair::from_args("/srv/./data/", "1f:B/").unwrap();
        let c = Pair::from_args("1f:/B", "/srv/data").unwrap();
        let url = "http://127.0.0.1:1/v1";
        assert_eq!(a.id(url), b.id(url));
        assert_ne!(a.id(url), c.id(url), "a restore is another pair");
        assert_ne!(a.id(url), a.id("https://api.1fichier.com/v1"));
        assert_eq!(a.id(url).len(), 16);
    }
}
