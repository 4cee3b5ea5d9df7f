//! Printing for scripts and people: names are sanitized when they reach a terminal, and data can
//! come out as JSON.

use std::borrow::Cow;

/// A name as it may be printed in text output: control characters and escapes never reach a
/// terminal, and a name with a newline cannot forge an extra line in a pipe. `--json` keeps names
/// exact.
pub fn name(raw: &str) -> Cow<'_, str> {
    crate::sanitize::for_terminal(raw)
}

/// Prints a value as pretty JSON on stdout.
pub fn json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// The first 10 characters of a service date: `2026-11-26`.
pub fn day(date: Option<&str>) -> &str {
    match date {
        Some(d) if d.len() >= 10 && d.is_char_boundary(10) => &d[..10],
        Some(d) => d,
        None => "",
    }
}
