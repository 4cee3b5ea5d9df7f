//! Remote paths as the user types them: `/Documents/2024`, `a/b/`, `/`, or a file's URL.
//! Pure parsing; the walk through folders lives in the resolver.

/// A path split into the names to walk, from the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RemotePath<'a> {
    pub components: Vec<&'a str>,
    /// Ends with `/`: only a folder may match the last name.
    pub folder_only: bool,
}

/// Whether the text is a file URL rather than a path.
pub(crate) fn is_url(text: &str) -> bool {
    let t = text.trim_start();
    ["https://", "http://"]
        .iter()
        .any(|p| t.len() >= p.len() && t[..p.len()].eq_ignore_ascii_case(p))
}

/// Splits a path; `.` is skipped and `..` steps back (never above the root). Names are kept as
/// typed, spaces included: they are the user's own text.
pub(crate) fn parse(path: &str) -> RemotePath<'_> {
    let mut components = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                components.pop();
            }
            name => components.push(name),
        }
    }
    let folder_only = path.ends_with('/')
        || path.ends_with("/.")
        || path.ends_with("/..")
        || components.is_empty();
    RemotePath {
        components,
        folder_only,
    }
}

/// How a folder is shown in messages: `/` and its names joined.
pub(crate) fn display(components: &[&str]) -> String {
    format!("/{}", components.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_into_names() {
        assert_eq!(parse("/Documents/2024").components, ["Documents", "2024"]);
        assert_eq!(parse("Documents/2024").components, ["Documents", "2024"]);
        assert_eq!(parse("//a///b/").components, ["a", "b"]);
        assert!(parse("a/b/").folder_only);
        assert!(!parse("a/b").folder_only);
        assert!(parse("/").folder_only);
        assert!(parse("").components.is_empty());
        assert_eq!(parse("/a/./b/../c").components, ["a", "c"]);
        assert_eq!(parse("/../../a").components, ["a"]);
        assert_eq!(
            parse("/ leading space/x ").components,
            [" leading space", "x "]
        );
    }

    #[test]
    fn urls_are_not_paths() {
        assert!(is_url("https://1fichier.com/?abc"));
        assert!(is_url("HTTPS://1fichier.com/?abc"));
        assert!(is_url("http://127.0.0.1:8080/?abc"));
        assert!(!is_url("/https/x"));
        assert!(!is_url("https:"));
        assert_eq!(display(&["a", "b"]), "/a/b");
        assert_eq!(display(&[]), "/");
    }
}
