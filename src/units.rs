//! Sizes, speeds and durations as people read them.

use std::fmt;
use std::time::Duration;

/// A byte count that displays as `1.2 GiB`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Bytes(pub u64);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        let n = self.0;
        if n < 1024 {
            return write!(f, "{n} B");
        }
        let mut value = n as f64 / 1024.0;
        let mut unit = 0;
        while value >= 1024.0 && unit < UNITS.len() - 1 {
            value /= 1024.0;
            unit += 1;
        }
        if value < 10.0 {
            write!(f, "{value:.1} {}", UNITS[unit])
        } else {
            write!(f, "{value:.0} {}", UNITS[unit])
        }
    }
}

/// A transfer rate in bytes per second, shown in decimal units as network tools do (`48.2 MB/s`).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct Rate(pub f64);

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0.max(0.0);
        let (value, unit) = if v >= 1e9 {
            (v / 1e9, "GB/s")
        } else if v >= 1e6 {
            (v / 1e6, "MB/s")
        } else if v >= 1e3 {
            (v / 1e3, "kB/s")
        } else {
            (v, "B/s")
        };
        write!(f, "{value:.1} {unit}")
    }
}

/// `0:08`, `12:30`, `2:05:00`: a countdown or an ETA.
pub fn clock(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// Parses `10M`, `1.5MiB`, `500k`, `2G` or plain bytes, for `--bwlimit` and the config.
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let num: f64 = num.parse().ok()?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "kib" => 1024.0,
        "m" | "mb" => 1e6,
        "mib" => 1024.0 * 1024.0,
        "g" | "gb" => 1e9,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    let v = num * mult;
    (v.is_finite() && v >= 0.0).then_some(v as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_like_a_file_manager() {
        assert_eq!(Bytes(0).to_string(), "0 B");
        assert_eq!(Bytes(1023).to_string(), "1023 B");
        assert_eq!(Bytes(1024).to_string(), "1.0 KiB");
        assert_eq!(Bytes(1_288_490_189).to_string(), "1.2 GiB");
        assert_eq!(Bytes(20 * 1024 * 1024 * 1024 * 1024).to_string(), "20 TiB");
    }

    #[test]
    fn rates_and_clocks() {
        assert_eq!(Rate(48_200_000.0).to_string(), "48.2 MB/s");
        assert_eq!(Rate(512.0).to_string(), "512.0 B/s");
        assert_eq!(clock(Duration::from_secs(8)), "0:08");
        assert_eq!(clock(Duration::from_secs(3725)), "1:02:05");
    }

    #[test]
    fn sizes_parse_with_units() {
        assert_eq!(parse_size("10M"), Some(10_000_000));
        assert_eq!(parse_size("1MiB"), Some(1_048_576));
        assert_eq!(parse_size("512"), Some(512));
        assert_eq!(parse_size("1.5k"), Some(1500));
        assert_eq!(parse_size("ten"), None);
        assert_eq!(parse_size("5X"), None);
    }
}
