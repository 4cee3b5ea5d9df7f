//! Small pieces the sandbox's handlers share: the service's date format (Paris time), random ids,
//! file URLs, name rules and a rough guess of content types.

use std::time::{SystemTime, UNIX_EPOCH};

/// What every file URL starts with; the id follows.
pub(crate) const URL_PREFIX: &str = "https://1fichier.com/?";

/// Length of the ids in file URLs and of upload ids.
pub(crate) const ID_LEN: usize = 10;

/// Names longer than this (in bytes) are refused, as most filesystems would.
const MAX_NAME_BYTES: usize = 255;

const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// `len` random lowercase letters and digits.
pub(crate) fn random_alnum(rng: &mut fastrand::Rng, len: usize) -> String {
    (0..len)
        .map(|_| ALNUM[rng.usize(..ALNUM.len())] as char)
        .collect()
}

/// The file id inside a file URL, tolerating `http`, `www.` and extra query parameters.
pub(crate) fn file_id_from_url(url: &str) -> Option<&str> {
    let rest = url
        .trim()
        .strip_prefix("https://")
        .or_else(|| url.trim().strip_prefix("http://"))?;
    let rest = rest.strip_prefix("www.").unwrap_or(rest);
    let rest = rest.strip_prefix("1fichier.com/?")?;
    let id = rest.split('&').next().unwrap_or_default();
    let valid = !id.is_empty()
        && id.len() <= 20
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    valid.then_some(id)
}

/// Why the service refuses a name, if it does.
pub(crate) fn name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("Empty name")
    } else if name.len() > MAX_NAME_BYTES {
        Some("Name too long")
    } else if crate::sanitize::service_refuses(name) {
        Some("Invalid name: forbidden characters")
    } else {
        None
    }
}

/// A content type from the name's extension, roughly as the service guesses it.
pub(crate) fn content_type(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "txt" | "log" | "md" => "text/plain",
        "html" | "htm" => "text/html",
        "csv" => "text/csv",
        "json" => "application/json",
        "pdf" => "application/pdf",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "mp4" => "video/mp4",
        "mkv" => "video/x-matroska",
        "avi" => "video/x-msvideo",
        "mp3" => "audio/mpeg",
        "flac" => "audio/flac",
        "zip" => "application/zip",
        "tar" => "application/x-tar",
        "gz" | "tgz" => "application/gzip",
        "7z" => "application/x-7z-compressed",
        "rar" => "application/x-rar-compressed",
        "iso" => "application/x-iso9660-image",
        "exe" => "application/x-msdownload",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "odt" => "application/vnd.oasis.opendocument.text",
        _ => "application/octet-stream",
    }
}

/// Now, as the service writes dates.
pub(crate) fn now_date() -> String {
    paris_date(unix_now())
}

/// Seconds since the epoch, now.
pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `YYYY-MM-DD HH:MM:SS` in Paris time (CET, or CEST between the last Sundays of March and
/// October), the way the service writes its dates: no zone in the string.
pub(crate) fn paris_date(unix: i64) -> String {
    let offset = if summer_time(unix) { 7200 } else { 3600 };
    format_utc(unix + offset)
}

/// The zero date the service gives to things that have not happened yet.
pub(crate) const NEVER: &str = "1970-01-01 00:00:00";

fn format_utc(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// European summer time: from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last
/// Sunday of October.
fn summer_time(unix: i64) -> bool {
    let (year, _, _) = civil_from_days(unix.div_euclid(86_400));
    let start = last_sunday(year, 3) * 86_400 + 3600;
    let end = last_sunday(year, 10) * 86_400 + 3600;
    (start..end).contains(&unix)
}

/// Days since the epoch of the last Sunday of a 31-day month.
fn last_sunday(year: i64, month: u32) -> i64 {
    let day31 = days_from_civil(year, month, 31);
    // 1970-01-01 was a Thursday: with Sunday as 0, its weekday is 4.
    let weekday = (day31 + 4).rem_euclid(7);
    day31 - weekday
}

/// Days since 1970-01-01 of a proleptic Gregorian date (eras of 400 years).
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let m = i64::from(month);
    let shifted_month = if m > 2 { m - 3 } else { m + 9 };
    let day_of_year = (153 * shifted_month + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of a day count since 1970-01-01 (inverse of `days_from_civil`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Decodes `%XX` escapes (used for names taken from URLs); invalid escapes stay as they are.
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Escapes text for an HTML page.
pub(crate) fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_follow_paris_time() {
        // 2024-01-15 12:00:00 UTC is 13:00 in Paris (CET).
        let winter = days_from_civil(2024, 1, 15) * 86_400 + 12 * 3600;
        assert_eq!(paris_date(winter), "2024-01-15 13:00:00");
        // 2024-07-01 23:30:00 UTC is already the 2nd in Paris (CEST).
        let summer = days_from_civil(2024, 7, 1) * 86_400 + 23 * 3600 + 1800;
        assert_eq!(paris_date(summer), "2024-07-02 01:30:00");
        // Summer time began on 2024-03-31 at 01:00 UTC.
        let before = days_from_civil(2024, 3, 31) * 86_400 + 3599;
        assert_eq!(paris_date(before), "2024-03-31 01:59:59");
        assert_eq!(paris_date(before + 1), "2024-03-31 03:00:00");
        assert_eq!(format_utc(0), NEVER);
    }

    #[test]
    fn civil_round_trip() {
        for days in [-800_000, -1, 0, 1, 365, 11_016, 19_000, 20_000, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn urls_give_their_id() {
        assert_eq!(
            file_id_from_url("https://1fichier.com/?abc123xyz0"),
            Some("abc123xyz0")
        );
        assert_eq!(
            file_id_from_url("https://1fichier.com/?abc123xyz0&af=1"),
            Some("abc123xyz0")
        );
        assert_eq!(file_id_from_url("https://example.com/?abc123xyz0"), None);
        assert_eq!(file_id_from_url("https://1fichier.com/?ABC"), None);
        assert_eq!(file_id_from_url("https://1fichier.com/?"), None);
    }

    #[test]
    fn names_and_types() {
        assert!(name_problem("ok name.txt").is_none());
        assert!(name_problem(" leading").is_some());
        assert!(name_problem("a/b").is_some());
        assert!(name_problem("").is_some());
        assert!(name_problem(&"x".repeat(256)).is_some());
        assert_eq!(content_type("A.JPG"), "image/jpeg");
        assert_eq!(content_type("noext"), "application/octet-stream");
        assert_eq!(percent_decode("a%20b%zz%"), "a b%zz%");
    }
}
