//! Configuration: the TOML file, where the API key comes from, and the directories we use.
//!
//! The key is looked for in a fixed order (environment, rclone's variable, a command, the file) and
//! never accepted from the command line, where the process list would show it.

use crate::api::{ApiKey, DEFAULT_API_URL};
use crate::transfer::ConflictPolicy;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use thiserror::Error;

pub const KEY_ENV: &str = "FICHIER_API_KEY";
pub const RCLONE_KEY_ENV: &str = "RCLONE_FICHIER_API_KEY";
pub const URL_ENV: &str = "FICHIER_API_URL";

/// The most API calls per second we allow against the real service.
pub const MAX_CALLS_PER_SECOND: f64 = 2.0;

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error(
        "no API key found. Set FICHIER_API_KEY (or RCLONE_FICHIER_API_KEY), or put api_key_command \
         or api_key in {config}. A premium account's key is at https://1fichier.com/console/params.pl. \
         To try fichier-tui without an account, run it with --demo."
    )]
    NoKey { config: String },
    #[error(
        "{path} holds api_key but other users can read it (mode {mode:o}): run `chmod 600 {path}` \
         or use FICHIER_API_KEY instead"
    )]
    Readable { path: String, mode: u32 },
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not valid: {message}")]
    Parse { path: String, message: String },
    #[error("api_key_command failed: {0}")]
    KeyCommand(String),
    #[error("{0}")]
    Invalid(String),
}

/// The config file as written, every field optional.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileConfig {
    pub api_url: Option<String>,
    pub api_key_command: Option<String>,
    api_key: Option<String>,
    pub calls_per_second: Option<f64>,
    pub flood_wait_seconds: Option<u64>,
    pub transfers: TransferConfig,
    pub ui: UiConfig,
    pub keys: BTreeMap<String, KeyList>,
}

#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TransferConfig {
    pub jobs: usize,
    pub bwlimit: String,
    pub on_conflict: ConflictPolicy,
}

impl Default for TransferConfig {
    fn default() -> Self {
        TransferConfig {
            jobs: 3,
            bwlimit: String::new(),
            on_conflict: ConflictPolicy::Ask,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UiConfig {
    pub mouse: bool,
    pub theme: String,
    pub show_hidden: bool,
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig {
            mouse: true,
            theme: "default".into(),
            show_hidden: false,
        }
    }
}

/// A key binding: one key or a list of keys.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum KeyList {
    One(String),
    Many(Vec<String>),
}

impl KeyList {
    pub fn into_vec(self) -> Vec<String> {
        match self {
            KeyList::One(k) => vec![k],
            KeyList::Many(v) => v,
        }
    }
}

/// Where the config file, the journal, logs and caches live.
#[derive(Debug, Clone)]
pub struct Dirs {
    pub config_file: PathBuf,
    pub state: PathBuf,
    pub cache: PathBuf,
}

impl Dirs {
    /// The XDG directories (`$XDG_CONFIG_HOME/fichier-tui`, `$XDG_STATE_HOME/fichier-tui`, ...).
    pub fn from_system() -> Result<Dirs, ConfigError> {
        let dirs = directories::ProjectDirs::from("", "", "fichier-tui").ok_or_else(|| {
            ConfigError::Invalid(
                "cannot find a home directory for the config and state files".into(),
            )
        })?;
        Ok(Dirs {
            config_file: dirs.config_dir().join("config.toml"),
            state: dirs
                .state_dir()
                .unwrap_or(dirs.data_local_dir())
                .to_path_buf(),
            cache: dirs.cache_dir().to_path_buf(),
        })
    }

    /// Everything under one folder: the demo and tests use this to leave the user's files alone.
    pub fn under(root: &Path) -> Dirs {
        Dirs {
            config_file: root.join("config.toml"),
            state: root.join("state"),
            cache: root.join("cache"),
        }
    }
}

impl FileConfig {
    /// Reads the config file; a missing file means defaults, a broken one is an error.
    pub fn load(path: &Path) -> Result<FileConfig, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileConfig::default()),
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.display().to_string(),
                    source,
                });
            }
        };
        let config: FileConfig = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.display().to_string(),
            message: e.message().to_string(),
        })?;
        if config
            .api_key
            .as_deref()
            .is_some_and(|k| !k.trim().is_empty())
        {
            check_private(path)?;
        }
        Ok(config)
    }

    /// The user's key table, as the UI's keymap takes it.
    pub fn key_table(&self) -> BTreeMap<String, Vec<String>> {
        self.keys
            .iter()
            .map(|(k, v)| (k.clone(), v.clone().into_vec()))
            .collect()
    }
}

