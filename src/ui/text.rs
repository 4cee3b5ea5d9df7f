//! Text measured as a terminal shows it: display width (wide CJK and emoji count two columns), cut
//! with `…` instead of wrapped, padded to a column; plus the few formats the screens share.

use std::time::{Duration, SystemTime};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Columns `s` takes on screen.
pub fn width(s: &str) -> usize {
    s.width()
}

/// `s` cut to at most `max` columns; a cut ends in `…` so the user sees that something is missing.
pub fn cut(s: &str, max: usize) -> String {
    if s.width() <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > max - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// `s` cut from the left (`…end`): for paths, whose end says the most.
pub fn cut_left(s: &str, max: usize) -> String {
    if s.width() <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut kept: Vec<char> = Vec::new();
    let mut used = 0;
    for c in s.chars().rev() {
        let w = c.width().unwrap_or(0);
        if used + w > max - 1 {
            break;
        }
        kept.push(c);
        used += w;
    }
    let mut out = String::from("…");
    out.extend(kept.into_iter().rev());
    out
}

/// `s` cut to `w` columns and padded with spaces to exactly `w`.
pub fn fit(s: &str, w: usize) -> String {
    let mut out = cut(s, w);
    let used = out.width();
    out.extend(std::iter::repeat_n(' ', w.saturating_sub(used)));
    out
}

/// `s` right-aligned in `w` columns (cut if longer).
pub fn fit_right(s: &str, w: usize) -> String {
    let body = cut(s, w);
    let used = body.width();
    let mut out: String = std::iter::repeat_n(' ', w.saturating_sub(used)).collect();
    out.push_str(&body);
    out
}

/// `s` broken into lines of at most `max` columns, at spaces where it can; a word longer than a
/// line is cut with `…`.
pub fn wrap(s: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in s.split(' ') {
        let word = if word.width() > max {
            cut(word, max)
        } else {
            word.to_string()
        };
        let extra = if line.is_empty() { 0 } else { 1 };
        if !line.is_empty() && line.width() + extra + word.width() > max {
            lines.push(std::mem::take(&mut line));
        } else if extra == 1 {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// `YYYY-MM-DD` of a file time, in UTC (servers mostly run on UTC, and the crate carries no zone
/// database).
pub fn ymd(t: SystemTime) -> String {
    let secs = match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    };
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The date part of a service date (`2026-11-24 12:00:00` -> `2026-11-24`).
pub fn service_day(date: &str) -> &str {
    match date.char_indices().nth(10) {
        Some((i, _)) => &date[..i],
        None => date,
    }
}

/// `0:24` for a countdown; never negative.
pub fn countdown(d: Duration) -> String {
    crate::units::clock(Duration::from_secs(
        d.as_secs() + u64::from(d.subsec_nanos() > 0),
    ))
}

/// A text gauge `[####......]` of `w` columns, brackets included; plain ASCII so it reads in any
/// terminal and without colour.
pub fn gauge(ratio: f64, w: usize) -> String {
    if w < 3 {
        return String::new();
    }
    let inner = w - 2;
    let ratio = if ratio.is_finite() {
        ratio.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let filled = ((inner as f64) * ratio).round() as usize;
    let mut out = String::with_capacity(w);
    out.push('[');
    out.extend(std::iter::repeat_n('#', filled));
    out.extend(std::iter::repeat_n('.', inner - filled));
    out.push(']');
    out
}

/// Base64 (standard alphabet, padded), for the OSC 52 clipboard escape.
pub fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_and_fit_by_display_width() {
        assert_eq!(cut("hello", 10), "hello");
        assert_eq!(cut("hello world", 6), "hello…");
        // A wide character never straddles the edge.
        assert_eq!(fit("日本語のファイル.txt", 8), "日本語… ");
        assert_eq!(width(&fit("日本語のファイル.txt", 8)), 8);
        assert_eq!(fit_right("12 B", 6), "  12 B");
        assert_eq!(cut_left("/a/very/long/path", 8), "…ng/path");
        assert_eq!(cut("x", 0), "");
        assert_eq!(wrap("the queue is saved", 9), ["the queue", "is saved"]);
        assert_eq!(wrap("abcdefghijk x", 5), ["abcd…", "x"]);
        assert_eq!(wrap("", 5), [""]);
    }

    #[test]
    fn dates_and_formats() {
        assert_eq!(ymd(SystemTime::UNIX_EPOCH), "1970-01-01");
        assert_eq!(
            ymd(SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000)),
            "2026-11-18"
        );
        assert_eq!(service_day("2026-11-24 12:00:00"), "2026-11-24");
        assert_eq!(service_day("short"), "short");
        assert_eq!(countdown(Duration::from_millis(23_100)), "0:24");
        assert_eq!(gauge(0.5, 12), "[#####.....]");
        assert_eq!(gauge(f64::NAN, 4), "[..]");
        assert_eq!(base64(b"hi"), "aGk=");
        assert_eq!(base64(b"abc"), "YWJj");
        assert_eq!(base64(b"ab\xff"), "YWL/");
    }
}
