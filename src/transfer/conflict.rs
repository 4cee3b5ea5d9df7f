//! Conflicts: the `name (1).ext` naming of the Rename policy, and the words shown when a job asks
//! what to do with a file that is already there.

use std::time::{SystemTime, UNIX_EPOCH};

/// The longest name most filesystems take, in bytes.
const MAX_NAME_BYTES: usize = 255;
/// Past this many taken names, give up numbering and add the time instead.
const MAX_NUMBER: u32 = 9_999;

/// The first name of the series `name`, `name (1).ext`, `name (2).ext`... that `taken` refuses,
/// never `name` itself. A name that already ends in ` (k)` continues from `k + 1`, so a second
/// copy of `a (1).txt` is `a (2).txt`, not `a (1) (1).txt`.
pub(crate) fn first_free(name: &str, taken: impl Fn(&str) -> bool) -> String {
    let (stem, ext) = split_extension(name);
    let (base, start) = match numbered_suffix(stem) {
        Some((base, k)) => (base, k.saturating_add(1)),
        None => (stem, 1),
    };
    for n in start.max(1)..=MAX_NUMBER {
        let candidate = numbered(base, n, ext);
        if !taken(&candidate) {
            return candidate;
        }
    }
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    fit(&format!("{base} ({stamp})"), ext)
}

fn numbered(base: &str, n: u32, ext: &str) -> String {
    fit(&format!("{base} ({n})"), ext)
}

/// Joins stem and extension, cutting the stem (never the extension) to stay within 255 bytes.
fn fit(stem: &str, ext: &str) -> String {
    let budget = MAX_NAME_BYTES.saturating_sub(ext.len());
    if stem.len() <= budget {
        return format!("{stem}{ext}");
    }
    // Cut before the " (n)" marker so the number survives.
    let marker = stem.rfind(" (").unwrap_or(stem.len());
    let (head, tail) = stem.split_at(marker);
    let mut end = budget.saturating_sub(tail.len()).min(head.len());
    while !head.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{tail}{ext}", &head[..end])
}

/// `report.pdf` -> (`report`, `.pdf`); `archive.tar.gz` -> (`archive`, `.tar.gz`); a dotfile such
/// as `.bashrc` has no extension; `.config.json` -> (`.config`, `.json`).
pub(crate) fn split_extension(name: &str) -> (&str, &str) {
    let Some(dot) = name.rfind('.') else {
        return (name, "");
    };
    if dot == 0 || dot + 1 == name.len() {
        return (name, "");
    }
    let (stem, ext) = name.split_at(dot);
    if let Some(inner) = stem.strip_suffix(".tar").filter(|s| !s.is_empty()) {
        return (inner, &name[inner.len()..]);
    }
    (stem, ext)
}

/// `a (3)` -> (`a`, 3).
fn numbered_suffix(stem: &str) -> Option<(&str, u32)> {
    let inner = stem.strip_suffix(')')?;
    let open = inner.rfind(" (")?;
    let digits = &inner[open + 2..];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 6 {
        return None;
    }
    let base = &stem[..open];
    if base.is_empty() {
        return None;
    }
    Some((base, digits.parse().ok()?))
}

/// `2026-11-25 14:03 UTC`, for a local file's date in a conflict question.
pub(crate) fn format_system_time(t: SystemTime) -> Option<String> {
    let secs = t.duration_since(UNIX_EPOCH).ok()?.as_secs();
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    Some(format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        (rem / 60) % 60
    ))
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::time::Duration;

    fn free(name: &str, taken: &[&str]) -> String {
        let set: HashSet<&str> = taken.iter().copied().collect();
        first_free(name, |c| set.contains(c))
    }

    #[test]
    fn numbering_keeps_the_extension() {
        assert_eq!(free("a.txt", &["a.txt"]), "a (1).txt");
        assert_eq!(
            free("a.txt", &["a.txt", "a (1).txt", "a (2).txt"]),
            "a (3).txt"
        );
        assert_eq!(free("archive.tar.gz", &[]), "archive (1).tar.gz");
    }

    #[test]
    fn names_without_extension_and_dotfiles() {
        assert_eq!(free("Makefile", &["Makefile"]), "Makefile (1)");
        assert_eq!(free(".bashrc", &[".bashrc"]), ".bashrc (1)");
        assert_eq!(free(".config.json", &[]), ".config (1).json");
        assert_eq!(free("trailing.", &[]), "trailing. (1)");
    }

    #[test]
    fn a_numbered_name_continues_its_series() {
        assert_eq!(free("a (1).txt", &["a (1).txt"]), "a (2).txt");
        assert_eq!(free("a (1).txt", &["a (1).txt", "a (2).txt"]), "a (3).txt");
        // Not a number: left alone.
        assert_eq!(free("a (x).txt", &[]), "a (x) (1).txt");
        assert_eq!(free("(1).txt", &[]), "(1) (1).txt");
    }

    #[test]
    fn long_names_stay_within_255_bytes() {
        let long = format!("{}.txt", "é".repeat(140));
        let out = free(&long, &[]);
        assert!(out.len() <= 255, "{}", out.len());
        assert!(out.ends_with(" (1).txt"), "{out}");
    }

    #[test]
    fn dates_read_as_utc() {
        let t = UNIX_EPOCH + Duration::from_secs(1_764_079_380); // 2025-11-25 14:03:00 UTC
        assert_eq!(
            format_system_time(t).as_deref(),
            Some("2025-11-25 14:03 UTC")
        );
        assert_eq!(
            format_system_time(UNIX_EPOCH).as_deref(),
            Some("1970-01-01 00:00 UTC")
        );
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(
            format_system_time(leap).as_deref(),
            Some("2000-02-29 00:00 UTC")
        );
    }
}