/// A file that holds a key must not be readable by group or others.
fn check_private(path: &Path) -> Result<(), ConfigError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|source| ConfigError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(ConfigError::Readable {
            path: path.display().to_string(),
            mode,
        });
    }
    Ok(())
}

/// Reads a variable from the environment; a seam so tests need not touch the process environment.
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    }
}

/// Finds the key: FICHIER_API_KEY, RCLONE_FICHIER_API_KEY, api_key_command, then api_key.
pub fn resolve_key(
    env: &dyn Env,
    file: &FileConfig,
    config_path: &Path,
) -> Result<ApiKey, ConfigError> {
    if let Some(key) = env.var(KEY_ENV).or_else(|| env.var(RCLONE_KEY_ENV)) {
        return Ok(ApiKey::new(key.trim()));
    }
    if let Some(command) = file
        .api_key_command
        .as_deref()
        .filter(|c| !c.trim().is_empty())
    {
        return run_key_command(command);
    }
    if let Some(key) = file.api_key.as_deref().filter(|k| !k.trim().is_empty()) {
        return Ok(ApiKey::new(key.trim()));
    }
    Err(ConfigError::NoKey {
        config: config_path.display().to_string(),
    })
}

fn run_key_command(command: &str) -> Result<ApiKey, ConfigError> {
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .output()
        .map_err(|e| ConfigError::KeyCommand(format!("cannot run it: {e}")))?;
    if !output.status.success() {
        // The command's stderr is its own words; its stdout may hold the key, so it is never shown.
        let err = String::from_utf8_lossy(&output.stderr);
        let first = err.lines().next().unwrap_or("").trim();
        return Err(ConfigError::KeyCommand(format!(
            "{} {first}",
            output.status
        )));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    match stdout
        .lines()
        .next()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        Some(line) => Ok(ApiKey::new(line)),
        None => Err(ConfigError::KeyCommand("it printed nothing".into())),
    }
}

/// The API URL: --api-url, then FICHIER_API_URL, then the file, then the real service.
pub fn resolve_api_url(flag: Option<&str>, env: &dyn Env, file: &FileConfig) -> String {
    flag.map(str::to_string)
        .or_else(|| env.var(URL_ENV))
        .or_else(|| file.api_url.clone())
        .unwrap_or_else(|| DEFAULT_API_URL.to_string())
}

/// Whether a base URL points at this machine (where plain http and faster pacing are allowed).
pub fn is_loopback_url(url: &str) -> bool {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return false;
    };
    match parsed.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The pace the client keeps: the file's, but never above the service's limit on a real URL.
