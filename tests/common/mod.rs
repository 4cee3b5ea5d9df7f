//! Shared test fixtures: a sandbox on its own runtime, and the real binary pointed at it.
#![allow(dead_code)]

pub mod api;
pub mod tmux;

use fichier_tui::sandbox::{Sandbox, SandboxConfig, TEST_KEY};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A sandbox served by a runtime of its own, so plain tests can run the binary and block.
pub struct TestSandbox {
    pub sandbox: Sandbox,
    runtime: tokio::runtime::Runtime,
}

impl TestSandbox {
    pub fn start() -> TestSandbox {
        Self::with(SandboxConfig::for_tests())
    }

    pub fn with(config: SandboxConfig) -> TestSandbox {
        // reqwest is built without a default TLS provider; the tests' own calls need one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let sandbox = runtime
            .block_on(Sandbox::start(config))
            .expect("the sandbox starts");
        TestSandbox { sandbox, runtime }
    }

    pub fn url(&self) -> String {
        self.sandbox.api_url()
    }

    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }
}

/// A home folder for one test: config, state and cache live under it.
pub struct Home {
    pub dir: tempfile::TempDir,
}

impl Home {
    /// A home whose config paces API calls fast: the sandbox allows it, and tests stay quick.
    pub fn new() -> Home {
        let home = Home {
            dir: tempfile::tempdir().expect("a temp dir"),
        };
        home.write_config("calls_per_second = 50.0\nflood_wait_seconds = 1\n");
        home
    }

    pub fn config_file(&self) -> PathBuf {
        self.path().join("config/fichier-tui/config.toml")
    }

    pub fn write_config(&self, text: &str) {
        use std::os::unix::fs::PermissionsExt;
        let path = self.config_file();
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("config dir");
        std::fs::write(&path, text).expect("config written");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn state_dir(&self) -> PathBuf {
        self.path().join("state/fichier-tui")
    }

    /// The environment that points the binary at `url` with the sandbox's key and this home.
    pub fn env(&self, url: &str) -> Vec<(String, String)> {
        let p = |s: &str| self.path().join(s).display().to_string();
        vec![
            ("FICHIER_API_KEY".into(), TEST_KEY.into()),
            ("FICHIER_API_URL".into(), url.into()),
            ("HOME".into(), self.path().display().to_string()),
            ("XDG_CONFIG_HOME".into(), p("config")),
            ("XDG_STATE_HOME".into(), p("state")),
            ("XDG_CACHE_HOME".into(), p("cache")),
            ("XDG_DATA_HOME".into(), p("data")),
        ]
    }

    /// The binary, with this home's environment and nothing of the caller's key.
    pub fn command(&self, url: &str) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_fichier-tui"));
        cmd.env_remove("FICHIER_API_KEY")
            .env_remove("RCLONE_FICHIER_API_KEY")
            .env_remove("FICHIER_API_URL");
        cmd.env("NO_COLOR", "1");
        for (k, v) in self.env(url) {
            cmd.env(k, v);
        }
        cmd
    }
}

/// What a finished command said.
pub struct Outcome {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(mut cmd: Command) -> Outcome {
    let out = cmd.output().expect("the binary runs");
    Outcome {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs the binary with `args` against `url`, from `home`.
pub fn fichier(home: &Home, url: &str, args: &[&str]) -> Outcome {
    let mut cmd = home.command(url);
    cmd.args(args);
    run(cmd)
}

/// Deterministic bytes of any length, different per seed.
pub fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| {
            ((i as u64)
                .wrapping_mul(2654435761)
                .wrapping_add(seed as u64)
                >> 7) as u8
        })
        .collect()
}

/// Every file under a local folder: path relative to `root` (with `/`) -> body.
pub fn local_tree(root: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut todo = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = todo.pop() {
        for e in std::fs::read_dir(&dir).expect("readable").flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if e.file_type().expect("a type").is_dir() {
                todo.push((e.path(), format!("{prefix}{name}/")));
            } else {
                out.insert(
                    format!("{prefix}{name}"),
                    std::fs::read(e.path()).expect("a body"),
                );
            }
        }
    }
    out
}
