//! `--exclude` patterns, read the way rsync and rclone read them: `*` stays within one name, `**`
//! crosses folders, a pattern that starts with `/` is anchored at the root of the sync, any other
//! matches at any depth (against the end of the path, whole names only), and a trailing `/`
//! matches folders only. An excluded folder takes everything under it along.

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use std::path::Path;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ExcludeError {
    #[error("the exclude pattern {pattern:?} is not a valid glob: {source}")]
    Pattern {
        pattern: String,
        source: globset::Error,
    },
    #[error("cannot read the exclude file {path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
}

/// The compiled patterns. Paths are matched as names joined with `/`, relative to the root.
#[derive(Debug, Clone)]
pub struct Excludes {
    any: GlobSet,
    dirs: GlobSet,
    patterns: Vec<String>,
}

impl Default for Excludes {
    fn default() -> Self {
        Excludes {
            any: GlobSet::empty(),
            dirs: GlobSet::empty(),
            patterns: Vec::new(),
        }
    }
}

impl Excludes {
    pub fn new(patterns: &[String]) -> Result<Excludes, ExcludeError> {
        let mut any = GlobSetBuilder::new();
        let mut dirs = GlobSetBuilder::new();
        let mut kept = Vec::new();
        for raw in patterns {
            let pattern = raw.trim_end_matches(['\r', '\n']);
            if pattern.is_empty() {
                continue;
            }
            let (body, dir_only) = match pattern.strip_suffix('/') {
                Some(b) if !b.is_empty() => (b, true),
                _ => (pattern, false),
            };
            let glob = match body.strip_prefix('/') {
                Some(anchored) => anchored.to_string(),
                None => format!("**/{body}"),
            };
            let compiled = compile(&glob).map_err(|source| ExcludeError::Pattern {
                pattern: raw.clone(),
                source,
            })?;
            if dir_only {
                dirs.add(compiled);
            } else {
                any.add(compiled);
            }
            kept.push(raw.clone());
        }
        let build = |b: GlobSetBuilder| {
            b.build().map_err(|source| ExcludeError::Pattern {
                pattern: kept.join(" "),
                source,
            })
        };
        Ok(Excludes {
            any: build(any)?,
            dirs: build(dirs)?,
            patterns: kept,
        })
    }

    /// The patterns of a file, one a line; blank lines and lines starting with `#` are skipped.
    pub fn read_file(path: &Path) -> Result<Vec<String>, ExcludeError> {
        let text = std::fs::read_to_string(path).map_err(|source| ExcludeError::File {
            path: path.display().to_string(),
            source,
        })?;
        Ok(text
            .lines()
            .map(|l| l.trim_end_matches('\r'))
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect())
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// Whether the entry at `rel` (names from the root) is excluded by itself. Walks check each
    /// folder on the way down and do not enter excluded ones, so parents need no check here.
    pub fn excludes(&self, rel: &[String], is_dir: bool) -> bool {
        if self.patterns.is_empty() || rel.is_empty() {
            return false;
        }
        let path = rel.join("/");
        self.any.is_match(&path) || (is_dir && self.dirs.is_match(&path))
    }

    /// Whether `rel` or any folder above it is excluded.
    pub fn excludes_path(&self, rel: &[String], is_dir: bool) -> bool {
        (1..rel.len()).any(|n| self.excludes(&rel[..n], true)) || self.excludes(rel, is_dir)
    }
}

fn compile(glob: &str) -> Result<Glob, globset::Error> {
    GlobBuilder::new(glob)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(patterns: &[&str]) -> Excludes {
        Excludes::new(&patterns.iter().map(|p| p.to_string()).collect::<Vec<_>>()).unwrap()
    }

    fn rel(path: &str) -> Vec<String> {
        path.split('/').map(str::to_string).collect()
    }

    #[test]
    fn unanchored_patterns_match_names_at_any_depth() {
        let e = ex(&["*.tmp", "cache"]);
        assert!(e.excludes(&rel("a.tmp"), false));
        assert!(e.excludes(&rel("x/y/a.tmp"), false));
        assert!(!e.excludes(&rel("a.tmp.keep"), false));
        assert!(e.excludes(&rel("deep/cache"), true));
        assert!(e.excludes(&rel("cache"), false));
        assert!(!e.excludes(&rel("mycache"), false), "whole names only");
    }

    #[test]
    fn anchored_patterns_match_from_the_root_only() {
        let e = ex(&["/build", "/logs/*.log"]);
        assert!(e.excludes(&rel("build"), true));
        assert!(!e.excludes(&rel("src/build"), true));
        assert!(e.excludes(&rel("logs/a.log"), false));
        assert!(
            !e.excludes(&rel("logs/old/a.log"), false),
            "* stays in one name"
        );
        assert!(!e.excludes(&rel("x/logs/a.log"), false));
    }

    #[test]
    fn double_star_crosses_folders_and_a_slash_means_folders_only() {
        let e = ex(&["/logs/**/*.gz", "node_modules/", "a/b"]);
        assert!(e.excludes(&rel("logs/2024/01/x.gz"), false));
        assert!(e.excludes(&rel("logs/x.gz"), false));
        assert!(e.excludes(&rel("web/node_modules"), true));
        assert!(
            !e.excludes(&rel("web/node_modules"), false),
            "a file of that name stays"
        );
        assert!(e.excludes(&rel("a/b"), false));
        assert!(
            e.excludes(&rel("z/a/b"), false),
            "matched against the end of the path"
        );
        assert!(!e.excludes(&rel("za/b"), false));
    }

    #[test]
    fn an_excluded_folder_takes_its_contents() {
        let e = ex(&["tmp/"]);
        assert!(e.excludes_path(&rel("x/tmp/deep/file"), false));
        assert!(!e.excludes_path(&rel("x/tmpfile"), false));
        assert!(!ex(&[]).excludes_path(&rel("a"), false));
    }

    #[test]
    fn bad_patterns_and_files() {
        assert!(Excludes::new(&["a[".to_string()]).is_err());
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("ex");
        std::fs::write(&f, "# comment\n\n*.o\r\n/out/\n").unwrap();
        let lines = Excludes::read_file(&f).unwrap();
        assert_eq!(lines, ["*.o", "/out/"]);
        let e = Excludes::new(&lines).unwrap();
        assert!(e.excludes(&rel("src/x.o"), false));
        assert!(e.excludes(&rel("out"), true));
        assert!(Excludes::read_file(&dir.path().join("nope")).is_err());
    }
}