pub fn calls_per_second(file: &FileConfig, api_url: &str) -> f64 {
    let asked = file.calls_per_second.unwrap_or(MAX_CALLS_PER_SECOND);
    let asked = if asked.is_finite() && asked > 0.0 {
        asked
    } else {
        MAX_CALLS_PER_SECOND
    };
    if is_loopback_url(api_url) {
        asked
    } else {
        asked.min(MAX_CALLS_PER_SECOND)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::os::unix::fs::PermissionsExt;

    struct FakeEnv(HashMap<&'static str, &'static str>);
    impl Env for FakeEnv {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).map(|v| v.to_string())
        }
    }

    fn write_config(dir: &Path, text: &str, mode: u32) -> PathBuf {
        let path = dir.join("config.toml");
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    #[test]
    fn shipped_defaults_parse() {
        let config: FileConfig = toml::from_str(include_str!("../assets/config.toml")).unwrap();
        assert_eq!(config.transfers.jobs, 3);
        assert_eq!(config.transfers.on_conflict, ConflictPolicy::Ask);
        assert_eq!(config.calls_per_second, Some(2.0));
    }

    #[test]
    fn key_order_is_env_then_rclone_then_command_then_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_config(
            dir.path(),
            "api_key = \"fromfile\"\napi_key_command = \"echo fromcmd; echo second\"\n",
            0o600,
        );
        let file = FileConfig::load(&path).unwrap();
        let both = FakeEnv(HashMap::from([
            (KEY_ENV, "fromenv"),
            (RCLONE_KEY_ENV, "fromrclone"),
        ]));
        assert_eq!(
            resolve_key(&both, &file, &path).unwrap().expose(),
            "fromenv"
        );
        let rclone = FakeEnv(HashMap::from([(RCLONE_KEY_ENV, "fromrclone")]));
        assert_eq!(
            resolve_key(&rclone, &file, &path).unwrap().expose(),
            "fromrclone"
        );
        let none = FakeEnv(HashMap::new());
        assert_eq!(
            resolve_key(&none, &file, &path).unwrap().expose(),
            "fromcmd"
        );
        let path = write_config(dir.path(), "api_key = \"fromfile\"\n", 0o600);
        let file = FileConfig::load(&path).unwrap();
        assert_eq!(
            resolve_key(&none, &file, &path).unwrap().expose(),
            "fromfile"
        );
    }

    #[test]
    fn a_readable_file_with_a_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_config(dir.path(), "api_key = \"secretkey123\"\n", 0o644);
        let err = FileConfig::load(&path).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("chmod 600"), "{msg}");
        assert!(!msg.contains("secretkey123"), "{msg}");
        // Without a key in it, a readable file is fine.
        let path = write_config(dir.path(), "[ui]\nmouse = false\n", 0o644);
        assert!(!FileConfig::load(&path).unwrap().ui.mouse);
    }

    #[test]
    fn no_key_says_how_to_get_one() {
        let file = FileConfig::default();
        let err =
            resolve_key(&FakeEnv(HashMap::new()), &file, Path::new("/x/config.toml")).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("FICHIER_API_KEY") && msg.contains("--demo"),
            "{msg}"
        );
    }

    #[test]
    fn failing_key_command_does_not_leak_stdout() {
        let file: FileConfig =
            toml::from_str("api_key_command = \"echo hunter2; exit 3\"").unwrap();
        let err = resolve_key(&FakeEnv(HashMap::new()), &file, Path::new("c")).unwrap_err();
        assert!(!err.to_string().contains("hunter2"));
    }

    #[test]
    fn bad_files_name_the_problem() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_config(dir.path(), "[transfers]\njobs = \"many\"\n", 0o600);
        assert!(matches!(
            FileConfig::load(&path),
            Err(ConfigError::Parse { .. })
        ));
        let path = write_config(dir.path(), "colour = 1\n", 0o600);
        assert!(matches!(
            FileConfig::load(&path),
            Err(ConfigError::Parse { .. })
        ));
    }

    #[test]
    fn pace_is_capped_off_loopback() {
        let file: FileConfig = toml::from_str("calls_per_second = 50.0").unwrap();
        assert_eq!(calls_per_second(&file, "https://api.1fichier.com/v1"), 2.0);
        assert_eq!(calls_per_second(&file, "http://127.0.0.1:4000/v1"), 50.0);
        assert!(is_loopback_url("http://localhost:1/v1"));
        assert!(is_loopback_url("http://[::1]:1/v1"));
        assert!(!is_loopback_url("http://10.0.0.1/v1"));
    }

    #[test]
    fn url_order_is_flag_env_file_default() {
        let file: FileConfig = toml::from_str("api_url = \"https://file/v1\"").unwrap();
        let env = FakeEnv(HashMap::from([(URL_ENV, "https://env/v1")]));
        assert_eq!(
            resolve_api_url(Some("https://flag/v1"), &env, &file),
            "https://flag/v1"
        );
        assert_eq!(resolve_api_url(None, &env, &file), "https://env/v1");
        assert_eq!(
            resolve_api_url(None, &FakeEnv(HashMap::new()), &file),
            "https://file/v1"
        );
        let empty = FileConfig::default();
        assert_eq!(
            resolve_api_url(None, &FakeEnv(HashMap::new()), &empty),
            DEFAULT_API_URL
        );
    }
}
