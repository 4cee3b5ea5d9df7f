//! Where downloads may write: names from the service become one safe path component each, every
//! final path is checked to lie inside the folder the user chose, and nothing is written through a
//! symbolic link that a hostile tree could have planted.

use crate::sanitize::local_file_name;
use std::ffi::{OsStr, OsString};
use std::io;
use std::path::{Component, Path, PathBuf};

/// `dir/<safe name>`: the remote name made into one component that cannot leave `dir`.
pub(crate) fn safe_child(dir: &Path, remote_name: &str) -> PathBuf {
    dir.join(local_file_name(remote_name))
}

/// Whether `path` is `root` followed by plain names only (no `..`, no root, no prefix).
pub(crate) fn is_inside(root: &Path, path: &Path) -> bool {
    match path.strip_prefix(root) {
        Ok(rest) => rest.components().all(|c| matches!(c, Component::Normal(_))),
        Err(_) => false,
    }
}

/// The longest file name most filesystems take, in bytes.
const MAX_NAME_BYTES: usize = 255;
const PART_SUFFIX: &str = ".part";

/// The partial file beside `dest`: `<dest>.part`. When that would be longer than a file name
/// may be, the name is cut and a short hash of the whole name keeps two long names apart.
pub(crate) fn part_path(dest: &Path) -> PathBuf {
    dest.with_file_name(part_name(dest.file_name().unwrap_or_default()))
}

/// The part file's name for a destination named `name`.
pub(crate) fn part_name(name: &OsStr) -> OsString {
    let bytes = name.as_encoded_bytes();
    if bytes.len() + PART_SUFFIX.len() <= MAX_NAME_BYTES {
        let mut part = name.to_os_string();
        part.push(PART_SUFFIX);
        return part;
    }
    let tag = format!("~{:016x}{PART_SUFFIX}", fnv1a(bytes));
    let text = name.to_string_lossy();
    let mut end = MAX_NAME_BYTES - tag.len();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{tag}", &text[..end]).into()
}

/// A hash that stays the same from one run to the next (the part is found again on resume).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The destination of a download job: the parent the caller chose, and the file name made safe
/// (a caller that already made it safe gets the same name back).
pub(crate) fn download_destination(local: &Path) -> Option<PathBuf> {
    let name = local.file_name()?.to_string_lossy().into_owned();
    let parent = match local.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let dest = safe_child(&parent, &name);
    is_inside(&parent, &dest).then_some(dest)
}

/// Creates `dir` if needed; refuses when it exists as anything but a real directory (a symbolic
/// link there could send the files anywhere).
pub(crate) fn ensure_real_dir(dir: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(dir) {
        Ok(meta) if meta.file_type().is_symlink() => Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{} is a symbolic link; refusing to write through it",
                dir.display()
            ),
        )),
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} exists and is not a folder", dir.display()),
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => std::fs::create_dir(dir),
        Err(e) => Err(e),
    }
}

/// Whether anything (file, folder, link, even a dangling one) is at `path`.
pub(crate) fn occupied(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// Makes a rename durable: fsyncs the directory that holds `path`.
pub(crate) fn sync_parent(path: &Path) {
    #[cfg(unix)]
    if let Some(parent) = path.parent() {
        let dir = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        if let Ok(f) = std::fs::File::open(dir) {
            let _ = f.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_remote_names_stay_inside() {
        let root = Path::new("/home/u/dl");
        for hostile in [
            "../../etc/passwd",
            "/etc/shadow",
            "..",
            ".",
            "",
            "a/../../b",
            "..\\..\\x",
            "\u{1b}[2J",
            "x\0y",
            "a\u{FF0F}..\u{FF0F}b",
        ] {
            let p = safe_child(root, hostile);
            assert!(is_inside(root, &p), "{hostile:?} -> {}", p.display());
            assert_eq!(p.parent(), Some(root), "{hostile:?} -> {}", p.display());
        }
    }

    #[test]
    fn inside_refuses_escapes() {
        let root = Path::new("/r");
        assert!(is_inside(root, Path::new("/r/a/b")));
        assert!(!is_inside(root, Path::new("/r/../etc")));
        assert!(!is_inside(root, Path::new("/etc/passwd")));
        assert!(!is_inside(root, Path::new("/rr/x")));
    }

    #[test]
    fn download_destination_sanitizes_only_the_name() {
        assert_eq!(
            download_destination(Path::new("/d/report.pdf")),
            Some(PathBuf::from("/d/report.pdf"))
        );
        assert_eq!(
            download_destination(Path::new("/d/a\u{FF0F}b")),
            Some(PathBuf::from("/d/a_b"))
        );
        assert_eq!(
            download_destination(Path::new("x.bin")),
            Some(PathBuf::from("./x.bin"))
        );
        assert_eq!(download_destination(Path::new("/")), None);
        // Already safe names come back unchanged.
        let once = download_destination(Path::new("/d/it\u{FF07}s")).unwrap();
        assert_eq!(download_destination(&once), Some(once.clone()));
    }

    #[test]
    fn part_sits_beside_the_destination() {
        assert_eq!(
            part_path(Path::new("/d/a.txt")),
            PathBuf::from("/d/a.txt.part")
        );
    }

    #[test]
    fn a_long_name_has_a_part_name_that_fits() {
        let dir = Path::new("/d");
        let long = format!("{}.bin", "é".repeat(125));
        let a = part_path(&dir.join(&long));
        let b = part_path(&dir.join(format!("{}.bim", "é".repeat(125))));
        for p in [&a, &b] {
            let name = p.file_name().unwrap().to_str().unwrap();
            assert!(name.len() <= 255, "{}", name.len());
            assert!(name.ends_with(".part"), "{name}");
            assert_eq!(p.parent(), Some(dir));
        }
        assert_ne!(a, b, "two long names, two parts");
        assert_eq!(a, part_path(&dir.join(&long)), "the same part each time");
        let exact = "x".repeat(250);
        assert_eq!(
            part_path(&dir.join(&exact)),
            dir.join(format!("{exact}.part"))
        );
    }

    #[cfg(unix)]
    #[test]
    fn symlinked_folders_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let target = tempfile::tempdir().unwrap();
        let link = dir.path().join("sub");
        std::os::unix::fs::symlink(target.path(), &link).unwrap();
        assert!(ensure_real_dir(&link).is_err());
        let fresh = dir.path().join("fresh");
        ensure_real_dir(&fresh).unwrap();
        ensure_real_dir(&fresh).unwrap();
        assert!(fresh.is_dir());
        std::fs::write(dir.path().join("file"), b"x").unwrap();
        assert!(ensure_real_dir(&dir.path().join("file")).is_err());
    }
}
