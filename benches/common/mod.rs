//! What the criterion benches share: a known output directory, and a closing table that reads
//! criterion's own estimates back so each figure is printed beside its reference as a ratio.

#![allow(dead_code)]

use criterion::Criterion;
use std::path::PathBuf;
use std::time::Duration;

/// Where criterion keeps its estimates: the crate's target/criterion, whatever the working dir.
pub fn output_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
        .join("criterion")
}

/// A criterion set up for slow, coarse measurements: few samples, short warm-up.
pub fn criterion(samples: usize, seconds: u64) -> Criterion {
    Criterion::default()
        .output_directory(&output_dir())
        .sample_size(samples.max(10))
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(seconds))
        .configure_from_args()
}

/// The mean time of one iteration of `group/id` from criterion's last run, in seconds.
pub fn mean_seconds(group: &str, id: &str) -> Option<f64> {
    let path = output_dir()
        .join(group.replace('/', "_"))
        .join(id.replace('/', "_"))
        .join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    let ns = json.get("mean")?.get("point_estimate")?.as_f64()?;
    Some(ns / 1e9)
}

/// One line of the closing table.
pub struct Figure {
    pub what: String,
    pub ours: String,
    pub reference: String,
    pub ratio: String,
    pub goal: String,
}

/// Milliseconds, shown to a useful precision.
pub fn ms(seconds: f64) -> String {
    let ms = seconds * 1e3;
    if ms < 1.0 {
        format!("{:.3} ms", ms)
    } else if ms < 100.0 {
        format!("{:.2} ms", ms)
    } else {
        format!("{:.0} ms", ms)
    }
}

pub fn print_table(title: &str, figures: &[Figure]) {
    println!();
    println!("== {title} ==");
    println!(
        "{:<46} {:>14} {:>22} {:>8}  goal",
        "figure", "ours", "reference", "ratio"
    );
    for f in figures {
        println!(
            "{:<46} {:>14} {:>22} {:>8}  {}",
            f.what, f.ours, f.reference, f.ratio, f.goal
        );
    }
}

/// The resident set's peak of this process (VmHWM), in bytes.
pub fn peak_rss() -> Option<u64> {
    proc_status_kib("VmHWM:").map(|k| k * 1024)
}

/// The resident set now (VmRSS), in bytes.
pub fn rss() -> Option<u64> {
    proc_status_kib("VmRSS:").map(|k| k * 1024)
}

fn proc_status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}
