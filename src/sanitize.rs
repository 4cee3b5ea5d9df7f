//! Names from the network or the disk are data: this module makes them safe where they go.
//!
//! - `for_terminal`: no control character, escape sequence or bidi override reaches a cell.
//! - `local_file_name`: a remote name becomes one safe path component, never a path.
//! - `to_service_name` / `from_service_name`: the characters 1fichier refuses travel as full-width
//!   look-alikes (as rclone does), and come back as themselves.

use std::borrow::Cow;

/// What a control character looks like on screen.
pub const PLACEHOLDER: char = '?';

/// Characters that change how a terminal reads what follows, or reorder text on screen.
fn is_unsafe_for_terminal(c: char) -> bool {
    c.is_control() // C0, DEL and C1, ESC included
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// The name with every control character, escape and bidi override shown as `?`.
pub fn for_terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe_for_terminal) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| {
                if is_unsafe_for_terminal(c) {
                    PLACEHOLDER
                } else {
                    c
                }
            })
            .collect(),
    )
}

/// The longest name most filesystems take, in bytes.
const MAX_NAME_BYTES: usize = 255;

/// One path component that lands inside the folder it is joined to, whatever the remote name was:
/// no separators, no `.`/`..`, no control characters, not empty, at most 255 bytes.
pub fn local_file_name(remote: &str) -> String {
    let restored = from_service_name(remote);
    let mut name: String = restored
        .chars()
        .map(|c| match c {
            '/' | '\\' | '\0' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    if name.trim_matches(['.', ' ']).is_empty() {
        name = format!("_{name}");
        if name.trim_matches(['.', ' ', '_']).is_empty() {
            name = "_".into();
        }
    }
    truncate_bytes(&mut name, MAX_NAME_BYTES);
    name
}

fn truncate_bytes(s: &mut String, max: usize) {
    if s.len() <= max {
        return;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
}

const SERVICE_MAP: [(char, char); 9] = [
    ('"', '\u{FF02}'),
    ('\'', '\u{FF07}'),
    ('<', '\u{FF1C}'),
    ('>', '\u{FF1E}'),
    ('$', '\u{FF04}'),
    ('/', '\u{FF0F}'),
    ('\\', '\u{FF3C}'),
    ('`', '\u{FF40}'),
    ('\u{00B4}', '\u{02CA}'),
];
/// A leading space, which the service refuses, travels as the visible "symbol for space".
const LEADING_SPACE: char = '\u{2420}';

/// The name as the service accepts it.
pub fn to_service_name(local: &str) -> String {
    let mut out = String::with_capacity(local.len());
    for (i, c) in local.chars().enumerate() {
        if i == 0 && c == ' ' {
            out.push(LEADING_SPACE);
            continue;
        }
        match SERVICE_MAP.iter().find(|(from, _)| *from == c) {
            Some((_, to)) => out.push(*to),
            None => out.push(c),
        }
    }
    out
}

/// The name as the user wrote it, from what the service stores.
pub fn from_service_name(remote: &str) -> String {
    let mut out = String::with_capacity(remote.len());
    for (i, c) in remote.chars().enumerate() {
        if i == 0 && c == LEADING_SPACE {
            out.push(' ');
            continue;
        }
        match SERVICE_MAP.iter().find(|(_, to)| *to == c) {
            Some((from, _)) => out.push(*from),
            None => out.push(c),
        }
    }
    out
}

/// Whether the service would refuse this name as it is.
pub fn service_refuses(name: &str) -> bool {
    name.is_empty()
        || name.starts_with(' ')
        || name
            .chars()
            .any(|c| SERVICE_MAP.iter().any(|(from, _)| *from == c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Component, Path};

    #[test]
    fn escapes_never_reach_the_terminal() {
        assert_eq!(for_terminal("\x1b[31mred\x1b[0m.txt"), "?[31mred?[0m.txt");
        assert_eq!(for_terminal("a\u{202E}gpj.exe"), "a?gpj.exe");
        assert_eq!(for_terminal("bell\x07\u{9b}"), "bell??");
        assert!(matches!(for_terminal("日本語 ok"), Cow::Borrowed(_)));
    }

    #[test]
    fn hostile_names_stay_inside_the_folder() {
        for hostile in [
            "../../etc/passwd",
            "/abs",
            "..",
            ".",
            "",
            "a/../b",
            "\\..\\x",
            "x\0y",
            " ..",
            "\x1b]0;t\x07",
        ] {
            let name = local_file_name(hostile);
            assert!(!name.is_empty(), "{hostile:?}");
            let joined = Path::new("/dest").join(&name);
            let comps: Vec<_> = joined.components().collect();
            assert_eq!(comps.len(), 3, "{hostile:?} -> {name:?}");
            assert!(
                matches!(comps[2], Component::Normal(_)),
                "{hostile:?} -> {name:?}"
            );
            assert!(!name.chars().any(|c| c.is_control()));
        }
        assert_eq!(local_file_name("../../etc/passwd"), ".._.._etc_passwd");
    }

    #[test]
    fn long_names_are_cut_on_a_char_boundary() {
        let long = "é".repeat(200);
        let name = local_file_name(&long);
        assert!(name.len() <= 255);
        assert!(name.chars().all(|c| c == 'é'));
    }

    #[test]
    fn refused_characters_round_trip() {
        let original = " it's <\"$5\"> a/b\\c `x´";
        let sent = to_service_name(original);
        assert!(!service_refuses(&sent), "{sent}");
        assert_eq!(from_service_name(&sent), original);
        assert!(service_refuses(original));
        assert_eq!(to_service_name("plain.txt"), "plain.txt");
    }

    #[test]
    fn a_service_slash_comes_back_as_a_safe_local_name() {
        // A name stored as "a／b" means "a/b" to the user, but a file name cannot hold a slash.
        assert_eq!(local_file_name("a\u{FF0F}b"), "a_b");
    }
}
